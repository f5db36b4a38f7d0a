import { describe, expect, it } from 'vitest';
import type { Occurrence, RecurringWorkOrder } from '@yardmaster/contracts';
import { editOf, initialEditValues, sayLocal } from './model';

const occurrence: Occurrence = {
  id: '00000000-0000-4000-8000-000000000002',
  seriesId: '00000000-0000-4000-8000-000000000001',
  localStart: '2026-12-14T09:00',
  startsAt: '2026-12-14T09:00:00.000Z',
  status: 'created',
  workOrderId: null,
  skippedReason: null,
};
const series: RecurringWorkOrder = {
  id: occurrence.seriesId,
  rule: 'FREQ=WEEKLY;BYDAY=MO',
  localStart: '2026-12-07T09:00',
  description: 'Weekly lift',
  priority: 'standard',
  siteId: '00000000-0000-4000-8000-000000000003',
  ended: false,
  parentId: null,
  occurrences: [occurrence],
  version: 1,
};

describe('calendar edits of an occurrence', () => {
  it('says a local time with its weekday', () => {
    expect(sayLocal('2026-12-07T09:00')).toBe('Mon 7 Dec 2026, 09:00');
  });

  it('sends only what changed, and the rule only for this and following', () => {
    const start = initialEditValues(series, occurrence);
    expect(editOf(start, series, occurrence)).toEqual({ scope: 'this', action: 'change' });
    expect(editOf({ ...start, localStart: '2026-12-14T11:00', rule: 'FREQ=DAILY' }, series, occurrence)).toEqual({
      scope: 'this',
      action: 'change',
      localStart: '2026-12-14T11:00',
    });
    expect(editOf({ ...start, scope: 'following', rule: 'FREQ=WEEKLY;BYDAY=TU', priority: 'urgent' }, series, occurrence)).toEqual({
      scope: 'following',
      action: 'change',
      rule: 'FREQ=WEEKLY;BYDAY=TU',
      priority: 'urgent',
    });
  });

  it('a skip carries its reason, or none', () => {
    const start = initialEditValues(series, occurrence);
    expect(editOf({ ...start, action: 'skip', reason: ' site closed ' }, series, occurrence)).toEqual({
      scope: 'this',
      action: 'skip',
      reason: 'site closed',
    });
    expect(editOf({ ...start, action: 'skip', scope: 'following' }, series, occurrence)).toEqual({
      scope: 'following',
      action: 'skip',
      reason: null,
    });
  });
});
