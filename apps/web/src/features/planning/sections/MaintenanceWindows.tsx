import { Button, Group, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useTranslation } from 'react-i18next';
import { useMe } from '../../../app/session';
import { formErrorsOf } from '../../../lib/api';
import { formatDateTime } from '../../../lib/time';
import { ProblemAlert, QueryState } from '../../../ui/States';
import { useCancelMaintenanceWindow, useCreateMaintenanceWindow, useMaintenanceWindows } from '../api';
import { FormProblem, useSelectOptions } from '../components/shared';

/** Planned maintenance windows: a machine out of the plan between two instants, with a reason. */
export function MaintenanceWindows({ canEdit }: { canEdit: boolean }) {
  const { t } = useTranslation();
  const me = useMe();
  const windows = useMaintenanceWindows();
  const equipment = useSelectOptions('equipment');
  const create = useCreateMaintenanceWindow();
  const cancel = useCancelMaintenanceWindow();
  const form = useForm({ initialValues: { equipmentId: '', startsAt: '', endsAt: '', reason: '' } });
  const submit = form.onSubmit((v) => {
    const iso = (s: string) => (s ? new Date(s).toISOString() : s);
    create.mutate(
      { equipmentId: v.equipmentId, startsAt: iso(v.startsAt), endsAt: iso(v.endsAt), reason: v.reason },
      { onSuccess: () => form.reset(), onError: (error) => form.setErrors(formErrorsOf(error).fields) },
    );
  });
  return (
    <Stack>
      <Title order={3} size="h4">
        {t('planning.windows.title')}
      </Title>
      {canEdit ? (
        <form onSubmit={submit} aria-label={t('planning.windows.formLabel')}>
          <Group align="flex-end">
            <Select label={t('planning.fields.machine')} required searchable data={equipment} {...form.getInputProps('equipmentId')} />
            <TextInput type="datetime-local" label={t('planning.fields.starts')} required {...form.getInputProps('startsAt')} />
            <TextInput type="datetime-local" label={t('planning.fields.ends')} required {...form.getInputProps('endsAt')} />
            <TextInput label={t('planning.fields.reason')} required {...form.getInputProps('reason')} />
            <Button color="blue.8" type="submit" loading={create.isPending}>
              {t('planning.windows.submit')}
            </Button>
          </Group>
          <FormProblem error={create.error} />
        </form>
      ) : null}
      <QueryState
        query={windows}
        isEmpty={(d) => d.items.length === 0}
        empty={
          <Text size="sm" c="gray.7">
            {t('planning.windows.empty')}
          </Text>
        }
      >
        {(data) => (
          <Table striped aria-label={t('planning.windows.table')}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('planning.fields.machine')}</Table.Th>
                <Table.Th>{t('planning.fields.from')}</Table.Th>
                <Table.Th>{t('planning.fields.to')}</Table.Th>
                <Table.Th>{t('planning.fields.reason')}</Table.Th>
                <Table.Th>{t('planning.fields.status')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {data.items.map((w) => (
                <Table.Tr key={w.id}>
                  <Table.Td>{w.assetTag}</Table.Td>
                  <Table.Td>{formatDateTime(w.startsAt, me.timeZone)}</Table.Td>
                  <Table.Td>{formatDateTime(w.endsAt, me.timeZone)}</Table.Td>
                  <Table.Td>{w.reason}</Table.Td>
                  <Table.Td>
                    {w.cancelled ? (
                      t('planning.windows.cancelled')
                    ) : canEdit ? (
                      <Button
                        size="xs"
                        variant="default"
                        onClick={() => cancel.mutate(w.id)}
                        aria-label={t('planning.windows.cancelLabel', { machine: w.assetTag })}
                      >
                        {t('planning.windows.cancel')}
                      </Button>
                    ) : (
                      t('planning.windows.planned')
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </QueryState>
      <ProblemAlert error={cancel.error} />
    </Stack>
  );
}
