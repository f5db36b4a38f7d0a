import { useState } from 'react';
import { Alert, Badge, Button, Code, Group, Modal, Paper, Stack, Switch, Table, Text, TextInput, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconPlus } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { CreatedWebhook, Webhook, WebhookDelivery } from '@yardmaster/contracts';
import { useTranslation } from 'react-i18next';
import { useMe } from '../../app/session';
import { api, messageOf } from '../../lib/api';
import { formatDateTime } from '../../lib/time';
import { EmptyState, ErrorState, LoadingState, ProblemAlert, QueryState } from '../../ui/States';

const keys = {
  all: ['webhooks'] as const,
  deliveries: (id: string) => ['webhooks', id, 'deliveries'] as const,
};

const STATUS_COLOR: Record<WebhookDelivery['status'], string> = { pending: 'dark', delivered: 'teal.9', dead: 'red.9' };

/** The signing secret is shown once, when created or rotated: say so and let it be copied. */
function SecretNotice({ created, onClose }: { created: CreatedWebhook | null; onClose: () => void }) {
  const { t } = useTranslation();
  return (
    <Modal
      opened={created !== null}
      onClose={onClose}
      title={t('webhooks.secret.title')}
      closeButtonProps={{ 'aria-label': t('common.close') }}
    >
      <Stack>
        <Text size="sm">{t('webhooks.secret.copyNow')}</Text>
        <Code block data-testid="webhook-secret">
          {created?.secret}
        </Code>
        <Group justify="flex-end">
          <Button onClick={onClose}>{t('webhooks.secret.done')}</Button>
        </Group>
      </Stack>
    </Modal>
  );
}

function CreateWebhook({ onCreated }: { onCreated: (w: CreatedWebhook) => void }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [opened, setOpened] = useState(false);
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState('*');
  const create = useMutation({
    mutationFn: () => api.post<CreatedWebhook>('/api/v1/webhooks', { url: url.trim(), eventTypes: events.split(/[\s,]+/).filter(Boolean) }),
    onSuccess: (w) => {
      void client.invalidateQueries({ queryKey: keys.all });
      setOpened(false);
      setUrl('');
      onCreated(w);
    },
  });
  return (
    <>
      <Button leftSection={<IconPlus size={16} />} onClick={() => setOpened(true)}>
        {t('webhooks.new')}
      </Button>
      <Modal
        opened={opened}
        onClose={() => setOpened(false)}
        title={t('webhooks.new')}
        closeButtonProps={{ 'aria-label': t('common.close') }}
      >
        <Stack>
          <ProblemAlert error={create.error} title={t('webhooks.notCreated')} />
          <TextInput
            label={t('webhooks.url')}
            placeholder="https://example.com/hooks/yardmaster"
            value={url}
            onChange={(e) => setUrl(e.currentTarget.value)}
            required
          />
          <TextInput
            label={t('webhooks.eventTypes')}
            description={t('webhooks.eventTypesHelp')}
            value={events}
            onChange={(e) => setEvents(e.currentTarget.value)}
          />
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setOpened(false)}>
              {t('common.cancel')}
            </Button>
            <Button loading={create.isPending} disabled={!url.trim()} onClick={() => create.mutate()}>
              {t('webhooks.create')}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}

