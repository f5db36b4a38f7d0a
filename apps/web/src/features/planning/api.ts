import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type {
  CapacityCheck,
  CapacityResult,
  CreateMaintenanceWindow,
  CreateRecurringWorkOrder,
  CreateShiftPattern,
  CreateTimeOff,
  MaintenanceWindow,
  QualificationForecast,
  RecurringWorkOrder,
  ShiftPattern,
  TimeOff,
} from '@yardmaster/contracts';
import { api, download } from '../../lib/api';

type Items<T> = { items: T[]; nextCursor?: string | null };

export const planningKeys = {
  all: ['planning'] as const,
  timeOff: () => [...planningKeys.all, 'time-off'] as const,
  shifts: () => [...planningKeys.all, 'shift-patterns'] as const,
  windows: () => [...planningKeys.all, 'maintenance-windows'] as const,
  recurring: () => [...planningKeys.all, 'recurring'] as const,
  forecast: (days: number) => [...planningKeys.all, 'forecast', days] as const,
  options: (what: string) => [...planningKeys.all, 'options', what] as const,
};

export function useTimeOff() {
  return useQuery({
    queryKey: planningKeys.timeOff(),
    queryFn: ({ signal }) => api.get<Items<TimeOff>>('/api/v1/planning/time-off', undefined, signal),
  });
}
export function useRequestTimeOff() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (input: CreateTimeOff) => api.post<TimeOff>('/api/v1/planning/time-off', input),
    onSuccess: () => client.invalidateQueries({ queryKey: planningKeys.timeOff() }),
  });
}
export function useDecideTimeOff() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, action, note }: { id: string; action: 'approve' | 'decline' | 'cancel'; note?: string }) =>
      api.post<TimeOff>(`/api/v1/planning/time-off/${id}/${action}`, { note: note ?? null }),
    onSuccess: () => client.invalidateQueries({ queryKey: planningKeys.timeOff() }),
  });
}

export function useShiftPatterns() {
  return useQuery({
    queryKey: planningKeys.shifts(),
    queryFn: ({ signal }) => api.get<Items<ShiftPattern>>('/api/v1/planning/shift-patterns', undefined, signal),
  });
}
export function useCreateShiftPattern() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (input: CreateShiftPattern) => api.post<ShiftPattern>('/api/v1/planning/shift-patterns', input),
    onSuccess: () => client.invalidateQueries({ queryKey: planningKeys.shifts() }),
  });
}
export function useDeleteShiftPattern() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api.delete<unknown>(`/api/v1/planning/shift-patterns/${id}`),
    onSuccess: () => client.invalidateQueries({ queryKey: planningKeys.shifts() }),
  });
}

export function useMaintenanceWindows() {
  return useQuery({
    queryKey: planningKeys.windows(),
    queryFn: ({ signal }) => api.get<Items<MaintenanceWindow>>('/api/v1/planning/maintenance-windows', undefined, signal),
  });
}
export function useCreateMaintenanceWindow() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (input: CreateMaintenanceWindow) => api.post<MaintenanceWindow>('/api/v1/planning/maintenance-windows', input),
    onSuccess: () => client.invalidateQueries({ queryKey: planningKeys.windows() }),
  });
}
export function useCancelMaintenanceWindow() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api.post<MaintenanceWindow>(`/api/v1/planning/maintenance-windows/${id}/cancel`, {}),
    onSuccess: () => client.invalidateQueries({ queryKey: planningKeys.windows() }),
  });
}

export function useRecurring() {
  return useQuery({
    queryKey: planningKeys.recurring(),
    queryFn: ({ signal }) => api.get<Items<RecurringWorkOrder>>('/api/v1/planning/recurring', undefined, signal),
  });
}
export function useCreateRecurring() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (input: CreateRecurringWorkOrder) => api.post<RecurringWorkOrder>('/api/v1/planning/recurring', input),
    onSuccess: () => client.invalidateQueries({ queryKey: planningKeys.recurring() }),
  });
}
export function useCapacityCheck() {
  return useMutation({ mutationFn: (input: CapacityCheck) => api.post<CapacityResult>('/api/v1/planning/capacity-check', input) });
}

export function useForecast(days: number) {
  return useQuery({
    queryKey: planningKeys.forecast(days),
    queryFn: ({ signal }) => api.get<QualificationForecast>('/api/v1/planning/qualification-forecast', { days }, signal),
  });
}
export function downloadForecast(days: number) {
  return download('/api/v1/planning/qualification-forecast', `qualification-forecast.csv`, { days, format: 'csv' });
}

/** Names for the pickers (drivers, machines, types, sites): the first 500 of each. */
export function useOptions(what: 'drivers' | 'equipment' | 'equipment-types' | 'sites', enabled = true) {
  return useQuery({
    queryKey: planningKeys.options(what),
    queryFn: ({ signal }) =>
      api.get<Items<{ id: string; name?: string; assetTag?: string; code?: string }>>(`/api/v1/${what}`, { limit: 500 }, signal),
    enabled,
    staleTime: 60_000,
  });
}
