import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type {
  Board,
  Candidates,
  Driver,
  Equipment,
  EquipmentType,
  JobLengths,
  MaintenanceWindow,
  PlanningSettings,
  TimeOff,
} from '@yardmaster/contracts';
import { api } from '../../lib/api';

/** The board itself is shared with the console (same key): one fetch, one live update. */
const boardKey = ['dispatch', 'board'] as const;

export const timelineKeys = {
  lengths: ['dispatch', 'job-lengths'] as const,
  candidates: (id: string) => ['dispatch', 'candidates', id] as const,
  equipment: ['fleet', 'equipment', 'timeline'] as const,
  drivers: ['people', 'drivers', 'timeline'] as const,
  types: ['fleet', 'equipment-types', 'timeline'] as const,
  shifts: (from: string) => ['planning', 'shifts', 'timeline', from] as const,
  leave: ['planning', 'time-off', 'timeline'] as const,
  windows: ['planning', 'maintenance-windows', 'timeline'] as const,
  settings: ['planning', 'settings'] as const,
};

/** Planning refreshes on its own every minute (leave approved or a window planned on another screen). */
const PLAN_REFRESH_MS = 60_000;

/**
 * What the timeline draws behind the jobs: shifts (expanded by the server, from the hour before the
 * range for ten hours), approved leave, planned maintenance windows, and the planning zone.
 */
export function usePlan(rangeFrom: number) {
  const from = new Date(Math.floor(rangeFrom / 3_600_000) * 3_600_000);
  const to = new Date(from.getTime() + 10 * 3_600_000);
  const shifts = useQuery({
    queryKey: timelineKeys.shifts(from.toISOString()),
    queryFn: ({ signal }) =>
      api.get<{ timeZone: string; items: { driverId: string; startsAt: string; endsAt: string }[] }>(
        '/api/v1/planning/shifts',
        { from: from.toISOString(), to: to.toISOString() },
        signal,
      ),
    refetchInterval: PLAN_REFRESH_MS,
  });
  const leave = useQuery({
    queryKey: timelineKeys.leave,
    queryFn: async ({ signal }) => (await api.get<{ items: TimeOff[] }>('/api/v1/planning/time-off', { status: 'approved' }, signal)).items,
    refetchInterval: PLAN_REFRESH_MS,
  });
  const windows = useQuery({
    queryKey: timelineKeys.windows,
    queryFn: async ({ signal }) =>
      (await api.get<{ items: MaintenanceWindow[] }>('/api/v1/planning/maintenance-windows', undefined, signal)).items,
    refetchInterval: PLAN_REFRESH_MS,
  });
  const settings = useQuery({
    queryKey: timelineKeys.settings,
    queryFn: ({ signal }) => api.get<PlanningSettings>('/api/v1/planning/settings', undefined, signal),
    staleTime: 5 * 60_000,
  });
  const zone = settings.data?.timeZone ?? shifts.data?.timeZone;
  return {
    data:
      shifts.data && leave.data && windows.data && zone
        ? { shifts: shifts.data.items, leave: leave.data, windows: windows.data, timeZone: zone }
        : undefined,
    error: shifts.error ?? leave.error ?? windows.error ?? settings.error,
  };
}

export const useBoardData = () =>
  useQuery({ queryKey: boardKey, queryFn: ({ signal }) => api.get<Board>('/api/v1/board', undefined, signal) });
export const useJobLengths = () =>
  useQuery({
    queryKey: timelineKeys.lengths,
    queryFn: ({ signal }) => api.get<JobLengths>('/api/v1/job-lengths', undefined, signal),
    staleTime: 5 * 60_000,
  });
export const useEquipmentRows = () =>
  useQuery({
    queryKey: timelineKeys.equipment,
    queryFn: async ({ signal }) => (await api.get<{ items: Equipment[] }>('/api/v1/equipment', { limit: 500 }, signal)).items,
  });
export const useDriverRows = () =>
  useQuery({
    queryKey: timelineKeys.drivers,
    queryFn: async ({ signal }) => (await api.get<{ items: Driver[] }>('/api/v1/drivers', { limit: 500 }, signal)).items,
  });
export const useTypes = () =>
  useQuery({
    queryKey: timelineKeys.types,
    queryFn: async ({ signal }) => (await api.get<{ items: EquipmentType[] }>('/api/v1/equipment-types', { limit: 500 }, signal)).items,
  });

/** Who may take a waiting dispatch, by the server's own rules (the same that refuse a manual assignment). */
export function useCandidates(dispatchId: string | null) {
  return useQuery({
    queryKey: timelineKeys.candidates(dispatchId ?? ''),
    enabled: Boolean(dispatchId),
    queryFn: ({ signal }) => api.get<Candidates>(`/api/v1/dispatches/${dispatchId}/candidates`, undefined, signal),
  });
}

export function useAssign() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (v: { id: string; version: number; equipmentId: string; driverId: string }) =>
      api.post(`/api/v1/dispatches/${v.id}/assign`, { equipmentId: v.equipmentId, driverId: v.driverId }, { version: v.version }),
    onSettled: () => client.invalidateQueries({ queryKey: ['dispatch'] }),
  });
}
