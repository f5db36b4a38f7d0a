import { useEffect, useState, type ReactNode } from 'react';
import { Button, Card, Group, NumberInput, Select, SimpleGrid, Stack, Switch, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import {
  RETENTION_MINIMUMS,
  SUPPORTED_LOCALES,
  type AlertSettings,
  type DispatchSettings,
  type LocaleSettings,
  type RetentionSettings,
} from '@yardmaster/contracts';
import { useMe, useSession } from '../../app/session';
import { api, formErrorsOf, request } from '../../lib/api';
import { ErrorState, LoadingState, ProblemAlert } from '../../ui/States';

/*
 * The tenant's settings on one screen (issue 15, Administration): dispatch (automatic queue
 * processing, ageing, schedule lead time), alert thresholds, retention periods and the language and
 * region dates are written in. Each card saves
 * on its own through the existing routes; a refused value is shown on its field.
 */

const DISPATCH = '/api/v1/settings/dispatch';
const ALERTS = '/api/v1/settings/alerts';
const RETENTION = '/api/v1/settings/retention';
const LOCALE = '/api/v1/settings/locale';
/** The dispatch console's key for the same settings, so its switch follows a change made here. */
const dispatchSettingsKey = ['dispatch', 'settings'] as const;

type Numbers<T> = { [K in keyof T]: T[K] extends number ? K : never }[keyof T];

function useSave<T>(save: (value: T) => Promise<unknown>, fields: string[], onSaved: () => Promise<void>, message: string) {
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [other, setOther] = useState<unknown>(null);
  const mutation = useMutation({
    mutationFn: save,
    onMutate: () => {
      setErrors({});
      setOther(null);
    },
    onSuccess: async () => {
      await onSaved();
      notifications.show({ color: 'teal', message });
    },
    onError: (error) => {
      const { fields: byField, rest } = formErrorsOf(error, fields);
      setErrors(byField);
      setOther(rest.length > 0 || Object.keys(byField).length === 0 ? error : null);
    },
  });
  return { mutation, errors, other };
}

function SettingsCard({
  title,
  description,
  testId,
  children,
}: {
  title: string;
  description: string;
  testId: string;
  children: ReactNode;
}) {
  return (
    <Card withBorder data-testid={testId}>
      <Stack gap="sm">
        <div>
          <Title order={4}>{title}</Title>
          <Text size="sm" c="dimmed">
            {description}
          </Text>
        </div>
        {children}
      </Stack>
    </Card>
  );
}

function NumberField<T>({
  name,
  values,
  setValues,
  errors,
  label,
  description,
  min,
  max,
  disabled,
}: {
  name: Numbers<T> & string;
  values: T;
  setValues: (v: T) => void;
  errors: Record<string, string>;
  label: string;
  description?: string;
  min?: number;
  max?: number;
  disabled?: boolean;
}) {
  return (
    <NumberInput
      label={label}
      description={description}
      min={min}
      max={max}
      disabled={disabled}
      value={values[name] as number}
      error={errors[name]}
      onChange={(v) => setValues({ ...values, [name]: typeof v === 'number' ? v : Number(v) })}
    />
  );
}

function DispatchSettingsCard({ canEdit }: { canEdit: boolean }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const query = useQuery({
    queryKey: dispatchSettingsKey,
    queryFn: ({ signal }) => api.get<DispatchSettings>(DISPATCH, undefined, signal),
  });
  const [values, setValues] = useState<DispatchSettings | null>(null);
  useEffect(() => {
    if (query.data) setValues(query.data);
  }, [query.data]);
  const { mutation, errors, other } = useSave<DispatchSettings>(
    async (v) => client.setQueryData(dispatchSettingsKey, await api.patch<DispatchSettings>(DISPATCH, v)),
    ['autoProcessing', 'ageingPointsPerMinute', 'scheduleLeadMinutes'],
    async () => undefined,
    t('settings.saved', { what: t('settings.dispatch.title') }),
  );
  return (
    <SettingsCard title={t('settings.dispatch.title')} description={t('settings.dispatch.description')} testId="settings-dispatch">
      {query.error ? <ErrorState error={query.error} /> : !values ? <LoadingState /> : null}
      {values ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            mutation.mutate(values);
          }}
        >
          <Stack gap="sm">
            {other ? <ProblemAlert error={other} /> : null}
            <Switch
              label={t('settings.dispatch.autoProcessing')}
              description={t('settings.dispatch.autoProcessingHelp')}
              checked={values.autoProcessing}
              disabled={!canEdit}
              onChange={(e) => setValues({ ...values, autoProcessing: e.currentTarget.checked })}
            />
            <NumberField<DispatchSettings>
              name="ageingPointsPerMinute"
              label={t('settings.dispatch.ageing')}
              description={t('settings.dispatch.ageingHelp')}
              min={0}
              max={100}
              {...{ values, setValues, errors }}
              disabled={!canEdit}
            />
            <NumberField<DispatchSettings>
              name="scheduleLeadMinutes"
              label={t('settings.dispatch.lead')}
              description={t('settings.dispatch.leadHelp')}
              min={0}
              max={1440}
              {...{ values, setValues, errors }}
              disabled={!canEdit}
            />
            {canEdit ? (
              <Group justify="flex-end">
                <Button type="submit" loading={mutation.isPending}>
                  {t('settings.save', { what: t('settings.dispatch.title') })}
                </Button>
              </Group>
            ) : null}
          </Stack>
        </form>
      ) : null}
    </SettingsCard>
  );
}

