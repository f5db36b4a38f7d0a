import { useEffect, useMemo, useState, type DragEvent, type ReactNode } from 'react';
import { Badge, Box, Button, Group, Modal, Paper, Select, Stack, Text, Title, Tooltip } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconGripVertical } from '@tabler/icons-react';
import type { Board, CandidateDriver, CandidateEquipment, Driver, Equipment } from '@yardmaster/contracts';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { useMe } from '../../app/session';
import { messageOf } from '../../lib/api';
import { formatDate, formatDuration, formatTime } from '../../lib/time';
import { ErrorState, LoadingState, ProblemAlert } from '../../ui/States';
import { useAssign, useBoardData, useCandidates, useDriverRows, useEquipmentRows, useJobLengths, usePlan, useTypes } from './api';
import {
  barsByResource,
  planBandsByResource,
  planStateOf,
  waitingByType,
  windowAround,
  type Bar,
  type PlanBand,
  type PlanState,
  type Window,
} from './model';

type Queued = Board['queued'][number];
type Target = { kind: 'equipment'; id: string } | { kind: 'driver'; id: string };
const LABEL_WIDTH = 240;
const DRAG_TYPE = 'application/x-yardmaster-dispatch';

function Bars({ bars, timeZone }: { bars: Bar[]; timeZone: string }) {
  const { t } = useTranslation();
  return (
    <>
      {bars.map((b) => (
        <Tooltip
          key={b.dispatchId}
          label={t('timeline.bar', {
            workOrder: b.workOrderNumber,
            status: b.status.replace('_', ' '),
            from: formatTime(b.start, timeZone),
            to: formatTime(b.end, timeZone),
            typical: formatDuration(b.expectedSeconds * 1000),
          })}
        >
          <Box
            data-testid={`bar-${b.dispatchId}`}
            data-kind={b.kind}
            style={{
              position: 'absolute',
              top: 4,
              bottom: 4,
              left: `${b.left}%`,
              width: `${b.width}%`,
              borderRadius: 4,
              overflow: 'hidden',
              background: b.kind === 'active' ? 'var(--mantine-color-blue-8)' : 'var(--mantine-color-grape-8)',
              color: 'white',
              fontSize: 12,
              lineHeight: '20px',
              paddingInline: 4,
              whiteSpace: 'nowrap',
            }}
          >
            {/* The part still to go: hatched over the same colour, so the label keeps its contrast. */}
            {b.toGo > 0 ? (
              <Box
                aria-hidden
                style={{
                  position: 'absolute',
                  top: 0,
                  bottom: 0,
                  right: 0,
                  width: `${b.toGo}%`,
                  backgroundImage: 'repeating-linear-gradient(45deg, rgba(255,255,255,0.18) 0 4px, transparent 4px 8px)',
                }}
              />
            ) : null}
            <span style={{ position: 'relative' }}>{b.workOrderNumber}</span>
          </Box>
        </Tooltip>
      ))}
    </>
  );
}

// Light backgrounds under dark text (WCAG AA); leave and maintenance are hatched so they differ from shifts without colour.
const BAND_STYLE: Record<PlanBand['kind'], string> = {
  shift: 'var(--mantine-color-teal-1)',
  leave: 'repeating-linear-gradient(45deg, var(--mantine-color-gray-3) 0 6px, var(--mantine-color-gray-1) 6px 12px)',
  maintenance: 'repeating-linear-gradient(45deg, var(--mantine-color-orange-2) 0 6px, var(--mantine-color-orange-0) 6px 12px)',
};

/** Shifts, leave and maintenance windows behind a row's jobs; what they mean is also said in the row's label. */
function Bands({ bands, timeZone }: { bands: PlanBand[]; timeZone: string }) {
  const { t } = useTranslation();
  return (
    <>
      {bands.map((b) => {
        const label = t(`timeline.plan.band.${b.kind}`, { from: formatTime(b.start, timeZone), to: formatTime(b.end, timeZone) });
        return (
          <Box
            key={b.key}
            data-testid={`plan-${b.key}`}
            data-kind={b.kind}
            title={b.note ? `${label} (${b.note})` : label}
            style={{
              position: 'absolute',
              top: 0,
              bottom: 0,
              left: `${b.left}%`,
              width: `${b.width}%`,
              background: BAND_STYLE[b.kind],
              color: 'var(--mantine-color-gray-9)',
              fontSize: 11,
              lineHeight: '14px',
              paddingInline: 4,
              overflow: 'hidden',
              whiteSpace: 'nowrap',
              display: 'flex',
              alignItems: 'flex-end',
            }}
          >
            {b.kind === 'shift' ? null : <span aria-hidden>{t(`timeline.plan.short.${b.kind}`)}</span>}
          </Box>
        );
      })}
    </>
  );
}

