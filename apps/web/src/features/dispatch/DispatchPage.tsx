import { useState } from 'react';
import { Button, Grid, Group, Stack, Switch, Title, Tooltip } from '@mantine/core';
import { IconPlus } from '@tabler/icons-react';
import { useHotkeys } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { messageOf } from '../../lib/api';
import { ErrorState, LoadingState } from '../../ui/States';
import { useBoard, useCancel, useChangePriority, useComplete, useDispatchSettings, useDriverList, useEquipmentList, useManualDispatch, useRecall, useSetAutoProcessing } from './api';
import { ActionDialog } from './components/ActionDialog';
import { Board, type BoardItem } from './components/Board';
import { ResourcePanel } from './components/ResourcePanel';
import { WorkOrderForm } from './components/WorkOrderForm';
import type { DispatcherAction, Priority } from './model';

function AutoProcessingSwitch() {
  const settings = useDispatchSettings();
  const set = useSetAutoProcessing();
  const enabled = settings.data?.autoProcessing ?? true;
  return (
    <Tooltip label="When off, the queue waits for a dispatcher's pick">
      <Switch
        label="Automatic queue processing"
        checked={enabled}
        disabled={settings.isPending || set.isPending || Boolean(settings.error)}
        onChange={(e) =>
          set.mutate(
            { enabled: e.currentTarget.checked },
            { onError: (error) => notifications.show({ color: 'red', title: 'Not changed', message: messageOf(error) }) },
          )
        }
      />
    </Tooltip>
  );
}

/** Pick a free piece of equipment of the requested type and an on-duty driver; the server validates like automatic matching. */
function ManualDispatchDialog({ item, onClose }: { item: BoardItem; onClose: () => void }) {
  const equipment = useEquipmentList();
  const drivers = useDriverList();
  const assign = useManualDispatch();
  const equipmentOptions = (equipment.data ?? [])
    .filter((e) => e.equipmentTypeId === item.equipmentTypeId && e.status === 'available')
    .map((e) => ({ value: e.id, label: `${e.assetTag} — ${e.name}` }));
  const driverOptions = (drivers.data ?? [])
    .filter((d) => d.dutyStatus === 'on_duty' && !d.busyWith && !d.archived)
    .map((d) => ({ value: d.id, label: `${d.name}${d.qualifications.length ? ` (${d.qualifications.map((q) => q.code).join(', ')})` : ''}` }));
  return (
    <ActionDialog
      opened
      onClose={onClose}
      title={`Dispatch ${item.workOrderNumber} manually`}
      description={`${item.equipmentTypeName} → ${item.siteName}`}
      fields={[
        { kind: 'select', name: 'equipmentId', label: 'Equipment (available, of this type)', options: equipmentOptions, required: true },
        { kind: 'select', name: 'driverId', label: 'Driver (on duty, free)', options: driverOptions, required: true },
      ]}
      confirmLabel="Dispatch"
      onSubmit={(v) => assign.mutateAsync({ id: item.id, version: item.version, equipmentId: v.equipmentId ?? '', driverId: v.driverId ?? '' })}
    />
  );
}

function ActionDialogs({ action, item, onClose }: { action: DispatcherAction | null; item: BoardItem | null; onClose: () => void }) {
  const recall = useRecall();
  const cancel = useCancel();
  const priority = useChangePriority();
  const complete = useComplete();
  if (!action || !item) return null;
  const base = { opened: true, onClose };
  switch (action) {
    case 'recall':
      return (
        <ActionDialog
          {...base}
          title={`Recall ${item.workOrderNumber}`}
          description="The equipment and driver are freed and the line returns to pending."
          fields={[{ kind: 'reason', label: 'Reason', required: true }]}
          confirmLabel="Recall"
          danger
          onSubmit={(v) => recall.mutateAsync({ id: item.id, version: item.version, reason: v.reason })}
        />
      );
    case 'cancel':
      return (
        <ActionDialog
          {...base}
          title={`Cancel ${item.workOrderNumber}`}
          fields={[{ kind: 'reason', label: 'Reason', required: true }]}
          confirmLabel="Cancel request"
          danger
          onSubmit={(v) => cancel.mutateAsync({ id: item.id, version: item.version, reason: v.reason })}
        />
      );
    case 'change-priority':
      return (
        <ActionDialog
          {...base}
          title={`Priority of ${item.workOrderNumber}`}
          fields={[{ kind: 'priority' }]}
          initial={{ priority: item.priority }}
          confirmLabel="Change priority"
          onSubmit={(v) => priority.mutateAsync({ id: item.id, version: item.version, priority: v.priority as Priority })}
        />
      );
    case 'complete':
      return (
        <ActionDialog
          {...base}
          title={`Complete ${item.workOrderNumber}`}
          fields={[{ kind: 'reason', label: 'Notes', required: false }]}
          confirmLabel="Complete"
          onSubmit={(v) => complete.mutateAsync({ id: item.id, version: item.version, notes: v.reason })}
        />
      );
    case 'manual-dispatch':
      return <ManualDispatchDialog item={item} onClose={onClose} />;
  }
}

export function DispatchPage() {
  const board = useBoard();
  const [selected, setSelected] = useState<{ action: DispatcherAction; item: BoardItem } | null>(null);
  // `n` from another page arrives as /dispatch?new=1 (see features/search/shortcuts.ts).
  const [creating, setCreating] = useState(() => new URLSearchParams(window.location.search).has('new'));
  useHotkeys([['n', () => setCreating(true)]]);
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Dispatcher console</Title>
        <Group>
          <AutoProcessingSwitch />
          <Button leftSection={<IconPlus size={16} />} onClick={() => setCreating(true)} title="Keyboard: N">
            New work order
          </Button>
        </Group>
      </Group>
      <Grid gap="sm">
        <Grid.Col span={12}>
          {board.error ? (
            <ErrorState error={board.error} onRetry={() => void board.refetch()} />
          ) : !board.items ? (
            <LoadingState />
          ) : (
            <Board items={board.items} onAction={(action, item) => setSelected({ action, item })} />
          )}
        </Grid.Col>
        <Grid.Col span={{ base: 12, lg: 8 }}>
          <ResourcePanel />
        </Grid.Col>
      </Grid>
      <WorkOrderForm opened={creating} onClose={() => setCreating(false)} />
      <ActionDialogs action={selected?.action ?? null} item={selected?.item ?? null} onClose={() => setSelected(null)} />
    </Stack>
  );
}
