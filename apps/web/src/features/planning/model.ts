import type { EditOccurrence, Occurrence, RecurringWorkOrder } from '@yardmaster/contracts';

const localFormat = new Intl.DateTimeFormat('en-GB', {
  weekday: 'short',
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
  timeZone: 'UTC',
});

/** A local wall-clock time of the planning API ('2026-12-07T09:00') as people read it: "Mon 7 Dec 2026, 09:00". */
export function sayLocal(local: string): string {
  const d = new Date(`${local}:00Z`);
  return Number.isNaN(d.getTime()) ? local : localFormat.format(d).replace(/^(\w+),/, '$1');
}

export type OccurrenceEditValues = {
  scope: 'this' | 'following';
  action: 'skip' | 'change';
  reason: string;
  localStart: string;
  description: string;
  priority: RecurringWorkOrder['priority'];
  rule: string;
};

export function initialEditValues(series: RecurringWorkOrder, occurrence: Occurrence): OccurrenceEditValues {
  return {
    scope: 'this',
    action: 'change',
    reason: '',
    localStart: occurrence.localStart,
    description: series.description,
    priority: series.priority,
    rule: series.rule,
  };
}

/**
 * The calendar edit to send: a skip carries its reason; a change only what differs from the
 * occurrence and its series (the rule only for "this and following").
 */
export function editOf(v: OccurrenceEditValues, series: RecurringWorkOrder, occurrence: Occurrence): EditOccurrence {
  if (v.action === 'skip') return { scope: v.scope, action: 'skip', reason: v.reason.trim() || null };
  const description = v.description.trim();
  const rule = v.rule.trim();
  return {
    scope: v.scope,
    action: 'change',
    ...(v.localStart && v.localStart !== occurrence.localStart ? { localStart: v.localStart } : {}),
    ...(description && description !== series.description ? { description } : {}),
    ...(v.priority !== series.priority ? { priority: v.priority } : {}),
    ...(v.scope === 'following' && rule && rule !== series.rule ? { rule } : {}),
  };
}
