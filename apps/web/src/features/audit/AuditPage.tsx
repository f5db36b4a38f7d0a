import { useState } from 'react';
import {
  Alert,
  Badge,
  Button,
  Code,
  Drawer,
  Group,
  Paper,
  ScrollArea,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { IconDownload, IconShieldCheck } from '@tabler/icons-react';
import { Trans, useTranslation } from 'react-i18next';
import type { AuditEvent, AuditFilter } from '@yardmaster/contracts';
import { useMe } from '../../app/session';
import { messageOf } from '../../lib/api';
import { formatDateTime } from '../../lib/time';
import { EmptyState, ErrorState, LoadingState, ProblemAlert } from '../../ui/States';
import { exportAudit, useAuditLog, useEntityHistory, useVerifyChain } from './api';

type FilterForm = { entityType: string; entityId: string; actor: string; action: string; from: string; to: string };

function toFilter(v: FilterForm): AuditFilter {
  const iso = (s: string) => (s ? new Date(s).toISOString() : undefined);
  return {
    entityType: v.entityType.trim() || undefined,
    entityId: v.entityId.trim() || undefined,
    actor: v.actor.trim() || undefined,
    action: v.action.trim() || undefined,
    from: iso(v.from),
    to: iso(v.to),
  };
}

/*
 * Sentences with a hash, an id or an action in them use <Trans> with self-closing tags
 * (`<hash/>`): the element brings its own text, so a value is never parsed as markup.
 */
function VerifyPanel() {
  const { t } = useTranslation();
  const verify = useVerifyChain();
  const me = useMe();
  if (!me.hasRole('admin')) return null;
  return (
    <Paper withBorder p="md">
      <Group justify="space-between">
        <Stack gap={2}>
          <Text fw={600}>{t('audit.verify.title')}</Text>
          <Text size="sm" c="dimmed">
            {t('audit.verify.help')}
          </Text>
        </Stack>
        <Button leftSection={<IconShieldCheck size={16} />} loading={verify.isPending} onClick={() => verify.mutate()}>
          {t('audit.verify.button')}
        </Button>
      </Group>
      {verify.error ? <ProblemAlert error={verify.error} /> : null}
      {verify.data ? (
        verify.data.ok ? (
          <Alert mt="sm" color="teal" title={t('audit.verify.intactTitle')} data-testid="verify-result">
            <Trans
              i18nKey="audit.verify.intact"
              count={verify.data.checked}
              values={{ sequence: verify.data.headSequence }}
              components={{ hash: <Code>{verify.data.headHash.slice(0, 16)}…</Code> }}
            />
          </Alert>
        ) : (
          <Alert mt="sm" color="red" title={t('audit.verify.brokenTitle')} data-testid="verify-result">
            <Trans
              i18nKey="audit.verify.broken"
              values={{ sequence: verify.data.firstBroken?.sequence, check: verify.data.firstBroken?.check }}
              components={{
                expected: <Code>{verify.data.firstBroken?.expected}</Code>,
                found: <Code>{verify.data.firstBroken?.found}</Code>,
              }}
            />
          </Alert>
        )
      ) : null}
    </Paper>
  );
}

function EventDetail({ event, onClose, onHistory }: { event: AuditEvent | null; onClose: () => void; onHistory: (e: AuditEvent) => void }) {
  const { t } = useTranslation();
  const me = useMe();
  return (
    <Drawer
      opened={event !== null}
      onClose={onClose}
      position="right"
      size="lg"
      title={event ? t('audit.event.title', { sequence: event.sequence }) : ''}
    >
      {event ? (
        <Stack gap="sm">
          <Text>
            <Trans
              i18nKey="audit.event.summary"
              values={{ entityType: event.entityType }}
              components={{ action: <b>{event.action}</b>, id: <Code>{event.entityId}</Code> }}
            />
          </Text>
          <Text size="sm">
            {t('audit.event.by', {
              when: formatDateTime(event.occurredAt, me.timeZone),
              name: event.actor.name,
              roles: event.actor.kind === 'system' ? t('audit.system') : event.actor.roles.join(', '),
            })}
          </Text>
          <Text size="xs" c="dimmed">
            {t('audit.event.request', { requestId: event.requestId ?? '—', sourceIp: event.sourceIp ?? '—' })}
          </Text>
          <SimpleGrid cols={2}>
            <Stack gap={4}>
              <Text size="sm" fw={600}>
                {t('audit.event.before')}
              </Text>
              <Code block>{JSON.stringify(event.before, null, 2)}</Code>
            </Stack>
            <Stack gap={4}>
              <Text size="sm" fw={600}>
                {t('audit.event.after')}
              </Text>
              <Code block>{JSON.stringify(event.after, null, 2)}</Code>
            </Stack>
          </SimpleGrid>
          <Text size="xs" c="dimmed" style={{ wordBreak: 'break-all' }}>
            {t('audit.event.hash', { hash: event.hash })}
          </Text>
          <Button variant="light" onClick={() => onHistory(event)}>
            {t('audit.event.history', { entityType: event.entityType })}
          </Button>
        </Stack>
      ) : null}
    </Drawer>
  );
}

function HistoryDrawer({ entity, onClose }: { entity: { type: string; id: string } | null; onClose: () => void }) {
  const { t } = useTranslation();
  const history = useEntityHistory(entity?.type ?? '', entity?.id ?? '');
  const me = useMe();
  return (
    <Drawer
      opened={entity !== null}
      onClose={onClose}
      position="right"
      size="lg"
      title={entity ? t('audit.historyTitle', { entityType: entity.type, entityId: entity.id }) : ''}
    >
      {history.isPending ? (
        <LoadingState />
      ) : history.error ? (
        <ErrorState error={history.error} />
      ) : (
        <Stack gap="xs">
          {history.data?.items.map((e) => (
            <Paper key={e.sequence} withBorder p="xs">
              <Group justify="space-between">
                <Text size="sm" fw={600}>
                  {e.action}
                </Text>
                <Text size="xs" c="dimmed">
                  {formatDateTime(e.occurredAt, me.timeZone)} · {e.actor.name}
                </Text>
              </Group>
              <Code block mt={4}>
                {JSON.stringify(e.after ?? e.before)}
              </Code>
            </Paper>
          ))}
        </Stack>
      )}
    </Drawer>
  );
}

export function AuditPage() {
  const { t } = useTranslation();
  const me = useMe();
  const form = useForm<FilterForm>({ initialValues: { entityType: '', entityId: '', actor: '', action: '', from: '', to: '' } });
  const [filter, setFilter] = useState<AuditFilter>({});
  const log = useAuditLog(filter);
  const [selected, setSelected] = useState<AuditEvent | null>(null);
  const [entity, setEntity] = useState<{ type: string; id: string } | null>(null);
  const events = log.data?.pages.flatMap((p) => p.items) ?? [];

  const doExport = (format: 'csv' | 'jsonl') => {
    exportAudit(filter, format).catch((error: unknown) =>
      notifications.show({ color: 'red', title: t('audit.exportFailed'), message: messageOf(error) }),
    );
  };

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('audit.title')}</Title>
        <Group gap="xs">
          <Button variant="default" leftSection={<IconDownload size={16} />} onClick={() => doExport('csv')}>
            {t('audit.csv')}
          </Button>
          <Button variant="default" leftSection={<IconDownload size={16} />} onClick={() => doExport('jsonl')}>
            {t('audit.jsonLines')}
          </Button>
        </Group>
      </Group>
      <VerifyPanel />
      <Paper withBorder p="md" component="form" onSubmit={form.onSubmit((v) => setFilter(toFilter(v)))}>
        <SimpleGrid cols={{ base: 1, sm: 3, lg: 6 }}>
          {/* The placeholders are values the server knows (an entity type, an action), not words. */}
          <TextInput label={t('audit.filter.entityType')} placeholder="equipment" {...form.getInputProps('entityType')} />
          <TextInput label={t('audit.filter.entityId')} {...form.getInputProps('entityId')} />
          <TextInput label={t('audit.filter.actor')} {...form.getInputProps('actor')} />
          <TextInput label={t('audit.filter.action')} placeholder="dispatch.dispatched" {...form.getInputProps('action')} />
          <TextInput label={t('audit.filter.from')} type="datetime-local" {...form.getInputProps('from')} />
          <TextInput label={t('audit.filter.to')} type="datetime-local" {...form.getInputProps('to')} />
        </SimpleGrid>
        <Group mt="sm" gap="xs">
          <Button type="submit">{t('audit.filter.submit')}</Button>
          <Button
            variant="subtle"
            onClick={() => {
              form.reset();
              setFilter({});
            }}
          >
            {t('audit.filter.clear')}
          </Button>
        </Group>
      </Paper>
      {log.isPending ? (
        <LoadingState />
      ) : log.error ? (
        <ErrorState error={log.error} onRetry={() => void log.refetch()} />
      ) : events.length === 0 ? (
        <EmptyState title={t('audit.emptyTitle')}>{t('audit.emptyBody')}</EmptyState>
      ) : (
        <Paper withBorder>
          <ScrollArea>
            <Table striped highlightOnHover data-testid="audit-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('audit.table.sequence')}</Table.Th>
                  <Table.Th>{t('audit.table.time', { timeZone: me.timeZone })}</Table.Th>
                  <Table.Th>{t('audit.table.actor')}</Table.Th>
                  <Table.Th>{t('audit.table.action')}</Table.Th>
                  <Table.Th>{t('audit.table.entity')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {events.map((e) => (
                  <Table.Tr
                    key={e.sequence}
                    style={{ cursor: 'pointer' }}
                    onClick={() => setSelected(e)}
                    tabIndex={0}
                    onKeyDown={(k) => k.key === 'Enter' && setSelected(e)}
                  >
                    <Table.Td>{e.sequence}</Table.Td>
                    <Table.Td>{formatDateTime(e.occurredAt, me.timeZone)}</Table.Td>
                    <Table.Td>
                      {e.actor.name} {e.actor.kind === 'system' ? <Badge size="xs">{t('audit.system')}</Badge> : null}
                    </Table.Td>
                    <Table.Td>
                      <Code>{e.action}</Code>
                    </Table.Td>
                    <Table.Td>
                      {e.entityType}{' '}
                      <Text span size="xs" c="dimmed">
                        {e.entityId.slice(0, 8)}
                      </Text>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </ScrollArea>
          {log.hasNextPage ? (
            <Group justify="center" p="sm">
              <Button variant="light" loading={log.isFetchingNextPage} onClick={() => void log.fetchNextPage()}>
                {t('audit.loadMore')}
              </Button>
            </Group>
          ) : null}
        </Paper>
      )}
      <EventDetail
        event={selected}
        onClose={() => setSelected(null)}
        onHistory={(e) => {
          setSelected(null);
          setEntity({ type: e.entityType, id: e.entityId });
        }}
      />
      <HistoryDrawer entity={entity} onClose={() => setEntity(null)} />
    </Stack>
  );
}
