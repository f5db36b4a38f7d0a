import type { Board, Dispatch, JobLengths } from '@yardmaster/contracts';
import { instantOfWallTime, nextDay } from '../../lib/time';

/** The window the timeline shows: an hour back, eight ahead. */
export const WINDOW_BEFORE_MS = 60 * 60_000;
export const WINDOW_AFTER_MS = 8 * 60 * 60_000;

export type Window = { from: number; to: number };
export const windowAround = (now: number): Window => ({ from: now - WINDOW_BEFORE_MS, to: now + WINDOW_AFTER_MS });

/** A job drawn on a row: where it starts and ends on screen (percent of the range), and its time to go. */
export type Bar = {
  dispatchId: string;
  workOrderNumber: string;
  kind: 'active' | 'scheduled';
  status: Dispatch['status'];
  start: number;
  end: number;
  left: number;
  width: number;
  /** Percent of the bar still to go (now → expected end); 0 for scheduled work. */
  toGo: number;
  /** The typical length it is drawn with, in seconds. */
  expectedSeconds: number;
};

export function typicalSeconds(lengths: JobLengths | undefined, equipmentTypeId: string): number {
  return lengths?.types.find((t) => t.equipmentTypeId === equipmentTypeId)?.meanSeconds ?? lengths?.defaultSeconds ?? 3600;
}

const clampPct = (v: number) => Math.min(100, Math.max(0, v));

/**
 * Places one dispatch in the range: an active job from its dispatch time for its type's typical
 * length (still running past that: it ends now), a scheduled one from its requested start.
 */
export function barOf(d: Dispatch, kind: Bar['kind'], lengths: JobLengths | undefined, range: Window, now: number): Bar | null {
  const expectedSeconds = typicalSeconds(lengths, d.equipmentTypeId);
  const start = new Date(kind === 'active' ? (d.timestamps.dispatchedAt ?? d.timestamps.createdAt) : d.requestedStart).getTime();
  const end = Math.max(start + expectedSeconds * 1000, kind === 'active' ? now : start);
  if (end < range.from || start > range.to) return null;
  const span = range.to - range.from;
  const left = clampPct(((start - range.from) / span) * 100);
  const right = clampPct(((end - range.from) / span) * 100);
  const width = Math.max(right - left, 0.5);
  const toGo = kind === 'active' && end > now ? clampPct(((end - Math.max(now, start)) / (end - start)) * 100) : 0;
  return { dispatchId: d.id, workOrderNumber: d.workOrderNumber, kind, status: d.status, start, end, left, width, toGo, expectedSeconds };
}

/** Every bar of the board by the equipment and the driver it occupies (scheduled work has neither yet). */
export function barsByResource(board: Board, lengths: JobLengths | undefined, range: Window, now: number) {
  const byEquipment = new Map<string, Bar[]>();
  const byDriver = new Map<string, Bar[]>();
  for (const d of board.active) {
    const bar = barOf(d, 'active', lengths, range, now);
    if (!bar) continue;
    if (d.equipmentId) byEquipment.set(d.equipmentId, [...(byEquipment.get(d.equipmentId) ?? []), bar]);
    if (d.driverId) byDriver.set(d.driverId, [...(byDriver.get(d.driverId) ?? []), bar]);
  }
  return { byEquipment, byDriver };
}

/** Work waiting for each equipment type: queued first (by position), then scheduled by start. */
export function waitingByType(board: Board, lengths: JobLengths | undefined, range: Window, now: number) {
  const byType = new Map<string, { queued: Board['queued']; scheduled: Bar[] }>();
  const entry = (typeId: string) => {
    let e = byType.get(typeId);
    if (!e) byType.set(typeId, (e = { queued: [], scheduled: [] }));
    return e;
  };
  for (const d of [...board.queued].sort((a, b) => a.queuePosition - b.queuePosition)) entry(d.equipmentTypeId).queued.push(d);
  for (const d of board.scheduled) {
    const bar = barOf(d, 'scheduled', lengths, range, now);
    if (bar) entry(d.equipmentTypeId).scheduled.push(bar);
  }
  return byType;
}

