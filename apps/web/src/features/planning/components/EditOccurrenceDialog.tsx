import { Button, Group, Modal, Radio, Select, Stack, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import type { Occurrence, RecurringWorkOrder } from '@yardmaster/contracts';
import { useTranslation } from 'react-i18next';
import { formErrorsOf } from '../../../lib/api';
import { useEditOccurrence } from '../api';
import { editOf, initialEditValues, sayLocal, type OccurrenceEditValues } from '../model';
import { FormProblem } from './shared';

/**
 * A calendar edit: skip or change this occurrence, or this and every following one. "Following"
 * ends the series before this occurrence (later ones are kept as skipped) and, for a change, starts
 * a new series from here with the new time, rule or text.
 */
export function EditOccurrenceDialog({
  series,
  occurrence,
  onClose,
}: {
  series: RecurringWorkOrder;
  occurrence: Occurrence;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const edit = useEditOccurrence();
  const form = useForm<OccurrenceEditValues>({ initialValues: initialEditValues(series, occurrence) });
  const when = sayLocal(occurrence.localStart);
  const submit = form.onSubmit((v) =>
    edit.mutate(
      { seriesId: series.id, occurrenceId: occurrence.id, edit: editOf(v, series, occurrence) },
      {
        onSuccess: () => {
          notifications.show({ color: 'teal', message: t(`planning.occurrence.done.${v.scope}_${v.action}`, { when }) });
          onClose();
        },
        onError: (error) => form.setErrors(formErrorsOf(error).fields),
      },
    ),
  );
  const v = form.values;
  return (
    <Modal opened onClose={onClose} title={t('planning.occurrence.title', { when })} closeButtonProps={{ 'aria-label': t('common.close') }}>
      <form onSubmit={submit} noValidate>
        <Stack gap="sm">
          <Radio.Group label={t('planning.occurrence.scope')} {...form.getInputProps('scope')}>
            <Stack gap={6} mt={6}>
              <Radio value="this" label={t('planning.occurrence.this')} />
              <Radio value="following" label={t('planning.occurrence.following')} />
            </Stack>
          </Radio.Group>
          <Radio.Group label={t('planning.occurrence.action')} {...form.getInputProps('action')}>
            <Group gap="sm" mt={6}>
              <Radio value="change" label={t('planning.occurrence.change')} />
              <Radio value="skip" label={t('planning.occurrence.skip')} />
            </Group>
          </Radio.Group>
          {v.action === 'skip' ? (
            <TextInput label={t('planning.occurrence.reason')} {...form.getInputProps('reason')} />
          ) : (
            <>
              <TextInput
                type="datetime-local"
                label={v.scope === 'this' ? t('planning.occurrence.newStart') : t('planning.occurrence.newSeriesStart')}
                {...form.getInputProps('localStart')}
              />
              {v.scope === 'following' ? (
                <TextInput
                  label={t('planning.fields.rule')}
                  description={t('planning.recurring.ruleHelp')}
                  {...form.getInputProps('rule')}
                />
              ) : null}
              <TextInput label={t('planning.fields.description')} {...form.getInputProps('description')} />
              <Select
                label={t('planning.fields.priority')}
                data={(['urgent', 'standard', 'low'] as const).map((p) => ({ value: p, label: t(`priority.${p}`) }))}
                allowDeselect={false}
                {...form.getInputProps('priority')}
              />
            </>
          )}
          <Text size="sm" c="gray.8">
            {t(`planning.occurrence.explain.${v.scope}_${v.action}`)}
          </Text>
          <FormProblem error={edit.error} />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              {t('common.cancel')}
            </Button>
            <Button color="blue.8" type="submit" loading={edit.isPending}>
              {t('planning.occurrence.submit')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
