import type { Board, Driver, Equipment, Site } from '@yardmaster/contracts';
import { t } from '../../i18n';

export type MapPoint = {
  kind: 'site' | 'equipment' | 'driver';
  id: string;
  label: string;
  detail: string;
  lat: number;
  lng: number;
  queued: number;
};

/**
 * What the map shows: active sites with a position and the work waiting there (queued and
 * scheduled), equipment at its last known position (else its home), drivers at their last known
 * position; each with what it is doing now.
 */
export function pointsOf(sites: Site[], equipment: Equipment[], drivers: Driver[], board: Board): MapPoint[] {
  const waiting = new Map<string, string[]>();
  for (const d of [...board.queued, ...board.scheduled]) waiting.set(d.siteId, [...(waiting.get(d.siteId) ?? []), d.workOrderNumber]);
  const jobOf = (match: (d: Board['active'][number]) => boolean) => board.active.find(match)?.workOrderNumber;
  const points: MapPoint[] = [];
  for (const s of sites) {
    if (!s.active || !s.position) continue;
    const wos = [...new Set(waiting.get(s.id) ?? [])];
    points.push({
      kind: 'site',
      id: s.id,
      label: s.name,
      detail: wos.length ? t('map.points.waiting', { count: wos.length, numbers: wos.join(', ') }) : t('map.points.nothingWaiting'),
      lat: s.position.lat,
      lng: s.position.lng,
      queued: wos.length,
    });
  }
  for (const e of equipment) {
    const at = e.position ?? e.home;
    if (!at || e.status === 'retired') continue;
    const job = jobOf((d) => d.equipmentId === e.id);
    points.push({
      kind: 'equipment',
      id: e.id,
      label: e.assetTag,
      detail: `${e.name} · ${job ? t('map.points.onJob', { job }) : e.status}${e.position ? '' : t('map.points.atHome')}`,
      lat: at.lat,
      lng: at.lng,
      queued: 0,
    });
  }
  for (const d of drivers) {
    if (!d.position || d.archived) continue;
    const job = jobOf((x) => x.driverId === d.id);
    points.push({
      kind: 'driver',
      id: d.id,
      label: d.name,
      detail: job ? t('map.points.onJob', { job }) : t(d.dutyStatus === 'on_duty' ? 'map.points.onDutyFree' : 'map.points.offDuty'),
      lat: d.position.lat,
      lng: d.position.lng,
      queued: 0,
    });
  }
  return points;
}
