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
      siteId: (v) => (v ? null : 'choose a site'),
      description: (v) => (v.trim() === '' ? 'required' : v.trim().length > 5000 ? 'at most 5000 characters' : null),
      requestedStart: (v, all) => (all.start === 'later' && !v ? 'give the start time' : null),
      lines: {
        equipmentTypeId: (v) => (v ? null : 'choose an equipment type'),
        quantity: (v) => (Number.isInteger(v) && v >= 1 && v <= 100 ? null : '1 to 100'),
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
          notifications.show({ color: 'teal', title: 'Work order created', message: wo.number });
          // Files chosen with the order are attached now; a refused one (type, size) is named.
          for (const file of files) {
            uploadAttachment(wo.id, file).catch((e: unknown) =>
              notifications.show({ color: 'red', title: `${file.name} not attached`, message: messageOf(e) }),
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
    <Modal opened={opened} onClose={onClose} title="New work order" size="lg">
      <form onSubmit={submit} noValidate>
        <Stack gap="sm">
          <Select
            label="Site"
            withAsterisk
            searchable
            placeholder="Search sites"
            data={sites.data ?? []}
            nothingFoundMessage={sites.isPending ? 'Loading…' : 'No site matches'}
            {...form.getInputProps('siteId')}
            data-autofocus
          />
          <Textarea label="Description" withAsterisk autosize minRows={2} {...form.getInputProps('description')} />
          <FileInput
            label="Attachments"
            description="Delivery details, drawings: PDF, images, Office or text, up to 10 MB each"
            multiple
            clearable
            value={files}
            onChange={setFiles}
          />
          <Group grow align="flex-start">
            <Stack gap={4}>
              <Text size="sm" fw={500}>
                Priority
              </Text>
              <SegmentedControl
                data={[
                  { value: 'urgent', label: 'Urgent' },
                  { value: 'standard', label: 'Standard' },
                  { value: 'low', label: 'Low' },
                ]}
                {...form.getInputProps('priority')}
              />
            </Stack>
            <Stack gap={4}>
              <Text size="sm" fw={500}>
                Start
              </Text>
              <SegmentedControl
                data={[
                  { value: 'now', label: 'Now' },
                  { value: 'later', label: 'Later' },
                ]}
                {...form.getInputProps('start')}
              />
            </Stack>
          </Group>
          {form.values.start === 'later' ? (
            <TextInput type="datetime-local" label="Requested start" {...form.getInputProps('requestedStart')} />
          ) : null}
          <Text size="sm" fw={500}>
            Lines
          </Text>
          {form.values.lines.map((_, i) => (
            <Group key={i} align="flex-start" wrap="nowrap">
              <Select
                style={{ flex: 1 }}
                aria-label={`Equipment type of line ${i + 1}`}
                placeholder="Equipment type"
                searchable
                data={types.data ?? []}
                {...form.getInputProps(`lines.${i}.equipmentTypeId`)}
              />
              <NumberInput
                w={90}
                aria-label={`Quantity of line ${i + 1}`}
                min={1}
                max={50}
                {...form.getInputProps(`lines.${i}.quantity`)}
              />
              <ActionIcon
                variant="subtle"
                color="red"
                mt={6}
                aria-label="Remove line"
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
              Add line
            </Button>
          </Group>
          {check ? <CapacityNotice preview={preview} at={check.at} timeZone={me.timeZone} /> : null}
          {create.error &&
          Object.keys(formErrorsOf(create.error, ['siteId', 'description', 'priority', 'requestedStart', 'lines']).fields).length === 0 ? (
            <ProblemAlert error={create.error} title="Not created" />
          ) : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={create.isPending}>
              Create work order
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
