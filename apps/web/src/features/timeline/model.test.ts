import { describe, expect, it } from 'vitest';
import type { Board, Dispatch } from '@yardmaster/contracts';
import { barOf, barsByResource, planBandsByResource, planStateOf, waitingByType, windowAround } from './model';

const now = Date.parse('2026-11-30T10:00:00Z');
const range = windowAround(now);
const dispatch = (over: Partial<Dispatch> & { status: Dispatch['status'] }): Dispatch => ({
  id: over.id ?? 'd1',
  workOrderId: 'w1',
  workOrderNumber: over.workOrderNumber ?? 'WO-1',
  lineId: 'l1',
  equipmentTypeId: over.equipmentTypeId ?? 'crane',
  requestedEquipmentId: null,
  siteId: 's1',
  priority: 'standard',
  status: over.status,
  requestedStart: over.requestedStart ?? '2026-11-30T09:00:00Z',
  queuedAt: null,
  equipmentId: over.equipmentId ?? null,
  driverId: over.driverId ?? null,
  assignedBy: null,
  notes: null,
  declineReason: null,
  recallReason: null,
  cancelReason: null,
  declinedBy: null,
  hold: null,
  timestamps: {
    createdAt: '2026-11-30T09:00:00Z',
    heldAt: null,
    dispatchedAt: null,
    enRouteAt: null,
    onSiteAt: null,
    returningAt: null,
    completedAt: null,
    recalledAt: null,
    cancelledAt: null,
    ...over.timestamps,
  },
  version: 1,
});
const lengths = { defaultSeconds: 3600, types: [{ equipmentTypeId: 'crane', meanSeconds: 2 * 3600, finished: 4 }] };

describe('timeline bars', () => {
  it("draws an active job from its dispatch time for its type's typical length, with the part still to go", () => {
    const d = dispatch({ status: 'on_site', timestamps: { dispatchedAt: '2026-11-30T09:30:00Z' } as Dispatch['timestamps'] });
    const bar = barOf(d, 'active', lengths, range, now);
    expect(bar).not.toBeNull();
    // Window 09:00 → 18:00 (9 h): starts at 09:30 (5.6 %), ends 11:30 (27.8 %); 1.5 h of 2 h to go.
    expect(bar?.left).toBeCloseTo((0.5 / 9) * 100, 5);
    expect(bar?.width).toBeCloseTo((2 / 9) * 100, 5);
    expect(bar?.toGo).toBeCloseTo(75, 5);
    expect(bar?.expectedSeconds).toBe(7200);
  });

  it('a job running past its typical length ends now; a type without history takes an hour', () => {
    const late = barOf(
      dispatch({
        status: 'en_route',
        equipmentTypeId: 'van',
        timestamps: { dispatchedAt: '2026-11-30T07:00:00Z' } as Dispatch['timestamps'],
      }),
      'active',
      lengths,
      range,
      now,
    );
    expect(late?.left).toBe(0);
    expect(late?.end).toBe(now);
    expect(late?.toGo).toBe(0);
    expect(late?.expectedSeconds).toBe(3600);
  });

  it('places scheduled work at its start, leaves out what falls outside the window, and groups waiting work by type', () => {
    const board: Board = {
      queued: [
        { ...dispatch({ id: 'q2', status: 'queued' }), queuePosition: 2, competing: 2, reason: 'busy', waitingSeconds: 60 },
        { ...dispatch({ id: 'q1', status: 'queued' }), queuePosition: 1, competing: 2, reason: 'busy', waitingSeconds: 120 },
      ],
      scheduled: [
        dispatch({ id: 's1', status: 'scheduled', requestedStart: '2026-11-30T14:00:00Z' }),
        dispatch({ id: 's2', status: 'scheduled', requestedStart: '2026-12-02T14:00:00Z' }),
      ],
      active: [
        dispatch({
          id: 'a1',
          status: 'dispatched',
          equipmentId: 'e1',
          driverId: 'p1',
          timestamps: { dispatchedAt: '2026-11-30T09:50:00Z' } as Dispatch['timestamps'],
        }),
      ],
      held: [],
      autoProcessing: true,
    };
    const waiting = waitingByType(board, lengths, range, now).get('crane');
    expect(waiting?.queued.map((d) => d.id)).toEqual(['q1', 'q2']);
    expect(waiting?.scheduled.map((b) => b.dispatchId)).toEqual(['s1']);
    expect(waiting?.scheduled[0]?.left).toBeCloseTo((5 / 9) * 100, 5);
    const { byEquipment, byDriver } = barsByResource(board, lengths, range, now);
    expect(byEquipment.get('e1')?.map((b) => b.dispatchId)).toEqual(['a1']);
    expect(byDriver.get('p1')?.map((b) => b.dispatchId)).toEqual(['a1']);
  });
});

