import { ActionIcon, Anchor, Badge, Card, Group, Menu, Paper, ScrollArea, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { IconClock, IconDots, IconPlayerPause } from '@tabler/icons-react';
import { memo, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { useMe } from '../../../app/session';
import { ageOf, formatDateTime, formatTime } from '../../../lib/time';
import {
  actionsFor,
  BOARD_COLUMNS,
  byQueueOrder,
  PRIORITY_COLOR,
  type BoardItem,
  type DispatcherAction,
  type DispatchStatus,
} from '../model';

export type { BoardItem } from '../model';

type OnAction = (action: DispatcherAction, item: BoardItem) => void;

function CardActions({ item, onAction }: { item: BoardItem; onAction: OnAction }) {
  const { t } = useTranslation();
  const actions = actionsFor(item.status);
  if (actions.length === 0) return null;
  return (
    <Menu position="bottom-end" withinPortal>
      <Menu.Target>
        <ActionIcon
          variant="subtle"
          color="gray"
          aria-label={t('dispatch.actionsFor', { workOrder: item.workOrderNumber })}
          data-actions-for={item.workOrderNumber}
        >
          <IconDots size={16} />
        </ActionIcon>
      </Menu.Target>
      <Menu.Dropdown>
        {actions.map((a) => (
          <Menu.Item key={a} onClick={() => onAction(a, item)} color={a === 'cancel' || a === 'recall' ? 'red.8' : undefined}>
            {t(`dispatch.actions.${a}`)}
          </Menu.Item>
        ))}
      </Menu.Dropdown>
    </Menu>
  );
}

/** "Waiting 12 min": counts on by itself every minute (the card around it re-renders only when its dispatch changes). */
function QueueAge({ queuedAt }: { queuedAt: string | null }) {
  const { t } = useTranslation();
  const [, tick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => tick((n) => n + 1), 60_000);
    return () => clearInterval(timer);
  }, []);
  return (
    <Text size="xs" c="dimmed" data-testid="queue-age">
      {t('dispatch.waitingFor', { age: ageOf(queuedAt) })}
    </Text>
  );
}

function DispatchCardView({ item, onAction }: { item: BoardItem; onAction: OnAction }) {
  const { t } = useTranslation();
  const { timeZone } = useMe();
  const waiting = item.status === 'queued' || item.status === 'scheduled' || item.status === 'held';
  return (
    <Card withBorder padding="sm" radius="md" data-testid="dispatch-card" data-status={item.status} data-work-order={item.workOrderNumber}>
      <Group justify="space-between" wrap="nowrap" gap="xs">
        <Group gap={6} wrap="nowrap" style={{ minWidth: 0 }}>
          {item.status === 'queued' && item.position != null ? (
            <Badge
              variant="filled"
              color="dark"
              size="sm"
              data-testid="queue-position"
              style={{ flexShrink: 0 }}
              title={t('dispatch.positionLabel', {
                position: item.position,
                total: item.competing ?? item.position,
                type: item.equipmentTypeName,
              })}
            >
              {t('dispatch.position', { position: item.position, total: item.competing ?? item.position, type: item.equipmentTypeName })}
            </Badge>
          ) : null}
          <Anchor
            component={Link}
            to={`/work-orders/${item.workOrderNumber}`}
            fw={700}
            size="sm"
            c="inherit"
            style={{ whiteSpace: 'nowrap' }}
          >
            {item.workOrderNumber}
          </Anchor>
        </Group>
        <CardActions item={item} onAction={onAction} />
      </Group>
      <Badge size="xs" color={PRIORITY_COLOR[item.priority]} variant="dot" mt={2}>
        {t(`priority.${item.priority}`)}
      </Badge>
      <Text size="sm" mt={4}>
        {item.equipmentTypeName} → {item.siteName}
      </Text>
      {item.equipmentName || item.driverName ? (
        <Text size="xs" c="dimmed">
          {item.equipmentName ?? '—'} · {item.driverName ?? '—'}
        </Text>
      ) : null}
      {item.status === 'scheduled' ? (
        <Text size="xs" mt={4} data-testid="scheduled-start">
          {t('dispatch.startsAt', { time: formatDateTime(item.requestedStart, timeZone) })}
        </Text>
      ) : null}
      {item.status === 'held' && item.hold ? (
        <Stack gap={0} mt={4} data-testid="hold">
          <Group gap={4}>
            <IconPlayerPause size={12} aria-hidden />
            <Text size="xs">{t('dispatch.heldReason', { reason: item.hold.reason })}</Text>
          </Group>
          {item.hold.notBefore ? (
            <Text size="xs">{t('dispatch.heldUntil', { time: formatDateTime(item.hold.notBefore, timeZone) })}</Text>
          ) : null}
        </Stack>
      ) : null}
      {item.status === 'queued' ? (
        <>
          <Group gap={4} mt={4}>
            <IconClock size={12} aria-hidden />
            <QueueAge queuedAt={item.queuedAt} />
          </Group>
          {item.reason ? (
            <Text size="xs" fw={500} data-testid="queue-reason">
              {item.reason}
            </Text>
          ) : null}
          {item.declinedBy ? (
            <Text size="xs" c="red.9" data-testid="decline-reason">
              {item.declineReason
                ? t('dispatch.declined', { driver: item.declinedBy, reason: item.declineReason })
                : t('dispatch.declinedNoReason', { driver: item.declinedBy })}
            </Text>
          ) : null}
        </>
      ) : !waiting ? (
        <Text size="xs" c="dimmed" mt={4}>
          {t('dispatch.since', { status: t(`status.${item.status}`), time: formatTime(item.changedAt, timeZone) })}
        </Text>
      ) : null}
    </Card>
  );
}

