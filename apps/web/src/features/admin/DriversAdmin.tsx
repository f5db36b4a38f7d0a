import { useState } from 'react';
import { Button, Group, Modal, Stack, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconArchive, IconCalendar } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import type { Driver, Membership } from '@yardmaster/contracts';
import { useMe } from '../../app/session';
import { api, messageOf, request } from '../../lib/api';
import { formatDate } from '../../lib/time';
import { DateField } from '../../ui/DateField';
import { ProblemAlert } from '../../ui/States';
import { ResourceAdmin, type ResourceSpec } from './components/ResourceAdmin';

/*
 * Administration → Drivers, on top of the generic resource table: the sign-in a driver uses is
 * chosen from the tenant's people (not pasted as a subject), each ticket shows its expiry (expired
 * ones in red, "expired on …"), expiry dates are edited in one dialog, and a driver can be archived.
 */

type Option = { value: string; label: string };
/** The picker's "no sign-in" choice (Mantine's Select wants a non-empty value). */
const NO_SIGN_IN = '__none__';
const subjectOf = (value: unknown): string => (typeof value === 'string' && value !== NO_SIGN_IN ? value : '');
const DRIVERS_KEY = ['people', 'drivers'];

/** The tenant's people who have signed in at least once (their subject is known), drivers first. */
export function usePeopleOptions(): { options: Option[]; nameOf: (subject: string | null) => string | null } {
  const { t } = useTranslation();
  const members = useQuery({
    queryKey: ['users', 'people-picker'],
    queryFn: ({ signal }) => api.get<{ items: Membership[] }>('/api/v1/users', { limit: 500, active: 'true' }, signal),
    staleTime: 30_000,
  });
  const people = (members.data?.items ?? [])
    .filter((m): m is Membership & { subject: string } => m.subject !== null)
    .sort((a, b) => Number(b.roles.includes('driver')) - Number(a.roles.includes('driver')) || a.name.localeCompare(b.name));
  const options = [
    { value: NO_SIGN_IN, label: t('drivers.noSignIn') },
    ...people.map((m) => ({ value: m.subject, label: m.email ? `${m.name || m.email} (${m.email})` : m.name || m.subject })),
  ];
  return {
    options,
    nameOf: (subject) => (subject ? (people.find((m) => m.subject === subject)?.name ?? t('drivers.otherSignIn')) : null),
  };
}

/** Each ticket with its expiry: "expired on …" in red once past, "expires on …" otherwise. */
export function QualificationExpiry({ driver }: { driver: Driver }) {
  const { t } = useTranslation();
  const { timeZone } = useMe();
  if (driver.qualifications.length === 0) {
    return (
      <Text size="sm" c="dimmed">
        {t('drivers.noQualifications')}
      </Text>
    );
  }
  return (
    <Stack gap={2} data-testid="driver-qualifications">
      {driver.qualifications.map((q) =>
        q.expiresAt === null ? (
          <Text key={q.qualificationId} size="sm" data-testid="qualification-no-expiry">
            {t('drivers.noExpiry', { code: q.code })}
          </Text>
        ) : q.expired || new Date(q.expiresAt).getTime() <= Date.now() ? (
          <Text key={q.qualificationId} size="sm" c="red.9" fw={600} data-testid="qualification-expired">
            {t('qualifications.expired', { code: q.code, date: formatDate(q.expiresAt, timeZone) })}
          </Text>
        ) : (
          <Text key={q.qualificationId} size="sm" data-testid="qualification-expiring">
            {t('qualifications.expires', { code: q.code, date: formatDate(q.expiresAt, timeZone) })}
          </Text>
        ),
      )}
    </Stack>
  );
}

