import { describe, expect, it } from 'vitest';
import type { DriverActionResult } from '@yardmaster/contracts';
import { flushQueue, projectStatus, type QueuedAction, type QueueIo, type SendResult } from './queue';

const tap = (seq: number, action: QueuedAction['action'], dispatchId = 'd1'): QueuedAction => ({
  seq,
  id: `a${seq}`,
  dispatchId,
  workOrderNumber: 'WO-1',
  action,
  occurredAt: new Date(seq * 1000).toISOString(),
  state: 'pending',
});
const answer = (outcome: 'applied' | 'refused', reason: string | null = null): SendResult => ({
  kind: 'answered',
  result: { outcome, reason } as DriverActionResult,
});

function memoryIo(items: QueuedAction[], replies: SendResult[]): QueueIo & { items: QueuedAction[]; sent: string[] } {
  const io = {
    items,
    sent: [] as string[],
    list: async () => [...io.items].sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0)),
    update: async (a: QueuedAction) => {
      io.items = io.items.map((x) => (x.seq === a.seq ? a : x));
    },
    remove: async (seq: number) => {
      io.items = io.items.filter((x) => x.seq !== seq);
    },
    upload: async () => ({ kind: 'ok' as const }),
    send: async (a: QueuedAction) => {
      io.sent.push(a.id);
      return replies.shift() ?? { kind: 'unreachable' as const };
    },
  };
  return io;
}

describe('the offline queue', () => {
  it('shows the status the waiting taps lead to', () => {
    expect(projectStatus('dispatched', 'd1', [tap(1, 'en_route'), tap(2, 'on_site'), tap(3, 'en_route', 'd2')])).toBe('on_site');
    expect(projectStatus('dispatched', 'd1', [{ ...tap(1, 'en_route'), state: 'refused' }])).toBe('dispatched');
  });

  it('sends in order and stops at the first that cannot reach the server, keeping the rest', async () => {
    const io = memoryIo([tap(2, 'on_site'), tap(1, 'en_route'), tap(3, 'returning')], [answer('applied'), { kind: 'unreachable' }]);
    expect(await flushQueue(io)).toEqual({ sent: 1, stopped: true });
    expect(io.sent).toEqual(['a1', 'a2']);
    expect(io.items.map((i) => i.id)).toEqual(['a2', 'a3']);
  });

  it('keeps a refused tap with the reason, for the driver to read', async () => {
    const io = memoryIo(
      [tap(1, 'en_route'), tap(2, 'on_site')],
      [answer('refused', 'Recalled by the dispatcher: rain'), answer('refused', 'Recalled')],
    );
    await flushQueue(io);
    expect(io.items.map((i) => [i.id, i.state, i.problem])).toEqual([
      ['a1', 'refused', 'Recalled by the dispatcher: rain'],
      ['a2', 'refused', 'Recalled'],
    ]);
  });

  it('waits for sign-in (401) without losing anything', async () => {
    const io = memoryIo([tap(1, 'en_route')], [{ kind: 'problem', status: 401, detail: 'sign in' }]);
    expect(await flushQueue(io)).toEqual({ sent: 0, stopped: true });
    expect(io.items[0]?.state).toBe('pending');
  });
});
