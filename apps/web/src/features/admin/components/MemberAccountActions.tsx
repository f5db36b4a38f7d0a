import { useState } from 'react';
import { Alert, Button, CopyButton, Group, Menu, Modal, Stack, Text, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconDots } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import type { InvitationLink, InvitedMember, Membership } from '@yardmaster/contracts';
import { api } from '../../../lib/api';
import { ProblemAlert } from '../../../ui/States';

type Action = 'reinvite' | 'revoke' | 'signOut' | 'deactivate' | 'reactivate';

/**
 * The invitation link the server returned, above the users table for the admin to pass on (it is
 * e-mailed too when SMTP is set up). Not a dialog: it stays while the admin copies it.
 */
export function InvitationLinkPanel({ invitation, email, onClose }: { invitation: InvitationLink; email: string; onClose: () => void }) {
  const { t, i18n } = useTranslation();
  return (
    <Alert
      variant="default"
      data-testid="invitation-panel"
      title={t('members.link.title')}
      withCloseButton
      closeButtonLabel={t('common.close')}
      onClose={onClose}
    >
      <Stack gap="xs">
        <Text size="sm">{t('members.link.help', { email })}</Text>
        <Group gap="xs" align="flex-end">
          <TextInput label={t('members.link.label')} value={invitation.url} readOnly data-testid="invitation-url" style={{ flex: 1 }} />
          <CopyButton value={invitation.url}>
            {({ copied, copy }) => (
              <Button variant="light" onClick={copy}>
                {copied ? t('members.link.copied') : t('members.link.copy')}
              </Button>
            )}
          </CopyButton>
        </Group>
        <Text size="xs">
          {t('members.link.expires', {
            when: new Date(invitation.expiresAt).toLocaleString(i18n.language, { dateStyle: 'medium', timeStyle: 'short' }),
          })}
        </Text>
      </Stack>
    </Alert>
  );
}

/**
 * A tenant admin's account actions on one member: re-invite or revoke a pending invitation,
 * sign the person out everywhere, deactivate or reactivate. Each asks first and says what it does.
 */
export function MemberAccountActions({
  member,
  onInvited,
}: {
  member: Membership;
  onInvited: (link: InvitationLink, email: string) => void;
}) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [asking, setAsking] = useState<Action | null>(null);
  const run = useMutation({
    mutationFn: async (action: Action): Promise<InvitationLink | null> => {
      switch (action) {
        case 'reinvite': {
          const invited = await api.post<InvitedMember>('/api/v1/users', {
            email: member.email,
            name: member.name,
            roles: member.roles,
            regions: member.regions,
          });
          return invited.invitation;
        }
        case 'revoke':
          await api.post(`/api/v1/users/${member.id}/revoke-invitation`);
          return null;
        case 'signOut':
          await api.post(`/api/v1/users/${member.id}/sign-out`);
          return null;
        case 'deactivate':
        case 'reactivate':
          await api.patch(`/api/v1/users/${member.id}`, { active: action === 'reactivate' }, member.version);
          return null;
      }
    },
    onSuccess: async (invitation, action) => {
      await client.invalidateQueries({ queryKey: ['users'] });
      notifications.show({ color: 'teal', message: t(`members.done.${action}`, { name: member.name || member.email }) });
      setAsking(null);
      if (invitation) onInvited(invitation, member.email ?? '');
    },
  });
  const actions: Action[] = member.pending
    ? member.active
      ? ['reinvite', 'revoke']
      : ['reinvite']
    : member.active
      ? ['signOut', 'deactivate']
      : ['reactivate'];
  const who = member.name || member.email || '';
  return (
    <>
      <Menu position="bottom-end" withinPortal>
        <Menu.Target>
          <Button
            size="compact-sm"
            variant="subtle"
            aria-label={t('members.actionsFor', { name: who })}
            leftSection={<IconDots size={14} />}
          >
            {t('members.actions')}
          </Button>
        </Menu.Target>
        <Menu.Dropdown>
          {actions.map((action) => (
            <Menu.Item
              key={action}
              color={action === 'deactivate' || action === 'revoke' ? 'red' : undefined}
              onClick={() => {
                run.reset();
                setAsking(action);
              }}
            >
              {t(`members.action.${action}`)}
            </Menu.Item>
          ))}
        </Menu.Dropdown>
      </Menu>
      <Modal opened={asking !== null} onClose={() => setAsking(null)} title={asking ? t(`members.action.${asking}`) : ''}>
        {asking ? (
          <Stack>
            <Text size="sm">{t(`members.confirm.${asking}`, { name: who })}</Text>
            {run.error ? <ProblemAlert error={run.error} /> : null}
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setAsking(null)}>
                {t('common.cancel')}
              </Button>
              <Button
                color={asking === 'deactivate' || asking === 'revoke' || asking === 'signOut' ? 'red' : undefined}
                loading={run.isPending}
                onClick={() => run.mutate(asking)}
              >
                {t(`members.action.${asking}`)}
              </Button>
            </Group>
          </Stack>
        ) : null}
      </Modal>
    </>
  );
}
