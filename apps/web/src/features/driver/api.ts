import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../lib/api';
import { ACTIVE_DISPATCH_STATUSES, type Dispatch, type Driver, type Site } from '@yardmaster/contracts';
import type { DispatchStatus, Priority } from '../dispatch/model';

/** The driver's own dispatch as the driver view shows it. */
export type MyDispatch = {
  id: string;
  version: number;
  status: DispatchStatus;
  priority: Priority;
  workOrderNumber: string;
  description: string | null;
  site: { name: string; address: string; contactName: string | null; contactPhone: string | null; notes: string | null };
  equipment: { name: string; assetTag: string } | null;
  changedAt: string | null;
};


export const driverKeys = {
  all: ['driver'] as const,
  current: () => [...driverKeys.all, 'current'] as const,
  profile: () => [...driverKeys.all, 'profile'] as const,
};

export const DRIVER_PATHS = { current: '/api/v1/me/dispatches', profile: '/api/v1/me/driver', dispatches: '/api/v1/dispatches' } as const;

/** My active dispatch (at most one), with its site when the server lets me read it. */
export function useMyDispatch() {
  return useQuery({
    queryKey: driverKeys.current(),
    queryFn: async ({ signal }): Promise<{ dispatch: MyDispatch | null }> => {
      const page = await api.get<{ items: Dispatch[] }>(DRIVER_PATHS.current, { status: ACTIVE_DISPATCH_STATUSES.join(','), limit: 5 }, signal);
      const d = page.items[0];
      if (!d) return { dispatch: null };
      const site = await api.get<Site>(`/api/v1/dispatches/${d.id}/site`, undefined, signal).catch(() => null);
      return {
        dispatch: {
          id: d.id,
          version: d.version,
          status: d.status,
          priority: d.priority,
          workOrderNumber: d.workOrderNumber,
          description: d.notes,
          site: site
            ? { name: site.name, address: site.address, contactName: site.contactName, contactPhone: site.contactPhone, notes: site.notes }
            : { name: 'Site details are not shared with your account', address: '', contactName: null, contactPhone: null, notes: null },
          equipment: null,
          changedAt: d.timestamps.returningAt ?? d.timestamps.onSiteAt ?? d.timestamps.enRouteAt ?? d.timestamps.dispatchedAt,
        },
      };
    },
  });
}

export function useMyHistory() {
  return useQuery({
    queryKey: [...driverKeys.all, 'history'],
    queryFn: ({ signal }) => api.get<{ items: Dispatch[] }>(DRIVER_PATHS.current, { status: 'completed,recalled', limit: 10 }, signal),
  });
}

export function useMyProfile() {
  return useQuery({ queryKey: driverKeys.profile(), queryFn: ({ signal }) => api.get<Driver>(DRIVER_PATHS.profile, undefined, signal) });
}

export function useAdvance() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (v: { id: string; version: number; to: DispatchStatus; notes?: string }) =>
      api.post(`${DRIVER_PATHS.dispatches}/${v.id}/status`, { status: v.to, notes: v.notes || undefined }, { version: v.version }),
    onSettled: () => client.invalidateQueries({ queryKey: driverKeys.all }),
  });
}

export function useDecline() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (v: { id: string; version: number; reason: string }) => api.post(`${DRIVER_PATHS.dispatches}/${v.id}/decline`, { reason: v.reason }, { version: v.version }),
    onSettled: () => client.invalidateQueries({ queryKey: driverKeys.all }),
  });
}
