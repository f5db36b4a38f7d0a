import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../lib/api';
import type {
  Board,
  Candidates,
  CreateWorkOrder,
  DispatchSettings,
  Dispatch,
  Driver,
  Equipment,
  EquipmentType,
  Explain,
  Recall,
  WorkOrder,
} from '@yardmaster/contracts';
import type { QueryClient } from '@tanstack/react-query';
import { applyDispatch, guessDispatch } from './board-cache';
import type { BoardItem } from './model';
import type { Priority } from './model';

/**
 * The dispatcher console's server calls. Query keys start with 'dispatch' so live events and
 * mutations refresh the board by key.
 */
export const dispatchKeys = {
  all: ['dispatch'] as const,
  board: () => [...dispatchKeys.all, 'board'] as const,
  explain: (id: string) => [...dispatchKeys.all, 'explain', id] as const,
  candidates: (id: string) => [...dispatchKeys.all, 'candidates', id] as const,
  settings: () => [...dispatchKeys.all, 'settings'] as const,
  resources: () => [...dispatchKeys.all, 'resources'] as const,
  alerts: () => [...dispatchKeys.all, 'alerts'] as const,
};

export const PATHS = {
  board: '/api/v1/board',
  dispatches: '/api/v1/dispatches',
  workOrders: '/api/v1/work-orders',
  settings: '/api/v1/settings/dispatch',
  alerts: '/api/v1/alerts',
} as const;

type Lookup = Map<string, string>;
const lookupOf = (items: { id: string; name: string }[] | undefined): Lookup => new Map((items ?? []).map((i) => [i.id, i.name]));

/** Names for the ids a dispatch carries (sites, types, equipment, drivers), cached with the resource lists. */
function namesQuery(key: string[], path: string) {
  return {
    queryKey: [...key, 'names'],
    queryFn: ({ signal }: { signal: AbortSignal }) => api.get<{ items: { id: string; name: string }[] }>(path, { limit: 500 }, signal),
    staleTime: 60_000,
  };
}

function useNames() {
  const sites = useQuery(namesQuery(['sites'], '/api/v1/sites')).data?.items;
  const types = useQuery(namesQuery(['fleet', 'equipment-types'], '/api/v1/equipment-types')).data?.items;
  const equipment = useQuery(namesQuery(['fleet', 'equipment'], '/api/v1/equipment')).data?.items;
  const drivers = useQuery(namesQuery(['people', 'drivers'], '/api/v1/drivers')).data?.items;
  return { sites: lookupOf(sites), types: lookupOf(types), equipment: lookupOf(equipment), drivers: lookupOf(drivers) };
}

export function toBoardItems(board: Board, names: ReturnType<typeof useNames>): BoardItem[] {
  const item = (d: Dispatch, position: number | null): BoardItem => ({
    id: d.id,
    version: d.version,
    status: d.status,
    priority: d.priority,
    workOrderNumber: d.workOrderNumber,
    equipmentTypeId: d.equipmentTypeId,
    siteName: names.sites.get(d.siteId) ?? '…',
    equipmentTypeName: names.types.get(d.equipmentTypeId) ?? '…',
    equipmentName: d.equipmentId ? (names.equipment.get(d.equipmentId) ?? '…') : null,
    driverName: d.driverId ? (names.drivers.get(d.driverId) ?? '…') : null,
    queuedAt: d.queuedAt ?? d.requestedStart,
    changedAt:
      d.timestamps.returningAt ?? d.timestamps.onSiteAt ?? d.timestamps.enRouteAt ?? d.timestamps.dispatchedAt ?? d.timestamps.createdAt,
    position,
    competing: null,
    reason: null,
    requestedStart: d.requestedStart,
    declineReason: d.declineReason,
    declinedBy: d.declinedBy ? (names.drivers.get(d.declinedBy) ?? null) : null,
    hold: d.hold,
  });
  return [
    ...board.queued.map((d) => ({ ...item(d, d.queuePosition), competing: d.competing, reason: d.reason || null })),
    ...board.scheduled.map((d) => item(d, null)),
    ...(board.held ?? []).map((d) => item(d, null)),
    ...board.active.map((d) => item(d, null)),
  ];
}

export function useBoard() {
  const names = useNames();
  const board = useQuery({
    queryKey: dispatchKeys.board(),
    queryFn: ({ signal }) => api.get<Board>(PATHS.board, undefined, signal),
    refetchInterval: 60_000,
  });
  return { ...board, items: board.data ? toBoardItems(board.data, names) : undefined };
}