function AlertSettingsCard() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const key = ['settings', 'alerts'];
  const query = useQuery({ queryKey: key, queryFn: ({ signal }) => api.get<AlertSettings>(ALERTS, undefined, signal) });
  const [values, setValues] = useState<AlertSettings | null>(null);
  useEffect(() => {
    if (query.data) setValues(query.data);
  }, [query.data]);
  const { mutation, errors, other } = useSave<AlertSettings>(
    async (v) => client.setQueryData(key, await api.patch<AlertSettings>(ALERTS, v)),
    ['queuedMinutes', 'urgentDepth', 'urgentMinutes', 'expiringDays'],
    () => client.invalidateQueries({ queryKey: ['alerts'] }),
    t('settings.saved', { what: t('settings.alerts.title') }),
  );
  return (
    <SettingsCard title={t('settings.alerts.title')} description={t('settings.alerts.description')} testId="settings-alerts">
      {query.error ? <ErrorState error={query.error} /> : !values ? <LoadingState /> : null}
      {values ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            mutation.mutate(values);
          }}
        >
          <Stack gap="sm">
            {other ? <ProblemAlert error={other} /> : null}
            <NumberField<AlertSettings>
              name="queuedMinutes"
              label={t('settings.alerts.queuedMinutes')}
              min={0}
              {...{ values, setValues, errors }}
            />
            <NumberField<AlertSettings>
              name="urgentDepth"
              label={t('settings.alerts.urgentDepth')}
              min={1}
              {...{ values, setValues, errors }}
            />
            <NumberField<AlertSettings>
              name="urgentMinutes"
              label={t('settings.alerts.urgentMinutes')}
              min={0}
              {...{ values, setValues, errors }}
            />
            <NumberField<AlertSettings>
              name="expiringDays"
              label={t('settings.alerts.expiringDays')}
              min={0}
              {...{ values, setValues, errors }}
            />
            <Group justify="flex-end">
              <Button type="submit" loading={mutation.isPending}>
                {t('settings.save', { what: t('settings.alerts.title') })}
              </Button>
            </Group>
          </Stack>
        </form>
      ) : null}
    </SettingsCard>
  );
}

