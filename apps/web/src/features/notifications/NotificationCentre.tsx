import { useEffect, useState } from 'react';
import { ActionIcon, Anchor, Button, Group, Indicator, Popover, ScrollArea, Stack, Text, Title } from '@mantine/core';
import { useWindowEvent } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { IconBell } from '@tabler/icons-react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import type { Alert } from '@yardmaster/contracts';
import { onLiveEvent } from '../../app/live';
import { useMe } from '../../app/session';
import { api } from '../../lib/api';
import { formatTime } from '../../lib/time';
import { noticeOf, type Notice } from './notices';

type Named = { id: string; name: string; assetTag?: string };

/** Names from the lists the console already caches (drivers, equipment), asked only when a notice needs them. */
function namesFrom(client: ReturnType<typeof useQueryClient>) {
  const find = (key: string[], id: string): Named | undefined =>
    client.getQueryData<{ items: Named[] }>([...key, 'names'])?.items.find((i) => i.id === id);
  return {
    driver: (id: string) => find(['people', 'drivers'], id)?.name ?? null,
    equipment: (id: string) => {
      const e = find(['fleet', 'equipment'], id);
      return e ? (e.assetTag ?? e.name) : null;
    },
  };
}

const MAX = 50;

/**
 * The dispatcher's notification centre: declines with the driver's reason, work dispatched
 * automatically, held work, and the alerts `/alerts` raises (open ones at start, then raised and
 * resolved live). Declines and alerts also pop up once.
 */
export function NotificationCentre() {
  const { t } = useTranslation();
  const { timeZone } = useMe();
  const client = useQueryClient();
  const [notices, setNotices] = useState<Notice[]>([]);
  const [unread, setUnread] = useState(0);
  const [opened, setOpened] = useState(false);
  // Escape closes the centre wherever focus is (the popover's own handler needs focus inside it,
  // which a notice arriving and re-rendering the list can take away).
  useWindowEvent('keydown', (event) => {
    if (opened && event.key === 'Escape') setOpened(false);
  });
  const open = useQuery({
    queryKey: ['alerts', 'open'],
    queryFn: ({ signal }) => api.get<{ items: Alert[] }>('/api/v1/alerts', { state: 'open' }, signal),
    staleTime: 60_000,
  });

  useEffect(() => {
    const items = open.data?.items ?? [];
    if (items.length === 0) return;
    setNotices((current) => {
      const known = new Set(current.map((n) => n.id));
      const raised = items
        .map((a) => noticeOf({ id: `alert-${a.id}`, type: 'alert.raised', data: { alert: a } }, namesFrom(client)))
        .filter((n): n is Notice => n !== null && !known.has(n.id));
      return [...current, ...raised].slice(0, MAX);
    });
  }, [open.data, client]);

  useEffect(
    () =>
      onLiveEvent((event) => {
        const notice = noticeOf(event, namesFrom(client));
        if (!notice) return;
        setNotices((current) => (current.some((n) => n.id === notice.id) ? current : [notice, ...current].slice(0, MAX)));
        setUnread((n) => n + 1);
        if (notice.kind === 'declined' || notice.kind === 'alert-raised') {
          notifications.show({
            color: notice.kind === 'declined' ? 'orange' : 'red',
            title: t(notice.title.key, notice.title.values),
            message: notice.detail ? t(notice.detail.key, notice.detail.values) : '',
          });
        }
      }),
    [client, t],
  );

  return (
    <Indicator label={unread} size={16} disabled={unread === 0} color="red.9">
      <Popover
        opened={opened}
        onChange={setOpened}
        position="bottom-end"
        width={380}
        shadow="md"
        trapFocus
        returnFocus
        onOpen={() => setUnread(0)}
      >
        <Popover.Target>
          <ActionIcon
            variant="subtle"
            color="gray"
            onClick={() => setOpened((o) => !o)}
            aria-label={t('notifications.open', { count: unread })}
            data-testid="notifications-button"
          >
            <IconBell size={18} />
          </ActionIcon>
        </Popover.Target>
        <Popover.Dropdown data-testid="notification-centre" role="dialog" aria-label={t('notifications.title')}>
          <Group justify="space-between" mb="xs">
            <Title order={2} size="h5">
              {t('notifications.title')}
            </Title>
            {notices.length ? (
              <Button size="compact-xs" variant="subtle" onClick={() => setNotices([])}>
                {t('notifications.clear')}
              </Button>
            ) : null}
          </Group>
          <ScrollArea.Autosize mah={420}>
            {notices.length === 0 ? (
              <Text size="sm" c="dimmed">
                {t('notifications.empty')}
              </Text>
            ) : (
              <Stack gap="xs" component="ul" style={{ listStyle: 'none', padding: 0, margin: 0 }}>
                {notices.map((n) => (
                  <li key={n.id} data-testid="notice" data-kind={n.kind}>
                    <Text size="sm" fw={600} c={n.kind === 'alert-raised' ? 'red.9' : undefined}>
                      {t(n.title.key, n.title.values)}
                    </Text>
                    {n.detail ? <Text size="sm">{t(n.detail.key, n.detail.values)}</Text> : null}
                    <Group gap="xs">
                      <Text size="xs" c="dimmed">
                        {formatTime(n.at, timeZone)}
                      </Text>
                      {n.workOrderNumber ? (
                        <Anchor component={Link} to={`/work-orders/${n.workOrderNumber}`} size="xs" onClick={() => setOpened(false)}>
                          {n.workOrderNumber}
                        </Anchor>
                      ) : null}
                    </Group>
                  </li>
                ))}
              </Stack>
            )}
          </ScrollArea.Autosize>
        </Popover.Dropdown>
      </Popover>
    </Indicator>
  );
}
