import { useState } from 'react';
import {
  Alert,
  Badge,
  Button,
  Checkbox,
  Code,
  CopyButton,
  Group,
  Modal,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
  VisuallyHidden,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconPlus } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { SERVICE_ACCOUNT_ROLES, type ServiceAccount, type ServiceAccountRole, type ServiceAccountWithSecret } from '@yardmaster/contracts';
import { useMe } from '../../app/session';
import { api, messageOf } from '../../lib/api';
import { formatDateTime } from '../../lib/time';
import { EmptyState, ProblemAlert, QueryState } from '../../ui/States';

const keys = { all: ['service-accounts'] as const };

/** One value with a button that copies it. */
function CopyField({ label, value, testId }: { label: string; value: string; testId: string }) {
  const { t } = useTranslation();
  return (
    <Stack gap={4}>
      <Text size="sm" fw={600}>
        {label}
      </Text>
      <Group gap="xs" wrap="nowrap" align="start">
        <Code block data-testid={testId} style={{ flex: 1, wordBreak: 'break-all' }}>
          {value}
        </Code>
        <CopyButton value={value}>
          {({ copied, copy }) => (
            <Button
              size="xs"
              variant="default"
              onClick={copy}
              aria-label={copied ? t('serviceAccounts.copiedLabel', { label }) : t('serviceAccounts.copyLabel', { label })}
            >
              {copied ? t('serviceAccounts.copied') : t('serviceAccounts.copy')}
            </Button>
          )}
        </CopyButton>
      </Group>
    </Stack>
  );
}

