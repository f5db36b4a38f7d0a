import http from 'node:http';

export type SseMessage = { id: string | null; event: string; data: string };

/**
 * A minimal SSE client over node:http for tests: collects messages and comments; `ready` once the
 * server says ": live" (caught up).
 */
export function openStream(baseUrl: string, token: string, lastEventId?: string) {
  const messages: SseMessage[] = [];
  const comments: string[] = [];
  let buffer = '';
  let waiters: Array<() => void> = [];
  let ended = false;
  let status = 0;
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const notify = (): void => {
    const current = waiters;
    waiters = [];
    for (const w of current) w();
  };
  const request = http.get(`${baseUrl}/api/v1/events`, {
    headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream', ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
  });
  const opened = new Promise<number>((resolve, reject) => {
    request.on('error', (error) => {
      ended = true;
      notify();
      reject(error);
    });
    request.on('response', (response) => {
      status = response.statusCode ?? 0;
      resolve(status);
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffer += chunk;
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          let id: string | null = null;
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) {
              comments.push(line);
              if (line === ': live') markReady();
              continue;
            }
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'id') id = value;
            else if (field === 'event') event = value;
            else if (field === 'data') data.push(value);
          }
          if (data.length > 0) messages.push({ id, event, data: data.join('\n') });
        }
        notify();
      });
      response.on('end', () => {
        ended = true;
        notify();
      });
      response.on('close', () => {
        ended = true;
        notify();
      });
    });
  });
  return {
    messages,
    comments,
    opened,
    /** Resolves once the server says the stream is live (caught up). */
    ready,
    get ended() {
      return ended;
    },
    get status() {
      return status;
    },
    /** Resolves once `count` messages arrived (or the stream ended); rejects after `timeoutMs`. */
    async waitFor(count: number, timeoutMs = 8_000): Promise<SseMessage[]> {
      const deadline = Date.now() + timeoutMs;
      while (messages.length < count && !ended) {
        const left = deadline - Date.now();
        if (left <= 0)
          throw new Error(
            `timed out with ${messages.length}/${count} messages (${request.socket?.bytesRead} bytes, buffered ${buffer.length}, paused ${String(request.socket?.isPaused())})`,
          );
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
      return messages;
    },
    /** Resolves once a message whose data contains `text` arrived; rejects after `timeoutMs`. */
    async waitForText(text: string, timeoutMs = 15_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!messages.some((m) => m.data.includes(text))) {
        if (Date.now() > deadline) throw new Error(`no message naming ${text} (${messages.length} received)`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    close(): void {
      request.destroy();
    },
  };
}