function Deliveries({ hook, timeZone }: { hook: Webhook; timeZone: string }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const list = useQuery({
    queryKey: keys.deliveries(hook.id),
    queryFn: ({ signal }) => api.get<{ items: WebhookDelivery[] }>(`/api/v1/webhooks/${hook.id}/deliveries`, { limit: 20 }, signal),
    refetchInterval: 3000,
  });
  const replay = useMutation({
    mutationFn: (id: string) => api.post<WebhookDelivery>(`/api/v1/webhook-deliveries/${id}/replay`),
    onSuccess: () => client.invalidateQueries({ queryKey: keys.deliveries(hook.id) }),
    onError: (e) => notifications.show({ color: 'red', title: t('webhooks.notSentAgain'), message: messageOf(e) }),
  });
  if (list.error) return <ErrorState error={list.error} />;
  if (!list.data) return <LoadingState />;
  if (list.data.items.length === 0) return <Text size="sm">{t('webhooks.noDeliveries')}</Text>;
  return (
    <Table data-testid={`deliveries-${hook.id}`} verticalSpacing={4}>
      <Table.Thead>
        <Table.Tr>
          <Table.Th>{t('webhooks.table.event')}</Table.Th>
          <Table.Th>{t('webhooks.table.status')}</Table.Th>
          <Table.Th>{t('webhooks.table.attempts')}</Table.Th>
          <Table.Th>{t('webhooks.table.lastError')}</Table.Th>
          <Table.Th>{t('webhooks.table.created')}</Table.Th>
          <Table.Th />
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {list.data.items.map((d) => (
          <Table.Tr key={d.id}>
            <Table.Td>{d.eventType}</Table.Td>
            <Table.Td>
              <Badge color={STATUS_COLOR[d.status]}>{t(`webhooks.status.${d.status}`)}</Badge>
            </Table.Td>
            <Table.Td>{d.attempts}</Table.Td>
            <Table.Td>{d.lastError ?? '—'}</Table.Td>
            <Table.Td>{formatDateTime(d.createdAt, timeZone)}</Table.Td>
            <Table.Td>
              <Button
                size="compact-xs"
                variant="default"
                loading={replay.isPending && replay.variables === d.id}
                onClick={() => replay.mutate(d.id)}
              >
                {t('webhooks.sendAgain')}
              </Button>
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

function WebhookCard({ hook, onSecret, timeZone }: { hook: Webhook; onSecret: (w: CreatedWebhook) => void; timeZone: string }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const fail = (title: string) => (e: unknown) => notifications.show({ color: 'red', title, message: messageOf(e) });
  const test = useMutation({
    mutationFn: () => api.post<WebhookDelivery>(`/api/v1/webhooks/${hook.id}/test`),
    onSuccess: () => {
      notifications.show({ color: 'teal', message: t('webhooks.testQueued') });
      void client.invalidateQueries({ queryKey: keys.deliveries(hook.id) });
    },
    onError: fail(t('webhooks.testNotSent')),
  });
  const rotate = useMutation({
    mutationFn: () => api.post<CreatedWebhook>(`/api/v1/webhooks/${hook.id}/rotate-secret`, undefined, { version: hook.version }),
    onSuccess: (w) => {
      void client.invalidateQueries({ queryKey: keys.all });
      onSecret(w);
    },
    onError: fail(t('webhooks.secretNotChanged')),
  });
  const toggle = useMutation({
    mutationFn: (active: boolean) => api.patch<Webhook>(`/api/v1/webhooks/${hook.id}`, { active }, hook.version),
    onSettled: () => client.invalidateQueries({ queryKey: keys.all }),
    onError: fail(t('common.notChanged')),
  });
  const remove = useMutation({
    mutationFn: () => api.delete(`/api/v1/webhooks/${hook.id}`),
    onSettled: () => client.invalidateQueries({ queryKey: keys.all }),
    onError: fail(t('webhooks.notDeleted')),
  });
  return (
    <Paper withBorder p="md" data-testid={`webhook-${hook.id}`}>
      <Group justify="space-between" align="start">
        <div>
          <Text fw={700}>{hook.url}</Text>
          <Text size="sm">{t('webhooks.events', { events: hook.eventTypes.join(', ') })}</Text>
        </div>
        <Group gap="xs">
          <Switch label={t('webhooks.active')} checked={hook.active} onChange={(e) => toggle.mutate(e.currentTarget.checked)} />
          <Button size="xs" variant="default" loading={test.isPending} onClick={() => test.mutate()}>
            {t('webhooks.sendTest')}
          </Button>
          <Button size="xs" variant="default" loading={rotate.isPending} onClick={() => rotate.mutate()}>
            {t('webhooks.rotate')}
          </Button>
          <Button size="xs" variant="default" color="red" onClick={() => remove.mutate()}>
            {t('webhooks.delete')}
          </Button>
        </Group>
      </Group>
      <Title order={4} size="h6" mt="sm" mb={4}>
        {t('webhooks.log')}
      </Title>
      <Deliveries hook={hook} timeZone={timeZone} />
    </Paper>
  );
}

/** Outbound webhooks: subscribe a receiver, send it a test, read the delivery log, send a delivery again, rotate the signing secret. */
export function WebhooksSection() {
  const { t } = useTranslation();
  const me = useMe();
  const [secret, setSecret] = useState<CreatedWebhook | null>(null);
  const list = useQuery({
    queryKey: keys.all,
    queryFn: ({ signal }) => api.get<{ items: Webhook[] }>('/api/v1/webhooks', { limit: 100 }, signal),
  });
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2} size="h3">
          {t('webhooks.title')}
        </Title>
        <CreateWebhook onCreated={setSecret} />
      </Group>
      <Alert color="gray" variant="outline">
        <Text size="sm">{t('webhooks.intro')}</Text>
      </Alert>
      <QueryState
        query={list}
        isEmpty={(data) => data.items.length === 0}
        empty={<EmptyState title={t('webhooks.none')}>{t('webhooks.noneHelp')}</EmptyState>}
      >
        {(data) => data.items.map((hook) => <WebhookCard key={hook.id} hook={hook} onSecret={setSecret} timeZone={me.timeZone} />)}
      </QueryState>
      <SecretNotice created={secret} onClose={() => setSecret(null)} />
    </Stack>
  );
}
