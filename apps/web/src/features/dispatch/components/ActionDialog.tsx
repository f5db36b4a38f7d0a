import { useState, type ReactNode } from 'react';
import { Button, Group, Modal, SegmentedControl, Select, Stack, Text, Textarea } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation } from '@tanstack/react-query';
import { ProblemAlert } from '../../../ui/States';

export type DialogField =
  | { kind: 'reason'; label: string; required: boolean }
  | { kind: 'priority' }
  | { kind: 'select'; name: string; label: string; options: { value: string; label: string }[]; required: boolean };

export type DialogValues = { reason: string; priority: string; [name: string]: string };

/**
 * A confirm dialog for one dispatcher action. It stays open and shows the server's problem detail
 * when the action is refused (a stale version, a driver lacking a qualification…).
 */
export function ActionDialog({
  opened,
  title,
  description,
  fields,
  confirmLabel,
  danger,
  initial,
  onSubmit,
  onClose,
}: {
  opened: boolean;
  title: string;
  description?: ReactNode;
  fields: DialogField[];
  confirmLabel: string;
  danger?: boolean;
  initial?: Partial<DialogValues>;
  onSubmit: (values: DialogValues) => Promise<unknown>;
  onClose: () => void;
}) {
  const [values, setValues] = useState<DialogValues>({ reason: '', priority: 'standard', ...initial } as DialogValues);
  const run = useMutation({
    mutationFn: onSubmit,
    onSuccess: () => {
      notifications.show({ color: 'teal', message: `${title}: done` });
      onClose();
    },
  });
  const missing = fields.some((f) => (f.kind === 'reason' && f.required && !values.reason.trim()) || (f.kind === 'select' && f.required && !values[f.name]));
  return (
    <Modal opened={opened} onClose={onClose} title={title}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (!missing) run.mutate(values);
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
                    data={[
                      { value: 'urgent', label: 'Urgent' },
                      { value: 'standard', label: 'Standard' },
                      { value: 'low', label: 'Low' },
                    ]}
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
                    nothingFoundMessage="Nothing available"
                  />
                );
            }
          })}
          <ProblemAlert error={run.error} title="The server refused" />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Close
            </Button>
            <Button type="submit" color={danger ? 'red' : undefined} loading={run.isPending} disabled={missing}>
              {confirmLabel}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
