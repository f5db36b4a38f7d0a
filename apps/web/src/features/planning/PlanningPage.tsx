import { useState } from 'react';
import {
  Alert,
  Badge,
  Button,
  Group,
  MultiSelect,
  NumberInput,
  Paper,
  Select,
  SegmentedControl,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { IconDownload } from '@tabler/icons-react';
import { useNavigate, useParams } from 'react-router';
import type { CapacityResult, TimeOff } from '@yardmaster/contracts';
import { useMe } from '../../app/session';
import { formErrorsOf, messageOf } from '../../lib/api';
import { formatDateTime } from '../../lib/time';
import { ErrorState, LoadingState, ProblemAlert } from '../../ui/States';
import {
  downloadForecast,
  useCancelMaintenanceWindow,
  useCapacityCheck,
  useCreateMaintenanceWindow,
  useCreateRecurring,
  useCreateShiftPattern,
  useDecideTimeOff,
  useDeleteShiftPattern,
  useForecast,
  useMaintenanceWindows,
  useOptions,
  useRecurring,
  useRequestTimeOff,
  useShiftPatterns,
  useTimeOff,
} from './api';

// Shades dark enough for WCAG AA contrast (4.5:1) on white and on their light backgrounds.
const STATUS_COLOR: Record<TimeOff['status'], string> = {
  requested: 'yellow.9',
  approved: 'teal.9',
  declined: 'red.9',
  cancelled: 'gray.8',
};
const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].map((label, i) => ({ value: String(i + 1), label }));

// --- leave

