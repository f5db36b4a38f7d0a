import { Button, Group, MultiSelect, NumberInput, Radio, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { useTranslation } from 'react-i18next';
import { useMe } from '../../../app/session';
import { formErrorsOf } from '../../../lib/api';
import { wallTimeOf } from '../../../lib/time';
import { DateField } from '../../../ui/DateField';
import { ProblemAlert, QueryState } from '../../../ui/States';
import {
  useCreateShiftPattern,
  useDeleteShiftException,
  useDeleteShiftPattern,
  usePlanningSettings,
  usePutShiftException,
  useShiftExceptions,
  useShiftPatterns,
} from '../api';
import { FormPanel, FormProblem, useSelectOptions } from '../components/shared';
import { MaintenanceWindows } from './MaintenanceWindows';

const WEEKDAY_KEYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

function ShiftPatterns({ canEdit }: { canEdit: boolean }) {
  const { t } = useTranslation();
  const patterns = useShiftPatterns();
  const drivers = useSelectOptions('drivers');
  const create = useCreateShiftPattern();
  const remove = useDeleteShiftPattern();
  const form = useForm({
    initialValues: {
      driverId: '',
      kind: 'weekly',
      weekdays: ['1', '2', '3', '4', '5'],
      anchorDate: '',
      onDays: 4 as number | string,
      offDays: 4 as number | string,
      startTime: '07:00',
      endTime: '15:30',
      validFrom: new Date().toISOString().slice(0, 10),
    },
  });
  const submit = form.onSubmit((v) => {
    create.mutate(
      {
        driverId: v.driverId,
        kind: v.kind as 'weekly' | 'rotating',
        ...(v.kind === 'weekly'
          ? { weekdays: v.weekdays.map(Number) }
          : { anchorDate: v.anchorDate, onDays: Number(v.onDays), offDays: Number(v.offDays) }),
        startTime: v.startTime,
        endTime: v.endTime,
        validFrom: v.validFrom,
      },
      {
        onSuccess: () => notifications.show({ color: 'teal', message: t('planning.shifts.added') }),
        onError: (error) => form.setErrors(formErrorsOf(error).fields),
      },
    );
  });
  const weekdays = WEEKDAY_KEYS.map((k, i) => ({ value: String(i + 1), label: t(`planning.weekdays.${k}`) }));
  return (
    <Stack>
      {canEdit ? (
        <FormPanel title={t('planning.shifts.addTitle')} onSubmit={submit}>
          <Group align="flex-end">
            <Select label={t('planning.fields.driver')} required searchable data={drivers} {...form.getInputProps('driverId')} />
            <Select
              label={t('planning.shifts.kind')}
              data={[
                { value: 'weekly', label: t('planning.shifts.weekly') },
                { value: 'rotating', label: t('planning.shifts.rotating') },
              ]}
              {...form.getInputProps('kind')}
            />
            {form.values.kind === 'weekly' ? (
              <MultiSelect label={t('planning.shifts.weekdays')} data={weekdays} {...form.getInputProps('weekdays')} />
            ) : (
              <>
                <DateField label={t('planning.shifts.anchorDate')} {...form.getInputProps('anchorDate')} />
                <NumberInput label={t('planning.shifts.onDays')} min={1} max={60} {...form.getInputProps('onDays')} />
                <NumberInput label={t('planning.shifts.offDays')} min={0} max={60} {...form.getInputProps('offDays')} />
              </>
            )}
            <TextInput type="time" label={t('planning.fields.starts')} {...form.getInputProps('startTime')} />
            <TextInput type="time" label={t('planning.fields.ends')} {...form.getInputProps('endTime')} />
            <DateField label={t('planning.shifts.validFrom')} {...form.getInputProps('validFrom')} />
            <Button color="blue.8" type="submit" loading={create.isPending}>
              {t('planning.shifts.submit')}
            </Button>
          </Group>
          <FormProblem error={create.error} />
        </FormPanel>
      ) : null}
      <QueryState
        query={patterns}
        isEmpty={(d) => d.items.length === 0}
        empty={
          <Text size="sm" c="gray.7">
            {t('planning.shifts.empty')}
          </Text>
        }
      >
        {(data) => (
          <Table striped aria-label={t('planning.shifts.table')}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('planning.fields.driver')}</Table.Th>
                <Table.Th>{t('planning.shifts.pattern')}</Table.Th>
                <Table.Th>{t('planning.fields.from')}</Table.Th>
                <Table.Th>{t('planning.shifts.until')}</Table.Th>
                {canEdit ? <Table.Th>{t('planning.fields.actions')}</Table.Th> : null}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {data.items.map((p) => (
                <Table.Tr key={p.id}>
                  <Table.Td>{p.driverName}</Table.Td>
                  <Table.Td>{p.summary}</Table.Td>
                  <Table.Td>{p.validFrom}</Table.Td>
                  <Table.Td>{p.validUntil ?? '—'}</Table.Td>
                  {canEdit ? (
                    <Table.Td>
                      <Button
                        size="xs"
                        variant="default"
                        aria-label={t('planning.shifts.removeLabel', { pattern: p.summary, driver: p.driverName })}
                        onClick={() => remove.mutate(p.id)}
                      >
                        {t('planning.remove')}
                      </Button>
                    </Table.Td>
                  ) : null}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </QueryState>
      <ProblemAlert error={remove.error} />
    </Stack>
  );
}

/** One day that differs from the pattern: a day off, or other hours (local to the planning zone). */
function ShiftExceptions({ canEdit }: { canEdit: boolean }) {
  const { t } = useTranslation();
  const me = useMe();
  const settings = usePlanningSettings();
  const exceptions = useShiftExceptions();
  const drivers = useSelectOptions('drivers');
  const put = usePutShiftException();
  const remove = useDeleteShiftException();
  const form = useForm({
    initialValues: { driverId: '', onDate: '', kind: 'off' as 'off' | 'work', startTime: '07:00', endTime: '15:30', note: '' },
  });
  const submit = form.onSubmit((v) => {
    put.mutate(
      {
        driverId: v.driverId,
        onDate: v.onDate,
        kind: v.kind,
        ...(v.kind === 'work' ? { startTime: v.startTime, endTime: v.endTime } : {}),
        note: v.note.trim() || null,
      },
      {
        onSuccess: () => {
          notifications.show({ color: 'teal', message: t('planning.exceptions.saved') });
          form.setValues({ onDate: '', note: '' });
        },
        onError: (error) => form.setErrors(formErrorsOf(error).fields),
      },
    );
  });
  const nameOf = (id: string) => drivers.find((d) => d.value === id)?.label ?? id;
  const today = wallTimeOf(Date.now(), settings.data?.timeZone ?? me.timeZone).slice(0, 10);
  const hoursOf = (e: { kind: 'off' | 'work'; startTime: string | null; endTime: string | null }) =>
    e.kind === 'off' ? t('planning.exceptions.dayOff') : t('planning.exceptions.works', { start: e.startTime, end: e.endTime });
  return (
    <Stack>
      <Title order={3} size="h4">
        {t('planning.exceptions.title')}
      </Title>
      <Text size="sm" c="gray.7">
        {t('planning.exceptions.help', { timeZone: settings.data?.timeZone ?? me.timeZone })}
      </Text>
      {canEdit ? (
        <FormPanel title={t('planning.exceptions.addTitle')} onSubmit={submit} testId="shift-exception-form">
          <Group align="flex-end">
            <Select label={t('planning.fields.driver')} required searchable data={drivers} {...form.getInputProps('driverId')} />
            <DateField label={t('planning.exceptions.onDate')} required {...form.getInputProps('onDate')} />
            <Radio.Group label={t('planning.exceptions.kind')} {...form.getInputProps('kind')}>
              <Group gap="sm" mt={6}>
                <Radio value="off" label={t('planning.exceptions.dayOff')} />
                <Radio value="work" label={t('planning.exceptions.otherHours')} />
              </Group>
            </Radio.Group>
            {form.values.kind === 'work' ? (
              <>
                <TextInput type="time" label={t('planning.fields.starts')} required {...form.getInputProps('startTime')} />
                <TextInput type="time" label={t('planning.fields.ends')} required {...form.getInputProps('endTime')} />
              </>
            ) : null}
            <TextInput label={t('planning.fields.note')} {...form.getInputProps('note')} />
            <Button color="blue.8" type="submit" loading={put.isPending}>
              {t('planning.exceptions.submit')}
            </Button>
          </Group>
          <FormProblem error={put.error} />
        </FormPanel>
      ) : null}
      <QueryState
        query={exceptions}
        isEmpty={(d) => !d.items.some((e) => e.onDate >= today)}
        empty={
          <Text size="sm" c="gray.7">
            {t('planning.exceptions.empty')}
          </Text>
        }
      >
        {(data) => (
          <Table striped aria-label={t('planning.exceptions.table')}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('planning.fields.driver')}</Table.Th>
                <Table.Th>{t('planning.exceptions.onDate')}</Table.Th>
                <Table.Th>{t('planning.exceptions.kind')}</Table.Th>
                <Table.Th>{t('planning.fields.note')}</Table.Th>
                {canEdit ? <Table.Th>{t('planning.fields.actions')}</Table.Th> : null}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {data.items
                .filter((e) => e.onDate >= today)
                .map((e) => (
                  <Table.Tr key={e.id} data-testid={`exception-${e.id}`}>
                    <Table.Td>{nameOf(e.driverId)}</Table.Td>
                    <Table.Td>{e.onDate}</Table.Td>
                    <Table.Td>{hoursOf(e)}</Table.Td>
                    <Table.Td>{e.note ?? '—'}</Table.Td>
                    {canEdit ? (
                      <Table.Td>
                        <Button
                          size="xs"
                          variant="default"
                          aria-label={t('planning.exceptions.removeLabel', { driver: nameOf(e.driverId), day: e.onDate })}
                          onClick={() => remove.mutate(e.id)}
                        >
                          {t('planning.remove')}
                        </Button>
                      </Table.Td>
                    ) : null}
                  </Table.Tr>
                ))}
            </Table.Tbody>
          </Table>
        )}
      </QueryState>
      <ProblemAlert error={remove.error} />
    </Stack>
  );
}

/** Shifts (patterns and the days that differ) and planned maintenance windows. */
export function ShiftsSection() {
  const me = useMe();
  const canEdit = me.hasRole('dispatcher', 'admin');
  return (
    <Stack gap="xl">
      <ShiftPatterns canEdit={canEdit} />
      <ShiftExceptions canEdit={canEdit} />
      <MaintenanceWindows canEdit={canEdit} />
    </Stack>
  );
}
