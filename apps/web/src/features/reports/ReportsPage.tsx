import { lazy, Suspense, useState } from 'react';
import { Badge, Button, Group, Paper, ScrollArea, Select, SimpleGrid, Stack, Table, Tabs, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { useMe } from '../../app/session';
import { formatDateTime, formatDuration } from '../../lib/time';
import { EmptyState, ErrorState, LoadingState } from '../../ui/States';
import { DateField } from '../../ui/DateField';
import { downloadReportList, useReports } from './api';
import { ExportButtons } from './components/ExportButtons';

// The charts library is large: loaded only when the analytics tab opens.
const AnalyticsPanel = lazy(() => import('./AnalyticsPanel').then((m) => ({ default: m.AnalyticsPanel })));

const FINAL_STATUSES = ['completed', 'recalled'] as const;

type FilterForm = { from: string; to: string; workOrderNumber: string; status: string | null };

function StatusReportsList() {
  const { t } = useTranslation();
  const me = useMe();
  const navigate = useNavigate();
  const form = useForm<FilterForm>({ initialValues: { from: '', to: '', workOrderNumber: '', status: null } });
  const [filter, setFilter] = useState<Parameters<typeof useReports>[0]>({});
  const reports = useReports(filter);
  const items = reports.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <Stack>
      <Paper
        withBorder
        p="md"
        component="form"
        onSubmit={form.onSubmit((v) =>
          setFilter({
            from: v.from ? new Date(v.from).toISOString() : undefined,
            to: v.to ? new Date(v.to).toISOString() : undefined,
            workOrderNumber: v.workOrderNumber.trim() || undefined,
            status: v.status === 'completed' || v.status === 'recalled' ? v.status : undefined,
          }),
        )}
      >
        <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }}>
          <DateField label={t('reports.list.finishedFrom')} {...form.getInputProps('from')} />
          <DateField label={t('reports.list.finishedBefore')} {...form.getInputProps('to')} />
          {/* The placeholder is the shape of a work-order number, not a word. */}
          <TextInput label={t('reports.list.workOrder')} placeholder="WO-…" {...form.getInputProps('workOrderNumber')} />
          <Select
            label={t('reports.list.finalStatus')}
            clearable
            data={FINAL_STATUSES.map((value) => ({ value, label: t(`reports.finalStatus.${value}`) }))}
            {...form.getInputProps('status')}
          />
        </SimpleGrid>
        <Group mt="sm">
          <Button type="submit">{t('reports.list.search')}</Button>
          <ExportButtons download={(format) => downloadReportList(filter, format)} />
        </Group>
      </Paper>
      {reports.isPending ? (
        <LoadingState />
      ) : reports.error ? (
        <ErrorState error={reports.error} onRetry={() => void reports.refetch()} />
      ) : items.length === 0 ? (
        <EmptyState title={t('reports.list.emptyTitle')}>{t('reports.list.emptyBody')}</EmptyState>
      ) : (
        <Paper withBorder>
          <ScrollArea>
            <Table highlightOnHover data-testid="reports-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('reports.list.report')}</Table.Th>
                  <Table.Th>{t('reports.list.workOrder')}</Table.Th>
                  <Table.Th>{t('reports.list.site')}</Table.Th>
                  <Table.Th>{t('reports.list.equipment')}</Table.Th>
                  <Table.Th>{t('reports.list.driver')}</Table.Th>
                  <Table.Th>{t('reports.list.finished', { timeZone: me.timeZone })}</Table.Th>
                  <Table.Th>{t('reports.list.duration')}</Table.Th>
                  <Table.Th>{t('reports.list.status')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((r) => (
                  <Table.Tr key={r.id} style={{ cursor: 'pointer' }} onClick={() => void navigate(`/reports/${r.id}`)}>
                    <Table.Td>
                      <Link to={`/reports/${r.id}`}>{r.number}</Link>
                    </Table.Td>
                    <Table.Td>{r.workOrder.number}</Table.Td>
                    <Table.Td>{r.site.name}</Table.Td>
                    <Table.Td>{r.equipment.name}</Table.Td>
                    <Table.Td>{r.driver.name}</Table.Td>
                    <Table.Td>{formatDateTime(r.finishedAt, me.timeZone)}</Table.Td>
                    <Table.Td>{r.durations.total != null ? formatDuration(r.durations.total * 1000) : '—'}</Table.Td>
                    <Table.Td>
                      <Badge color={r.finalStatus === 'completed' ? 'teal' : 'orange'} variant="light">
                        {t(`reports.finalStatus.${r.finalStatus}`)}
                      </Badge>
                      {r.correctionCount > 0 ? (
                        <Badge ml={4} size="xs" variant="outline">
                          {t('reports.list.notes', { count: r.correctionCount })}
                        </Badge>
                      ) : null}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </ScrollArea>
          {reports.hasNextPage ? (
            <Group justify="center" p="sm">
              <Button variant="light" loading={reports.isFetchingNextPage} onClick={() => void reports.fetchNextPage()}>
                {t('reports.list.loadMore')}
              </Button>
            </Group>
          ) : null}
        </Paper>
      )}
    </Stack>
  );
}

export function ReportsPage() {
  const { t } = useTranslation();
  const [params, setParams] = useSearchParams();
  const me = useMe();
  const tab = params.get('tab') === 'analytics' ? 'analytics' : 'status';
  const canSeeAnalytics = me.hasRole('admin', 'dispatcher', 'viewer');
  return (
    <Stack>
      <Title order={2}>{t('reports.title')}</Title>
      <Tabs value={tab} onChange={(v) => setParams(v === 'analytics' ? { tab: 'analytics' } : {})}>
        <Tabs.List>
          <Tabs.Tab value="status">{t('reports.tabStatus')}</Tabs.Tab>
          {canSeeAnalytics ? <Tabs.Tab value="analytics">{t('reports.tabAnalytics')}</Tabs.Tab> : null}
        </Tabs.List>
      </Tabs>
      {tab === 'analytics' && canSeeAnalytics ? (
        <Suspense fallback={<LoadingState label={t('reports.loadingCharts')} />}>
          <AnalyticsPanel />
        </Suspense>
      ) : (
        <StatusReportsList />
      )}
    </Stack>
  );
}