function LeaveSection() {
  const me = useMe();
  const isDispatcher = me.hasRole('dispatcher', 'admin');
  const leave = useTimeOff();
  const drivers = useOptions('drivers', isDispatcher);
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
          notifications.show({ color: 'teal', message: 'Leave requested' });
        },
        onError: (error) => form.setErrors(formErrorsOf(error).fields),
      },
    );
  });
  return (
    <Stack>
      {me.hasRole('viewer') && !isDispatcher && !me.hasRole('driver') ? null : (
        <Paper withBorder p="md" component="form" onSubmit={submit} aria-label="Request leave">
          <Title order={3} size="h4" mb="sm">
            {isDispatcher ? 'Record leave for a driver' : 'Ask for leave'}
          </Title>
          <Group align="flex-end">
            {isDispatcher ? (
              <Select
                label="Driver"
                searchable
                data={(drivers.data?.items ?? []).map((d) => ({ value: d.id, label: d.name ?? d.id }))}
                {...form.getInputProps('driverId')}
              />
            ) : null}
            <TextInput type="date" label="First day" required {...form.getInputProps('firstDay')} />
            <TextInput type="date" label="Last day" required {...form.getInputProps('lastDay')} />
            <TextInput label="Reason" {...form.getInputProps('reason')} />
            <Button color="blue.8" type="submit" loading={ask.isPending}>
              Request leave
            </Button>
          </Group>
          {ask.error && Object.keys(formErrorsOf(ask.error).fields).length === 0 ? <ProblemAlert error={ask.error} /> : null}
        </Paper>
      )}
      {leave.isLoading ? (
        <LoadingState />
      ) : leave.error ? (
        <ErrorState error={leave.error} />
      ) : (leave.data?.items.length ?? 0) === 0 ? (
        <Text size="sm" c="gray.7">
          No leave requests.
        </Text>
      ) : (
        <Table striped aria-label="Leave requests">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Driver</Table.Th>
              <Table.Th>From</Table.Th>
              <Table.Th>To</Table.Th>
              <Table.Th>Reason</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Decided by</Table.Th>
              <Table.Th>Actions</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {leave.data?.items.map((l) => (
              <Table.Tr key={l.id} data-testid={`leave-${l.id}`}>
                <Table.Td>{l.driverName}</Table.Td>
                <Table.Td>{l.firstDay}</Table.Td>
                <Table.Td>{l.lastDay}</Table.Td>
                <Table.Td>{l.reason ?? '—'}</Table.Td>
                <Table.Td>
                  <Badge color={STATUS_COLOR[l.status]} variant="light">
                    {l.status}
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
                          aria-label={`Approve leave of ${l.driverName} from ${l.firstDay}`}
                          onClick={() => decide.mutate({ id: l.id, action: 'approve' })}
                        >
                          Approve
                        </Button>
                        <Button
                          size="xs"
                          variant="default"
                          aria-label={`Decline leave of ${l.driverName} from ${l.firstDay}`}
                          onClick={() => decide.mutate({ id: l.id, action: 'decline' })}
                        >
                          Decline
                        </Button>
                      </>
                    ) : null}
                    {(l.status === 'requested' || l.status === 'approved') && (isDispatcher || me.hasRole('driver')) ? (
                      <Button
                        size="xs"
                        variant="default"
                        aria-label={`Cancel leave of ${l.driverName} from ${l.firstDay}`}
                        onClick={() => decide.mutate({ id: l.id, action: 'cancel' })}
                      >
                        Cancel
                      </Button>
                    ) : null}
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {decide.error ? <ProblemAlert error={decide.error} /> : null}
    </Stack>
  );
}

// --- shifts and maintenance windows

function ShiftsSection() {
  const me = useMe();
  const canEdit = me.hasRole('dispatcher', 'admin');
  const patterns = useShiftPatterns();
  const drivers = useOptions('drivers');
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
        onSuccess: () => notifications.show({ color: 'teal', message: 'Shift pattern added' }),
        onError: (error) => form.setErrors(formErrorsOf(error).fields),
      },
    );
  });
  return (
    <Stack>
      {canEdit ? (
        <Paper withBorder p="md" component="form" onSubmit={submit} aria-label="Add a shift pattern">
          <Title order={3} size="h4" mb="sm">
            Add a shift pattern
          </Title>
          <Group align="flex-end">
            <Select
              label="Driver"
              required
              searchable
              data={(drivers.data?.items ?? []).map((d) => ({ value: d.id, label: d.name ?? d.id }))}
              {...form.getInputProps('driverId')}
            />
            <Select
              label="Kind"
              data={[
                { value: 'weekly', label: 'Weekly' },
                { value: 'rotating', label: 'Rotating (N on, M off)' },
              ]}
              {...form.getInputProps('kind')}
            />
            {form.values.kind === 'weekly' ? (
              <MultiSelect label="Weekdays" data={WEEKDAYS} {...form.getInputProps('weekdays')} />
            ) : (
              <>
                <TextInput type="date" label="First day on" {...form.getInputProps('anchorDate')} />
                <NumberInput label="Days on" min={1} max={60} {...form.getInputProps('onDays')} />
                <NumberInput label="Days off" min={0} max={60} {...form.getInputProps('offDays')} />
              </>
            )}
            <TextInput type="time" label="Starts" {...form.getInputProps('startTime')} />
            <TextInput type="time" label="Ends" {...form.getInputProps('endTime')} />
            <TextInput type="date" label="Valid from" {...form.getInputProps('validFrom')} />
            <Button color="blue.8" type="submit" loading={create.isPending}>
              Add shift
            </Button>
          </Group>
          {create.error && Object.keys(formErrorsOf(create.error).fields).length === 0 ? <ProblemAlert error={create.error} /> : null}
        </Paper>
      ) : null}
      {patterns.isLoading ? (
        <LoadingState />
      ) : patterns.error ? (
        <ErrorState error={patterns.error} />
      ) : (patterns.data?.items.length ?? 0) === 0 ? (
        <Text size="sm" c="gray.7">
          No shift patterns. Drivers without a pattern are available whenever they are on duty.
        </Text>
      ) : (
        <Table striped aria-label="Shift patterns">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Driver</Table.Th>
              <Table.Th>Pattern</Table.Th>
              <Table.Th>From</Table.Th>
              <Table.Th>Until</Table.Th>
              {canEdit ? <Table.Th>Actions</Table.Th> : null}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {patterns.data?.items.map((p) => (
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
                      aria-label={`Remove ${p.summary} of ${p.driverName}`}
                      onClick={() => remove.mutate(p.id)}
                    >
                      Remove
                    </Button>
                  </Table.Td>
                ) : null}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <MaintenanceWindows />
    </Stack>
  );
}

function MaintenanceWindows() {
  const me = useMe();
  const canEdit = me.hasRole('dispatcher', 'admin');
  const windows = useMaintenanceWindows();
  const equipment = useOptions('equipment');
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
        Planned maintenance windows
      </Title>
      {canEdit ? (
        <form onSubmit={submit} aria-label="Plan a maintenance window">
          <Group align="flex-end">
            <Select
              label="Machine"
              required
              searchable
              data={(equipment.data?.items ?? []).map((e) => ({ value: e.id, label: e.assetTag ?? e.id }))}
              {...form.getInputProps('equipmentId')}
            />
            <TextInput type="datetime-local" label="Starts" required {...form.getInputProps('startsAt')} />
            <TextInput type="datetime-local" label="Ends" required {...form.getInputProps('endsAt')} />
            <TextInput label="Reason" required {...form.getInputProps('reason')} />
            <Button color="blue.8" type="submit" loading={create.isPending}>
              Plan window
            </Button>
          </Group>
        </form>
      ) : null}
      {windows.data && windows.data.items.length > 0 ? (
        <Table striped aria-label="Maintenance windows">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Machine</Table.Th>
              <Table.Th>From</Table.Th>
              <Table.Th>To</Table.Th>
              <Table.Th>Reason</Table.Th>
              <Table.Th>Status</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {windows.data.items.map((w) => (
              <Table.Tr key={w.id}>
                <Table.Td>{w.assetTag}</Table.Td>
                <Table.Td>{formatDateTime(w.startsAt, me.timeZone)}</Table.Td>
                <Table.Td>{formatDateTime(w.endsAt, me.timeZone)}</Table.Td>
                <Table.Td>{w.reason}</Table.Td>
                <Table.Td>
                  {w.cancelled ? (
                    'cancelled'
                  ) : canEdit ? (
                    <Button size="xs" variant="default" onClick={() => cancel.mutate(w.id)} aria-label={`Cancel window of ${w.assetTag}`}>
                      Cancel
                    </Button>
                  ) : (
                    'planned'
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      ) : (
        <Text size="sm" c="gray.7">
          No planned windows.
        </Text>
      )}
    </Stack>
  );
}

// --- recurring work with the capacity check before saving

function RecurringSection() {
  const me = useMe();
  const canEdit = me.hasRole('dispatcher', 'admin');
  const series = useRecurring();
  const sites = useOptions('sites', canEdit);
  const types = useOptions('equipment-types', canEdit);
  const check = useCapacityCheck();
  const create = useCreateRecurring();
  const [checked, setChecked] = useState<CapacityResult | null>(null);
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
  const input = () => {
    const v = form.values;
    return {
      rule: v.rule,
      localStart: v.localStart,
      workOrder: {
        siteId: v.siteId,
        description: v.description,
        priority: 'standard' as const,
        lines: [{ equipmentTypeId: v.equipmentTypeId, quantity: Number(v.quantity) }],
      },
    };
  };
  const runCheck = () => {
    const v = form.values;
    if (!v.localStart || !v.equipmentTypeId) return;
    check.mutate(
      { at: new Date(v.localStart).toISOString(), lines: [{ equipmentTypeId: v.equipmentTypeId, quantity: Number(v.quantity) }] },
      { onSuccess: setChecked },
    );
  };
  const submit = form.onSubmit(() => {
    create.mutate(input(), {
      onSuccess: (s) => {
        notifications.show({ color: 'teal', message: `Recurring work saved: ${s.occurrences.length} occurrence(s) created` });
        form.reset();
        setChecked(null);
      },
      onError: (error) =>
        form.setErrors(Object.fromEntries(Object.entries(formErrorsOf(error).fields).map(([k, m]) => [k.replace(/^workOrder\./, ''), m]))),
    });
  });
  return (
    <Stack>
      {canEdit ? (
        <Paper withBorder p="md" component="form" onSubmit={submit} aria-label="Recurring work order">
          <Title order={3} size="h4" mb="sm">
            New recurring work
          </Title>
          <Stack gap="sm">
            <TextInput label="Description" required {...form.getInputProps('description')} />
            <Group align="flex-end">
              <Select
                label="Site"
                required
                searchable
                data={(sites.data?.items ?? []).map((s) => ({ value: s.id, label: s.name ?? s.id }))}
                {...form.getInputProps('siteId')}
              />
              <Select
                label="Equipment type"
                required
                searchable
                data={(types.data?.items ?? []).map((t) => ({ value: t.id, label: t.code ?? t.id }))}
                {...form.getInputProps('equipmentTypeId')}
              />
              <NumberInput label="Quantity" min={1} max={100} {...form.getInputProps('quantity')} />
            </Group>
            <Group align="flex-end">
              <TextInput
                label="Rule (RFC 5545 RRULE)"
                required
                description="e.g. FREQ=WEEKLY;BYDAY=MO,WE"
                {...form.getInputProps('rule')}
              />
              <TextInput type="datetime-local" label="First occurrence (local time)" required {...form.getInputProps('localStart')} />
              <Button variant="default" onClick={runCheck} loading={check.isPending}>
                Check capacity
              </Button>
              <Button color="blue.8" type="submit" loading={create.isPending}>
                Save recurring work
              </Button>
            </Group>
            {checked ? (
              checked.ok ? (
                <Alert color="teal.9" title="Capacity looks fine" data-testid="capacity-result">
                  {checked.lines
                    .map((l) => `${l.typeCode}: ${l.machines} machine(s), ${l.drivers} qualified driver(s) free then`)
                    .join('; ')}
                </Alert>
              ) : (
                <Alert color="orange.9" title="Capacity warning — check before saving" data-testid="capacity-result">
                  {checked.warnings.map((w) => (
                    <Text key={w} size="sm">
                      {w}
                    </Text>
                  ))}
                </Alert>
              )
            ) : null}
            {create.error && Object.keys(formErrorsOf(create.error).fields).length === 0 ? <ProblemAlert error={create.error} /> : null}
          </Stack>
        </Paper>
      ) : null}
      {series.isLoading ? (
        <LoadingState />
      ) : series.error ? (
        <ErrorState error={series.error} />
      ) : (series.data?.items.length ?? 0) === 0 ? (
        <Text size="sm" c="gray.7">
          No recurring work.
        </Text>
      ) : (
        <Table striped aria-label="Recurring work">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Description</Table.Th>
              <Table.Th>Rule</Table.Th>
              <Table.Th>Occurrences</Table.Th>
              <Table.Th>Skipped</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {series.data?.items.map((s) => (
              <Table.Tr key={s.id}>
                <Table.Td>{s.description}</Table.Td>
                <Table.Td>
                  {s.rule} from {s.localStart.replace('T', ' ')}
                  {s.ended ? ' (ended)' : ''}
                </Table.Td>
                <Table.Td>{s.occurrences.filter((o) => o.status !== 'skipped').length}</Table.Td>
                <Table.Td>
                  {s.occurrences
                    .filter((o) => o.status === 'skipped')
                    .map((o) => `${o.localStart.replace('T', ' ')}${o.skippedReason ? ` (${o.skippedReason})` : ''}`)
                    .join(', ') || '—'}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}

// --- forecast

function ForecastSection() {
  const [days, setDays] = useState(14);
  const forecast = useForecast(days);
  return (
    <Stack>
      <Group align="flex-end">
        <NumberInput
          label="Days ahead"
          min={1}
          max={90}
          value={days}
          onChange={(v) => setDays(Math.min(90, Math.max(1, Number(v) || 14)))}
          w={140}
        />
        <Button
          variant="default"
          leftSection={<IconDownload size={16} />}
          onClick={() => {
            downloadForecast(days).catch((e: unknown) => notifications.show({ color: 'red', message: messageOf(e) }));
          }}
        >
          Export CSV
        </Button>
      </Group>
      {forecast.isLoading ? (
        <LoadingState />
      ) : forecast.error ? (
        <ErrorState error={forecast.error} />
      ) : forecast.data ? (
        <>
          <Title order={3} size="h4">
            Days with too few qualified drivers on shift
          </Title>
          {forecast.data.problems.length === 0 ? (
            <Text size="sm" c="gray.7">
              No shortfall ahead. Scheduled and recurring work has enough qualified drivers on shift for the next {days} days.
            </Text>
          ) : (
            <Stack gap="xs" data-testid="forecast-problems">
              {forecast.data.problems.map((p) => (
                <Alert key={`${p.day}-${p.equipmentTypeId}`} color="orange.9" variant="light">
                  {p.message}
                </Alert>
              ))}
            </Stack>
          )}
          <Title order={3} size="h4">
            Qualifications expiring
          </Title>
          {forecast.data.expiries.length === 0 ? (
            <Text size="sm" c="gray.7">
              None in the next {days} days.
            </Text>
          ) : (
            <Table striped aria-label="Qualifications expiring">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Driver</Table.Th>
                  <Table.Th>Qualification</Table.Th>
                  <Table.Th>Expires on</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {forecast.data.expiries.map((e) => (
                  <Table.Tr key={`${e.driverId}-${e.qualificationCode}`}>
                    <Table.Td>{e.driverName}</Table.Td>
                    <Table.Td>{e.qualificationCode}</Table.Td>
                    <Table.Td>{e.expiresOn}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
        </>
      ) : null}
    </Stack>
  );
}

const SECTIONS = [
  { value: 'leave', label: 'Leave' },
  { value: 'shifts', label: 'Shifts and maintenance' },
  { value: 'recurring', label: 'Recurring work' },
  { value: 'forecast', label: 'Forecast' },
] as const;

/** Planning: leave requests and approvals, shifts and maintenance windows, recurring work, the qualification forecast. Drivers see their leave only. */
export function PlanningPage() {
  const me = useMe();
  const navigate = useNavigate();
  const params = useParams();
  const onlyDriver = !me.hasRole('admin', 'dispatcher', 'viewer');
  const sections = onlyDriver ? SECTIONS.filter((s) => s.value === 'leave') : SECTIONS;
  const section = sections.find((s) => s.value === params.section)?.value ?? 'leave';
  return (
    <Stack data-testid="planning-page">
      <Title order={2}>Planning</Title>
      {sections.length > 1 ? (
        <SegmentedControl
          aria-label="Planning section"
          data={[...sections]}
          value={section}
          onChange={(v) => {
            void navigate(`/planning/${v}`);
          }}
        />
      ) : null}
      {section === 'leave' ? (
        <LeaveSection />
      ) : section === 'shifts' ? (
        <ShiftsSection />
      ) : section === 'recurring' ? (
        <RecurringSection />
      ) : (
        <ForecastSection />
      )}
    </Stack>
  );
}
