import { describe, expect, it } from 'vitest';
import { backoffDelay, createSseParser, type SseMessage } from './sse';

function parse(chunks: string[]) {
  const out: SseMessage[] = [];
  const parser = createSseParser((m) => out.push(m));
  for (const c of chunks) parser.push(c);
  return { out, parser };
}

describe('SSE parser', () => {
  it('parses events with ids, types and multi-line data', () => {
    const { out, parser } = parse(['id: 1\nevent: dispatch.changed\ndata: {"a":1}\n\n', 'id: 2\ndata: line1\ndata: line2\n\n']);
    expect(out).toEqual([
      { id: '1', event: 'dispatch.changed', data: '{"a":1}', retry: null },
      { id: '2', event: 'message', data: 'line1\nline2', retry: null },
    ]);
    expect(parser.lastEventId).toBe('2');
  });

  it('handles any chunking, CRLF and a CR split across chunks', () => {
    const text = 'id: 7\r\ndata: hello\r\n\r\n';
    for (let i = 0; i <= text.length; i++) {
      const { out } = parse([text.slice(0, i), text.slice(i)]);
      expect(out).toEqual([{ id: '7', event: 'message', data: 'hello', retry: null }]);
    }
  });

  it('ignores comments (heartbeats) and unknown fields; keeps the last id across events', () => {
    const { out, parser } = parse([': ping\n\n', 'id: 9\nfoo: bar\ndata: x\n\n', 'data: y\n\n']);
    expect(out.map((m) => [m.id, m.data])).toEqual([
      ['9', 'x'],
      ['9', 'y'],
    ]);
    expect(parser.lastEventId).toBe('9');
  });

  it('reads retry and does not dispatch an event without data', () => {
    const { out } = parse(['retry: 5000\n\n', 'event: x\n\n']);
    expect(out).toEqual([{ id: null, event: '', data: '', retry: 5000 }]);
  });

  it('waits for the blank line before dispatching', () => {
    const { out } = parse(['data: partial\n']);
    expect(out).toEqual([]);
  });
});

describe('reconnection backoff', () => {
  it('grows exponentially up to the cap, with jitter between half and full', () => {
    expect(backoffDelay(0, { random: () => 0 })).toBe(500);
    expect(backoffDelay(0, { random: () => 1 })).toBe(1000);
    expect(backoffDelay(3, { random: () => 1 })).toBe(8000);
    expect(backoffDelay(20, { random: () => 1 })).toBe(30_000);
  });
  it("never goes below the server's retry", () => {
    expect(backoffDelay(0, { random: () => 0, floorMs: 4000 })).toBe(4000);
  });
});
