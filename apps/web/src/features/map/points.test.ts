import { describe, expect, it } from 'vitest';
import type { Board, Driver, Equipment, Site } from '@yardmaster/contracts';
import { pointsOf } from './points';

const site = (id: string, over: Partial<Site> = {}) =>
  ({ id, name: `Site ${id}`, address: 'a', position: { lat: 53, lng: -2 }, active: true, ...over }) as Site;
const wait = (siteId: string, number: string) => ({ siteId, workOrderNumber: number }) as Board['queued'][number];

describe('map points', () => {
  it('puts waiting work at its site, equipment at its position or home, drivers where last seen, and leaves out what has no position', () => {
    const board = {
      queued: [wait('s1', 'WO-1'), wait('s1', 'WO-2')],
      scheduled: [wait('s1', 'WO-3')],
      active: [{ equipmentId: 'e1', driverId: 'p1', workOrderNumber: 'WO-9' }],
      autoProcessing: true,
    } as unknown as Board;
    const equipment = [
      { id: 'e1', assetTag: 'CR-1', name: 'Crane', status: 'dispatched', position: { lat: 1, lng: 2 }, home: { lat: 5, lng: 5 } },
      { id: 'e2', assetTag: 'CR-2', name: 'Crane', status: 'available', position: null, home: { lat: 5, lng: 6 } },
      { id: 'e3', assetTag: 'CR-3', name: 'Crane', status: 'available', position: null, home: null },
      { id: 'e4', assetTag: 'CR-4', name: 'Crane', status: 'retired', position: { lat: 1, lng: 1 }, home: null },
    ] as Equipment[];
    const drivers = [
      { id: 'p1', name: 'Ann', dutyStatus: 'on_duty', position: { lat: 1.1, lng: 2.1 }, archived: false },
      { id: 'p2', name: 'Bob', dutyStatus: 'off_duty', position: null, archived: false },
    ] as Driver[];
    const points = pointsOf([site('s1'), site('s2', { position: null }), site('s3', { active: false })], equipment, drivers, board);
    expect(points.map((p) => `${p.kind}:${p.id}`)).toEqual(['site:s1', 'equipment:e1', 'equipment:e2', 'driver:p1']);
    expect(points[0]).toMatchObject({ queued: 3, detail: '3 waiting: WO-1, WO-2, WO-3' });
    expect(points[1]).toMatchObject({ lat: 1, lng: 2, detail: 'Crane · on WO-9' });
    expect(points[2]).toMatchObject({ lat: 5, lng: 6, detail: 'Crane · available · at home' });
    expect(points[3]).toMatchObject({ detail: 'on WO-9' });
  });
});
