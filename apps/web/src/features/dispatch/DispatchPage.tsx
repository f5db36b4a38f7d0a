import { useCallback, useState } from 'react';
import { Alert, Button, Grid, Group, Modal, Radio, Stack, Switch, Text, TextInput, Textarea, Title, Tooltip } from '@mantine/core';
import { IconPlus } from '@tabler/icons-react';
import { useHotkeys } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { useTranslation } from 'react-i18next';
import type { CandidateDriver, CandidateEquipment } from '@yardmaster/contracts';
import { messageOf } from '../../lib/api';
import { ErrorState, LoadingState } from '../../ui/States';
import {
  useBoard,
  useCancel,
  useCandidates,
  useChangePriority,
  useComplete,
  useDispatchSettings,
  useManualDispatch,
  useRecall,
  useRelease,
  useSetAutoProcessing,
} from './api';
import { ActionDialog, reportOutcome } from './components/ActionDialog';
import { Board, type BoardItem } from './components/Board';
import { ResourcePanel } from './components/ResourcePanel';
import { WorkOrderForm } from './components/WorkOrderForm';
import type { DispatcherAction, Priority } from './model';

function AutoProcessingSwitch() {
  const { t } = useTranslation();
  const settings = useDispatchSettings();
  const set = useSetAutoProcessing();
  const enabled = settings.data?.autoProcessing ?? true;
  return (
    <Tooltip label={t('dispatch.autoProcessingHelp')}>
      <Switch
        label={t('dispatch.autoProcessing')}
        checked={enabled}
        disabled={settings.isPending || Boolean(settings.error)}
        onChange={(e) =>
          set.mutate(
            { enabled: e.currentTarget.checked },
            { onError: (error) => notifications.show({ color: 'red', title: t('common.notChanged'), message: messageOf(error) }) },
          )
        }
      />
    </Tooltip>
  );
}

/** One candidate: eligible ones can be picked; the others are greyed with the server's reasons. */
function CandidateChoice({ candidate, label }: { candidate: CandidateEquipment | CandidateDriver; label: string }) {
  return (
    <Radio
      value={candidate.id}
      label={label}
      disabled={!candidate.eligible}
      description={candidate.eligible ? undefined : candidate.reasons.join('; ')}
      data-testid="candidate"
      data-eligible={candidate.eligible}
      styles={
        candidate.eligible
          ? undefined
          : { label: { color: 'var(--mantine-color-dimmed)' }, description: { color: 'var(--mantine-color-dimmed)' } }
      }
    />
  );
}