/** The planning of a row now, in words. */
function usePlanNote() {
  const { t } = useTranslation();
  return (state: PlanState, timeZone: string): string | null => {
    if (!state) return null;
    switch (state.kind) {
      case 'leave':
        return t('timeline.plan.leave', { date: formatDate(state.until, timeZone) });
      case 'maintenance':
        return state.note
          ? t('timeline.plan.maintenanceNote', {
              from: formatTime(state.from, timeZone),
              to: formatTime(state.until, timeZone),
              note: state.note,
            })
          : t('timeline.plan.maintenance', { from: formatTime(state.from, timeZone), to: formatTime(state.until, timeZone) });
      case 'onShift':
        return t('timeline.plan.onShift', { time: formatTime(state.until, timeZone) });
      case 'nextShift':
        return t('timeline.plan.nextShift', { time: formatTime(state.from, timeZone) });
    }
  };
}

function Axis({ range, timeZone, now }: { range: Window; timeZone: string; now: number }) {
  const { t } = useTranslation();
  const span = range.to - range.from;
  const ticks: number[] = [];
  const firstHour = Math.ceil(range.from / 3_600_000) * 3_600_000;
  for (let tick = firstHour; tick <= range.to; tick += 3_600_000) ticks.push(tick);
  return (
    <Group gap={0} wrap="nowrap" aria-hidden>
      <Box w={LABEL_WIDTH} style={{ flexShrink: 0 }} />
      <Box style={{ position: 'relative', flex: 1, height: 22 }}>
        {ticks.map((tick) => (
          <Text
            key={tick}
            size="xs"
            style={{ position: 'absolute', left: `${((tick - range.from) / span) * 100}%`, transform: 'translateX(-50%)' }}
          >
            {formatTime(tick, timeZone)}
          </Text>
        ))}
        <Text
          size="xs"
          fw={700}
          c="red.9"
          style={{ position: 'absolute', left: `${((now - range.from) / span) * 100}%`, top: -14, transform: 'translateX(-50%)' }}
        >
          {t('timeline.now')}
        </Text>
      </Box>
    </Group>
  );
}

/**
 * One resource's row. While a request is picked up, a row that cannot take it is greyed with the
 * server's reasons; one that can shows "Assign here" and accepts a drop.
 */
function Row({
  label,
  sub,
  bars,
  bands,
  planNote,
  range,
  now,
  timeZone,
  eligibility,
  highlighted,
  onAssign,
  testId,
}: {
  label: ReactNode;
  sub: ReactNode;
  bars: Bar[];
  bands: PlanBand[];
  planNote: string | null;
  range: Window;
  now: number;
  timeZone: string;
  eligibility: { eligible: boolean; reasons: string[] } | null;
  highlighted: boolean;
  onAssign: () => void;
  testId: string;
}) {
  const { t } = useTranslation();
  const [over, setOver] = useState(false);
  const greyed = eligibility !== null && !eligibility.eligible;
  const accepts = eligibility?.eligible === true;
  const onDragOver = (e: DragEvent) => {
    if (!accepts) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'move';
    setOver(true);
  };
  return (
    <Group
      gap={0}
      wrap="nowrap"
      data-testid={testId}
      data-eligible={eligibility === null ? undefined : String(eligibility.eligible)}
      onDragOver={onDragOver}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        setOver(false);
        if (!accepts) return;
        e.preventDefault();
        onAssign();
      }}
      style={{
        borderBottom: '1px solid var(--mantine-color-gray-3)',
        background: over
          ? 'var(--mantine-color-teal-1)'
          : greyed
            ? 'var(--mantine-color-gray-2)'
            : highlighted
              ? 'var(--mantine-color-yellow-1)'
              : undefined,
        minHeight: 30,
      }}
    >
      <Box w={LABEL_WIDTH} px="xs" py={2} style={{ flexShrink: 0 }}>
        <Group gap={6} wrap="nowrap" justify="space-between">
          <div>
            <Text size="sm" fw={600} lh={1.2}>
              {label}
            </Text>
            <Text size="xs" c="gray.8" lh={1.2}>
              {greyed ? eligibility.reasons.join('; ') || t('timeline.cannotTake') : sub}
              {!greyed && planNote ? (
                <>
                  {' · '}
                  <span data-testid="plan-note">{planNote}</span>
                </>
              ) : null}
            </Text>
          </div>
          {accepts ? (
            <Button size="compact-xs" variant="filled" color="teal.9" onClick={onAssign}>
              {t('timeline.assignHere')}
            </Button>
          ) : null}
        </Group>
      </Box>
      <Box style={{ position: 'relative', flex: 1, alignSelf: 'stretch', minHeight: 28 }}>
        <Bands bands={bands} timeZone={timeZone} />
        <Box
          aria-hidden
          style={{
            position: 'absolute',
            top: 0,
            bottom: 0,
            left: `${((now - range.from) / (range.to - range.from)) * 100}%`,
            borderLeft: '2px solid var(--mantine-color-red-7)',
          }}
        />
        <Bars bars={bars} timeZone={timeZone} />
      </Box>
    </Group>
  );
}

