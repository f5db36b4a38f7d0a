import { useState } from 'react';
import { Button, Group, Modal, Select, Stack, Text, Textarea } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconArchive, IconTool } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import type { Equipment } from '@yardmaster/contracts';
import { api } from '../../lib/api';
import { ProblemAlert } from '../../ui/States';
import { ResourceAdmin, type ResourceSpec } from './components/ResourceAdmin';

/*
 * Administration → Equipment, on top of the generic resource table: an admin returns a machine in
 * maintenance to service and retires (archives) one that is not on a job; retired equipment is
 * kept (reports name it), shown with the "Retired" filter, and can be returned to service.
 */

type Action = 'return' | 'retire';
const EQUIPMENT_KEY = ['fleet', 'equipment'];

function LifecycleDialog({ equipment, action, onClose }: { equipment: Equipment; action: Action; onClose: () => void }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [note, setNote] = useState('');
  const run = useMutation({
    mutationFn: () =>
      api.post(
        `/api/v1/equipment/${equipment.id}/${action === 'return' ? 'return-to-service' : 'retire'}`,
        note.trim() ? { note: note.trim() } : {},
        { version: equipment.version },
      ),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: EQUIPMENT_KEY });
      // The console's resource panel and board read the same machines.
      await client.invalidateQueries({ queryKey: ['dispatch'] });
      notifications.show({
        color: 'teal',
        message: t(action === 'return' ? 'equipment.returned' : 'equipment.retired', { tag: equipment.assetTag }),
      });
      onClose();
    },
  });
  const title = t(action === 'return' ? 'equipment.returnTitle' : 'equipment.retireTitle', { tag: equipment.assetTag });
  return (
    <Modal opened onClose={onClose} title={title}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          run.mutate();
        }}
      >
        <Stack gap="sm">
          {run.error ? <ProblemAlert error={run.error} /> : null}
          <Text size="sm">{t(action === 'return' ? 'equipment.returnHelp' : 'equipment.retireHelp')}</Text>
          {equipment.statusNote ? (
            <Text size="sm" c="dimmed">
              {t('equipment.currentNote', { note: equipment.statusNote })}
            </Text>
          ) : null}
          <Textarea label={t('equipment.note')} autosize minRows={2} value={note} onChange={(e) => setNote(e.currentTarget.value)} />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              {t('common.cancel')}
            </Button>
            <Button type="submit" color={action === 'retire' ? 'red.9' : undefined} loading={run.isPending}>
              {t(action === 'return' ? 'equipment.return' : 'equipment.retire')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

function EquipmentActions({ equipment }: { equipment: Equipment }) {
  const { t } = useTranslation();
  const [action, setAction] = useState<Action | null>(null);
  return (
    <Group gap={4} wrap="nowrap">
      {equipment.status === 'maintenance' || equipment.status === 'retired' ? (
        <Button
          size="compact-sm"
          variant="light"
          leftSection={<IconTool size={14} />}
          aria-label={t('equipment.returnFor', { tag: equipment.assetTag })}
          onClick={() => setAction('return')}
        >
          {t('equipment.return')}
        </Button>
      ) : null}
      {equipment.status === 'available' || equipment.status === 'maintenance' ? (
        <Button
          size="compact-sm"
          variant="subtle"
          color="red"
          leftSection={<IconArchive size={14} />}
          aria-label={t('equipment.retireFor', { tag: equipment.assetTag })}
          onClick={() => setAction('retire')}
        >
          {t('equipment.retire')}
        </Button>
      ) : null}
      {action ? <LifecycleDialog equipment={equipment} action={action} onClose={() => setAction(null)} /> : null}
    </Group>
  );
}

type Status = Equipment['status'];
const STATUSES: Status[] = ['available', 'dispatched', 'maintenance', 'retired'];

/** The equipment table with return to service, retire, and a status filter. */
export function EquipmentAdmin<F extends Record<string, unknown>>({ spec }: { spec: ResourceSpec<Equipment, F> }) {
  const { t } = useTranslation();
  const [status, setStatus] = useState<Status | null>(null);
  const withActions: ResourceSpec<Equipment, F> = {
    ...spec,
    columns: [...spec.columns, { label: t('equipment.actions'), render: (e: Equipment) => <EquipmentActions equipment={e} /> }],
    listQuery: { ...spec.listQuery, status: status ?? undefined },
  };
  return (
    <ResourceAdmin
      spec={withActions}
      actions={
        <Select
          aria-label={t('equipment.filterStatus')}
          placeholder={t('equipment.anyStatus')}
          clearable
          w={170}
          data={STATUSES.map((s) => ({ value: s, label: t(`equipment.status.${s}`) }))}
          value={status}
          onChange={(v) => setStatus(v)}
          data-testid="equipment-status-filter"
        />
      }
    />
  );
}
