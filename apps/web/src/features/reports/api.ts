import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Analytics, ReportListQuery, ReportNoteBody, ReportPage, StatusReport } from '@yardmaster/contracts';
import { api, download } from '../../lib/api';

type ListFilter = Omit<ReportListQuery, 'limit' | 'cursor'>;

export const reportKeys = {
  all: ['reports'] as const,
  list: (filter: ListFilter) => [...reportKeys.all, 'list', filter] as const,
  detail: (id: string) => [...reportKeys.all, 'detail', id] as const,
  analytics: (from: string, to: string) => [...reportKeys.all, 'analytics', from, to] as const,
};

export const REPORTS_PATH = '/api/v1/reports';
export const ANALYTICS_PATH = '/api/v1/analytics';

export function useReports(filter: ListFilter) {
  return useInfiniteQuery({
    queryKey: reportKeys.list(filter),
    queryFn: ({ pageParam, signal }) => api.get<ReportPage>(REPORTS_PATH, { ...filter, limit: 50, cursor: pageParam ?? undefined }, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
  });
}

export function useReport(id: string) {
  return useQuery({
    queryKey: reportKeys.detail(id),
    queryFn: ({ signal }) => api.get<StatusReport>(`${REPORTS_PATH}/${id}`, undefined, signal),
  });
}

export function useAddCorrection(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: ReportNoteBody) => api.post(`${REPORTS_PATH}/${id}/notes`, body),
    onSuccess: () => client.invalidateQueries({ queryKey: reportKeys.all }),
  });
}

export function downloadReportPdf(report: { id: string; number: string }) {
  return download(`${REPORTS_PATH}/${report.id}/pdf`, `${report.number}.pdf`);
}

export function downloadReportJson(report: { id: string; number: string }) {
  return download(`${REPORTS_PATH}/${report.id}/json`, `${report.number}.json`);
}

export function useAnalytics(from: string, to: string) {
  return useQuery({
    queryKey: reportKeys.analytics(from, to),
    queryFn: ({ signal }) => api.get<Analytics>(ANALYTICS_PATH, { from, to }, signal),
  });
}

export type ExportFormat = 'csv' | 'xlsx';

/** The analytics of a range as a spreadsheet: CSV, or Excel (.xlsx) for finance teams. */
export function downloadAnalytics(from: string, to: string, format: ExportFormat) {
  return download(ANALYTICS_PATH, `analytics-${from.slice(0, 10)}-${to.slice(0, 10)}.${format}`, { from, to, format });
}

/** Every report matching the list's filters (as searched) as CSV or Excel. */
export function downloadReportList(filter: Parameters<typeof useReports>[0], format: ExportFormat) {
  return download(`${REPORTS_PATH}/export`, `status-reports.${format}`, { ...filter, format });
}
