import { useState } from 'react';
import {
  ActionIcon,
  Button,
  FileInput,
  Group,
  Modal,
  NumberInput,
  SegmentedControl,
  Select,
  Stack,
  Text,
  TextInput,
  Textarea,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { IconPlus, IconTrash } from '@tabler/icons-react';
import type { CapacityCheck } from '@yardmaster/contracts';
import { useTranslation } from 'react-i18next';
import { useMe } from '../../../app/session';
import { formErrorsOf, messageOf } from '../../../lib/api';
import { useCapacityPreview } from '../../planning/api';
import { CapacityNotice } from '../../planning/components/CapacityNotice';
import { uploadAttachment } from '../../work-orders/api';
import { ProblemAlert } from '../../../ui/States';
import { useCreateWorkOrder, useEquipmentTypeOptions, useSiteOptions } from '../api';
import type { Priority } from '../model';

type Line = { equipmentTypeId: string | null; quantity: number };
type Values = {
  siteId: string | null;
  description: string;
  priority: Priority;
  start: 'now' | 'later';
  requestedStart: string;
  lines: Line[];
};

/** Scheduled work the form describes well enough to check capacity for: a start later, and lines with a type. */
function capacityCheckOf(v: Values): CapacityCheck | null {
  if (v.start !== 'later' || !v.requestedStart) return null;
  const at = new Date(v.requestedStart);
  const lines = v.lines.filter((l) => l.equipmentTypeId && Number.isInteger(l.quantity) && l.quantity >= 1 && l.quantity <= 100);
  if (Number.isNaN(at.getTime()) || lines.length === 0) return null;
  return { at: at.toISOString(), lines: lines.map((l) => ({ equipmentTypeId: l.equipmentTypeId ?? '', quantity: l.quantity })) };
}

export function WorkOrderForm({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const sites = useSiteOptions();
  const types = useEquipmentTypeOptions();
  const create = useCreateWorkOrder();
  const [files, setFiles] = useState<File[]>([]);
  const me = useMe();
  const form = useForm<Values>({
    initialValues: {
      siteId: null,
      description: '',
      priority: 'standard',
      start: 'now',
      requestedStart: '',
      lines: [{ equipmentTypeId: null, quantity: 1 }],
    },
    validate: {
      siteId: (v) => (v ? null : t('workOrderForm.errors.site')),
      description: (v) =>
        v.trim() === '' ? t('workOrderForm.errors.required') : v.trim().length > 5000 ? t('workOrderForm.errors.tooLong') : null,
      requestedStart: (v, all) => (all.start === 'later' && !v ? t('workOrderForm.errors.start') : null),
      lines: {
        equipmentTypeId: (v) => (v ? null : t('workOrderForm.errors.type')),
        quantity: (v) => (Number.isInteger(v) && v >= 1 && v <= 100 ? null : t('workOrderForm.errors.quantity')),
      },
    },
  });
  // Scheduled work: the capacity check runs as the time and lines are filled in, and warns before saving (it never blocks).
  const check = opened ? capacityCheckOf(form.values) : null;
  const preview = useCapacityPreview(check);
  const submit = form.onSubmit((v) =>
    create.mutate(
      {
        siteId: v.siteId ?? '',
        description: v.description.trim(),
        priority: v.priority,
        ...(v.start === 'later' && v.requestedStart ? { requestedStart: new Date(v.requestedStart).toISOString() } : {}),
        lines: v.lines.map((l) => ({ equipmentTypeId: l.equipmentTypeId ?? '', quantity: l.quantity })),
      },
      {
        onSuccess: (wo) => {
          notifications.show({ color: 'teal', title: t('workOrderForm.created'), message: wo.number });
          // Files chosen with the order are attached now; a refused one (type, size) is named.
          for (const file of files) {
            uploadAttachment(wo.id, file).catch((e: unknown) =>
              notifications.show({ color: 'red', title: t('workOrderForm.notAttached', { name: file.name }), message: messageOf(e) }),
            );
          }
          setFiles([]);
          form.reset();
          onClose();
        },
        onError: (error) => form.setErrors(formErrorsOf(error, ['siteId', 'description', 'priority', 'requestedStart', 'lines']).fields),
      },
    ),
  );
  return (
    <Modal opened={opened} onClose={onClose} title={t('workOrderForm.title')} size="lg">
      <form onSubmit={submit} noValidate>
        <Stack gap="sm">
          <Select
            label={t('workOrderForm.site')}
            withAsterisk
            searchable
            placeholder={t('workOrderForm.searchSites')}
            data={sites.data ?? []}
            nothingFoundMessage={sites.isPending ? t('common.loading') : t('workOrderForm.noSite')}
            {...form.getInputProps('siteId')}
            data-autofocus
          />
          <Textarea label={t('workOrderForm.description')} withAsterisk autosize minRows={2} {...form.getInputProps('description')} />
          <FileInput
            label={t('workOrderForm.attachments')}
            description={t('workOrderForm.attachmentsHelp')}
            multiple
            clearable
            value={files}
            onChange={setFiles}
          />
          <Group grow align="flex-start">
            <Stack gap={4}>
              <Text size="sm" fw={500}>
                {t('workOrderForm.priority')}
              </Text>
              <SegmentedControl
                data={[
                  { value: 'urgent', label: t('priority.urgent') },
                  { value: 'standard', label: t('priority.standard') },
                  { value: 'low', label: t('priority.low') },
                ]}
                {...form.getInputProps('priority')}
              />
            </Stack>
            <Stack gap={4}>
              <Text size="sm" fw={500}>
                {t('workOrderForm.start')}
              </Text>
              <SegmentedControl
                data={[
                  { value: 'now', label: t('workOrderForm.now') },
                  { value: 'later', label: t('workOrderForm.later') },
                ]}
                {...form.getInputProps('start')}
              />
            </Stack>
          </Group>
          {form.values.start === 'later' ? (
            <TextInput type="datetime-local" label={t('workOrderForm.requestedStart')} {...form.getInputProps('requestedStart')} />
          ) : null}
          <Text size="sm" fw={500}>
            {t('workOrderForm.lines')}
          </Text>
          {form.values.lines.map((_, i) => (
            <Group key={i} align="flex-start" wrap="nowrap">
              <Select
                style={{ flex: 1 }}
                aria-label={t('workOrderForm.typeOfLine', { n: i + 1 })}
                placeholder={t('workOrderForm.equipmentType')}
                searchable
                data={types.data ?? []}
                {...form.getInputProps(`lines.${i}.equipmentTypeId`)}
              />
              <NumberInput
                w={90}
                aria-label={t('workOrderForm.quantityOfLine', { n: i + 1 })}
                min={1}
                max={50}
                {...form.getInputProps(`lines.${i}.quantity`)}
              />
              <ActionIcon
                variant="subtle"
                color="red"
                mt={6}
                aria-label={t('workOrderForm.removeLine')}
                disabled={form.values.lines.length === 1}
                onClick={() => form.removeListItem('lines', i)}
              >
                <IconTrash size={16} />
              </ActionIcon>
            </Group>
          ))}
          <Group>
            <Button
              variant="subtle"
              size="xs"
              leftSection={<IconPlus size={14} />}
              onClick={() => form.insertListItem('lines', { equipmentTypeId: null, quantity: 1 })}
            >
              {t('workOrderForm.addLine')}
            </Button>
          </Group>
          {check ? <CapacityNotice preview={preview} at={check.at} timeZone={me.timeZone} /> : null}
          {create.error &&
          Object.keys(formErrorsOf(create.error, ['siteId', 'description', 'priority', 'requestedStart', 'lines']).fields).length === 0 ? (
            <ProblemAlert error={create.error} title={t('workOrderForm.notCreated')} />
          ) : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              {t('common.cancel')}
            </Button>
            <Button type="submit" loading={create.isPending}>
              {t('workOrderForm.submit')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