/** Why a queued request waits: the server's explanation (position, blockers, estimate). */
export function useExplain(id: string, enabled: boolean) {
  return useQuery({
    queryKey: dispatchKeys.explain(id),
    queryFn: ({ signal }) => api.get<Explain>(`${PATHS.dispatches}/${id}/explain`, undefined, signal),
    enabled,
  });
}

export function useDispatchSettings() {
  return useQuery({
    queryKey: dispatchKeys.settings(),
    queryFn: ({ signal }) => api.get<DispatchSettings>(PATHS.settings, undefined, signal),
  });
}

export function useSetAutoProcessing() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ enabled }: { enabled: boolean }) => api.patch<DispatchSettings>(PATHS.settings, { autoProcessing: enabled }),
    onMutate: ({ enabled }) => {
      const before = client.getQueryData<DispatchSettings>(dispatchKeys.settings());
      if (before) client.setQueryData<DispatchSettings>(dispatchKeys.settings(), { ...before, autoProcessing: enabled });
      return { before };
    },
    onError: (_error, _v, context) => {
      if (context?.before) client.setQueryData(dispatchKeys.settings(), context.before);
    },
    onSuccess: (settings) => client.setQueryData(dispatchKeys.settings(), settings),
    onSettled: () => client.invalidateQueries({ queryKey: dispatchKeys.board(), exact: true }),
  });
}

let reconcileTimer: ReturnType<typeof setTimeout> | null = null;

/**
 * Reconcile the board with the server in the background: one read of the board (positions and
 * reasons of the other cards move with a change), at most every `delayMs`, never every query.
 */
export function reconcileBoard(client: QueryClient, delayMs = 250): void {
  if (reconcileTimer) return;
  reconcileTimer = setTimeout(() => {
    reconcileTimer = null;
    void client.invalidateQueries({ queryKey: dispatchKeys.board(), exact: true });
  }, delayMs);
}

/** Put a dispatch (from an answer or a live event) in its place on the cached board. */
export function putDispatch(client: QueryClient, dispatch: Dispatch): void {
  client.setQueryData<Board>(dispatchKeys.board(), (board) => (board ? applyDispatch(board, dispatch) : board));
}

/**
 * A board command applied optimistically: the card changes at once (`guess`), the server's answer
 * replaces it, a refusal puts the board back as it was; then the board is reconciled in the
 * background.
 */
function useDispatchMutation<V extends { id: string }>(fn: (v: V) => Promise<Dispatch>, guess: (v: V) => (d: Dispatch) => Dispatch | null) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onMutate: async (v: V) => {
      await client.cancelQueries({ queryKey: dispatchKeys.board(), exact: true });
      const before = client.getQueryData<Board>(dispatchKeys.board());
      if (before) client.setQueryData<Board>(dispatchKeys.board(), guessDispatch(before, v.id, guess(v)));
      return { before };
    },
    onError: (_error, _v, context) => {
      if (context?.before) client.setQueryData(dispatchKeys.board(), context.before);
    },
    onSuccess: (dispatch) => putDispatch(client, dispatch),
    onSettled: () => reconcileBoard(client),
  });
}

const post = (path: string, body: unknown, version: number) => api.post<Dispatch>(path, body, { version });
const leaves = () => () => null;

export const useRecall = () =>
  useDispatchMutation(
    (v: { id: string; version: number } & Recall) =>
      post(`${PATHS.dispatches}/${v.id}/recall`, { reason: v.reason, ...(v.hold ? { hold: v.hold } : {}) }, v.version),
    leaves,
  );
export const useRelease = () =>
  useDispatchMutation(
    (v: { id: string; version: number }) => post(`${PATHS.dispatches}/${v.id}/release`, {}, v.version),
    () => (d) => ({ ...d, status: 'queued' }),
  );
export const useCancel = () =>
  useDispatchMutation(
    (v: { id: string; version: number; reason: string }) => post(`${PATHS.dispatches}/${v.id}/cancel`, { reason: v.reason }, v.version),
    leaves,
  );
export const useChangePriority = () =>
  useDispatchMutation(
    (v: { id: string; version: number; priority: Priority }) =>
      post(`${PATHS.dispatches}/${v.id}/priority`, { priority: v.priority }, v.version),
    (v) => (d) => ({ ...d, priority: v.priority }),
  );
export const useManualDispatch = () =>
  useDispatchMutation(
    (v: { id: string; version: number; equipmentId: string; driverId: string }) =>
      post(`${PATHS.dispatches}/${v.id}/assign`, { equipmentId: v.equipmentId, driverId: v.driverId }, v.version),
    (v) => (d) => ({ ...d, status: 'dispatched', equipmentId: v.equipmentId, driverId: v.driverId }),
  );
