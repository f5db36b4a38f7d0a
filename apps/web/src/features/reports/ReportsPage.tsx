import { lazy, Suspense, useState } from 'react';
import { Badge, Button, Group, Paper, ScrollArea, Select, SimpleGrid, Stack, Table, Tabs, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { useMe } from '../../app/session';
import { formatDateTime, formatDuration } from '../../lib/time';
import { EmptyState, ErrorState, LoadingState } from '../../ui/States';
import { useReports } from './api';

// The charts library is large: loaded only when the analytics tab opens.
const AnalyticsPanel = lazy(() => import('./AnalyticsPanel').then((m) => ({ default: m.AnalyticsPanel })));

type FilterForm = { from: string; to: string; workOrderNumber: string; status: string | null };

function StatusReportsList() {
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
          <TextInput label="Finished from" type="date" {...form.getInputProps('from')} />
          <TextInput label="Finished before" type="date" {...form.getInputProps('to')} />
          <TextInput label="Work order" placeholder="WO-…" {...form.getInputProps('workOrderNumber')} />
          <Select label="Final status" clearable data={['completed', 'recalled']} {...form.getInputProps('status')} />
        </SimpleGrid>
        <Group mt="sm">
          <Button type="submit">Search</Button>
        </Group>
      </Paper>
      {reports.isPending ? (
        <LoadingState />
      ) : reports.error ? (
        <ErrorState error={reports.error} onRetry={() => void reports.refetch()} />
      ) : items.length === 0 ? (
        <EmptyState title="No status reports">A report is generated when a dispatch is completed or recalled.</EmptyState>
      ) : (
        <Paper withBorder>
          <ScrollArea>
            <Table highlightOnHover data-testid="reports-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Report</Table.Th>
                  <Table.Th>Work order</Table.Th>
                  <Table.Th>Site</Table.Th>
                  <Table.Th>Equipment</Table.Th>
                  <Table.Th>Driver</Table.Th>
                  <Table.Th>Finished ({me.timeZone})</Table.Th>
                  <Table.Th>Duration</Table.Th>
                  <Table.Th>Status</Table.Th>
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
                        {r.finalStatus}
                      </Badge>
                      {r.correctionCount > 0 ? (
                        <Badge ml={4} size="xs" variant="outline">
                          {r.correctionCount} note{r.correctionCount > 1 ? 's' : ''}
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
                Load more
              </Button>
            </Group>
          ) : null}
        </Paper>
      )}
    </Stack>
  );
}

export function ReportsPage() {
  const [params, setParams] = useSearchParams();
  const me = useMe();
  const tab = params.get('tab') === 'analytics' ? 'analytics' : 'status';
  const canSeeAnalytics = me.hasRole('admin', 'dispatcher', 'viewer');
  return (
    <Stack>
      <Title order={2}>Reports</Title>
      <Tabs value={tab} onChange={(v) => setParams(v === 'analytics' ? { tab: 'analytics' } : {})}>
        <Tabs.List>
          <Tabs.Tab value="status">Status reports</Tabs.Tab>
          {canSeeAnalytics ? <Tabs.Tab value="analytics">Analytics</Tabs.Tab> : null}
        </Tabs.List>
      </Tabs>
      {tab === 'analytics' && canSeeAnalytics ? (
        <Suspense fallback={<LoadingState label="Loading charts…" />}>
          <AnalyticsPanel />
        </Suspense>
      ) : (
        <StatusReportsList />
      )}
    </Stack>
  );
}
