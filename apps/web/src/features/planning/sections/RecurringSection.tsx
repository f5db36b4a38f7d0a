import { useState } from 'react';
import { Badge, Button, Group, NumberInput, Paper, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import type { CapacityCheck, Occurrence, RecurringWorkOrder } from '@yardmaster/contracts';
import { useTranslation } from 'react-i18next';
import { useMe } from '../../../app/session';
import { instantOfWallTime } from '../../../lib/time';
import { QueryState } from '../../../ui/States';
import { useCapacityPreview, useCreateRecurring, usePlanningSettings, useRecurring } from '../api';
import { CapacityNotice } from '../components/CapacityNotice';
import { EditOccurrenceDialog } from '../components/EditOccurrenceDialog';
import { FormPanel, FormProblem, flatFieldErrors, useSelectOptions } from '../components/shared';
import { sayLocal } from '../model';

// Dark enough for WCAG AA on their light backgrounds.
const OCCURRENCE_COLOR: Record<Occurrence['status'], string> = { created: 'blue.9', detached: 'grape.9', skipped: 'dark.6' };

function NewRecurringWork({ timeZone }: { timeZone: string }) {
  const { t } = useTranslation();
  const me = useMe();
  const sites = useSelectOptions('sites');
  const types = useSelectOptions('equipment-types');
  const create = useCreateRecurring();
  const form = useForm({
    initialValues: {
      description: '',
      siteId: '',
      equipmentTypeId: '',
      quantity: 1 as number | string,
      rule: 'FREQ=WEEKLY;BYDAY=MO',
      localStart: '',
    },
  });
  const v = form.values;
  const quantity = Number(v.quantity);
  const check: CapacityCheck | null =
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(v.localStart) &&
    v.equipmentTypeId &&
    Number.isInteger(quantity) &&
    quantity >= 1 &&
    quantity <= 100
      ? { at: new Date(instantOfWallTime(v.localStart, timeZone)).toISOString(), lines: [{ equipmentTypeId: v.equipmentTypeId, quantity }] }
      : null;
  const preview = useCapacityPreview(check);
  const submit = form.onSubmit((values) => {
    create.mutate(
      {
        rule: values.rule,
        localStart: values.localStart,
        workOrder: {
          siteId: values.siteId,
          description: values.description,
          priority: 'standard',
          lines: [{ equipmentTypeId: values.equipmentTypeId, quantity: Number(values.quantity) }],
        },
      },
      {
        onSuccess: (s) => {
          notifications.show({ color: 'teal', message: t('planning.recurring.saved', { count: s.occurrences.length }) });
          form.reset();
        },
        onError: (error) => form.setErrors(flatFieldErrors(error, 'workOrder.')),
      },
    );
  });
  return (
    <FormPanel title={t('planning.recurring.newTitle')} onSubmit={submit} testId="recurring-form">
      <Stack gap="sm">
        <TextInput label={t('planning.fields.description')} required {...form.getInputProps('description')} />
        <Group align="flex-end">
          <Select label={t('planning.fields.site')} required searchable data={sites} {...form.getInputProps('siteId')} />
          <Select label={t('planning.fields.equipmentType')} required searchable data={types} {...form.getInputProps('equipmentTypeId')} />
          <NumberInput label={t('planning.fields.quantity')} min={1} max={100} {...form.getInputProps('quantity')} />
        </Group>
        <Group align="flex-end">
          <TextInput
            label={t('planning.fields.rule')}
            required
            description={t('planning.recurring.ruleHelp')}
            {...form.getInputProps('rule')}
          />
          <TextInput
            type="datetime-local"
            label={t('planning.recurring.firstOccurrence')}
            description={t('planning.localTimeIn', { timeZone })}
            required
            {...form.getInputProps('localStart')}
          />
          <Button color="blue.8" type="submit" loading={create.isPending}>
            {t('planning.recurring.submit')}
          </Button>
        </Group>
        {check ? <CapacityNotice preview={preview} at={check.at} timeZone={me.timeZone} /> : null}
        <FormProblem error={create.error} />
      </Stack>
    </FormPanel>
  );
}

function SeriesCard({ series, canEdit, names }: { series: RecurringWorkOrder; canEdit: boolean; names: Map<string, string> }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  const [editing, setEditing] = useState<Occurrence | null>(null);
  const skipped = series.occurrences.filter((o) => o.status === 'skipped').length;
  const tableId = `occurrences-${series.id}`;
  return (
    <Paper withBorder p="sm" data-testid={`series-${series.id}`}>
      <Group justify="space-between" align="flex-start">
        <div>
          <Text fw={600}>{series.description}</Text>
          <Text size="sm" c="gray.8">
            {t('planning.recurring.ruleFrom', { rule: series.rule, start: sayLocal(series.localStart) })}
            {' · '}
            {names.get(series.siteId) ?? ''}
            {series.parentId ? ` · ${t('planning.recurring.continues')}` : ''}
          </Text>
          <Group gap="xs" mt={4}>
            {series.ended ? (
              <Badge color="gray" variant="light">
                {t('planning.recurring.ended')}
              </Badge>
            ) : null}
            <Text size="sm">{t('planning.recurring.counts', { count: series.occurrences.length - skipped, skipped })}</Text>
          </Group>
        </div>
        <Button
          size="xs"
          variant="default"
          aria-expanded={open}
          aria-controls={tableId}
          aria-label={t(open ? 'planning.recurring.hideLabel' : 'planning.recurring.showLabel', { description: series.description })}
          onClick={() => setOpen((o) => !o)}
        >
          {open ? t('planning.recurring.hide') : t('planning.recurring.show')}
        </Button>
      </Group>
      {open ? (
        <Table id={tableId} mt="sm" striped aria-label={t('planning.recurring.occurrencesOf', { description: series.description })}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('planning.recurring.when')}</Table.Th>
              <Table.Th>{t('planning.fields.status')}</Table.Th>
              <Table.Th>{t('planning.fields.note')}</Table.Th>
              {canEdit ? <Table.Th>{t('planning.fields.actions')}</Table.Th> : null}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {series.occurrences.map((o) => (
              <Table.Tr key={o.id} data-testid={`occurrence-${o.id}`} data-status={o.status}>
                <Table.Td>{sayLocal(o.localStart)}</Table.Td>
                <Table.Td>
                  <Badge color={OCCURRENCE_COLOR[o.status]} variant="outline">
                    {t(`planning.recurring.status.${o.status}`)}
                  </Badge>
                </Table.Td>
                <Table.Td>{o.skippedReason ?? '—'}</Table.Td>
                {canEdit ? (
                  <Table.Td>
                    {o.status === 'skipped' ? null : (
                      <Button
                        size="xs"
                        variant="default"
                        aria-label={t('planning.recurring.editLabel', { when: sayLocal(o.localStart) })}
                        onClick={() => setEditing(o)}
                      >
                        {t('planning.recurring.edit')}
                      </Button>
                    )}
                  </Table.Td>
                ) : null}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      ) : null}
      {editing ? <EditOccurrenceDialog series={series} occurrence={editing} onClose={() => setEditing(null)} /> : null}
    </Paper>
  );
}

/** Recurring work: a new series (with the capacity check before saving) and every series' occurrences, skipped ones included. */
export function RecurringSection() {
  const { t } = useTranslation();
  const me = useMe();
  const canEdit = me.hasRole('dispatcher', 'admin');
  const settings = usePlanningSettings();
  const series = useRecurring();
  const sites = useSelectOptions('sites');
  const names = new Map(sites.map((s) => [s.value, s.label]));
  return (
    <Stack>
      {canEdit ? <NewRecurringWork timeZone={settings.data?.timeZone ?? me.timeZone} /> : null}
      <Title order={3} size="h4">
        {t('planning.recurring.listTitle')}
      </Title>
      <QueryState
        query={series}
        isEmpty={(d) => d.items.length === 0}
        empty={
          <Text size="sm" c="gray.7">
            {t('planning.recurring.empty')}
          </Text>
        }
      >
        {(data) => (
          <Stack gap="sm">
            {data.items.map((s) => (
              <SeriesCard key={s.id} series={s} canEdit={canEdit} names={names} />
            ))}
          </Stack>
        )}
      </QueryState>
    </Stack>
  );
}