describe('planning on the timeline', () => {
  // The range is 09:00–18:00 UTC on Mon 30 Nov 2026; London is on GMT then.
  const plan = {
    timeZone: 'Europe/London',
    shifts: [
      { driverId: 'dee', startsAt: '2026-11-30T07:00:00Z', endsAt: '2026-11-30T15:30:00Z' },
      { driverId: 'dee', startsAt: '2026-12-01T07:00:00Z', endsAt: '2026-12-01T15:30:00Z' },
      { driverId: 'eve', startsAt: '2026-11-30T14:00:00Z', endsAt: '2026-11-30T22:00:00Z' },
    ],
    leave: [
      { id: 'l1', driverId: 'fay', firstDay: '2026-11-29', lastDay: '2026-11-30', status: 'approved', reason: 'wedding' },
      { id: 'l2', driverId: 'eve', firstDay: '2026-11-30', lastDay: '2026-11-30', status: 'requested', reason: null },
    ],
    windows: [
      { id: 'w1', equipmentId: 'cr1', startsAt: '2026-11-30T12:00:00Z', endsAt: '2026-11-30T14:00:00Z', reason: 'LOLER', cancelled: false },
      { id: 'w2', equipmentId: 'cr2', startsAt: '2026-11-30T12:00:00Z', endsAt: '2026-11-30T14:00:00Z', reason: 'x', cancelled: true },
    ],
  };

  it('places shifts, approved leave (whole local days) and live windows in the range, clipped to it', () => {
    const { byDriver, byEquipment } = planBandsByResource(plan, range);
    const dee = byDriver.get('dee') ?? [];
    expect(dee).toHaveLength(1);
    expect(dee[0]).toMatchObject({ kind: 'shift', left: 0 });
    expect(dee[0]?.width).toBeCloseTo((6.5 / 9) * 100);
    expect(byDriver.get('eve')?.map((b) => b.kind)).toEqual(['shift']);
    expect(byDriver.get('fay')).toEqual([
      expect.objectContaining({ kind: 'leave', end: Date.parse('2026-12-01T00:00:00Z'), left: 0, width: 100, note: 'wedding' }),
    ]);
    expect(byEquipment.get('cr1')?.[0]).toMatchObject({ kind: 'maintenance', note: 'LOLER' });
    expect(byEquipment.get('cr1')?.[0]?.left).toBeCloseTo((3 / 9) * 100);
    expect(byEquipment.has('cr2')).toBe(false);
  });

  it('says what the planning means now', () => {
    const { byDriver, byEquipment } = planBandsByResource(plan, range);
    expect(planStateOf(byDriver.get('dee'), now)).toEqual({ kind: 'onShift', until: Date.parse('2026-11-30T15:30:00Z') });
    expect(planStateOf(byDriver.get('eve'), now)).toEqual({ kind: 'nextShift', from: Date.parse('2026-11-30T14:00:00Z') });
    expect(planStateOf(byDriver.get('fay'), now)).toEqual({ kind: 'leave', until: Date.parse('2026-12-01T00:00:00Z') });
    expect(planStateOf(byEquipment.get('cr1'), now)).toMatchObject({ kind: 'maintenance', from: Date.parse('2026-11-30T12:00:00Z') });
    expect(planStateOf(undefined, now)).toBeNull();
  });
});
