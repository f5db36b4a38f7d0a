/** One Server-Sent Event as the stream delivered it. */
export type SseMessage = { id: string | null; event: string; data: string; retry: number | null };

/**
 * Incremental parser for the text/event-stream format (WHATWG HTML §9.2): feed it chunks as they
 * arrive, in any split; it calls `onMessage` for every complete event. Comments (`:` lines, used
 * as heartbeats) are ignored; `id` persists as the last event id.
 */
export function createSseParser(onMessage: (message: SseMessage) => void) {
  let buffer = '';
  let data: string[] = [];
  let event = '';
  let id: string | null = null;
  let retry: number | null = null;
  let hasField = false;

  function dispatch(): void {
    if (data.length > 0) onMessage({ id, event: event || 'message', data: data.join('\n'), retry });
    else if (retry !== null && hasField) onMessage({ id, event: '', data: '', retry });
    data = [];
    event = '';
    retry = null;
    hasField = false;
  }

  function line(text: string): void {
    if (text === '') return dispatch();
    if (text.startsWith(':')) return;
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    hasField = true;
    switch (field) {
      case 'data':
        data.push(value);
        break;
      case 'event':
        event = value;
        break;
      case 'id':
        if (!value.includes('\0')) id = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) retry = Number(value);
        break;
      default:
        break;
    }
  }

  return {
    push(chunk: string): void {
      buffer += chunk;
      for (;;) {
        const match = /\r\n|\r|\n/.exec(buffer);
        if (!match) break;
        // A lone \r at the very end may be the first half of \r\n: wait for more.
        if (match[0] === '\r' && match.index === buffer.length - 1) break;
        line(buffer.slice(0, match.index));
        buffer = buffer.slice(match.index + match[0].length);
      }
    },
    /** The id a reconnecting client sends as Last-Event-ID. */
    get lastEventId(): string | null {
      return id;
    },
  };
}

/** Reconnection delay: exponential with full jitter, capped; the server's `retry` is the floor. */
export function backoffDelay(
  attempt: number,
  options: { baseMs?: number; maxMs?: number; floorMs?: number; random?: () => number } = {},
): number {
  const base = options.baseMs ?? 1000;
  const max = options.maxMs ?? 30_000;
  const ceiling = Math.min(max, base * 2 ** Math.max(0, attempt));
  const jittered = Math.round(ceiling / 2 + (ceiling / 2) * (options.random ?? Math.random)());
  return Math.max(options.floorMs ?? 0, jittered);
}
