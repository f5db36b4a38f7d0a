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

function VerifyPanel() {
  const verify = useVerifyChain();
  const me = useMe();
  if (!me.hasRole('admin')) return null;
  return (
    <Paper withBorder p="md">
      <Group justify="space-between">
        <Stack gap={2}>
          <Text fw={600}>Chain verification</Text>
          <Text size="sm" c="dimmed">
            Re-walks every event's hash chain and names the first broken link.
          </Text>
        </Stack>
        <Button leftSection={<IconShieldCheck size={16} />} loading={verify.isPending} onClick={() => verify.mutate()}>
          Verify chain
        </Button>
      </Group>
      {verify.error ? <ProblemAlert error={verify.error} /> : null}
      {verify.data ? (
        verify.data.ok ? (
          <Alert mt="sm" color="teal" title="Chain intact" data-testid="verify-result">
            {verify.data.checked} events checked; head #{verify.data.headSequence} <Code>{verify.data.headHash.slice(0, 16)}…</Code>
          </Alert>
        ) : (
          <Alert mt="sm" color="red" title="Chain broken" data-testid="verify-result">
            First broken link at event #{verify.data.firstBroken?.sequence} ({verify.data.firstBroken?.check}): expected{' '}
            <Code>{verify.data.firstBroken?.expected}</Code>, found <Code>{verify.data.firstBroken?.found}</Code>.
          </Alert>
        )
      ) : null}
    </Paper>
  );
}

function EventDetail({ event, onClose, onHistory }: { event: AuditEvent | null; onClose: () => void; onHistory: (e: AuditEvent) => void }) {
  const me = useMe();
  return (
    <Drawer opened={event !== null} onClose={onClose} position="right" size="lg" title={event ? `Event #${event.sequence}` : ''}>
      {event ? (
        <Stack gap="sm">
          <Text>
            <b>{event.action}</b> on {event.entityType} <Code>{event.entityId}</Code>
          </Text>
          <Text size="sm">
            {formatDateTime(event.occurredAt, me.timeZone)} by {event.actor.name} (
            {event.actor.kind === 'system' ? 'system' : event.actor.roles.join(', ')})
          </Text>
          <Text size="xs" c="dimmed">
            request {event.requestId ?? '—'} · from {event.sourceIp ?? '—'}
          </Text>
          <SimpleGrid cols={2}>
            <Stack gap={4}>
              <Text size="sm" fw={600}>
                Before
              </Text>
              <Code block>{JSON.stringify(event.before, null, 2)}</Code>
            </Stack>
            <Stack gap={4}>
              <Text size="sm" fw={600}>
                After
              </Text>
              <Code block>{JSON.stringify(event.after, null, 2)}</Code>
            </Stack>
          </SimpleGrid>
          <Text size="xs" c="dimmed" style={{ wordBreak: 'break-all' }}>
            hash {event.hash}
          </Text>
          <Button variant="light" onClick={() => onHistory(event)}>
            Full history of this {event.entityType}
          </Button>
        </Stack>
      ) : null}
    </Drawer>
  );
}

function HistoryDrawer({ entity, onClose }: { entity: { type: string; id: string } | null; onClose: () => void }) {
  const history = useEntityHistory(entity?.type ?? '', entity?.id ?? '');
  const me = useMe();
  return (
    <Drawer
      opened={entity !== null}
      onClose={onClose}
      position="right"
      size="lg"
      title={entity ? `History of ${entity.type} ${entity.id}` : ''}
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
  const me = useMe();
  const form = useForm<FilterForm>({ initialValues: { entityType: '', entityId: '', actor: '', action: '', from: '', to: '' } });
  const [filter, setFilter] = useState<AuditFilter>({});
  const log = useAuditLog(filter);
  const [selected, setSelected] = useState<AuditEvent | null>(null);
  const [entity, setEntity] = useState<{ type: string; id: string } | null>(null);
  const events = log.data?.pages.flatMap((p) => p.items) ?? [];

  const doExport = (format: 'csv' | 'jsonl') => {
    exportAudit(filter, format).catch((error: unknown) =>
      notifications.show({ color: 'red', title: 'Export failed', message: messageOf(error) }),
    );
  };

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Audit log</Title>
        <Group gap="xs">
          <Button variant="default" leftSection={<IconDownload size={16} />} onClick={() => doExport('csv')}>
            CSV
          </Button>
          <Button variant="default" leftSection={<IconDownload size={16} />} onClick={() => doExport('jsonl')}>
            JSON lines
          </Button>
        </Group>
      </Group>
      <VerifyPanel />
      <Paper withBorder p="md" component="form" onSubmit={form.onSubmit((v) => setFilter(toFilter(v)))}>
        <SimpleGrid cols={{ base: 1, sm: 3, lg: 6 }}>
          <TextInput label="Entity type" placeholder="equipment" {...form.getInputProps('entityType')} />
          <TextInput label="Entity id" {...form.getInputProps('entityId')} />
          <TextInput label="Actor (subject)" {...form.getInputProps('actor')} />
          <TextInput label="Action" placeholder="dispatch.dispatched" {...form.getInputProps('action')} />
          <TextInput label="From" type="datetime-local" {...form.getInputProps('from')} />
          <TextInput label="To" type="datetime-local" {...form.getInputProps('to')} />
        </SimpleGrid>
        <Group mt="sm" gap="xs">
          <Button type="submit">Filter</Button>
          <Button
            variant="subtle"
            onClick={() => {
              form.reset();
              setFilter({});
            }}
          >
            Clear
          </Button>
        </Group>
      </Paper>
      {log.isPending ? (
        <LoadingState />
      ) : log.error ? (
        <ErrorState error={log.error} onRetry={() => void log.refetch()} />
      ) : events.length === 0 ? (
        <EmptyState title="No audit events">Nothing matches these filters.</EmptyState>
      ) : (
        <Paper withBorder>
          <ScrollArea>
            <Table striped highlightOnHover data-testid="audit-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>#</Table.Th>
                  <Table.Th>Time ({me.timeZone})</Table.Th>
                  <Table.Th>Actor</Table.Th>
                  <Table.Th>Action</Table.Th>
                  <Table.Th>Entity</Table.Th>
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
                      {e.actor.name} {e.actor.kind === 'system' ? <Badge size="xs">system</Badge> : null}
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
                Load more
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