export const useComplete = () =>
  useDispatchMutation(
    (v: { id: string; version: number; notes: string }) =>
      post(`${PATHS.dispatches}/${v.id}/status`, { status: 'completed', notes: v.notes || undefined }, v.version),
    leaves,
  );

/** Every machine and driver for a waiting dispatch, eligible or not with reasons (the server's rule). */
export function useCandidates(id: string) {
  return useQuery({
    queryKey: dispatchKeys.candidates(id),
    queryFn: ({ signal }) => api.get<Candidates>(`${PATHS.dispatches}/${id}/candidates`, undefined, signal),
    staleTime: 0,
  });
}

export type CreateWorkOrderInput = CreateWorkOrder;

export function useCreateWorkOrder() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: CreateWorkOrderInput) => api.post<WorkOrder>(PATHS.workOrders, body),
    // The new cards arrive as live events too; one board read now shows them without waiting.
    onSettled: () => client.invalidateQueries({ queryKey: dispatchKeys.board(), exact: true }),
  });
}

type Named = { id: string; name: string; code?: string; active?: boolean };
type Listing = { items: Named[]; nextCursor: string | null };

export function useSiteOptions() {
  return useQuery({
    queryKey: ['sites', 'options'],
    queryFn: ({ signal }) => api.get<Listing>('/api/v1/sites', { limit: 500 }, signal),
    select: (page) => page.items.filter((s) => s.active !== false).map((s) => ({ value: s.id, label: s.name })),
  });
}

export function useEquipmentTypeOptions() {
  return useQuery({
    queryKey: ['fleet', 'equipment-types', 'options'],
    queryFn: ({ signal }) => api.get<Listing>('/api/v1/equipment-types', { limit: 500 }, signal),
    select: (page) => page.items.map((t) => ({ value: t.id, label: t.code ? `${t.code} — ${t.name}` : t.name })),
  });
}

export type PanelEquipment = Equipment & { typeName: string | null; busyWith: string | null };
export type PanelDriver = Driver & { busyWith: string | null };

/** Equipment with its type's name, and what each busy piece is doing (from the board). */
export function useEquipmentList() {
  const types = useQuery({
    queryKey: ['fleet', 'equipment-types', 'panel'],
    queryFn: ({ signal }) => api.get<{ items: EquipmentType[] }>('/api/v1/equipment-types', { limit: 500 }, signal),
  });
  const board = useQuery({ queryKey: dispatchKeys.board(), queryFn: ({ signal }) => api.get<Board>(PATHS.board, undefined, signal) });
  const list = useQuery({
    queryKey: ['fleet', 'equipment', 'panel'],
    queryFn: async ({ signal }) => (await api.get<{ items: Equipment[] }>('/api/v1/equipment', { limit: 500 }, signal)).items,
  });
  const data = list.data?.map((e) => ({
    ...e,
    typeName: types.data?.items.find((t) => t.id === e.equipmentTypeId)?.name ?? null,
    busyWith: board.data?.active.find((b) => b.equipmentId === e.id)?.workOrderNumber ?? null,
  }));
  return { data, isPending: list.isPending, error: list.error };
}

export function useDriverList() {
  const board = useQuery({ queryKey: dispatchKeys.board(), queryFn: ({ signal }) => api.get<Board>(PATHS.board, undefined, signal) });
  const list = useQuery({
    queryKey: ['people', 'drivers', 'panel'],
    queryFn: async ({ signal }) => (await api.get<{ items: Driver[] }>('/api/v1/drivers', { limit: 500 }, signal)).items,
  });
  const data = list.data?.map((d) => ({ ...d, busyWith: board.data?.active.find((b) => b.driverId === d.id)?.workOrderNumber ?? null }));
  return { data, isPending: list.isPending, error: list.error };
}

export function useMarkDamaged() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (v: { id: string; version: number; notes: string }) =>
      api.post(`/api/v1/equipment/${v.id}/maintenance`, { note: v.notes }, { version: v.version }),
    onSettled: () => client.invalidateQueries(),
  });
}

export function useDriverDuty() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (v: { id: string; version: number; onDuty: boolean; note: string }) =>
      api.post(
        `/api/v1/drivers/${v.id}/duty`,
        { dutyStatus: v.onDuty ? 'on_duty' : 'off_duty', note: v.note || undefined },
        { version: v.version },
      ),
    onSettled: () => client.invalidateQueries(),
  });
}
