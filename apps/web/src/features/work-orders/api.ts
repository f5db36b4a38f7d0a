import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type {
  AuditEvent,
  Dispatch,
  Driver,
  Equipment,
  EquipmentType,
  ReportSummary,
  Site,
  StoredFileView,
  WorkOrder,
} from '@yardmaster/contracts';
import { api, authorizationHeader, isProblemError, ProblemError } from '../../lib/api';
import { problemOf } from '../../lib/problem';

export type Related = { id: string; number: string; description: string; status: string };

export const workOrderKeys = {
  all: ['work-orders'] as const,
  byNumber: (number: string) => [...workOrderKeys.all, 'number', number] as const,
  attachments: (id: string) => [...workOrderKeys.all, id, 'attachments'] as const,
  related: (id: string) => [...workOrderKeys.all, id, 'related'] as const,
  dispatches: (id: string) => [...workOrderKeys.all, id, 'dispatches'] as const,
  reports: (id: string) => [...workOrderKeys.all, id, 'reports'] as const,
  audit: (entityType: string, id: string) => [...workOrderKeys.all, 'audit', entityType, id] as const,
};

/** A work order by its number (the board and the related links name work orders by number). */
export function useWorkOrderByNumber(number: string) {
  return useQuery({
    queryKey: workOrderKeys.byNumber(number),
    queryFn: async ({ signal }) => {
      const page = await api.get<{ items: WorkOrder[] }>('/api/v1/work-orders', { q: number, limit: 20 }, signal);
      const found = page.items.find((w) => w.number === number);
      if (!found)
        throw new ProblemError({
          type: '/problems/not-found',
          title: 'Not found',
          status: 404,
          detail: `work order ${number} does not exist`,
        });
      return found;
    },
  });
}

export function useAttachments(workOrderId: string | undefined) {
  return useQuery({
    queryKey: workOrderKeys.attachments(workOrderId ?? ''),
    enabled: Boolean(workOrderId),
    queryFn: ({ signal }) => api.get<{ items: StoredFileView[] }>(`/api/v1/work-orders/${workOrderId}/attachments`, undefined, signal),
  });
}

/** Uploads one file as the raw body with its own type; the server checks the bytes (10 MB at most). */
export async function uploadAttachment(workOrderId: string, file: File): Promise<StoredFileView> {
  const response = await fetch(`/api/v1/work-orders/${workOrderId}/attachments?filename=${encodeURIComponent(file.name)}`, {
    method: 'POST',
    headers: { ...(await authorizationHeader()), 'content-type': file.type || 'application/octet-stream' },
    body: file,
  });
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok) throw new ProblemError(problemOf(response.status, body, response.statusText));
  return body as StoredFileView;
}

export function useUploadAttachment(workOrderId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (file: File) => uploadAttachment(workOrderId, file),
    onSettled: () => client.invalidateQueries({ queryKey: workOrderKeys.attachments(workOrderId) }),
  });
}

export function useDeleteAttachment(workOrderId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (fileId: string) => api.delete(`/api/v1/work-orders/${workOrderId}/attachments/${fileId}`),
    onSettled: () => client.invalidateQueries({ queryKey: workOrderKeys.attachments(workOrderId) }),
  });
}

export function useRelated(workOrderId: string | undefined) {
  return useQuery({
    queryKey: workOrderKeys.related(workOrderId ?? ''),
    enabled: Boolean(workOrderId),
    queryFn: ({ signal }) => api.get<{ items: Related[] }>(`/api/v1/work-orders/${workOrderId}/related`, undefined, signal),
  });
}

export function useLink(workOrderId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (v: { number: string; unlink?: boolean; relatedId?: string }) => {
      let relatedId = v.relatedId;
      if (!relatedId) {
        const page = await api.get<{ items: WorkOrder[] }>('/api/v1/work-orders', { q: v.number, limit: 20 });
        relatedId = page.items.find((w) => w.number === v.number.trim())?.id;
        if (!relatedId)
          throw new ProblemError({
            type: '/problems/not-found',
            title: 'Not found',
            status: 404,
            detail: `no work order numbered ${v.number}`,
          });
      }
      return v.unlink
        ? api.delete(`/api/v1/work-orders/${workOrderId}/related/${relatedId}`)
        : api.put(`/api/v1/work-orders/${workOrderId}/related/${relatedId}`, undefined);
    },
    onSettled: () => client.invalidateQueries({ queryKey: workOrderKeys.all }),
  });
}

export const isNotFound = (error: unknown): boolean => isProblemError(error) && error.status === 404;

/** Every dispatch of a work order (one per unit asked for), oldest first. */
export function useWorkOrderDispatches(workOrderId: string | undefined) {
  return useQuery({
    queryKey: workOrderKeys.dispatches(workOrderId ?? ''),
    enabled: Boolean(workOrderId),
    queryFn: async ({ signal }) =>
      (await api.get<{ items: Dispatch[] }>('/api/v1/dispatches', { workOrderId, limit: 500 }, signal)).items.sort((a, b) =>
        a.timestamps.createdAt.localeCompare(b.timestamps.createdAt),
      ),
  });
}

/** The status reports of a work order's finished dispatches. */
export function useWorkOrderReports(workOrderId: string | undefined) {
  return useQuery({
    queryKey: workOrderKeys.reports(workOrderId ?? ''),
    enabled: Boolean(workOrderId),
    queryFn: ({ signal }) => api.get<{ items: ReportSummary[] }>('/api/v1/reports', { workOrderId, limit: 100 }, signal),
  });
}

/** A work order's or a dispatch's audit trail, oldest first (dispatchers may read these two). */
export function useAuditHistory(entityType: 'work_order' | 'dispatch', id: string | undefined, enabled = true) {
  return useQuery({
    queryKey: workOrderKeys.audit(entityType, id ?? ''),
    enabled: Boolean(id) && enabled,
    retry: false,
    queryFn: ({ signal }) =>
      api.get<{ items: AuditEvent[] }>(
        `/api/v1/${entityType === 'work_order' ? 'work-orders' : 'dispatches'}/${id}/history`,
        { order: 'asc', limit: 200 },
        signal,
      ),
  });
}

/** Names for ids on the page: the tenant's equipment types, and one site, machine or driver at a time. */
export function useEquipmentTypeNames() {
  return useQuery({
    // Not the board's ['fleet', 'equipment-types', 'names'] entry: that one caches the raw list, this a Map.
    queryKey: ['fleet', 'equipment-types', 'labels'],
    staleTime: 60_000,
    queryFn: async ({ signal }) =>
      new Map(
        (await api.get<{ items: EquipmentType[] }>('/api/v1/equipment-types', { limit: 500, includeArchived: true }, signal)).items.map(
          (t) => [t.id, `${t.code} — ${t.name}`],
        ),
      ),
  });
}

export function useOne<T extends Site | Equipment | Driver>(kind: 'sites' | 'equipment' | 'drivers', id: string | null | undefined) {
  return useQuery({
    queryKey: [kind === 'sites' ? 'sites' : kind === 'equipment' ? 'fleet' : 'people', kind, 'one', id ?? ''],
    enabled: Boolean(id),
    staleTime: 60_000,
    retry: false,
    queryFn: ({ signal }) => api.get<T>(`/api/v1/${kind}/${id}`, undefined, signal),
  });
}
