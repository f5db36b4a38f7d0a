import { backoffDelay, createSseParser, type SseMessage } from '../lib/sse';

export type StreamStatus = 'connecting' | 'open' | 'reconnecting' | 'closed';

export type EventStreamOptions = {
  url: string;
  /** Bearer token, fetched before every (re)connection so renewed tokens are used. */
  token: () => Promise<string | null>;
  onMessage: (message: SseMessage) => void;
  onStatus?: (status: StreamStatus) => void;
  /** Called when the stream answered 401/403: the session decides what to do. */
  onUnauthorized?: (status: number) => void;
  fetchImpl?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
};

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Server-Sent Events over fetch, so the bearer token travels in a header (never in the URL).
 * Reconnects with backoff and resumes with `Last-Event-ID`; stops on close() or an auth refusal.
 */
export function openEventStream(options: EventStreamOptions): { close: () => void; lastEventId: () => string | null } {
  const fetchImpl = options.fetchImpl ?? fetch.bind(globalThis);
  const sleep = options.sleep ?? defaultSleep;
  let lastEventId: string | null = null;
  let serverRetry: number | null = null;
  let closed = false;
  let controller: AbortController | null = null;
  const status = (s: StreamStatus) => options.onStatus?.(s);

  async function connectOnce(): Promise<'retry' | 'stop'> {
    controller = new AbortController();
    const token = await options.token();
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (lastEventId) headers['last-event-id'] = lastEventId;
    const response = await fetchImpl(options.url, { headers, signal: controller.signal, cache: 'no-store' });
    if (response.status === 401 || response.status === 403) {
      options.onUnauthorized?.(response.status);
      return response.status === 401 ? 'retry' : 'stop';
    }
    if (!response.ok || !response.body) return 'retry';
    status('open');
    const parser = createSseParser((message) => {
      if (message.retry !== null) serverRetry = message.retry;
      if (message.id !== null) lastEventId = message.id;
      if (message.data !== '' || message.event !== '') options.onMessage(message);
    });
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return 'retry';
      parser.push(value);
    }
  }

  async function loop(): Promise<void> {
    let attempt = 0;
    status('connecting');
    while (!closed) {
      let outcome: 'retry' | 'stop' = 'retry';
      const before = lastEventId;
      try {
        outcome = await connectOnce();
      } catch {
        outcome = 'retry';
      }
      if (closed) break;
      if (outcome === 'stop') break;
      // A connection that delivered something resets the backoff.
      attempt = lastEventId !== before ? 0 : attempt + 1;
      status('reconnecting');
      await sleep(backoffDelay(attempt, { floorMs: serverRetry ?? 0 }));
    }
    status('closed');
  }

  void loop();
  return {
    close: () => {
      closed = true;
      controller?.abort();
    },
    lastEventId: () => lastEventId,
  };
}