/** Pick a machine and a driver from the server's candidates: eligible ones first, the others greyed with their reasons. */
function ManualDispatchDialog({ item, onClose }: { item: BoardItem; onClose: () => void }) {
  const { t } = useTranslation();
  const candidates = useCandidates(item.id);
  const assign = useManualDispatch();
  const [equipmentId, setEquipmentId] = useState<string | null>(null);
  const [driverId, setDriverId] = useState<string | null>(null);
  const equipment = candidates.data?.equipment ?? [];
  const drivers = candidates.data?.drivers ?? [];
  const firstEquipment = equipment.find((e) => e.eligible)?.id ?? null;
  const firstDriver = drivers.find((d) => d.eligible)?.id ?? null;
  const pickedEquipment = equipmentId ?? firstEquipment;
  const pickedDriver = driverId ?? firstDriver;
  return (
    <Modal opened onClose={onClose} title={t('dispatch.assign.title', { workOrder: item.workOrderNumber })} size="lg" returnFocus={false}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (!pickedEquipment || !pickedDriver) return;
          reportOutcome(
            assign.mutateAsync({ id: item.id, version: item.version, equipmentId: pickedEquipment, driverId: pickedDriver }),
            t('dispatch.done.assigned', { workOrder: item.workOrderNumber }),
            t('dispatch.failed', { workOrder: item.workOrderNumber }),
          );
          onClose();
        }}
      >
        <Stack gap="sm">
          <Text size="sm">{t('dispatch.assign.description', { type: item.equipmentTypeName, site: item.siteName })}</Text>
          {candidates.error ? <ErrorState error={candidates.error} onRetry={() => void candidates.refetch()} /> : null}
          {candidates.isPending ? <LoadingState /> : null}
          {candidates.data ? (
            <Grid>
              <Grid.Col span={{ base: 12, sm: 6 }}>
                <Radio.Group
                  label={t('dispatch.assign.equipment')}
                  value={pickedEquipment}
                  onChange={setEquipmentId}
                  data-testid="equipment-candidates"
                >
                  <Stack gap={6} mt={6}>
                    {firstEquipment ? null : <Text size="sm">{t('dispatch.assign.noneEligibleEquipment')}</Text>}
                    {equipment.map((c) => (
                      <CandidateChoice key={c.id} candidate={c} label={`${c.code} — ${c.name}`} />
                    ))}
                  </Stack>
                </Radio.Group>
              </Grid.Col>
              <Grid.Col span={{ base: 12, sm: 6 }}>
                <Radio.Group
                  label={t('dispatch.assign.driver')}
                  value={pickedDriver}
                  onChange={setDriverId}
                  data-testid="driver-candidates"
                >
                  <Stack gap={6} mt={6}>
                    {firstDriver ? null : <Text size="sm">{t('dispatch.assign.noneEligibleDrivers')}</Text>}
                    {drivers.map((c) => (
                      <CandidateChoice key={c.id} candidate={c} label={c.name} />
                    ))}
                  </Stack>
                </Radio.Group>
              </Grid.Col>
            </Grid>
          ) : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              {t('common.close')}
            </Button>
            <Button type="submit" disabled={!pickedEquipment || !pickedDriver}>
              {t('dispatch.assign.submit')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

/** Recall: the work goes back to the queue now, or is held (with a reason and an optional "not before" time). */
function RecallDialog({ item, onClose }: { item: BoardItem; onClose: () => void }) {
  const { t } = useTranslation();
  const recall = useRecall();
  const [reason, setReason] = useState('');
  const [then, setThen] = useState<'queue' | 'hold'>('queue');
  const [holdReason, setHoldReason] = useState('');
  const [notBefore, setNotBefore] = useState('');
  const ready = reason.trim() !== '' && (then === 'queue' || holdReason.trim() !== '');
  return (
    <Modal opened onClose={onClose} title={t('dispatch.recall.title', { workOrder: item.workOrderNumber })} returnFocus={false}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (!ready) return;
          const hold =
            then === 'hold' ? { reason: holdReason.trim(), notBefore: notBefore ? new Date(notBefore).toISOString() : null } : undefined;
          reportOutcome(
            recall.mutateAsync({ id: item.id, version: item.version, reason: reason.trim(), ...(hold ? { hold } : {}) }),
            t(hold ? 'dispatch.done.held' : 'dispatch.done.recalled', { workOrder: item.workOrderNumber }),
            t('dispatch.failed', { workOrder: item.workOrderNumber }),
          );
          onClose();
        }}
      >
        <Stack gap="sm">
          <Text size="sm">{t('dispatch.recall.description')}</Text>
          <Textarea
            label={t('dispatch.recall.reason')}
            withAsterisk
            autosize
            minRows={2}
            value={reason}
            onChange={(e) => setReason(e.currentTarget.value)}
            data-autofocus
          />
          <Radio.Group label={t('dispatch.recall.then')} value={then} onChange={(v) => setThen(v === 'hold' ? 'hold' : 'queue')}>
            <Stack gap={6} mt={6}>
              <Radio value="queue" label={t('dispatch.recall.requeue')} />
              <Radio value="hold" label={t('dispatch.recall.hold')} />
            </Stack>
          </Radio.Group>
          {then === 'hold' ? (
            <>
              <Textarea
                label={t('dispatch.recall.holdReason')}
                withAsterisk
                autosize
                minRows={1}
                value={holdReason}
                onChange={(e) => setHoldReason(e.currentTarget.value)}
              />
              <TextInput
                type="datetime-local"
                label={t('dispatch.recall.notBefore')}
                value={notBefore}
                onChange={(e) => setNotBefore(e.currentTarget.value)}
              />
            </>
          ) : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              {t('common.close')}
            </Button>
            <Button type="submit" color="red.8" disabled={!ready}>
              {t('dispatch.recall.submit')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

function ActionDialogs({ action, item, onClose }: { action: DispatcherAction | null; item: BoardItem | null; onClose: () => void }) {
  const { t } = useTranslation();
  const cancel = useCancel();
  const priority = useChangePriority();
  const complete = useComplete();
  const release = useRelease();
  if (!action || !item) return null;
  const workOrder = item.workOrderNumber;
  const base = { opened: true, onClose, failedTitle: t('dispatch.failed', { workOrder }) };
  switch (action) {
    case 'recall':
      return <RecallDialog item={item} onClose={onClose} />;
    case 'release':
      return (
        <ActionDialog
          {...base}
          title={t('dispatch.release.title', { workOrder })}
          description={
            <>
              {t('dispatch.release.description')}
              {item.hold ? (
                <Alert mt="xs" variant="outline" color="gray" title={t('dispatch.heldReason', { reason: item.hold.reason })} />
              ) : null}
            </>
          }
          fields={[]}
          confirmLabel={t('dispatch.release.submit')}
          doneMessage={t('dispatch.done.released', { workOrder })}
          onSubmit={() => release.mutateAsync({ id: item.id, version: item.version })}
        />
      );
    case 'cancel':
      return (
        <ActionDialog
          {...base}
          title={t('dispatch.cancel.title', { workOrder })}
          fields={[{ kind: 'reason', label: t('dispatch.cancel.reason'), required: true }]}
          confirmLabel={t('dispatch.cancel.submit')}
          danger
          doneMessage={t('dispatch.done.cancelled', { workOrder })}
          onSubmit={(v) => cancel.mutateAsync({ id: item.id, version: item.version, reason: v.reason })}
        />
      );
    case 'change-priority':
      return (
        <ActionDialog
          {...base}
          title={t('dispatch.priority.title', { workOrder })}
          fields={[{ kind: 'priority' }]}
          initial={{ priority: item.priority }}
          confirmLabel={t('dispatch.priority.submit')}
          doneMessage={t('dispatch.done.reprioritised', { workOrder, priority: t(`priority.${item.priority}`) })}
          onSubmit={(v) => priority.mutateAsync({ id: item.id, version: item.version, priority: v.priority as Priority })}
        />
      );
    case 'complete':
      return (
        <ActionDialog
          {...base}
          title={t('dispatch.complete.title', { workOrder })}
          fields={[{ kind: 'reason', label: t('dispatch.complete.notes'), required: false }]}
          confirmLabel={t('dispatch.complete.submit')}
          doneMessage={t('dispatch.done.completed', { workOrder })}
          onSubmit={(v) => complete.mutateAsync({ id: item.id, version: item.version, notes: v.reason })}
        />
      );
    case 'manual-dispatch':
      return <ManualDispatchDialog item={item} onClose={onClose} />;
  }
}

/**
 * After a dialog, focus goes back to the card's actions button (or, if the card left the board, to
 * the page's heading). The board may move the card a moment later (optimistic update, then the
 * server's answer), which drops focus: so it is put back while it is lost, for half a second.
 */
function returnFocusTo(workOrder: string): void {
  const place = () => {
    const active = document.activeElement;
    if (active && active !== document.body && active.isConnected) return;
    const button = document.querySelector<HTMLElement>(`[data-actions-for="${CSS.escape(workOrder)}"]`);
    (button ?? document.getElementById('dispatch-title'))?.focus();
  };
  for (const ms of [0, 50, 150, 300, 500]) setTimeout(place, ms);
}

export function DispatchPage() {
  const { t } = useTranslation();
  const board = useBoard();
  const [selected, setSelected] = useState<{ action: DispatcherAction; item: BoardItem } | null>(null);
  // Stable, so that the board's cards (memoised) re-render only when their own dispatch changes.
  const onAction = useCallback((action: DispatcherAction, item: BoardItem) => setSelected({ action, item }), []);
  // `n` from another page arrives as /dispatch?new=1 (see features/search/shortcuts.ts).
  const [creating, setCreating] = useState(() => new URLSearchParams(window.location.search).has('new'));
  useHotkeys([['n', () => setCreating(true)]]);
  const close = () => {
    if (selected) returnFocusTo(selected.item.workOrderNumber);
    setSelected(null);
  };
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1} size="h2" id="dispatch-title" tabIndex={-1}>
          {t('dispatch.title')}
        </Title>
        <Group>
          <AutoProcessingSwitch />
          <Button leftSection={<IconPlus size={16} />} onClick={() => setCreating(true)} title={t('dispatch.newWorkOrderShortcut')}>
            {t('dispatch.newWorkOrder')}
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
            <Board items={board.items} onAction={onAction} />
          )}
        </Grid.Col>
        <Grid.Col span={{ base: 12, lg: 8 }}>
          <ResourcePanel />
        </Grid.Col>
      </Grid>
      <WorkOrderForm opened={creating} onClose={() => setCreating(false)} />
      <ActionDialogs action={selected?.action ?? null} item={selected?.item ?? null} onClose={close} />
    </Stack>
  );
}