/** Same card content: a change to one dispatch re-renders its card only, not the whole board. */
function sameItem(a: BoardItem, b: BoardItem): boolean {
  for (const key of Object.keys(a) as Array<keyof BoardItem>) {
    if (key === 'hold') continue;
    if (a[key] !== b[key]) return false;
  }
  return a.hold?.reason === b.hold?.reason && a.hold?.notBefore === b.hold?.notBefore;
}

const DispatchCard = memo(DispatchCardView, (before, after) => before.onAction === after.onAction && sameItem(before.item, after.item));

function Cards({ items, onAction }: { items: BoardItem[]; onAction: OnAction }) {
  return (
    <Stack gap="xs">
      {items.map((i) => (
        <DispatchCard key={i.id} item={i} onAction={onAction} />
      ))}
    </Stack>
  );
}

/** The waiting column: queued work grouped by equipment type (positions are per type), then scheduled, then held. */
function WaitingColumn({ items, onAction }: { items: BoardItem[]; onAction: OnAction }) {
  const { t } = useTranslation();
  const queued = items.filter((i) => i.status === 'queued').sort(byQueueOrder);
  const groups = new Map<string, BoardItem[]>();
  for (const item of queued) groups.set(item.equipmentTypeId, [...(groups.get(item.equipmentTypeId) ?? []), item]);
  const scheduled = items.filter((i) => i.status === 'scheduled').sort((a, b) => a.requestedStart.localeCompare(b.requestedStart));
  const held = items.filter((i) => i.status === 'held');
  return (
    <Stack gap="sm">
      {[...groups.values()].map((group) => {
        const first = group[0] as BoardItem;
        return (
          <section
            key={first.equipmentTypeId}
            aria-label={t('dispatch.typeGroup', { type: first.equipmentTypeName, count: group.length })}
            data-testid="type-group"
            data-type={first.equipmentTypeName}
          >
            <Title order={3} size="sm" mb={4}>
              {t('dispatch.typeGroup', { type: first.equipmentTypeName, count: group.length })}
            </Title>
            <Cards items={group} onAction={onAction} />
          </section>
        );
      })}
      {scheduled.length ? (
        <section aria-label={t('dispatch.scheduledGroup')} data-testid="scheduled-group">
          <Title order={3} size="sm" mb={4}>
            {t('dispatch.scheduledGroup')}
          </Title>
          <Cards items={scheduled} onAction={onAction} />
        </section>
      ) : null}
      {held.length ? (
        <section aria-label={t('dispatch.heldGroup')} data-testid="held-group">
          <Title order={3} size="sm" mb={4}>
            {t('dispatch.heldGroup')}
          </Title>
          <Cards items={held} onAction={onAction} />
        </section>
      ) : null}
    </Stack>
  );
}

export function Board({ items, onAction }: { items: BoardItem[]; onAction: OnAction }) {
  const { t } = useTranslation();
  return (
    <SimpleGrid cols={{ base: 1, sm: 2, md: 3, lg: 5 }} spacing="sm" data-testid="board">
      {BOARD_COLUMNS.map((col) => {
        const statuses: readonly DispatchStatus[] = col.statuses;
        const inColumn = items.filter((i) => statuses.includes(i.status));
        const label = t(`dispatch.columns.${col.key}`);
        return (
          <Paper key={col.key} withBorder p="xs" data-testid={`column-${col.key}`}>
            <Group justify="space-between" mb="xs">
              <Title order={2} size="h5">
                {label}
              </Title>
              <Badge variant="outline" color="gray" aria-label={t('dispatch.columnCount', { count: inColumn.length, column: label })}>
                {inColumn.length}
              </Badge>
            </Group>
            <ScrollArea.Autosize mah="70vh">
              {inColumn.length === 0 ? (
                <Text size="xs" c="dimmed" ta="center" py="md">
                  {t('dispatch.nothingHere')}
                </Text>
              ) : col.key === 'queued' ? (
                <WaitingColumn items={inColumn} onAction={onAction} />
              ) : (
                <Cards items={inColumn} onAction={onAction} />
              )}
            </ScrollArea.Autosize>
          </Paper>
        );
      })}
    </SimpleGrid>
  );
}
