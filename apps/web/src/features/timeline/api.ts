import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Board, Candidates, Driver, Equipment, EquipmentType, JobLengths } from '@yardmaster/contracts';
import { api } from '../../lib/api';

/** The board itself is shared with the console (same key): one fetch, one live update. */
const boardKey = ['dispatch', 'board'] as const;

export const timelineKeys = {
  lengths: ['dispatch', 'job-lengths'] as const,
  candidates: (id: string) => ['dispatch', 'candidates', id] as const,
  equipment: ['fleet', 'equipment', 'timeline'] as const,
  drivers: ['people', 'drivers', 'timeline'] as const,
  types: ['fleet', 'equipment-types', 'timeline'] as const,
};

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
