import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type {
  CapacityCheck,
  CapacityResult,
  CreateMaintenanceWindow,
  CreateRecurringWorkOrder,
  CreateShiftException,
  CreateShiftPattern,
  CreateTimeOff,
  EditOccurrence,
  MaintenanceWindow,
  PlanningSettings,
  QualificationForecast,
  RecurringWorkOrder,
  ShiftException,
  ShiftPattern,
  TimeOff,
} from '@yardmaster/contracts';
import { useDebouncedValue } from '@mantine/hooks';
import { api, download } from '../../lib/api';

type Items<T> = { items: T[]; nextCursor?: string | null };

export const planningKeys = {
  all: ['planning'] as const,
  timeOff: () => [...planningKeys.all, 'time-off'] as const,
  settings: () => [...planningKeys.all, 'settings'] as const,
  shifts: () => [...planningKeys.all, 'shift-patterns'] as const,
  exceptions: () => [...planningKeys.all, 'shift-exceptions'] as const,
  intervals: (from: string, to: string) => [...planningKeys.all, 'shifts', from, to] as const,
  capacity: (input: string) => [...planningKeys.all, 'capacity', input] as const,
  windows: () => [...planningKeys.all, 'maintenance-windows'] as const,
  recurring: () => [...planningKeys.all, 'recurring'] as const,
  forecast: (days: number) => [...planningKeys.all, 'forecast', days] as const,
  options: (what: string) => [...planningKeys.all, 'options', what] as const,
};

/** The planning zone (shift times, leave days and recurring starts are local to it) and the horizon. */
export function usePlanningSettings(enabled = true) {
  return useQuery({
    queryKey: planningKeys.settings(),
    queryFn: ({ signal }) => api.get<PlanningSettings>('/api/v1/planning/settings', undefined, signal),
    staleTime: 5 * 60_000,
    enabled,
  });
}

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

export function useShiftExceptions() {
  return useQuery({
    queryKey: planningKeys.exceptions(),
    queryFn: ({ signal }) => api.get<Items<ShiftException>>('/api/v1/planning/shift-exceptions', undefined, signal),
  });
}
/** A day off or other hours on one day; a second exception for the same driver and day replaces the first. */
export function usePutShiftException() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (input: CreateShiftException) => api.post<ShiftException>('/api/v1/planning/shift-exceptions', input),
    onSuccess: () => client.invalidateQueries({ queryKey: planningKeys.exceptions() }),
  });
}
export function useDeleteShiftException() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api.delete<unknown>(`/api/v1/planning/shift-exceptions/${id}`),
    onSuccess: () => client.invalidateQueries({ queryKey: planningKeys.exceptions() }),
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
/** Skip or change one occurrence, or this and every following one (a new series takes over). */
export function useEditOccurrence() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ seriesId, occurrenceId, edit }: { seriesId: string; occurrenceId: string; edit: EditOccurrence }) =>
      api.post<RecurringWorkOrder>(`/api/v1/planning/recurring/${seriesId}/occurrences/${occurrenceId}`, edit),
    onSuccess: () => client.invalidateQueries({ queryKey: planningKeys.recurring() }),
  });
}

/**
 * The capacity check for work about to be booked, re-run (after a pause in typing) whenever the
 * time or the lines change; `null` while the form does not say enough yet. It only reads.
 */
export function useCapacityPreview(input: CapacityCheck | null) {
  const [key] = useDebouncedValue(input ? JSON.stringify(input) : null, 400);
  return useQuery({
    queryKey: planningKeys.capacity(key ?? ''),
    enabled: key !== null && input !== null,
    queryFn: ({ signal }) => api.post<CapacityResult>('/api/v1/planning/capacity-check', JSON.parse(key ?? '{}'), { signal }),
    retry: false,
    staleTime: 15_000,
  });
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
