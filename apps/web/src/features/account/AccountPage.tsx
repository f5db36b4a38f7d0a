import { useState } from 'react';
import { Badge, Button, Group, Modal, Paper, PasswordInput, Stack, Table, Text, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { useTranslation } from 'react-i18next';
import { formErrorsOf, isProblemError } from '../../lib/api';
import { useMe, useSession } from '../../app/session';
import { ErrorState, LoadingState, ProblemAlert } from '../../ui/States';
import { useChangePassword, useMySessions, useSignOutEverywhere } from './api';

type PasswordForm = { currentPassword: string; newPassword: string; confirm: string };

function ChangePasswordCard() {
  const { t } = useTranslation();
  const change = useChangePassword();
  const [rest, setRest] = useState<unknown>(null);
  const form = useForm<PasswordForm>({
    mode: 'uncontrolled',
    initialValues: { currentPassword: '', newPassword: '', confirm: '' },
    validate: {
      currentPassword: (v) => (v ? null : t('account.password.currentRequired')),
      newPassword: (v) => (v ? null : t('account.password.newRequired')),
      confirm: (v, values) => (v === values.newPassword ? null : t('account.password.mismatch')),
    },
  });
  const submit = form.onSubmit((values) => {
    setRest(null);
    change.mutate(
      { currentPassword: values.currentPassword, newPassword: values.newPassword },
      {
        onSuccess: () => {
          form.reset();
          notifications.show({ color: 'teal', message: t('account.password.changed') });
        },
        onError: (error) => {
          const { fields, rest: other } = formErrorsOf(error, ['currentPassword', 'newPassword']);
          form.setErrors(fields);
          setRest(other.length ? error : null);
        },
      },
    );
  });
  return (
    <Paper withBorder p="md">
      {/* Errors in a darker red than the theme's: 4.5:1 on white (axe). */}
      <form onSubmit={submit} noValidate aria-labelledby="change-password-title" className="ym-strong-errors">
        <Stack gap="sm" maw={420}>
          <Title order={3} id="change-password-title">
            {t('account.password.title')}
          </Title>
          <Text size="sm" c="dimmed">
            {t('account.password.policy')}
          </Text>
          {rest ? <ProblemAlert error={rest} /> : null}
          <PasswordInput
            label={t('account.password.current')}
            autoComplete="current-password"
            key={form.key('currentPassword')}
            {...form.getInputProps('currentPassword')}
          />
          <PasswordInput
            label={t('account.password.new')}
            autoComplete="new-password"
            key={form.key('newPassword')}
            {...form.getInputProps('newPassword')}
          />
          <PasswordInput
            label={t('account.password.confirm')}
            autoComplete="new-password"
            key={form.key('confirm')}
            {...form.getInputProps('confirm')}
          />
          <Group>
            <Button type="submit" loading={change.isPending}>
              {t('account.password.submit')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Paper>
  );
}

function SessionsCard() {
  const { t, i18n } = useTranslation();
  const sessions = useMySessions();
  const signOutAll = useSignOutEverywhere();
  const { signOut } = useSession();
  const [confirming, setConfirming] = useState(false);
  const when = (iso: string) => new Date(iso).toLocaleString(i18n.language, { dateStyle: 'medium', timeStyle: 'short' });
  const everywhere = () =>
    signOutAll.mutate(undefined, {
      // This session ended too: leave through the provider's sign-out like the header button.
      onSuccess: () => void signOut(),
    });
  return (
    <Paper withBorder p="md">
      <Stack gap="sm">
        <Group justify="space-between">
          <Title order={3}>{t('account.sessions.title')}</Title>
          <Button color="red" variant="light" onClick={() => setConfirming(true)} disabled={!sessions.data}>
            {t('account.sessions.signOutEverywhere')}
          </Button>
        </Group>
        <Text size="sm" c="dimmed">
          {t('account.sessions.help', { count: 3 })}
        </Text>
        {sessions.isPending ? (
          <LoadingState />
        ) : sessions.error ? (
          isProblemError(sessions.error) && sessions.error.status === 404 ? (
            <Text size="sm">{t('account.external')}</Text>
          ) : (
            <ErrorState error={sessions.error} onRetry={() => void sessions.refetch()} />
          )
        ) : (
          <Table data-testid="my-sessions" verticalSpacing="xs">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('account.sessions.device')}</Table.Th>
                <Table.Th>{t('account.sessions.signedIn')}</Table.Th>
                <Table.Th>{t('account.sessions.lastUsed')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {sessions.data.items.map((s) => (
                <Table.Tr key={s.id}>
                  <Table.Td>
                    <Group gap="xs" wrap="nowrap">
                      <Text size="sm" lineClamp={1} title={s.userAgent ?? undefined}>
                        {s.userAgent ?? t('account.sessions.unknownDevice')}
                      </Text>
                      {s.current ? (
                        <Badge size="sm" variant="light">
                          {t('account.sessions.thisDevice')}
                        </Badge>
                      ) : null}
                    </Group>
                  </Table.Td>
                  <Table.Td>{when(s.signedInAt)}</Table.Td>
                  <Table.Td>{when(s.lastUsedAt)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </Stack>
      <Modal opened={confirming} onClose={() => setConfirming(false)} title={t('account.sessions.confirmTitle')}>
        <Stack>
          <Text size="sm">{t('account.sessions.confirmText')}</Text>
          {signOutAll.error ? <ProblemAlert error={signOutAll.error} /> : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setConfirming(false)}>
              {t('common.cancel')}
            </Button>
            <Button color="red" loading={signOutAll.isPending} onClick={everywhere}>
              {t('account.sessions.signOutEverywhere')}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Paper>
  );
}

/** The signed-in person's own account: password and where they are signed in. */
export function AccountPage() {
  const { t } = useTranslation();
  const me = useMe();
  return (
    <Stack>
      <Title order={2}>{t('account.title')}</Title>
      <Text>
        {me.name}
        {me.email ? ` · ${me.email}` : ''}
      </Text>
      <ChangePasswordCard />
      <SessionsCard />
    </Stack>
  );
}
