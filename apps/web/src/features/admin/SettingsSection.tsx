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

/** A local draft of the settings the server sent; starts again whenever the server's copy changes. */
function useDraft<T>(server: T | undefined) {
  const [values, setValues] = useState<T | null>(null);
  useEffect(() => {
    if (server) setValues(server);
  }, [server]);
  return [values, setValues] as const;
}

type Section = 'dispatch' | 'alerts' | 'retention' | 'locale';

/**
 * One settings card: its title and description (`settings.<section>.*`), loading and error states,
 * the form with a refusal that names no field on top, and its Save button (for those who may edit).
 */
function SettingsForm<T>({
  section,
  error,
  values,
  save,
  canEdit = true,
  children,
}: {
  section: Section;
  error: unknown;
  values: T | null;
  save: ReturnType<typeof useSave<T>>;
  canEdit?: boolean;
  children: (values: T) => ReactNode;
}) {
  const { t } = useTranslation();
  const title = t(`settings.${section}.title`);
  return (
    <Card withBorder data-testid={`settings-${section}`}>
      <Stack gap="sm">
        <div>
          <Title order={4}>{title}</Title>
          <Text size="sm" c="dimmed">
            {t(`settings.${section}.description`)}
          </Text>
        </div>
        {error ? <ErrorState error={error} /> : !values ? <LoadingState /> : null}
        {values ? (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              save.mutation.mutate(values);
            }}
          >
            <Stack gap="sm">
              {save.other ? <ProblemAlert error={save.other} /> : null}
              {children(values)}
              {canEdit ? (
                <Group justify="flex-end">
                  <Button type="submit" loading={save.mutation.isPending}>
                    {t('settings.save', { what: title })}
                  </Button>
                </Group>
              ) : null}
            </Stack>
          </form>
        ) : null}
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
  const [values, setValues] = useDraft(query.data);
  const save = useSave<DispatchSettings>(
    async (v) => client.setQueryData(dispatchSettingsKey, await api.patch<DispatchSettings>(DISPATCH, v)),
    ['autoProcessing', 'ageingPointsPerMinute', 'scheduleLeadMinutes'],
    async () => undefined,
    t('settings.saved', { what: t('settings.dispatch.title') }),
  );
  const { errors } = save;
  return (
    <SettingsForm section="dispatch" error={query.error} values={values} save={save} canEdit={canEdit}>
      {(v) => (
        <>
          <Switch
            label={t('settings.dispatch.autoProcessing')}
            description={t('settings.dispatch.autoProcessingHelp')}
            checked={v.autoProcessing}
            disabled={!canEdit}
            onChange={(e) => setValues({ ...v, autoProcessing: e.currentTarget.checked })}
          />
          <NumberField<DispatchSettings>
            name="ageingPointsPerMinute"
            label={t('settings.dispatch.ageing')}
            description={t('settings.dispatch.ageingHelp')}
            min={0}
            max={100}
            {...{ values: v, setValues, errors }}
            disabled={!canEdit}
          />
          <NumberField<DispatchSettings>
            name="scheduleLeadMinutes"
            label={t('settings.dispatch.lead')}
            description={t('settings.dispatch.leadHelp')}
            min={0}
            max={1440}
            {...{ values: v, setValues, errors }}
            disabled={!canEdit}
          />
        </>
      )}
    </SettingsForm>
  );
}

function AlertSettingsCard() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const key = ['settings', 'alerts'];
  const query = useQuery({ queryKey: key, queryFn: ({ signal }) => api.get<AlertSettings>(ALERTS, undefined, signal) });
  const [values, setValues] = useDraft(query.data);
  const save = useSave<AlertSettings>(
    async (v) => client.setQueryData(key, await api.patch<AlertSettings>(ALERTS, v)),
    ['queuedMinutes', 'urgentDepth', 'urgentMinutes', 'expiringDays'],
    () => client.invalidateQueries({ queryKey: ['alerts'] }),
    t('settings.saved', { what: t('settings.alerts.title') }),
  );
  const fields: Array<[Numbers<AlertSettings>, string, number]> = [
    ['queuedMinutes', 'settings.alerts.queuedMinutes', 0],
    ['urgentDepth', 'settings.alerts.urgentDepth', 1],
    ['urgentMinutes', 'settings.alerts.urgentMinutes', 0],
    ['expiringDays', 'settings.alerts.expiringDays', 0],
  ];
  return (
    <SettingsForm section="alerts" error={query.error} values={values} save={save}>
      {(v) =>
        fields.map(([name, label, min]) => (
          <NumberField<AlertSettings>
            key={name}
            name={name}
            label={t(label)}
            min={min}
            values={v}
            setValues={setValues}
            errors={save.errors}
          />
        ))
      }
    </SettingsForm>
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
  const [values, setValues] = useDraft(query.data?.settings);
  const save = useSave<RetentionSettings>(
    async (v) => {
      const answer = await request<RetentionSettings>(RETENTION, { method: 'PUT', body: v, version: query.data?.version ?? 0 });
      client.setQueryData(key, { settings: answer.data, version: answer.version ?? 0 });
    },
    ['workOrdersYears', 'statusReportsYears', 'auditYears'],
    () => client.invalidateQueries({ queryKey: key }),
    t('settings.saved', { what: t('settings.retention.title') }),
  );
  const fields: Array<[Numbers<RetentionSettings>, string]> = [
    ['workOrdersYears', 'settings.retention.workOrders'],
    ['statusReportsYears', 'settings.retention.statusReports'],
    ['auditYears', 'settings.retention.audit'],
  ];
  return (
    <SettingsForm section="retention" error={query.error} values={values} save={save}>
      {(v) =>
        fields.map(([name, label]) => (
          <NumberField<RetentionSettings>
            key={name}
            name={name}
            label={t(label)}
            description={t('settings.retention.minimum', { years: RETENTION_MINIMUMS[name] })}
            min={RETENTION_MINIMUMS[name]}
            max={100}
            values={v}
            setValues={setValues}
            errors={save.errors}
          />
        ))
      }
    </SettingsForm>
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
  const [values, setValues] = useDraft(query.data);
  const save = useSave<LocaleSettings>(
    async (v) => client.setQueryData(key, await api.put<LocaleSettings>(LOCALE, v)),
    ['locale'],
    // Every screen writes dates from /me: read it again so they change at once.
    refreshMe,
    t('settings.saved', { what: t('settings.locale.title') }),
  );
  const options = SUPPORTED_LOCALES.map((tag) => ({ value: tag, label: t(`locale.${tag}`) }));
  return (
    <SettingsForm section="locale" error={query.error} values={values} save={save}>
      {(v) => (
        <Select
          label={t('settings.locale.label')}
          description={t('settings.locale.example', { example: exampleDate(v.locale, timeZone) })}
          data={options}
          allowDeselect={false}
          value={v.locale}
          error={save.errors.locale}
          onChange={(tag) => tag && setValues({ locale: tag })}
        />
      )}
    </SettingsForm>
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
