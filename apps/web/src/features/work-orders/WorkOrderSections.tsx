import { useState } from 'react';
import { Anchor, Badge, Button, Card, Group, Stack, Table, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import type { AuditEvent, Dispatch, Driver, Equipment, WorkOrder } from '@yardmaster/contracts';
import { useMe } from '../../app/session';
import { isProblemError } from '../../lib/api';
import { formatDateTime } from '../../lib/time';
import { ErrorState, LoadingState } from '../../ui/States';
import { useAuditHistory, useEquipmentTypeNames, useOne, useWorkOrderDispatches, useWorkOrderReports } from './api';

/*
 * The parts of the work-order page that read the rest of the API (issue 15): its lines, each
 * dispatch with what happened to it, its status reports and its audit trail.
 */

const STAMPS = [
  'createdAt',
  'heldAt',
  'dispatchedAt',
  'enRouteAt',
  'onSiteAt',
  'returningAt',
  'completedAt',
  'recalledAt',
  'cancelledAt',
] as const;

/** "dispatch.recalled" → "recalled"; "work_order.created" → "created". */
const actionWords = (action: string): string => (action.split('.').pop() ?? action).replaceAll('_', ' ');

/** What an event changed, in a few words: the fields whose values differ between before and after. */
function changedFields(event: AuditEvent): string {
  const before = event.before ?? {};
  const after = event.after ?? {};
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter(
    (k) => k !== 'version' && k !== 'updatedAt' && JSON.stringify(before[k]) !== JSON.stringify(after[k]),
  );
  return keys
    .slice(0, 6)
    .map((k) => {
      const value = after[k];
      return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? `${k}: ${String(value)}` : k;
    })
    .join(', ');
}

export function WorkOrderLines({ workOrder }: { workOrder: WorkOrder }) {
  const { t } = useTranslation();
  const types = useEquipmentTypeNames();
  return (
    <Card withBorder data-testid="work-order-lines">
      <Title order={3} size="h4">
        {t('workOrder.lines')}
      </Title>
      <Table mt="xs">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t('workOrder.line')}</Table.Th>
            <Table.Th>{t('workOrder.equipmentType')}</Table.Th>
            <Table.Th>{t('workOrder.quantity')}</Table.Th>
            <Table.Th>{t('workOrder.specificMachine')}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {workOrder.lines.map((line) => (
            <Table.Tr key={line.id} data-testid="work-order-line">
              <Table.Td>{line.lineNo}</Table.Td>
              <Table.Td>{types.data?.get(line.equipmentTypeId) ?? '…'}</Table.Td>
              <Table.Td>{line.quantity}</Table.Td>
              <Table.Td>{line.equipmentId ? <MachineName id={line.equipmentId} /> : t('workOrder.anyMachine')}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Card>
  );
}

function MachineName({ id }: { id: string }) {
  const machine = useOne<Equipment>('equipment', id);
  return <>{machine.data ? `${machine.data.assetTag} — ${machine.data.name}` : '…'}</>;
}

function DriverName({ id }: { id: string }) {
  const driver = useOne<Driver>('drivers', id);
  return <>{driver.data?.name ?? '…'}</>;
}

function AuditTable({ events, testId }: { events: AuditEvent[]; testId: string }) {
  const { t } = useTranslation();
  const { timeZone } = useMe();
  return (
    <Table data-testid={testId} verticalSpacing={4}>
      <Table.Thead>
        <Table.Tr>
          <Table.Th>{t('workOrder.when')}</Table.Th>
          <Table.Th>{t('workOrder.who')}</Table.Th>
          <Table.Th>{t('workOrder.what')}</Table.Th>
          <Table.Th>{t('workOrder.changed')}</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {events.map((e) => (
          <Table.Tr key={e.sequence} data-testid="audit-event" data-action={e.action}>
            <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(e.occurredAt, timeZone)}</Table.Td>
            <Table.Td>{e.actor.kind === 'system' ? t('workOrder.system') : e.actor.name}</Table.Td>
            <Table.Td>{actionWords(e.action)}</Table.Td>
            <Table.Td>
              <Text size="xs">{changedFields(e)}</Text>
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

/** The audit trail is not shown to people limited to a region (the server refuses them): say so plainly. */
function AuditState({ error }: { error: unknown }) {
  const { t } = useTranslation();
  if (isProblemError(error) && error.status === 403) {
    return (
      <Text size="sm" c="dimmed">
        {t('workOrder.auditNotYours')}
      </Text>
    );
  }
  return <ErrorState error={error} />;
}

function DispatchHistory({ dispatch }: { dispatch: Dispatch }) {
  const history = useAuditHistory('dispatch', dispatch.id);
  if (history.error) return <AuditState error={history.error} />;
  if (!history.data) return <LoadingState />;
  return <AuditTable events={history.data.items} testId="dispatch-history" />;
}

function DispatchCard({ dispatch, index, workOrder }: { dispatch: Dispatch; index: number; workOrder: WorkOrder }) {
  const { t } = useTranslation();
  const { timeZone } = useMe();
  const [open, setOpen] = useState(false);
  const line = workOrder.lines.find((l) => l.id === dispatch.lineId);
  const reasons = [
    dispatch.declineReason ? t('workOrder.declineReason', { reason: dispatch.declineReason }) : null,
    dispatch.recallReason ? t('workOrder.recallReason', { reason: dispatch.recallReason }) : null,
    dispatch.cancelReason ? t('workOrder.cancelReason', { reason: dispatch.cancelReason }) : null,
    dispatch.hold ? t('workOrder.holdReason', { reason: dispatch.hold.reason }) : null,
  ].filter((r): r is string => r !== null);
  return (
    <Card withBorder padding="sm" data-testid="work-order-dispatch" data-status={dispatch.status}>
      <Group justify="space-between">
        <Group gap="xs">
          <Text fw={600}>{t('workOrder.dispatchN', { n: index + 1, line: line?.lineNo ?? '?' })}</Text>
          <Badge variant="light">{t(`status.${dispatch.status}`)}</Badge>
          <Badge variant="outline">{t(`priority.${dispatch.priority}`)}</Badge>
        </Group>
        <Button
          size="compact-sm"
          variant="subtle"
          aria-expanded={open}
          aria-label={t(open ? 'workOrder.hideHistoryOf' : 'workOrder.showHistoryOf', { n: index + 1 })}
          onClick={() => setOpen(!open)}
        >
          {t(open ? 'workOrder.hideHistory' : 'workOrder.showHistory')}
        </Button>
      </Group>
      <Text size="sm" mt={4}>
        {t('workOrder.machine')}: {dispatch.equipmentId ? <MachineName id={dispatch.equipmentId} /> : '—'} · {t('workOrder.driver')}:{' '}
        {dispatch.driverId ? <DriverName id={dispatch.driverId} /> : '—'}
        {dispatch.assignedBy
          ? ` · ${t('workOrder.assignedBy', { name: dispatch.assignedBy.kind === 'system' ? t('workOrder.system') : dispatch.assignedBy.name })}`
          : ''}
      </Text>
      {reasons.map((r) => (
        <Text key={r} size="sm">
          {r}
        </Text>
      ))}
      <Group gap="md" mt={4} data-testid="dispatch-times">
        {STAMPS.filter((k) => dispatch.timestamps[k]).map((k) => (
          <Text key={k} size="xs">
            {t(`workOrder.stamp.${k}`)} {formatDateTime(dispatch.timestamps[k], timeZone)}
          </Text>
        ))}
      </Group>
      {open ? <DispatchHistory dispatch={dispatch} /> : null}
    </Card>
  );
}

export function WorkOrderDispatches({ workOrder }: { workOrder: WorkOrder }) {
  const { t } = useTranslation();
  const dispatches = useWorkOrderDispatches(workOrder.id);
  return (
    <Stack gap="xs" data-testid="work-order-dispatches">
      <Title order={3} size="h4">
        {t('workOrder.dispatches')}
      </Title>
      {dispatches.error ? <ErrorState error={dispatches.error} onRetry={() => void dispatches.refetch()} /> : null}
      {dispatches.isPending ? <LoadingState /> : null}
      {(dispatches.data ?? []).map((d, i) => (
        <DispatchCard key={d.id} dispatch={d} index={i} workOrder={workOrder} />
      ))}
    </Stack>
  );
}

export function WorkOrderReports({ workOrder }: { workOrder: WorkOrder }) {
  const { t } = useTranslation();
  const { timeZone } = useMe();
  const reports = useWorkOrderReports(workOrder.id);
  const items = reports.data?.items ?? [];
  return (
    <Card withBorder data-testid="work-order-reports">
      <Title order={3} size="h4">
        {t('workOrder.reports')}
      </Title>
      {reports.error ? <ErrorState error={reports.error} /> : null}
      {reports.data && items.length === 0 ? (
        <Text size="sm" c="dimmed">
          {t('workOrder.noReports')}
        </Text>
      ) : null}
      {items.length > 0 ? (
        <Table mt="xs">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('workOrder.report')}</Table.Th>
              <Table.Th>{t('workOrder.outcome')}</Table.Th>
              <Table.Th>{t('workOrder.machine')}</Table.Th>
              <Table.Th>{t('workOrder.driver')}</Table.Th>
              <Table.Th>{t('workOrder.finished')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((r) => (
              <Table.Tr key={r.id} data-testid="work-order-report">
                <Table.Td>
                  <Anchor component={Link} to={`/reports/${r.id}`}>
                    {r.number}
                  </Anchor>
                </Table.Td>
                <Table.Td>{t(`status.${r.finalStatus}`)}</Table.Td>
                <Table.Td>{r.equipment.assetTag}</Table.Td>
                <Table.Td>{r.driver.name}</Table.Td>
                <Table.Td>{formatDateTime(r.finishedAt, timeZone)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      ) : null}
    </Card>
  );
}

export function WorkOrderAudit({ workOrder }: { workOrder: WorkOrder }) {
  const { t } = useTranslation();
  const audit = useAuditHistory('work_order', workOrder.id);
  return (
    <Card withBorder data-testid="work-order-audit">
      <Title order={3} size="h4">
        {t('workOrder.audit')}
      </Title>
      {audit.error ? <AuditState error={audit.error} /> : null}
      {audit.isPending ? <LoadingState /> : null}
      {audit.data ? <AuditTable events={audit.data.items} testId="work-order-audit-events" /> : null}
    </Card>
  );
}
