import { describe, expect, it } from 'vitest';
import type { Board, Dispatch } from '@yardmaster/contracts';
import { applyDispatch, guessDispatch } from './board-cache';

const d = (id: string, over: Partial<Dispatch> = {}): Dispatch =>
  ({ id, status: 'queued', version: 1, equipmentTypeId: 't', priority: 'standard', ...over }) as Dispatch;
const board = (over: Partial<Board> = {}): Board => ({ queued: [], scheduled: [], held: [], active: [], autoProcessing: true, ...over });
const queued = (id: string, position: number) => ({
  ...d(id),
  queuePosition: position,
  competing: 2,
  reason: 'every Crane is on a job',
  waitingSeconds: 60,
});

describe('board cache by entity', () => {
  it('moves a card to the column of its new status, keeping the others', () => {
    const b = board({ queued: [queued('a', 1), queued('b', 2)] });
    const next = applyDispatch(b, d('a', { status: 'dispatched', version: 2 }));
    expect(next.queued.map((x) => x.id)).toEqual(['b']);
    expect(next.active.map((x) => x.id)).toEqual(['a']);
  });
  it('never lets an older event undo a newer answer', () => {
    const b = board({ active: [d('a', { status: 'en_route', version: 3 })] });
    expect(applyDispatch(b, d('a', { status: 'dispatched', version: 2 }))).toBe(b);
  });
  it('keeps a queued card’s position and reason until the board is read again; a new one goes last of its type', () => {
    const b = board({ queued: [queued('a', 1)] });
    const reprioritised = applyDispatch(b, d('a', { priority: 'urgent', version: 2 }));
    expect(reprioritised.queued[0]).toMatchObject({ priority: 'urgent', queuePosition: 1, reason: 'every Crane is on a job' });
    expect(applyDispatch(b, d('c')).queued[1]).toMatchObject({ id: 'c', queuePosition: 2, competing: 2 });
  });
  it('guesses a command’s effect at once: a recalled card leaves, a held one shows in held', () => {
    const b = board({ active: [d('a', { status: 'en_route' })] });
    expect(guessDispatch(b, 'a', () => null).active).toHaveLength(0);
    const h = applyDispatch(board(), d('h', { status: 'held', hold: { reason: 'gate locked', notBefore: null } }));
    expect(h.held.map((x) => x.id)).toEqual(['h']);
  });
});