/** The calendar day of an instant in the tenant's time zone, as an input's `YYYY-MM-DD`. */
function dayIn(value: string | null, timeZone: string): string {
  if (!value) return '';
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(
    new Date(value),
  );
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/** The end of that day in the tenant's time zone (a ticket is valid through its expiry day). */
function endOfDayIn(day: string, timeZone: string): string {
  const [y, m, d] = day.split('-').map(Number);
  const utcGuess = Date.UTC(y ?? 1970, (m ?? 1) - 1, d ?? 1, 23, 59, 59);
  // The tenant zone's offset at that moment, applied once (good to the minute except across a change of offset that night).
  const local = new Date(new Date(utcGuess).toLocaleString('en-US', { timeZone }));
  const utc = new Date(new Date(utcGuess).toLocaleString('en-US', { timeZone: 'UTC' }));
  return new Date(utcGuess - (local.getTime() - utc.getTime())).toISOString();
}

function ExpiryDialog({ driver, onClose }: { driver: Driver; onClose: () => void }) {
  const { t } = useTranslation();
  const { timeZone } = useMe();
  const client = useQueryClient();
  const [days, setDays] = useState<Record<string, string>>(() =>
    Object.fromEntries(driver.qualifications.map((q) => [q.qualificationId, dayIn(q.expiresAt, timeZone)])),
  );
  const save = useMutation({
    mutationFn: () =>
      request(`/api/v1/drivers/${driver.id}`, {
        method: 'PATCH',
        version: driver.version,
        body: {
          qualifications: driver.qualifications.map((q) => ({
            qualificationId: q.qualificationId,
            expiresAt: days[q.qualificationId] ? endOfDayIn(days[q.qualificationId] ?? '', timeZone) : null,
          })),
        },
      }),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: DRIVERS_KEY });
      notifications.show({ color: 'teal', message: t('drivers.expirySaved', { name: driver.name }) });
      onClose();
    },
  });
  return (
    <Modal opened onClose={onClose} title={t('drivers.expiryTitle', { name: driver.name })}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate();
        }}
      >
        <Stack gap="sm">
          {save.error ? <ProblemAlert error={save.error} /> : null}
          <Text size="sm">{t('drivers.expiryHelp')}</Text>
          {driver.qualifications.map((q) => (
            <DateField
              key={q.qualificationId}
              label={t('drivers.expiryOf', { code: q.code, name: q.name })}
              value={days[q.qualificationId] ?? ''}
              onChange={(day) => setDays({ ...days, [q.qualificationId]: day })}
            />
          ))}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              {t('common.cancel')}
            </Button>
            <Button type="submit" loading={save.isPending}>
              {t('drivers.saveExpiry')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

function DriverActions({ driver }: { driver: Driver }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [dialog, setDialog] = useState<'expiry' | 'archive' | null>(null);
  const archive = useMutation({
    mutationFn: () => api.delete(`/api/v1/drivers/${driver.id}`, driver.version),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: DRIVERS_KEY });
      notifications.show({ color: 'teal', message: t('drivers.archived', { name: driver.name }) });
      setDialog(null);
    },
    onError: (error) => notifications.show({ color: 'red', message: messageOf(error) }),
  });
  if (driver.archived) return null;
  return (
    <Group gap={4} wrap="nowrap">
      {driver.qualifications.length > 0 ? (
        <Button
          size="compact-sm"
          variant="subtle"
          leftSection={<IconCalendar size={14} />}
          aria-label={t('drivers.expiryButtonFor', { name: driver.name })}
          onClick={() => setDialog('expiry')}
        >
          {t('drivers.expiryButton')}
        </Button>
      ) : null}
      <Button
        size="compact-sm"
        variant="subtle"
        color="red"
        leftSection={<IconArchive size={14} />}
        aria-label={t('drivers.archiveFor', { name: driver.name })}
        onClick={() => setDialog('archive')}
      >
        {t('drivers.archive')}
      </Button>
      {dialog === 'expiry' ? <ExpiryDialog driver={driver} onClose={() => setDialog(null)} /> : null}
      {dialog === 'archive' ? (
        <Modal opened onClose={() => setDialog(null)} title={t('drivers.archiveTitle', { name: driver.name })}>
          <Stack gap="sm">
            {archive.error ? <ProblemAlert error={archive.error} /> : null}
            <Text size="sm">{t('drivers.archiveHelp')}</Text>
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setDialog(null)}>
                {t('common.cancel')}
              </Button>
              <Button color="red.9" loading={archive.isPending} onClick={() => archive.mutate()}>
                {t('drivers.archive')}
              </Button>
            </Group>
          </Stack>
        </Modal>
      ) : null}
    </Group>
  );
}

type Form = Record<string, unknown> & { subject: string };

/** The drivers table with the people picker, expiry dates and archiving. */
export function DriversAdmin<F extends Form>({ spec }: { spec: ResourceSpec<Driver, F> }) {
  const { t } = useTranslation();
  const people = usePeopleOptions();
  const withPicker: ResourceSpec<Driver, F> = {
    ...spec,
    columns: [
      ...spec.columns.map((c) =>
        c.id === 'qualifications'
          ? { label: t('drivers.qualifications'), render: (d: Driver) => <QualificationExpiry driver={d} /> }
          : c.id === 'signIn'
            ? { label: t('drivers.signsInAs'), render: (d: Driver) => people.nameOf(d.subject) ?? '—' }
            : c,
      ),
      { label: t('drivers.actions'), render: (d: Driver) => <DriverActions driver={d} /> },
    ],
    fields: spec.fields.map((f) =>
      f.name === 'subject'
        ? { ...f, label: t('drivers.signsInAs'), kind: 'select' as const, options: people.options, description: t('drivers.signsInAsHelp') }
        : f,
    ),
    empty: { ...spec.empty, subject: NO_SIGN_IN },
    toForm: (d) => ({ ...spec.toForm(d), subject: d.subject ?? NO_SIGN_IN }),
    // "No sign-in" or a cleared picker: sent as no subject.
    toCreate: (f) => spec.toCreate({ ...f, subject: subjectOf(f.subject) }),
    toUpdate: (f, d) => spec.toUpdate({ ...f, subject: subjectOf(f.subject) }, d),
  };
  return <ResourceAdmin spec={withPicker} />;
}