function RetentionSettingsCard() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const key = ['settings', 'retention'];
  const query = useQuery({
    queryKey: key,
    queryFn: async ({ signal }) => {
      const answer = await request<RetentionSettings>(RETENTION, { signal });
      return { settings: answer.data, version: answer.version ?? 0 };
    },
  });
  const [values, setValues] = useState<RetentionSettings | null>(null);
  useEffect(() => {
    if (query.data) setValues(query.data.settings);
  }, [query.data]);
  const { mutation, errors, other } = useSave<RetentionSettings>(
    async (v) => {
      const answer = await request<RetentionSettings>(RETENTION, { method: 'PUT', body: v, version: query.data?.version ?? 0 });
      client.setQueryData(key, { settings: answer.data, version: answer.version ?? 0 });
    },
    ['workOrdersYears', 'statusReportsYears', 'auditYears'],
    () => client.invalidateQueries({ queryKey: key }),
    t('settings.saved', { what: t('settings.retention.title') }),
  );
  return (
    <SettingsCard title={t('settings.retention.title')} description={t('settings.retention.description')} testId="settings-retention">
      {query.error ? <ErrorState error={query.error} /> : !values ? <LoadingState /> : null}
      {values ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            mutation.mutate(values);
          }}
        >
          <Stack gap="sm">
            {other ? <ProblemAlert error={other} /> : null}
            <NumberField<RetentionSettings>
              name="workOrdersYears"
              label={t('settings.retention.workOrders')}
              description={t('settings.retention.minimum', { years: RETENTION_MINIMUMS.workOrdersYears })}
              min={RETENTION_MINIMUMS.workOrdersYears}
              max={100}
              {...{ values, setValues, errors }}
            />
            <NumberField<RetentionSettings>
              name="statusReportsYears"
              label={t('settings.retention.statusReports')}
              description={t('settings.retention.minimum', { years: RETENTION_MINIMUMS.statusReportsYears })}
              min={RETENTION_MINIMUMS.statusReportsYears}
              max={100}
              {...{ values, setValues, errors }}
            />
            <NumberField<RetentionSettings>
              name="auditYears"
              label={t('settings.retention.audit')}
              description={t('settings.retention.minimum', { years: RETENTION_MINIMUMS.auditYears })}
              min={RETENTION_MINIMUMS.auditYears}
              max={100}
              {...{ values, setValues, errors }}
            />
            <Group justify="flex-end">
              <Button type="submit" loading={mutation.isPending}>
                {t('settings.save', { what: t('settings.retention.title') })}
              </Button>
            </Group>
          </Stack>
        </form>
      ) : null}
    </SettingsCard>
  );
}

/** An example date in a locale, in the tenant's zone ('05 Dez. 2026'): what the choice changes. */
function exampleDate(locale: string, timeZone: string): string {
  return new Intl.DateTimeFormat(locale, { year: 'numeric', month: 'short', day: '2-digit', timeZone }).format(new Date());
}

function LocaleSettingsCard() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const { timeZone } = useMe();
  const { refreshMe } = useSession();
  const key = ['settings', 'locale'];
  const query = useQuery({ queryKey: key, queryFn: ({ signal }) => api.get<LocaleSettings>(LOCALE, undefined, signal) });
  const [values, setValues] = useState<LocaleSettings | null>(null);
  useEffect(() => {
    if (query.data) setValues(query.data);
  }, [query.data]);
  const { mutation, errors, other } = useSave<LocaleSettings>(
    async (v) => client.setQueryData(key, await api.put<LocaleSettings>(LOCALE, v)),
    ['locale'],
    // Every screen writes dates from /me: read it again so they change at once.
    refreshMe,
    t('settings.saved', { what: t('settings.locale.title') }),
  );
  const options = SUPPORTED_LOCALES.map((tag) => ({ value: tag, label: t(`locale.${tag}`) }));
  return (
    <SettingsCard title={t('settings.locale.title')} description={t('settings.locale.description')} testId="settings-locale">
      {query.error ? <ErrorState error={query.error} /> : !values ? <LoadingState /> : null}
      {values ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            mutation.mutate(values);
          }}
        >
          <Stack gap="sm">
            {other ? <ProblemAlert error={other} /> : null}
            <Select
              label={t('settings.locale.label')}
              description={t('settings.locale.example', { example: exampleDate(values.locale, timeZone) })}
              data={options}
              allowDeselect={false}
              value={values.locale}
              error={errors.locale}
              onChange={(v) => v && setValues({ locale: v })}
            />
            <Group justify="flex-end">
              <Button type="submit" loading={mutation.isPending}>
                {t('settings.save', { what: t('settings.locale.title') })}
              </Button>
            </Group>
          </Stack>
        </form>
      ) : null}
    </SettingsCard>
  );
}

/** Administration → Settings. Admins only (the admin screens are); dispatch settings are also on the console. */
export function SettingsSection() {
  const { t } = useTranslation();
  return (
    <Stack data-testid="settings-section">
      <Title order={3}>{t('settings.title')}</Title>
      <SimpleGrid cols={{ base: 1, md: 3 }}>
        <DispatchSettingsCard canEdit />
        <AlertSettingsCard />
        <RetentionSettingsCard />
        <LocaleSettingsCard />
      </SimpleGrid>
    </Stack>
  );
}