function QueuedChip({
  d,
  picked,
  onPick,
  disabled,
}: {
  d: Queued;
  picked: boolean;
  onPick: (d: Queued | null) => void;
  disabled: boolean;
}) {
  const { t } = useTranslation();
  return (
    <Button
      size="compact-sm"
      variant={picked ? 'filled' : 'default'}
      color={picked ? 'teal.9' : 'gray'}
      draggable={!disabled}
      disabled={disabled}
      data-testid={`queued-${d.id}`}
      leftSection={<IconGripVertical size={12} />}
      onDragStart={(e: DragEvent) => {
        e.dataTransfer.setData(DRAG_TYPE, d.id);
        e.dataTransfer.effectAllowed = 'move';
        onPick(d);
      }}
      onClick={() => onPick(picked ? null : d)}
      aria-pressed={picked}
      title={t('timeline.chipTitle', { position: d.queuePosition, waiting: formatDuration(d.waitingSeconds * 1000) })}
    >
      {d.workOrderNumber} · #{d.queuePosition} · {t(`timeline.priority.${d.priority}`)}
    </Button>
  );
}

function AssignDialog({
  dispatch,
  target,
  equipment,
  drivers,
  onClose,
}: {
  dispatch: Queued;
  target: Target;
  equipment: CandidateEquipment[];
  drivers: CandidateDriver[];
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const assign = useAssign();
  const [equipmentId, setEquipmentId] = useState<string | null>(target.kind === 'equipment' ? target.id : null);
  const [driverId, setDriverId] = useState<string | null>(target.kind === 'driver' ? target.id : null);
  const optionsOf = (items: { id: string; label: string; eligible: boolean; reasons: string[] }[]) =>
    [...items]
      .sort((a, b) => Number(b.eligible) - Number(a.eligible))
      .map((i) => ({ value: i.id, label: i.eligible ? i.label : `${i.label} — ${i.reasons.join('; ')}`, disabled: !i.eligible }));
  return (
    <Modal
      opened
      onClose={onClose}
      title={t('timeline.assign.title', { workOrder: dispatch.workOrderNumber })}
      closeButtonProps={{ 'aria-label': t('common.close') }}
    >
      <Stack>
        <Select
          label={t('timeline.assign.equipment')}
          data={optionsOf(equipment.map((e) => ({ id: e.id, label: `${e.code} — ${e.name}`, eligible: e.eligible, reasons: e.reasons })))}
          value={equipmentId}
          onChange={setEquipmentId}
          searchable
        />
        <Select
          label={t('timeline.assign.driver')}
          data={optionsOf(drivers.map((d) => ({ id: d.id, label: d.name, eligible: d.eligible, reasons: d.reasons })))}
          value={driverId}
          onChange={setDriverId}
          searchable
        />
        <ProblemAlert error={assign.error} title={t('timeline.assign.failed')} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t('common.cancel')}
          </Button>
          <Button
            disabled={!equipmentId || !driverId}
            loading={assign.isPending}
            onClick={() =>
              assign.mutate(
                { id: dispatch.id, version: dispatch.version, equipmentId: equipmentId ?? '', driverId: driverId ?? '' },
                {
                  onSuccess: () => {
                    notifications.show({ color: 'teal', message: t('timeline.assign.done', { workOrder: dispatch.workOrderNumber }) });
                    onClose();
                  },
                  onError: (e) => notifications.show({ color: 'red', title: t('timeline.assign.failed'), message: messageOf(e) }),
                },
              )
            }
          >
            {t('timeline.assign.submit')}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

/**
 * The day at a glance: equipment (by type) and drivers as rows, their jobs as bars with the typical
 * time to go, the work waiting for each type above its machines. A waiting request is dragged (or
 * picked up with a press) onto a row that may take it.
 */
export function TimelinePage() {
  const me = useMe();
  const canAssign = me.hasRole('dispatcher', 'admin');
  const [params] = useSearchParams();
  const board = useBoardData();
  const lengths = useJobLengths();
  const equipment = useEquipmentRows();
  const drivers = useDriverRows();
  const types = useTypes();
  const { t } = useTranslation();
  const sayPlan = usePlanNote();
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 60_000);
    return () => clearInterval(timer);
  }, []);
  const range = useMemo(() => windowAround(now), [now]);
  const [picked, setPicked] = useState<Queued | null>(null);
  const [target, setTarget] = useState<Target | null>(null);
  const candidates = useCandidates(picked?.id ?? null);
  const plan = usePlan(range.from);

  // A picked request that left the queue (assigned elsewhere, cancelled) is dropped.
  useEffect(() => {
    if (picked && board.data && !board.data.queued.some((d) => d.id === picked.id)) setPicked(null);
  }, [board.data, picked]);
  const focus = params.get('equipment') ?? params.get('driver');
  useEffect(() => {
    if (focus) document.querySelector(`[data-testid$="-${focus}"]`)?.scrollIntoView({ block: 'center' });
  }, [focus, equipment.data, drivers.data]);

  const error = board.error ?? equipment.error ?? drivers.error ?? types.error;
  if (error) return <ErrorState error={error} onRetry={() => void board.refetch()} />;
  if (!board.data || !equipment.data || !drivers.data || !types.data) return <LoadingState />;

  const { byEquipment, byDriver } = barsByResource(board.data, lengths.data, range, now);
  const waiting = waitingByType(board.data, lengths.data, range, now);
  const planned = plan.data
    ? planBandsByResource(plan.data, range)
    : { byDriver: new Map<string, PlanBand[]>(), byEquipment: new Map<string, PlanBand[]>() };
  const eqEligibility = (e: Equipment) => {
    if (!picked) return null;
    if (!candidates.data) return { eligible: false, reasons: [t('timeline.checking')] };
    const c = candidates.data.equipment.find((x) => x.id === e.id);
    return c ? { eligible: c.eligible, reasons: c.reasons } : { eligible: false, reasons: [t('timeline.otherType')] };
  };
  const driverEligibility = (d: Driver) => {
    if (!picked) return null;
    if (!candidates.data) return { eligible: false, reasons: [t('timeline.checking')] };
    const c = candidates.data.drivers.find((x) => x.id === d.id);
    return c ? { eligible: c.eligible, reasons: c.reasons } : { eligible: false, reasons: [t('timeline.notAvailable')] };
  };
  const onAssign = (to: Target) => setTarget(to);
  const liveTypes = types.data.filter((type) => !type.archived || waiting.has(type.id));
  const row = { range, now, timeZone: me.timeZone };

  return (
    <Stack gap="sm">
      <Group justify="space-between">
        <Title order={2}>{t('timeline.title')}</Title>
        <Group gap="xs">
          <Badge color="blue.8" variant="filled">
            {t('timeline.legend.active')}
          </Badge>
          <Badge color="grape.8" variant="filled">
            {t('timeline.legend.scheduled')}
          </Badge>
          <Badge color="gray" variant="default">
            {t('timeline.legend.waiting')}
          </Badge>
          {(['shift', 'leave', 'maintenance'] as const).map((kind) => (
            <Badge
              key={kind}
              variant="default"
              leftSection={
                <Box aria-hidden w={12} h={12} style={{ background: BAND_STYLE[kind], border: '1px solid var(--mantine-color-gray-5)' }} />
              }
            >
              {t(`timeline.plan.legend.${kind}`)}
            </Badge>
          ))}
        </Group>
      </Group>
      {picked ? (
        <Paper withBorder p="xs" data-testid="picked" style={{ borderColor: 'var(--mantine-color-teal-7)' }}>
          <Group justify="space-between">
            <Text size="sm">
              <b>{t('timeline.picked.assigning', { workOrder: picked.workOrderNumber })}</b> {t('timeline.picked.help')}
            </Text>
            <Button size="compact-sm" variant="default" onClick={() => setPicked(null)}>
              {t('timeline.picked.putBack')}
            </Button>
          </Group>
        </Paper>
      ) : null}
      <ProblemAlert error={candidates.error} />
      <ProblemAlert error={plan.error} title={t('timeline.plan.failed')} />
      <Paper withBorder p={0} data-testid="timeline">
        <Axis {...row} />
        {liveTypes.map((type) => {
          const w = waiting.get(type.id);
          const machines = equipment.data.filter((e) => e.equipmentTypeId === type.id && e.status !== 'retired');
          if (machines.length === 0 && !w) return null;
          return (
            <Box key={type.id} component="section" aria-label={type.name}>
              <Group
                gap={0}
                wrap="nowrap"
                style={{ background: 'var(--mantine-color-gray-1)', borderBottom: '1px solid var(--mantine-color-gray-3)' }}
              >
                <Box w={LABEL_WIDTH} px="xs" py={4} style={{ flexShrink: 0 }}>
                  <Title order={3} size="sm">
                    {type.code} — {type.name}
                  </Title>
                  <Text size="xs" c="gray.8">
                    {t('timeline.typeCounts', { waiting: w?.queued.length ?? 0, scheduled: w?.scheduled.length ?? 0 })}
                  </Text>
                </Box>
                <Box style={{ position: 'relative', flex: 1, alignSelf: 'stretch', minHeight: 30 }}>
                  <Group gap={4} p={4} style={{ position: 'relative', zIndex: 1 }}>
                    {(w?.queued ?? []).map((d) => (
                      <QueuedChip key={d.id} d={d} picked={picked?.id === d.id} onPick={setPicked} disabled={!canAssign} />
                    ))}
                  </Group>
                  <Bars bars={w?.scheduled ?? []} timeZone={me.timeZone} />
                </Box>
              </Group>
              {machines.map((e) => (
                <Row
                  key={e.id}
                  testId={`row-equipment-${e.id}`}
                  label={e.assetTag}
                  sub={`${e.name} · ${t(`timeline.equipmentStatus.${e.status}`)}`}
                  bars={byEquipment.get(e.id) ?? []}
                  bands={planned.byEquipment.get(e.id) ?? []}
                  planNote={sayPlan(planStateOf(planned.byEquipment.get(e.id), now), me.timeZone)}
                  eligibility={eqEligibility(e)}
                  highlighted={params.get('equipment') === e.id}
                  onAssign={() => onAssign({ kind: 'equipment', id: e.id })}
                  {...row}
                />
              ))}
            </Box>
          );
        })}
        <Box component="section" aria-label={t('timeline.drivers')}>
          <Box px="xs" py={4} style={{ background: 'var(--mantine-color-gray-1)', borderBottom: '1px solid var(--mantine-color-gray-3)' }}>
            <Title order={3} size="sm">
              {t('timeline.drivers')}
            </Title>
          </Box>
          {drivers.data
            .filter((d) => !d.archived)
            .map((d) => (
              <Row
                key={d.id}
                testId={`row-driver-${d.id}`}
                label={d.name}
                sub={`${d.dutyStatus === 'on_duty' ? t('timeline.onDuty') : t('timeline.offDuty')}${d.qualifications.length ? ` · ${d.qualifications.map((q) => (q.expired ? t('timeline.expired', { code: q.code }) : q.code)).join(', ')}` : ''}`}
                bars={byDriver.get(d.id) ?? []}
                bands={planned.byDriver.get(d.id) ?? []}
                planNote={sayPlan(planStateOf(planned.byDriver.get(d.id), now), me.timeZone)}
                eligibility={driverEligibility(d)}
                highlighted={params.get('driver') === d.id}
                onAssign={() => onAssign({ kind: 'driver', id: d.id })}
                {...row}
              />
            ))}
        </Box>
      </Paper>
      {picked && target && candidates.data ? (
        <AssignDialog
          dispatch={picked}
          target={target}
          equipment={candidates.data.equipment}
          drivers={candidates.data.drivers}
          onClose={() => {
            setTarget(null);
          }}
        />
      ) : null}
    </Stack>
  );
}
