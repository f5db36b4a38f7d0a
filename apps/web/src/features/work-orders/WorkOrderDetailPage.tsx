import { useState } from 'react';
import { Anchor, Badge, Button, Card, FileButton, Group, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconLink, IconPaperclip, IconTrash, IconUpload } from '@tabler/icons-react';
import { Link, useParams } from 'react-router';
import { useMe } from '../../app/session';
import { download, messageOf } from '../../lib/api';
import { formatDateTime } from '../../lib/time';
import { ErrorState, LoadingState } from '../../ui/States';
import type { Site } from '@yardmaster/contracts';
import { useTranslation } from 'react-i18next';
import { useAttachments, useDeleteAttachment, useLink, useOne, useRelated, useUploadAttachment, useWorkOrderByNumber } from './api';
import { WorkOrderAudit, WorkOrderDispatches, WorkOrderLines, WorkOrderReports } from './WorkOrderSections';

const kb = (bytes: number) =>
  bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} kB`;

/**
 * A work order: its description, lines, each dispatch with its history, status reports, files
 * (delivery details, drawings), related work orders and audit trail. Reached from every board card,
 * the notification centre and search.
 */
export function WorkOrderDetailPage() {
  const { number = '' } = useParams();
  const me = useMe();
  const { t } = useTranslation();
  const canEdit = me.hasRole('admin', 'dispatcher');
  const wo = useWorkOrderByNumber(number);
  const id = wo.data?.id;
  const files = useAttachments(id);
  const related = useRelated(id);
  const upload = useUploadAttachment(id ?? '');
  const remove = useDeleteAttachment(id ?? '');
  const link = useLink(id ?? '');
  const site = useOne<Site>('sites', wo.data?.siteId);
  const [linkTo, setLinkTo] = useState('');
  const fail = (e: unknown) => notifications.show({ color: 'red', message: messageOf(e) });

  if (wo.isPending) return <LoadingState />;
  if (wo.error) return <ErrorState error={wo.error} />;
  const w = wo.data;
  return (
    <Stack maw={900}>
      <Anchor component={Link} to="/dispatch" size="sm">
        {t('workOrderPage.back')}
      </Anchor>
      <Group>
        <Title order={1} size="h2">
          {w.number}
        </Title>
        <Badge data-testid="work-order-status">{t(`workOrder.status.${w.status}`)}</Badge>
        <Badge variant="light">{t(`priority.${w.priority}`)}</Badge>
      </Group>
      <Text data-testid="work-order-description" style={{ whiteSpace: 'pre-wrap' }}>
        {w.description}
      </Text>
      <Stack gap={2}>
        <Text size="sm">{t('workOrder.site', { site: site.data ? `${site.data.name}, ${site.data.address}` : '…' })}</Text>
        <Text size="sm">{t('workOrder.requestedStart', { when: formatDateTime(w.requestedStart, me.timeZone) })}</Text>
        {w.dueAt ? <Text size="sm">{t('workOrder.due', { when: formatDateTime(w.dueAt, me.timeZone) })}</Text> : null}
        <Text size="sm">{t('workOrder.createdBy', { name: w.createdBy.name, when: formatDateTime(w.createdAt, me.timeZone) })}</Text>
        {w.notes ? <Text size="sm">{t('workOrder.notes', { notes: w.notes })}</Text> : null}
      </Stack>

      <WorkOrderLines workOrder={w} />
      <WorkOrderDispatches workOrder={w} />
      <WorkOrderReports workOrder={w} />

      <Card withBorder data-testid="attachments">
        <Group justify="space-between">
          <Title order={3} size="h4">
            {t('workOrderPage.attachments')}
          </Title>
          {canEdit ? (
            <FileButton onChange={(f) => f && upload.mutate(f, { onError: fail })}>
              {(props) => (
                <Button {...props} size="xs" leftSection={<IconUpload size={14} />} loading={upload.isPending}>
                  {t('workOrderPage.attach')}
                </Button>
              )}
            </FileButton>
          ) : null}
        </Group>
        <Table mt="xs">
          <Table.Tbody>
            {(files.data?.items ?? []).map((f) => (
              <Table.Tr key={f.id}>
                <Table.Td>
                  <Group gap={4} wrap="nowrap">
                    <IconPaperclip size={14} />
                    <Anchor
                      onClick={() => void download(`/api/v1/work-orders/${w.id}/attachments/${f.id}/content`, f.filename).catch(fail)}
                    >
                      {f.filename}
                    </Anchor>
                  </Group>
                </Table.Td>
                <Table.Td c="dimmed">{kb(f.sizeBytes)}</Table.Td>
                <Table.Td c="dimmed">{f.createdBy.name}</Table.Td>
                <Table.Td>
                  {canEdit ? (
                    <Button
                      size="compact-xs"
                      variant="subtle"
                      color="red"
                      leftSection={<IconTrash size={12} />}
                      onClick={() => remove.mutate(f.id, { onError: fail })}
                    >
                      {t('workOrderPage.delete')}
                    </Button>
                  ) : null}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        {files.data?.items.length === 0 ? (
          <Text size="sm" c="dimmed">
            {t('workOrderPage.noFiles')}
          </Text>
        ) : null}
      </Card>

      <Card withBorder data-testid="related">
        <Title order={3} size="h4">
          {t('workOrderPage.related')}
        </Title>
        <Stack gap={4} mt="xs">
          {(related.data?.items ?? []).map((r) => (
            <Group key={r.id} justify="space-between">
              <Anchor component={Link} to={`/work-orders/${r.number}`}>
                {r.number} — {r.description}
              </Anchor>
              {canEdit ? (
                <Button
                  size="compact-xs"
                  variant="subtle"
                  color="red"
                  onClick={() => link.mutate({ number: r.number, relatedId: r.id, unlink: true }, { onError: fail })}
                >
                  {t('workOrderPage.unlink')}
                </Button>
              ) : null}
            </Group>
          ))}
          {related.data?.items.length === 0 ? (
            <Text size="sm" c="dimmed">
              {t('workOrderPage.noRelated')}
            </Text>
          ) : null}
        </Stack>
        {canEdit ? (
          <Group mt="sm" align="end">
            <TextInput
              label={t('workOrderPage.linkTo')}
              placeholder="WO-2026-000123"
              value={linkTo}
              onChange={(e) => setLinkTo(e.currentTarget.value)}
            />
            <Button
              leftSection={<IconLink size={14} />}
              disabled={!linkTo.trim()}
              loading={link.isPending}
              onClick={() => link.mutate({ number: linkTo.trim() }, { onSuccess: () => setLinkTo(''), onError: fail })}
            >
              {t('workOrderPage.link')}
            </Button>
          </Group>
        ) : null}
      </Card>

      <WorkOrderAudit workOrder={w} />
    </Stack>
  );
}
