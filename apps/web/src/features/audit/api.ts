import { useInfiniteQuery, useMutation, useQuery } from '@tanstack/react-query';
import type { AuditFilter, AuditPage, AuditVerifyResult } from '@yardmaster/contracts';
import { api, download } from '../../lib/api';

export const auditKeys = {
  all: ['audit'] as const,
  list: (filter: AuditFilter) => [...auditKeys.all, 'list', filter] as const,
  history: (entityType: string, entityId: string) => [...auditKeys.all, 'history', entityType, entityId] as const,
};

export function useAuditLog(filter: AuditFilter) {
  return useInfiniteQuery({
    queryKey: auditKeys.list(filter),
    queryFn: ({ pageParam, signal }) =>
      api.get<AuditPage>('/api/v1/audit', { ...filter, limit: 50, cursor: pageParam ?? undefined }, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
  });
}

export function useEntityHistory(entityType: string, entityId: string) {
  return useQuery({
    queryKey: auditKeys.history(entityType, entityId),
    queryFn: ({ signal }) =>
      api.get<AuditPage>(
        `/api/v1/audit/entities/${encodeURIComponent(entityType)}/${encodeURIComponent(entityId)}/history`,
        { limit: 200 },
        signal,
      ),
    enabled: Boolean(entityType && entityId),
  });
}

export function useVerifyChain() {
  return useMutation({ mutationFn: () => api.get<AuditVerifyResult>('/api/v1/audit/verify') });
}

export function exportAudit(filter: AuditFilter, format: 'csv' | 'jsonl') {
  return download('/api/v1/audit/export', `audit.${format}`, { ...filter, format });
}