/** Planning drawn behind a row's jobs: a driver's shifts and approved leave, a machine's planned maintenance windows. */
export type PlanBand = {
  key: string;
  kind: 'shift' | 'leave' | 'maintenance';
  start: number;
  end: number;
  left: number;
  width: number;
  /** The leave's reason, the window's reason. */
  note: string | null;
};

export type PlanInput = {
  /** Shifts as instants (`/api/v1/planning/shifts`, patterns and exceptions already expanded). */
  shifts: { driverId: string; startsAt: string; endsAt: string }[];
  leave: { id: string; driverId: string; firstDay: string; lastDay: string; status: string; reason: string | null }[];
  windows: { id: string; equipmentId: string; startsAt: string; endsAt: string; reason: string; cancelled: boolean }[];
  /** The planning zone: leave is whole local days in it. */
  timeZone: string;
};

function bandOf(key: string, kind: PlanBand['kind'], start: number, end: number, note: string | null, range: Window): PlanBand | null {
  if (!(end > range.from && start < range.to) || end <= start) return null;
  const span = range.to - range.from;
  const left = clampPct(((start - range.from) / span) * 100);
  const right = clampPct(((end - range.from) / span) * 100);
  return { key, kind, start, end, left, width: Math.max(right - left, 0.5), note };
}

const push = <T>(map: Map<string, T[]>, id: string, item: T | null) => {
  if (item) map.set(id, [...(map.get(id) ?? []), item]);
};

/** The planning bands inside the range, by driver and by machine (approved leave only; cancelled windows left out). */
export function planBandsByResource(plan: PlanInput, range: Window) {
  const byDriver = new Map<string, PlanBand[]>();
  const byEquipment = new Map<string, PlanBand[]>();
  for (const s of plan.shifts) {
    const start = Date.parse(s.startsAt);
    push(byDriver, s.driverId, bandOf(`shift-${s.driverId}-${start}`, 'shift', start, Date.parse(s.endsAt), null, range));
  }
  for (const l of plan.leave) {
    if (l.status !== 'approved') continue;
    const start = instantOfWallTime(l.firstDay, plan.timeZone);
    const end = instantOfWallTime(nextDay(l.lastDay), plan.timeZone);
    push(byDriver, l.driverId, bandOf(`leave-${l.id}`, 'leave', start, end, l.reason, range));
  }
  for (const w of plan.windows) {
    if (w.cancelled) continue;
    push(
      byEquipment,
      w.equipmentId,
      bandOf(`maintenance-${w.id}`, 'maintenance', Date.parse(w.startsAt), Date.parse(w.endsAt), w.reason, range),
    );
  }
  for (const bands of [...byDriver.values(), ...byEquipment.values()]) bands.sort((a, b) => a.start - b.start);
  return { byDriver, byEquipment };
}

/** What a row's planning means now, for its label (and screen readers): on leave, on shift until, next shift, maintenance. */
export type PlanState =
  | { kind: 'leave'; until: number }
  | { kind: 'maintenance'; from: number; until: number; note: string | null }
  | { kind: 'onShift'; until: number }
  | { kind: 'nextShift'; from: number }
  | null;

export function planStateOf(bands: readonly PlanBand[] | undefined, now: number): PlanState {
  if (!bands || bands.length === 0) return null;
  const current = (kind: PlanBand['kind']) => bands.find((b) => b.kind === kind && b.start <= now && b.end > now);
  const leave = current('leave');
  if (leave) return { kind: 'leave', until: leave.end };
  const window = current('maintenance') ?? bands.find((b) => b.kind === 'maintenance' && b.start > now);
  if (window) return { kind: 'maintenance', from: window.start, until: window.end, note: window.note };
  const shift = current('shift');
  if (shift) return { kind: 'onShift', until: shift.end };
  const next = bands.find((b) => b.kind === 'shift' && b.start > now);
  return next ? { kind: 'nextShift', from: next.start } : null;
}
