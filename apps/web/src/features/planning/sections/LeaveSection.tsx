import { Badge, Button, Group, Select, Stack, Table, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import type { TimeOff } from '@yardmaster/contracts';
import { useTranslation } from 'react-i18next';
import { useMe } from '../../../app/session';
import { formErrorsOf } from '../../../lib/api';
import { DateField } from '../../../ui/DateField';
import { ProblemAlert, QueryState } from '../../../ui/States';
import { useDecideTimeOff, useRequestTimeOff, useTimeOff } from '../api';
import { FormPanel, FormProblem, useSelectOptions } from '../components/shared';

// Light badges: their text colour is app.css's light-colour (5:1 on the tint); a shade here would
// make Mantine paint the badge in that shade behind the same text.
const STATUS_COLOR: Record<TimeOff['status'], string> = {
  requested: 'yellow',
  approved: 'teal',
  declined: 'red',
  cancelled: 'gray',
};

/** Leave: a driver asks for their own, a dispatcher records anyone's and approves or declines. */
export function LeaveSection() {
  const { t } = useTranslation();
  const me = useMe();
  const isDispatcher = me.hasRole('dispatcher', 'admin');
  const mayAsk = isDispatcher || me.hasRole('driver');
  const leave = useTimeOff();
  const drivers = useSelectOptions('drivers', isDispatcher);
  const ask = useRequestTimeOff();
  const decide = useDecideTimeOff();
  const form = useForm({ initialValues: { driverId: '', firstDay: '', lastDay: '', reason: '' } });
  const submit = form.onSubmit((v) => {
    ask.mutate(
      {
        ...(isDispatcher ? { driverId: v.driverId || undefined } : {}),
        firstDay: v.firstDay,
        lastDay: v.lastDay,
        reason: v.reason.trim() || null,
      },
      {
        onSuccess: () => {
          form.reset();
          notifications.show({ color: 'teal', message: t('planning.leave.requested') });
        },
        onError: (error) => form.setErrors(formErrorsOf(error).fields),
      },
    );
  });
  const who = (l: TimeOff) => ({ driver: l.driverName, day: l.firstDay });
  return (
    <Stack>
      {mayAsk ? (
        <FormPanel title={isDispatcher ? t('planning.leave.recordTitle') : t('planning.leave.askTitle')} onSubmit={submit}>
          <Group align="flex-end">
            {isDispatcher ? (
              <Select label={t('planning.fields.driver')} searchable data={drivers} {...form.getInputProps('driverId')} />
            ) : null}
            <DateField label={t('planning.fields.firstDay')} required {...form.getInputProps('firstDay')} />
            <DateField label={t('planning.fields.lastDay')} required {...form.getInputProps('lastDay')} />
            <TextInput label={t('planning.fields.reason')} {...form.getInputProps('reason')} />
            <Button color="blue.8" type="submit" loading={ask.isPending}>
              {t('planning.leave.submit')}
            </Button>
          </Group>
          <FormProblem error={ask.error} />
        </FormPanel>
      ) : null}
      <QueryState
        query={leave}
        isEmpty={(d) => d.items.length === 0}
        empty={
          <Text size="sm" c="gray.7">
            {t('planning.leave.empty')}
          </Text>
        }
      >
        {(data) => (
          <Table striped aria-label={t('planning.leave.table')}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('planning.fields.driver')}</Table.Th>
                <Table.Th>{t('planning.fields.from')}</Table.Th>
                <Table.Th>{t('planning.fields.to')}</Table.Th>
                <Table.Th>{t('planning.fields.reason')}</Table.Th>
                <Table.Th>{t('planning.fields.status')}</Table.Th>
                <Table.Th>{t('planning.leave.decidedBy')}</Table.Th>
                <Table.Th>{t('planning.fields.actions')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {data.items.map((l) => (
                <Table.Tr key={l.id} data-testid={`leave-${l.id}`}>
                  <Table.Td>{l.driverName}</Table.Td>
                  <Table.Td>{l.firstDay}</Table.Td>
                  <Table.Td>{l.lastDay}</Table.Td>
                  <Table.Td>{l.reason ?? '—'}</Table.Td>
                  <Table.Td>
                    <Badge color={STATUS_COLOR[l.status]} variant="light">
                      {t(`planning.leave.status.${l.status}`)}
                    </Badge>
                  </Table.Td>
                  <Table.Td>{l.decidedBy ?? '—'}</Table.Td>
                  <Table.Td>
                    <Group gap="xs">
                      {isDispatcher && l.status === 'requested' ? (
                        <>
                          <Button
                            size="xs"
                            color="teal.9"
                            aria-label={t('planning.leave.approveLabel', who(l))}
                            onClick={() => decide.mutate({ id: l.id, action: 'approve' })}
                          >
                            {t('planning.leave.approve')}
                          </Button>
                          <Button
                            size="xs"
                            variant="default"
                            aria-label={t('planning.leave.declineLabel', who(l))}
                            onClick={() => decide.mutate({ id: l.id, action: 'decline' })}
                          >
                            {t('planning.leave.decline')}
                          </Button>
                        </>
                      ) : null}
                      {(l.status === 'requested' || l.status === 'approved') && mayAsk ? (
                        <Button
                          size="xs"
                          variant="default"
                          aria-label={t('planning.leave.cancelLabel', who(l))}
                          onClick={() => decide.mutate({ id: l.id, action: 'cancel' })}
                        >
                          {t('planning.leave.cancel')}
                        </Button>
                      ) : null}
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </QueryState>
      <ProblemAlert error={decide.error} />
    </Stack>
  );
}
