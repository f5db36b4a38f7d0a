import { useState, type ReactNode } from 'react';
import { Button, Group, Modal, SegmentedControl, Select, Stack, Text, Textarea } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useTranslation } from 'react-i18next';
import { messageOf } from '../../../lib/api';

export type DialogField =
  | { kind: 'reason'; label: string; required: boolean }
  | { kind: 'priority' }
  | { kind: 'select'; name: string; label: string; options: { value: string; label: string }[]; required: boolean };

export type DialogValues = { reason: string; priority: string; [name: string]: string };

/**
 * Tells the dispatcher how a command they already see applied on the board ended: a short note
 * when the server confirms it, the server's reason (kept on screen) when it refused and the board
 * went back.
 */
export function reportOutcome(work: Promise<unknown>, done: string, failed: string): void {
  work.then(
    () => notifications.show({ color: 'teal', message: done }),
    (error: unknown) =>
      notifications.show({ color: 'red', title: failed, message: messageOf(error), autoClose: false, 'data-testid': 'command-refused' }),
  );
}

/**
 * A confirm dialog for one dispatcher action. The action is applied optimistically: the dialog
 * closes at once, the board shows the change, and a refusal puts the board back and says why.
 */
export function ActionDialog({
  opened,
  title,
  description,
  fields,
  confirmLabel,
  danger,
  initial,
  doneMessage,
  failedTitle,
  onSubmit,
  onClose,
  children,
}: {
  opened: boolean;
  title: string;
  description?: ReactNode;
  fields: DialogField[];
  confirmLabel: string;
  danger?: boolean;
  initial?: Partial<DialogValues>;
  doneMessage: string;
  failedTitle: string;
  onSubmit: (values: DialogValues) => Promise<unknown>;
  onClose: () => void;
  children?: ReactNode;
}) {
  const { t } = useTranslation();
  const [values, setValues] = useState<DialogValues>({ reason: '', priority: 'standard', ...initial } as DialogValues);
  const missing = fields.some(
    (f) => (f.kind === 'reason' && f.required && !values.reason.trim()) || (f.kind === 'select' && f.required && !values[f.name]),
  );
  return (
    <Modal opened={opened} onClose={onClose} title={title} returnFocus={false}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (missing) return;
          reportOutcome(onSubmit(values), doneMessage, failedTitle);
          onClose();
        }}
      >
        <Stack gap="sm">
          {description ? <Text size="sm">{description}</Text> : null}
          {fields.map((f) => {
            switch (f.kind) {
              case 'reason':
                return (
                  <Textarea
                    key="reason"
                    label={f.label}
                    withAsterisk={f.required}
                    autosize
                    minRows={2}
                    value={values.reason}
                    onChange={(e) => setValues({ ...values, reason: e.currentTarget.value })}
                    data-autofocus
                  />
                );
              case 'priority':
                return (
                  <SegmentedControl
                    key="priority"
                    value={values.priority}
                    onChange={(v) => setValues({ ...values, priority: v })}
                    data={(['urgent', 'standard', 'low'] as const).map((p) => ({ value: p, label: t(`priority.${p}`) }))}
                  />
                );
              case 'select':
                return (
                  <Select
                    key={f.name}
                    label={f.label}
                    withAsterisk={f.required}
                    searchable
                    data={f.options}
                    value={values[f.name] ?? null}
                    onChange={(v) => setValues({ ...values, [f.name]: v ?? '' })}
                    nothingFoundMessage={t('common.none')}
                  />
                );
            }
          })}
          {children}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              {t('common.close')}
            </Button>
            <Button type="submit" color={danger ? 'red.8' : undefined} disabled={missing}>
              {confirmLabel}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
