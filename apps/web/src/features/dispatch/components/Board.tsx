import { ActionIcon, Anchor, Badge, Card, Group, Menu, Paper, ScrollArea, SimpleGrid, Stack, Text, Title, Tooltip } from '@mantine/core';
import { IconDots, IconClock } from '@tabler/icons-react';
import { Link } from 'react-router';
import { useMe } from '../../../app/session';
import { ageOf, formatTime } from '../../../lib/time';
import { useExplain } from '../api';
import { actionsFor, BOARD_COLUMNS, byQueueOrder, PRIORITY_COLOR, statusLabel, type BoardItem, type DispatcherAction, type DispatchStatus } from '../model';

export type { BoardItem } from '../model';

const ACTION_LABEL: Record<DispatcherAction, string> = {
  'manual-dispatch': 'Dispatch manually…',
  recall: 'Recall…',
  cancel: 'Cancel…',
  'change-priority': 'Change priority…',
  complete: 'Complete…',
};

/** Why it waits, from the server's explanation: the blockers and the estimate. */
function QueueReason({ id }: { id: string }) {
  const { timeZone } = useMe();
  const explain = useExplain(id, true);
  if (!explain.data) return null;
  const { blockers, estimatedAssignmentAt, competing } = explain.data;
  return (
    <Stack gap={0} mt={2} data-testid="queue-reason">
      {blockers.map((b) => (
        <Text key={b.kind} size="xs" c="orange.8">
          {b.message}
        </Text>
      ))}
      <Text size="xs" c="dimmed">
        {competing > 0 ? `${competing} competing · ` : ''}
        {estimatedAssignmentAt ? `expected by ${formatTime(estimatedAssignmentAt, timeZone)}` : 'no estimate'}
      </Text>
    </Stack>
  );
}

function DispatchCard({ item, onAction }: { item: BoardItem; onAction: (action: DispatcherAction, item: BoardItem) => void }) {
  const { timeZone } = useMe();
  const isQueued = item.status === 'queued' || item.status === 'scheduled';
  const actions = actionsFor(item.status);
  return (
    <Card withBorder padding="sm" radius="md" data-testid="dispatch-card" data-status={item.status} data-work-order={item.workOrderNumber}>
      <Group justify="space-between" wrap="nowrap" gap="xs">
        <Group gap={6} wrap="nowrap" style={{ minWidth: 0 }}>
          {isQueued && item.position != null ? (
            <Badge variant="filled" color="dark" size="sm" data-testid="queue-position" style={{ flexShrink: 0 }}>
              #{item.position}
            </Badge>
          ) : null}
          <Anchor component={Link} to={`/work-orders/${item.workOrderNumber}`} fw={700} size="sm" c="inherit" style={{ whiteSpace: 'nowrap' }}>
            {item.workOrderNumber}
          </Anchor>
        </Group>
        {actions.length ? (
          <Menu position="bottom-end" withinPortal>
            <Menu.Target>
              <ActionIcon variant="subtle" aria-label={`Actions for ${item.workOrderNumber}`}>
                <IconDots size={16} />
              </ActionIcon>
            </Menu.Target>
            <Menu.Dropdown>
              {actions.map((a) => (
                <Menu.Item key={a} onClick={() => onAction(a, item)} color={a === 'cancel' || a === 'recall' ? 'red' : undefined}>
                  {ACTION_LABEL[a]}
                </Menu.Item>
              ))}
            </Menu.Dropdown>
          </Menu>
        ) : null}
      </Group>
      <Badge size="xs" color={PRIORITY_COLOR[item.priority]} variant="light" mt={2}>
        {item.priority}
      </Badge>
      <Text size="sm" mt={4}>
        {item.equipmentTypeName} → {item.siteName}
      </Text>
      {item.equipmentName || item.driverName ? (
        <Text size="xs" c="dimmed">
          {item.equipmentName ?? '—'} · {item.driverName ?? '—'}
        </Text>
      ) : null}
      {isQueued ? (
        <>
          <Group gap={4} mt={4}>
            <IconClock size={12} />
            <Text size="xs" c="dimmed" data-testid="queue-age">
              waiting {ageOf(item.queuedAt)}
            </Text>
          </Group>
          {item.status === 'queued' ? <QueueReason id={item.id} /> : null}
        </>
      ) : (
        <Text size="xs" c="dimmed" mt={4}>
          {statusLabel(item.status)} since {formatTime(item.changedAt, timeZone)}
        </Text>
      )}
    </Card>
  );
}

export function Board({ items, onAction }: { items: BoardItem[]; onAction: (action: DispatcherAction, item: BoardItem) => void }) {
  return (
    <SimpleGrid cols={{ base: 1, sm: 2, md: 3, lg: 5 }} spacing="sm" data-testid="board">
      {BOARD_COLUMNS.map((col) => {
        const statuses: readonly DispatchStatus[] = col.statuses;
        const inColumn = items.filter((i) => statuses.includes(i.status));
        if (col.key === 'queued') inColumn.sort(byQueueOrder);
        return (
          <Paper key={col.key} withBorder p="xs" bg="gray.0" data-testid={`column-${col.key}`}>
            <Group justify="space-between" mb="xs">
              <Title order={5}>{col.label}</Title>
              <Tooltip label={`${inColumn.length} in ${col.label.toLowerCase()}`}>
                <Badge variant="light" color="gray">
                  {inColumn.length}
                </Badge>
              </Tooltip>
            </Group>
            <ScrollArea.Autosize mah="70vh">
              <Stack gap="xs">
                {inColumn.length === 0 ? (
                  <Text size="xs" c="dimmed" ta="center" py="md">
                    none
                  </Text>
                ) : (
                  inColumn.map((i) => <DispatchCard key={i.id} item={i} onAction={onAction} />)
                )}
              </Stack>
            </ScrollArea.Autosize>
          </Paper>
        );
      })}
    </SimpleGrid>
  );
}
