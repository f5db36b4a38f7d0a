import { describe, expect, it } from 'vitest';
import { openEventStream, type StreamStatus } from './event-stream';

function streamOf(text: string, keepOpen = false): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  return new ReadableStream({
    start(controller) {
      controller.enqueue(bytes);
      if (!keepOpen) controller.close();
    },
  });
}

describe('event stream client', () => {
  it('sends the bearer token in a header, resumes with Last-Event-ID, and stops when closed', async () => {
    const calls: { url: string; headers: Record<string, string> }[] = [];
    const bodies = ['id: 1\ndata: {"type":"a"}\n\nid: 2\ndata: {"type":"b"}\n\n', 'id: 3\ndata: {"type":"c"}\n\n'];
    const received: string[] = [];
    const statuses: StreamStatus[] = [];
    let stream: ReturnType<typeof openEventStream> | null = null;
    const done = new Promise<void>((resolve) => {
      stream = openEventStream({
        url: '/api/v1/events',
        token: async () => `token-${calls.length}`,
        fetchImpl: async (url, init) => {
          calls.push({ url: url as string, headers: init?.headers as Record<string, string> });
          const body = bodies.shift();
          if (body === undefined) {
            resolve();
            return new Response(streamOf('', true), { status: 200 });
          }
          return new Response(streamOf(body), { status: 200, headers: { 'content-type': 'text/event-stream' } });
        },
        sleep: async () => undefined,
        onMessage: (m) => received.push(m.data),
        onStatus: (s) => statuses.push(s),
      });
    });
    await done;
    stream!.close();
    expect(received).toEqual(['{"type":"a"}', '{"type":"b"}', '{"type":"c"}']);
    expect(calls.map((c) => c.url)).toEqual(['/api/v1/events', '/api/v1/events', '/api/v1/events']);
    expect(calls[0]!.headers).toEqual({ accept: 'text/event-stream', authorization: 'Bearer token-0' });
    expect(calls[1]!.headers['last-event-id']).toBe('2');
    expect(calls[2]!.headers['last-event-id']).toBe('3');
    expect(calls[2]!.headers.authorization).toBe('Bearer token-2');
    expect(statuses.slice(0, 3)).toEqual(['connecting', 'open', 'reconnecting']);
    expect(stream!.lastEventId()).toBe('3');
  });

  it('retries with growing delays after network errors and gives up on 403', async () => {
    const delays: number[] = [];
    let attempts = 0;
    const refused: number[] = [];
    await new Promise<void>((resolve) => {
      openEventStream({
        url: '/e',
        token: async () => null,
        fetchImpl: async () => {
          attempts += 1;
          if (attempts <= 3) throw new TypeError('network down');
          return new Response('', { status: 403 });
        },
        sleep: async (ms) => {
          delays.push(ms);
        },
        onMessage: () => undefined,
        onUnauthorized: (status) => refused.push(status),
        onStatus: (s) => {
          if (s === 'closed') resolve();
        },
      });
    });
    expect(attempts).toBe(4);
    expect(refused).toEqual([403]);
    expect(delays).toHaveLength(3);
    expect(delays[0]!).toBeLessThanOrEqual(2000);
    expect(delays[2]!).toBeGreaterThanOrEqual(4000);
  });
});