/** The client id and secret, shown once after creating or rotating. */
function SecretNotice({ shown, onClose }: { shown: ServiceAccountWithSecret | null; onClose: () => void }) {
  const { t } = useTranslation();
  return (
    <Modal
      opened={shown !== null}
      onClose={onClose}
      title={t('serviceAccounts.secretTitle')}
      closeButtonProps={{ 'aria-label': t('common.close') }}
      size="lg"
    >
      {shown && (
        <Stack>
          <Alert color="yellow" variant="outline">
            <Text size="sm">{t('serviceAccounts.secretOnce')}</Text>
          </Alert>
          <CopyField label={t('serviceAccounts.clientId')} value={shown.clientId} testId="service-account-client-id" />
          <CopyField label={t('serviceAccounts.clientSecret')} value={shown.clientSecret} testId="service-account-secret" />
          <CopyField label={t('serviceAccounts.tokenEndpoint')} value={shown.tokenEndpoint} testId="service-account-token-endpoint" />
          <Group justify="flex-end">
            <Button onClick={onClose}>{t('serviceAccounts.done')}</Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}

function CreateServiceAccount({ onCreated }: { onCreated: (created: ServiceAccountWithSecret) => void }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [opened, setOpened] = useState(false);
  const [name, setName] = useState('');
  const [roles, setRoles] = useState<ServiceAccountRole[]>(['dispatcher']);
  const create = useMutation({
    mutationFn: () => api.post<ServiceAccountWithSecret>('/api/v1/service-accounts', { name: name.trim(), roles }),
    onSuccess: (created) => {
      void client.invalidateQueries({ queryKey: keys.all });
      setOpened(false);
      setName('');
      setRoles(['dispatcher']);
      onCreated(created);
    },
  });
  const close = () => {
    setOpened(false);
    create.reset();
  };
  return (
    <>
      <Button leftSection={<IconPlus size={16} />} onClick={() => setOpened(true)}>
        {t('serviceAccounts.new')}
      </Button>
      <Modal opened={opened} onClose={close} title={t('serviceAccounts.new')} closeButtonProps={{ 'aria-label': t('common.close') }}>
        <Stack>
          <ProblemAlert error={create.error} title={t('serviceAccounts.notCreated')} />
          <TextInput
            label={t('serviceAccounts.name')}
            description={t('serviceAccounts.nameHint')}
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            maxLength={100}
            required
          />
          <Checkbox.Group
            label={t('serviceAccounts.roles')}
            description={t('serviceAccounts.rolesHint')}
            value={roles}
            onChange={(value) => setRoles(value)}
            required
          >
            <Stack gap={6} mt={6}>
              {SERVICE_ACCOUNT_ROLES.map((role) => (
                <Checkbox key={role} value={role} label={t(`serviceAccounts.role.${role}`)} />
              ))}
            </Stack>
          </Checkbox.Group>
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              {t('common.cancel')}
            </Button>
            <Button loading={create.isPending} disabled={!name.trim() || roles.length === 0} onClick={() => create.mutate()}>
              {t('serviceAccounts.create')}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}

function RevokeButton({ account }: { account: ServiceAccount }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [opened, setOpened] = useState(false);
  const revoke = useMutation({
    mutationFn: () => api.post<ServiceAccount>(`/api/v1/service-accounts/${account.id}/revoke`),
    onSuccess: () => {
      setOpened(false);
      notifications.show({ color: 'teal', message: t('serviceAccounts.revoked', { name: account.name }) });
    },
    onSettled: () => client.invalidateQueries({ queryKey: keys.all }),
    onError: (e) => notifications.show({ color: 'red', title: t('serviceAccounts.notRevoked'), message: messageOf(e) }),
  });
  return (
    <>
      <Button
        size="compact-xs"
        variant="default"
        color="red"
        onClick={() => setOpened(true)}
        aria-label={t('serviceAccounts.revokeLabel', { name: account.name })}
      >
        {t('serviceAccounts.revoke')}
      </Button>
      <Modal
        opened={opened}
        onClose={() => setOpened(false)}
        title={t('serviceAccounts.revokeTitle', { name: account.name })}
        closeButtonProps={{ 'aria-label': t('common.close') }}
      >
        <Stack>
          <Text size="sm">{t('serviceAccounts.revokeWarning')}</Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setOpened(false)}>
              {t('common.cancel')}
            </Button>
            <Button color="red.9" loading={revoke.isPending} onClick={() => revoke.mutate()}>
              {t('serviceAccounts.revoke')}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}

/** Service accounts of integrations: create one (its secret shown once, with copy), rotate its secret, revoke it. */
export function ServiceAccountsSection() {
  const { t } = useTranslation();
  const me = useMe();
  const client = useQueryClient();
  const [shown, setShown] = useState<ServiceAccountWithSecret | null>(null);
  const list = useQuery({
    queryKey: keys.all,
    queryFn: ({ signal }) => api.get<{ items: ServiceAccount[] }>('/api/v1/service-accounts', {}, signal),
  });
  const rotate = useMutation({
    mutationFn: (id: string) => api.post<ServiceAccountWithSecret>(`/api/v1/service-accounts/${id}/rotate-secret`),
    onSuccess: (rotated) => setShown(rotated),
    onSettled: () => client.invalidateQueries({ queryKey: keys.all }),
    onError: (e) => notifications.show({ color: 'red', title: t('serviceAccounts.notRotated'), message: messageOf(e) }),
  });
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2} size="h3">
          {t('serviceAccounts.title')}
        </Title>
        <CreateServiceAccount onCreated={setShown} />
      </Group>
      <Alert color="gray" variant="outline">
        <Text size="sm">{t('serviceAccounts.intro')}</Text>
      </Alert>
      <QueryState
        query={list}
        isEmpty={(data) => data.items.length === 0}
        empty={<EmptyState title={t('serviceAccounts.emptyTitle')}>{t('serviceAccounts.empty')}</EmptyState>}
      >
        {(data) => (
          <Table data-testid="table-service-accounts" verticalSpacing={6}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('serviceAccounts.name')}</Table.Th>
                <Table.Th>{t('serviceAccounts.clientId')}</Table.Th>
                <Table.Th>{t('serviceAccounts.roles')}</Table.Th>
                <Table.Th>{t('serviceAccounts.status')}</Table.Th>
                <Table.Th>{t('serviceAccounts.lastToken')}</Table.Th>
                <Table.Th>
                  <VisuallyHidden>{t('serviceAccounts.actions')}</VisuallyHidden>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {data.items.map((account) => (
                <Table.Tr key={account.id} data-testid={`service-account-${account.clientId}`}>
                  <Table.Td>{account.name}</Table.Td>
                  <Table.Td>
                    <Code>{account.clientId}</Code>
                  </Table.Td>
                  <Table.Td>{account.roles.map((role) => t(`serviceAccounts.role.${role}`)).join(', ')}</Table.Td>
                  <Table.Td>
                    <Badge color={account.active ? 'teal.9' : 'red.9'}>
                      {account.active ? t('serviceAccounts.active') : t('serviceAccounts.revokedBadge')}
                    </Badge>
                  </Table.Td>
                  <Table.Td>{account.lastTokenAt ? formatDateTime(account.lastTokenAt, me.timeZone) : t('serviceAccounts.never')}</Table.Td>
                  <Table.Td>
                    {account.active && (
                      <Group gap="xs" justify="flex-end" wrap="nowrap">
                        <Button
                          size="compact-xs"
                          variant="default"
                          loading={rotate.isPending && rotate.variables === account.id}
                          onClick={() => rotate.mutate(account.id)}
                          aria-label={t('serviceAccounts.rotateLabel', { name: account.name })}
                        >
                          {t('serviceAccounts.rotate')}
                        </Button>
                        <RevokeButton account={account} />
                      </Group>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </QueryState>
      <SecretNotice shown={shown} onClose={() => setShown(null)} />
    </Stack>
  );
}
