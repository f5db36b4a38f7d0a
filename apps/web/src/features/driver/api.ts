import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../lib/api';
import type { Driver } from '@yardmaster/contracts';
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

export const DRIVER_PATHS = { current: '/api/v1/driver/dispatch', profile: '/api/v1/me/driver', dispatches: '/api/v1/dispatches' } as const;

export function useMyDispatch() {
  return useQuery({ queryKey: driverKeys.current(), queryFn: ({ signal }) => api.get<{ dispatch: MyDispatch | null }>(DRIVER_PATHS.current, undefined, signal) });
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
