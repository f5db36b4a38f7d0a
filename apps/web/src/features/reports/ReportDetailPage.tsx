import { Anchor, Badge, Button, Card, Group, Paper, SimpleGrid, Stack, Table, Text, Textarea, Timeline, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { IconDownload, IconFileTypePdf } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { ReportNoteBodySchema, type StatusReport } from '@yardmaster/contracts';
import { useMe } from '../../app/session';
import { formErrorsOf, messageOf } from '../../lib/api';
import { zodValidate } from '../../lib/forms';
import { formatDateTime, formatDuration } from '../../lib/time';
import { ErrorState, LoadingState, ProblemAlert } from '../../ui/States';
import { downloadReportJson, downloadReportPdf, useAddCorrection, useReport } from './api';
import { ProofPanel } from './components/ProofPanel';

/** The report's timestamps in the order they happen (labels: `reports.detail.step.<key>`). */
const STEPS: (keyof StatusReport['timestamps'])[] = [
  'requestedAt',
  'createdAt',
  'queuedAt',
  'dispatchedAt',
  'enRouteAt',
  'onSiteAt',
  'returningAt',
  'completedAt',
  'recalledAt',
];

/** The durations shown as tiles (labels: `reports.detail.duration.<key>`). */
const DURATIONS: (keyof StatusReport['durations'])[] = ['queueWait', 'toSite', 'onSite', 'returning', 'busy', 'total'];

function CorrectionForm({ id }: { id: string }) {
  const { t } = useTranslation();
  const add = useAddCorrection(id);
  const form = useForm({ initialValues: { body: '' }, validate: zodValidate(ReportNoteBodySchema) });
  return (
    <form
      onSubmit={form.onSubmit((v) =>
        add.mutate(v, {
          onSuccess: () => {
            form.reset();
            notifications.show({ color: 'teal', message: t('reports.detail.correctionAdded') });
          },
          onError: (error) => form.setErrors(formErrorsOf(error, ['body']).fields),
        }),
      )}
    >
      <Stack gap="xs">
        <Textarea
          label={t('reports.detail.correctionLabel')}
          description={t('reports.detail.correctionHelp')}
          autosize
          minRows={2}
          {...form.getInputProps('body')}
        />
        {add.error && !formErrorsOf(add.error, ['body']).fields.body ? <ProblemAlert error={add.error} /> : null}
        <Group>
          <Button type="submit" loading={add.isPending}>
            {t('reports.detail.addNote')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

export function ReportDetailPage() {
  const { t } = useTranslation();
  const { id = '' } = useParams();
  const me = useMe();
  const report = useReport(id);
  if (report.isPending) return <LoadingState />;
  if (report.error) return <ErrorState error={report.error} onRetry={() => void report.refetch()} />;
  const r = report.data;
  const tz = me.timeZone;
  const canCorrect = me.hasRole('admin', 'dispatcher');
  const fail = (error: unknown) =>
    notifications.show({ color: 'red', title: t('reports.detail.downloadFailed'), message: messageOf(error) });
  return (
    <Stack>
      <Anchor component={Link} to="/reports" size="sm">
        {t('reports.detail.back')}
      </Anchor>
      <Group justify="space-between">
        <Group>
          <Title order={2}>{t('reports.detail.title', { number: r.number })}</Title>
          <Badge size="lg" color={r.finalStatus === 'completed' ? 'teal' : 'orange'}>
            {t(`reports.finalStatus.${r.finalStatus}`)}
          </Badge>
        </Group>
        <Group gap="xs">
          <Button leftSection={<IconFileTypePdf size={16} />} onClick={() => void downloadReportPdf(r).catch(fail)}>
            {t('reports.detail.downloadPdf')}
          </Button>
          <Button variant="default" leftSection={<IconDownload size={16} />} onClick={() => void downloadReportJson(r).catch(fail)}>
            {t('reports.detail.json')}
          </Button>
        </Group>
      </Group>
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Card withBorder>
          <Table>
            <Table.Tbody>
              <Table.Tr>
                <Table.Th>{t('reports.detail.workOrder')}</Table.Th>
                <Table.Td>
                  {r.workOrder.number} {r.workOrder.description ? `— ${r.workOrder.description}` : ''}
                </Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th>{t('reports.detail.site')}</Table.Th>
                <Table.Td>
                  {r.site.name}
                  <Text size="xs" c="dimmed">
                    {r.site.address}
                  </Text>
                </Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th>{t('reports.detail.equipment')}</Table.Th>
                <Table.Td>
                  {r.equipment.name} ({r.equipment.assetTag}, {r.equipment.typeName})
                </Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th>{t('reports.detail.driver')}</Table.Th>
                <Table.Td>{r.driver.name}</Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th>{t('reports.detail.dispatchedBy')}</Table.Th>
                <Table.Td>{r.dispatcher.kind === 'system' ? t('reports.detail.automatic') : r.dispatcher.name}</Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th>{t('reports.detail.priority')}</Table.Th>
                <Table.Td>{t(`reports.priority.${r.priority}`)}</Table.Td>
              </Table.Tr>
              {r.notes ? (
                <Table.Tr>
                  <Table.Th>{t('reports.detail.notes')}</Table.Th>
                  <Table.Td>{r.notes}</Table.Td>
                </Table.Tr>
              ) : null}
              {r.recallReason ? (
                <Table.Tr>
                  <Table.Th>{t('reports.detail.recallReason')}</Table.Th>
                  <Table.Td>{r.recallReason}</Table.Td>
                </Table.Tr>
              ) : null}
            </Table.Tbody>
          </Table>
        </Card>
        <Card withBorder>
          <Text fw={600} mb="sm">
            {t('reports.detail.timeline', { timeZone: tz })}
          </Text>
          <Timeline bulletSize={14} lineWidth={2} active={STEPS.length}>
            {STEPS.filter((key) => r.timestamps[key]).map((key) => (
              <Timeline.Item key={key} title={t(`reports.detail.step.${key}`)}>
                <Text size="xs" c="dimmed">
                  {formatDateTime(r.timestamps[key], tz)}
                </Text>
              </Timeline.Item>
            ))}
          </Timeline>
        </Card>
      </SimpleGrid>
      <ProofPanel dispatchId={r.dispatchId} />
      <SimpleGrid cols={{ base: 2, sm: 3, lg: 6 }}>
        {DURATIONS.map((key) => (
          <Paper key={key} withBorder p="sm">
            <Text size="xs" c="dimmed">
              {t(`reports.detail.duration.${key}`)}
            </Text>
            <Text fw={700}>{r.durations[key] != null ? formatDuration((r.durations[key] ?? 0) * 1000) : '—'}</Text>
          </Paper>
        ))}
      </SimpleGrid>
      <Card withBorder>
        <Text fw={600}>{t('reports.detail.corrections')}</Text>
        {r.corrections.length === 0 ? (
          <Text size="sm" c="dimmed">
            {t('reports.detail.noCorrections')}
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
          {t('reports.detail.generated', { when: formatDateTime(r.generatedAt, tz), hash: r.contentHash })}
        </Text>
      </Card>
    </Stack>
  );
}
