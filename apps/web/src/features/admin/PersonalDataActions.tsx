import { useState } from 'react';
import { Alert, Button, Code, Group, Modal, Stack, Text, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { IconDownload, IconUserX } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { ErasureResult, Membership } from '@yardmaster/contracts';
import { api, download, formErrorsOf, messageOf } from '../../lib/api';

const ERASED = /^erased-[0-9a-f]{12}$/;

/**
 * A person's personal data (GDPR), on their row of Users and roles: export everything held about
 * them as JSON, and erase them (deactivated; their name and e-mail replaced by a pseudonym across
 * their records and the audit trail) after typing their e-mail address (or name) to confirm.
 */
export function PersonalDataActions({ member }: { member: Membership }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  // The name the dialog was opened for: after the erasure the list shows the pseudonym instead.
  const [erasing, setErasing] = useState<string | null>(null);
  const [confirm, setConfirm] = useState('');
  const [exporting, setExporting] = useState(false);
  const [done, setDone] = useState<ErasureResult | null>(null);
  const label = member.name || member.email || member.subject || member.id;
  const expected = member.email ?? member.name;
  const erase = useMutation({
    mutationFn: () => api.post<ErasureResult>(`/api/v1/users/${member.id}/erasure`, { confirm }),
    onSuccess: (result) => {
      setDone(result);
      void client.invalidateQueries({ queryKey: ['users'] });
    },
  });
  const fieldError = erase.error ? formErrorsOf(erase.error, ['confirm']).fields.confirm : undefined;
  const close = () => {
    setErasing(null);
    setConfirm('');
    setDone(null);
    erase.reset();
  };
  const exportData = () => {
    setExporting(true);
    download(`/api/v1/users/${member.id}/personal-data`, `personal-data-${member.id}.json`)
      .catch((e: unknown) => notifications.show({ color: 'red', message: messageOf(e) }))
      .finally(() => setExporting(false));
  };
  return (
    <Group gap={4} wrap="nowrap">
      <Button
        size="compact-sm"
        variant="subtle"
        leftSection={<IconDownload size={14} />}
        loading={exporting}
        onClick={exportData}
        aria-label={t('privacy.exportFor', { name: label })}
      >
        {t('privacy.export')}
      </Button>
      {ERASED.test(member.name) ? null : (
        <Button
          size="compact-sm"
          variant="subtle"
          color="red"
          leftSection={<IconUserX size={14} />}
          onClick={() => setErasing(label)}
          aria-label={t('privacy.eraseFor', { name: label })}
        >
          {t('privacy.erase')}
        </Button>
      )}
      <Modal opened={erasing !== null} onClose={close} title={t('privacy.eraseTitle', { name: erasing ?? label })}>
        {done ? (
          <Stack>
            <Alert color="teal" title={t('privacy.erasedTitle')}>
              <Text size="sm">
                {t('privacy.erasedBody')} <Code>{done.pseudonym}</Code>
              </Text>
              {done.legacyAuditEventsKept > 0 ? (
                <Text size="sm" mt="xs">
                  {t('privacy.legacyKept', { count: done.legacyAuditEventsKept })}
                </Text>
              ) : null}
            </Alert>
            <Group justify="flex-end">
              <Button onClick={close}>{t('common.done')}</Button>
            </Group>
          </Stack>
        ) : (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              erase.mutate();
            }}
            noValidate
          >
            <Stack>
              <Text size="sm">{t('privacy.eraseExplain')}</Text>
              <TextInput
                label={member.email ? t('privacy.confirmEmail', { value: expected }) : t('privacy.confirmName', { value: expected })}
                value={confirm}
                onChange={(e) => setConfirm(e.currentTarget.value)}
                error={fieldError}
                // Mantine's default red (red.6) is 3.3:1 on white, for the message and the typed text; red.8 meets WCAG AA.
                styles={{
                  error: { color: 'var(--mantine-color-red-8)' },
                  input: fieldError ? { color: 'var(--mantine-color-red-8)' } : {},
                }}
                autoComplete="off"
                data-autofocus
              />
              {erase.error && !fieldError ? (
                <Alert color="red" role="alert">
                  {messageOf(erase.error)}
                </Alert>
              ) : null}
              <Group justify="flex-end">
                <Button variant="default" onClick={close}>
                  {t('privacy.cancel')}
                </Button>
                <Button type="submit" color="red" loading={erase.isPending} disabled={confirm.trim() === ''}>
                  {t('privacy.eraseConfirm')}
                </Button>
              </Group>
            </Stack>
          </form>
        )}
      </Modal>
    </Group>
  );
}
