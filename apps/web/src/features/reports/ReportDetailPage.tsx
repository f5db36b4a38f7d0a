import { Anchor, Badge, Button, Card, Group, Paper, SimpleGrid, Stack, Table, Text, Textarea, Timeline, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { IconDownload, IconFileTypePdf } from '@tabler/icons-react';
import { Link, useParams } from 'react-router';
import { ReportNoteBodySchema, type StatusReport } from '@yardmaster/contracts';
import { useMe } from '../../app/session';
import { formErrorsOf, messageOf } from '../../lib/api';
import { zodValidate } from '../../lib/forms';
import { formatDateTime, formatDuration } from '../../lib/time';
import { ErrorState, LoadingState, ProblemAlert } from '../../ui/States';
import { downloadReportJson, downloadReportPdf, useAddCorrection, useReport } from './api';
import { ProofPanel } from './components/ProofPanel';

const STEPS: { key: keyof StatusReport['timestamps']; label: string }[] = [
  { key: 'requestedAt', label: 'Requested start' },
  { key: 'createdAt', label: 'Created' },
  { key: 'queuedAt', label: 'Queued' },
  { key: 'dispatchedAt', label: 'Dispatched' },
  { key: 'enRouteAt', label: 'En route' },
  { key: 'onSiteAt', label: 'On site' },
  { key: 'returningAt', label: 'Returning' },
  { key: 'completedAt', label: 'Completed' },
  { key: 'recalledAt', label: 'Recalled' },
];

const DURATIONS: { key: keyof StatusReport['durations']; label: string }[] = [
  { key: 'queueWait', label: 'Queue wait' },
  { key: 'toSite', label: 'Dispatch to site' },
  { key: 'onSite', label: 'On site' },
  { key: 'returning', label: 'Returning' },
  { key: 'busy', label: 'Resources busy' },
  { key: 'total', label: 'Total' },
];

function CorrectionForm({ id }: { id: string }) {
  const add = useAddCorrection(id);
  const form = useForm({ initialValues: { body: '' }, validate: zodValidate(ReportNoteBodySchema) });
  return (
    <form
      onSubmit={form.onSubmit((v) =>
        add.mutate(v, {
          onSuccess: () => {
            form.reset();
            notifications.show({ color: 'teal', message: 'Correction note added' });
          },
          onError: (error) => form.setErrors(formErrorsOf(error, ['body']).fields),
        }),
      )}
    >
      <Stack gap="xs">
        <Textarea
          label="Add a correction note"
          description="Reports are immutable; corrections are appended."
          autosize
          minRows={2}
          {...form.getInputProps('body')}
        />
        {add.error && !formErrorsOf(add.error, ['body']).fields.body ? <ProblemAlert error={add.error} /> : null}
        <Group>
          <Button type="submit" loading={add.isPending}>
            Add note
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

export function ReportDetailPage() {
  const { id = '' } = useParams();
  const me = useMe();
  const report = useReport(id);
  if (report.isPending) return <LoadingState />;
  if (report.error) return <ErrorState error={report.error} onRetry={() => void report.refetch()} />;
  const r = report.data;
  const tz = me.timeZone;
  const canCorrect = me.hasRole('admin', 'dispatcher');
  const fail = (error: unknown) => notifications.show({ color: 'red', title: 'Download failed', message: messageOf(error) });
  return (
    <Stack>
      <Anchor component={Link} to="/reports" size="sm">
        ← All status reports
      </Anchor>
      <Group justify="space-between">
        <Group>
          <Title order={2}>Status report {r.number}</Title>
          <Badge size="lg" color={r.finalStatus === 'completed' ? 'teal' : 'orange'}>
            {r.finalStatus}
          </Badge>
        </Group>
        <Group gap="xs">
          <Button leftSection={<IconFileTypePdf size={16} />} onClick={() => void downloadReportPdf(r).catch(fail)}>
            Download PDF
          </Button>
          <Button variant="default" leftSection={<IconDownload size={16} />} onClick={() => void downloadReportJson(r).catch(fail)}>
            JSON
          </Button>
        </Group>
      </Group>
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Card withBorder>
          <Table>
            <Table.Tbody>
              <Table.Tr>
                <Table.Th>Work order</Table.Th>
                <Table.Td>
                  {r.workOrder.number} {r.workOrder.description ? `— ${r.workOrder.description}` : ''}
                </Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th>Site</Table.Th>
                <Table.Td>
                  {r.site.name}
                  <Text size="xs" c="dimmed">
                    {r.site.address}
                  </Text>
                </Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th>Equipment</Table.Th>
                <Table.Td>
                  {r.equipment.name} ({r.equipment.assetTag}, {r.equipment.typeName})
                </Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th>Driver</Table.Th>
                <Table.Td>{r.driver.name}</Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th>Dispatched by</Table.Th>
                <Table.Td>{r.dispatcher.kind === 'system' ? 'automatic matching' : r.dispatcher.name}</Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th>Priority</Table.Th>
                <Table.Td>{r.priority}</Table.Td>
              </Table.Tr>
              {r.notes ? (
                <Table.Tr>
                  <Table.Th>Notes</Table.Th>
                  <Table.Td>{r.notes}</Table.Td>
                </Table.Tr>
              ) : null}
              {r.recallReason ? (
                <Table.Tr>
                  <Table.Th>Recall reason</Table.Th>
                  <Table.Td>{r.recallReason}</Table.Td>
                </Table.Tr>
              ) : null}
            </Table.Tbody>
          </Table>
        </Card>
        <Card withBorder>
          <Text fw={600} mb="sm">
            Timeline ({tz})
          </Text>
          <Timeline bulletSize={14} lineWidth={2} active={STEPS.length}>
            {STEPS.filter((s) => r.timestamps[s.key]).map((s) => (
              <Timeline.Item key={s.key} title={s.label}>
                <Text size="xs" c="dimmed">
                  {formatDateTime(r.timestamps[s.key], tz)}
                </Text>
              </Timeline.Item>
            ))}
          </Timeline>
        </Card>
      </SimpleGrid>
      <ProofPanel dispatchId={r.dispatchId} />
      <SimpleGrid cols={{ base: 2, sm: 3, lg: 6 }}>
        {DURATIONS.map((d) => (
          <Paper key={d.key} withBorder p="sm">
            <Text size="xs" c="dimmed">
              {d.label}
            </Text>
            <Text fw={700}>{r.durations[d.key] != null ? formatDuration((r.durations[d.key] ?? 0) * 1000) : '—'}</Text>
          </Paper>
        ))}
      </SimpleGrid>
      <Card withBorder>
        <Text fw={600}>Corrections</Text>
        {r.corrections.length === 0 ? (
          <Text size="sm" c="dimmed">
            None.
          </Text>
        ) : (
          <Stack gap="xs" mt="xs">
            {r.corrections.map((n) => (
              <Paper key={n.id} withBorder p="xs">
                <Text size="sm">{n.body}</Text>
                <Text size="xs" c="dimmed">
                  {n.author.name}, {formatDateTime(n.createdAt, tz)}
                </Text>
              </Paper>
            ))}
          </Stack>
        )}
        {canCorrect ? (
          <Stack mt="md">
            <CorrectionForm id={r.id} />
          </Stack>
        ) : null}
        <Text size="xs" c="dimmed" mt="sm" style={{ wordBreak: 'break-all' }}>
          Generated {formatDateTime(r.generatedAt, tz)} · content hash {r.contentHash}
        </Text>
      </Card>
    </Stack>
  );
}
