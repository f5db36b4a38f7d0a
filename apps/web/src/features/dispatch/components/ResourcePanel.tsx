import { useState } from 'react';
import { Badge, Button, Paper, ScrollArea, Table, Tabs, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { useMe } from '../../../app/session';
import { formatDate } from '../../../lib/time';
import { EmptyState, ErrorState, LoadingState } from '../../../ui/States';
import { useDriverDuty, useEquipmentList, useDriverList, useMarkDamaged, type PanelDriver, type PanelEquipment } from '../api';
import { ActionDialog } from './ActionDialog';

const EQUIPMENT_COLOR: Record<string, string> = { available: 'teal', dispatched: 'blue', maintenance: 'orange', retired: 'gray' };
const SOON_MS = 30 * 86_400_000;

function EquipmentTable({ items, onDamaged }: { items: PanelEquipment[]; onDamaged: (e: PanelEquipment) => void }) {
  const { t } = useTranslation();
  if (items.length === 0) return <EmptyState title={t('resourcePanel.noEquipment')} />;
  return (
    <Table verticalSpacing={4} data-testid="equipment-panel">
      <Table.Tbody>
        {items.map((e) => (
          <Table.Tr key={e.id}>
            <Table.Td>
              <Text size="sm" fw={600}>
                {e.name}
              </Text>
              <Text size="xs" c="dimmed">
                {e.assetTag} · {e.typeName ?? ''}
              </Text>
            </Table.Td>
            <Table.Td>
              <Badge size="sm" variant="dot" color={EQUIPMENT_COLOR[e.status] ?? 'gray'}>
                {t(`resourcePanel.equipmentStatus.${e.status}`, { defaultValue: e.status })}
              </Badge>
              {e.busyWith ? (
                <Text size="xs" c="dimmed">
                  {e.busyWith}
                </Text>
              ) : null}
            </Table.Td>
            <Table.Td>
              {e.status === 'available' || e.status === 'dispatched' ? (
                <Button size="compact-xs" variant="default" onClick={() => onDamaged(e)}>
                  {t('resourcePanel.markDamaged')}
                </Button>
              ) : null}
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

function DriverTable({ items, onDuty }: { items: PanelDriver[]; onDuty: (d: PanelDriver, onDuty: boolean) => void }) {
  const { t } = useTranslation();
  const { timeZone } = useMe();
  if (items.length === 0) return <EmptyState title={t('resourcePanel.noDrivers')} />;
  return (
    <Table verticalSpacing={4} data-testid="driver-panel">
      <Table.Tbody>
        {items.map((d) => {
          const expiring = d.qualifications.filter((q) => q.expiresAt && new Date(q.expiresAt).getTime() < Date.now() + SOON_MS);
          return (
            <Table.Tr key={d.id}>
              <Table.Td>
                <Text size="sm" fw={600}>
                  {d.name}
                </Text>
                <Text size="xs" c="dimmed">
                  {d.qualifications.map((q) => q.code).join(', ') || t('resourcePanel.noQualifications')}
                </Text>
                {expiring.map((q) =>
                  new Date(q.expiresAt ?? 0).getTime() <= Date.now() ? (
                    <Text key={q.code} size="xs" c="red.9" fw={600} data-testid="qualification-expired">
                      {t('qualifications.expired', { code: q.code, date: formatDate(q.expiresAt, timeZone) })}
                    </Text>
                  ) : (
                    <Text key={q.code} size="xs" data-testid="qualification-expiring">
                      {t('qualifications.expires', { code: q.code, date: formatDate(q.expiresAt, timeZone) })}
                    </Text>
                  ),
                )}
              </Table.Td>
              <Table.Td>
                <Badge size="sm" variant="dot" color={d.busyWith ? 'blue' : d.dutyStatus === 'on_duty' ? 'teal' : 'gray'}>
                  {d.busyWith ? t('resourcePanel.busy') : d.dutyStatus === 'on_duty' ? t('resourcePanel.free') : t('resourcePanel.offDuty')}
                </Badge>
                {d.busyWith ? (
                  <Text size="xs" c="dimmed">
                    {d.busyWith}
                  </Text>
                ) : null}
              </Table.Td>
              <Table.Td>
                <Button size="compact-xs" variant="default" onClick={() => onDuty(d, d.dutyStatus !== 'on_duty')}>
                  {d.dutyStatus === 'on_duty' ? t('resourcePanel.markUnavailable') : t('resourcePanel.backOnDuty')}
                </Button>
              </Table.Td>
            </Table.Tr>
          );
        })}
      </Table.Tbody>
    </Table>
  );
}

export function ResourcePanel() {
  const { t } = useTranslation();
  const equipment = useEquipmentList();
  const drivers = useDriverList();
  const damaged = useMarkDamaged();
  const duty = useDriverDuty();
  const [dialog, setDialog] = useState<{ kind: 'damaged'; e: PanelEquipment } | { kind: 'duty'; d: PanelDriver; onDuty: boolean } | null>(
    null,
  );
  return (
    <Paper withBorder p="xs">
      <Tabs defaultValue="equipment">
        <Tabs.List>
          <Tabs.Tab value="equipment">{t('resourcePanel.equipment')}</Tabs.Tab>
          <Tabs.Tab value="drivers">{t('resourcePanel.drivers')}</Tabs.Tab>
        </Tabs.List>
        <ScrollArea.Autosize mah="70vh">
          <Tabs.Panel value="equipment" pt="xs">
            {equipment.error ? (
              <ErrorState error={equipment.error} />
            ) : !equipment.data ? (
              <LoadingState />
            ) : (
              <EquipmentTable items={equipment.data} onDamaged={(e) => setDialog({ kind: 'damaged', e })} />
            )}
          </Tabs.Panel>
          <Tabs.Panel value="drivers" pt="xs">
            {drivers.error ? (
              <ErrorState error={drivers.error} />
            ) : !drivers.data ? (
              <LoadingState />
            ) : (
              <DriverTable items={drivers.data} onDuty={(d, onDuty) => setDialog({ kind: 'duty', d, onDuty })} />
            )}
          </Tabs.Panel>
        </ScrollArea.Autosize>
      </Tabs>
      {dialog?.kind === 'damaged' ? (
        <ActionDialog
          opened
          onClose={() => setDialog(null)}
          title={t('resourcePanel.damaged.title', { name: dialog.e.name })}
          description={t('resourcePanel.damaged.description')}
          fields={[{ kind: 'reason', label: t('resourcePanel.damaged.what'), required: true }]}
          confirmLabel={t('resourcePanel.damaged.submit')}
          danger
          doneMessage={t('resources.sentToMaintenance', { name: dialog.e.name })}
          failedTitle={t('resources.notChanged', { name: dialog.e.name })}
          onSubmit={(v) => damaged.mutateAsync({ id: dialog.e.id, version: dialog.e.version, notes: v.reason })}
        />
      ) : null}
      {dialog?.kind === 'duty' ? (
        <ActionDialog
          opened
          onClose={() => setDialog(null)}
          title={t(dialog.onDuty ? 'resourcePanel.duty.backTitle' : 'resourcePanel.duty.offTitle', { name: dialog.d.name })}
          fields={dialog.onDuty ? [] : [{ kind: 'reason', label: t('resourcePanel.duty.reason'), required: false }]}
          confirmLabel={dialog.onDuty ? t('resourcePanel.backOnDuty') : t('resourcePanel.markUnavailable')}
          doneMessage={t(dialog.onDuty ? 'resources.backOnDuty' : 'resources.offDuty', { name: dialog.d.name })}
          failedTitle={t('resources.notChanged', { name: dialog.d.name })}
          onSubmit={(v) => duty.mutateAsync({ id: dialog.d.id, version: dialog.d.version, onDuty: dialog.onDuty, note: v.reason })}
        />
      ) : null}
    </Paper>
  );
}
