import { describe, expect, it } from 'vitest';
import type { Dispatch } from '@yardmaster/contracts';
import { noticeOf } from './notices';

const names = {
  driver: (id: string) => (id === 'drv' ? 'Ann Ortiz' : null),
  equipment: (id: string) => (id === 'eq' ? 'EXC-20T-03' : null),
};
const dispatch = (over: Partial<Dispatch>): Dispatch =>
  ({
    id: 'd',
    workOrderNumber: 'WO-2026-000042',
    queuedAt: '2026-11-30T08:00:00.000Z',
    equipmentId: null,
    driverId: null,
    declineReason: null,
    declinedBy: null,
    assignedBy: null,
    hold: null,
    timestamps: { dispatchedAt: null, heldAt: null },
    ...over,
  }) as Dispatch;

describe('notification centre notices', () => {
  it('names the driver who declined and their reason', () => {
    const n = noticeOf(
      { id: '1', type: 'dispatch.declined', data: { dispatch: dispatch({ declinedBy: 'drv', declineReason: 'flat tyre' }) } },
      names,
    );
    expect(n?.title).toEqual({ key: 'notifications.declined', values: { driver: 'Ann Ortiz', workOrder: 'WO-2026-000042' } });
    expect(n?.detail).toEqual({ key: 'notifications.declinedReason', values: { reason: 'flat tyre' } });
  });
  it('says which machine was auto-dispatched to which work order and how long it waited', () => {
    const d = dispatch({
      equipmentId: 'eq',
      assignedBy: { kind: 'system', subject: 'system', name: 'system' },
      timestamps: { dispatchedAt: '2026-11-30T08:42:00.000Z' } as Dispatch['timestamps'],
    });
    expect(noticeOf({ id: '2', type: 'dispatch.dispatched', data: { dispatch: d } }, names)?.title).toEqual({
      key: 'notifications.autoDispatched',
      values: { equipment: 'EXC-20T-03', workOrder: 'WO-2026-000042', waited: '42 min' },
    });
  });
  it('ignores a dispatcher’s own assignment and unrelated events', () => {
    const d = dispatch({ equipmentId: 'eq', assignedBy: { kind: 'user', subject: 's', name: 'Dee' } });
    expect(noticeOf({ id: '3', type: 'dispatch.dispatched', data: { dispatch: d } }, names)).toBeNull();
    expect(noticeOf({ id: '4', type: 'equipment.updated', data: {} }, names)).toBeNull();
  });
});
