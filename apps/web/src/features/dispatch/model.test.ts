import { describe, expect, it } from 'vitest';
import { actionsFor, byQueueOrder, nextDriverStep, type Priority } from './model';

describe('dispatch board rules', () => {
  it('offers dispatchers only the actions the lifecycle allows', () => {
    expect(actionsFor('queued')).toEqual(['manual-dispatch', 'change-priority', 'cancel']);
    expect(actionsFor('en_route')).toEqual(['recall', 'complete']);
    expect(actionsFor('completed')).toEqual([]);
    expect(actionsFor('held')).toEqual(['release', 'cancel']);
  });
  it('moves a driver forward one step at a time', () => {
    const seen: string[] = [];
    for (let step = nextDriverStep('dispatched'); step; step = nextDriverStep(step.to)) seen.push(step.to);
    expect(seen).toEqual(['en_route', 'on_site', 'returning', 'completed']);
    expect(nextDriverStep('queued')).toBeNull();
  });
  it('orders the queue by position, else priority then age', () => {
    const q = (priority: Priority, queuedAt: string, position: number | null = null) => ({ priority, queuedAt, position });
    const items = [
      q('low', '2026-01-01T00:00:00Z'),
      q('urgent', '2026-01-01T02:00:00Z'),
      q('urgent', '2026-01-01T01:00:00Z'),
      q('standard', '2026-01-01T00:00:00Z'),
    ];
    expect(items.sort(byQueueOrder).map((i) => `${i.priority}@${i.queuedAt.slice(11, 13)}`)).toEqual([
      'urgent@01',
      'urgent@02',
      'standard@00',
      'low@00',
    ]);
    expect([q('low', 'a', 2), q('urgent', 'b', 1)].sort(byQueueOrder).map((i) => i.position)).toEqual([1, 2]);
  });
});
