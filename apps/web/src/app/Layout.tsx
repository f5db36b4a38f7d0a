import { Suspense, useState } from 'react';
import { ActionIcon, AppShell, Badge, Burger, Button, Group, Kbd, NavLink, Stack, Text, Tooltip } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import {
  IconBuildingWarehouse,
  IconChartBar,
  IconListCheck,
  IconLogout,
  IconMap,
  IconSearch,
  IconSettings,
  IconShieldCheck,
  IconTimeline,
  IconTruck,
  IconUserCircle,
} from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { LoadingState } from '../ui/States';
import { Link, NavLink as RouterNavLink, Outlet, useLocation } from 'react-router';
import { CommandLayer } from '../features/search/CommandLayer';
import { NotificationCentre } from '../features/notifications/NotificationCentre';
import { useConnection } from './connection';
import { useLiveStatus } from './live';
import { navFor } from './nav';
import { useMe, useSession } from './session';

const ICONS: Record<string, typeof IconTruck> = {
  '/dispatch': IconListCheck,
  '/timeline': IconTimeline,
  '/map': IconMap,
  '/driver': IconTruck,
  '/admin': IconSettings,
  '/reports': IconChartBar,
  '/audit': IconShieldCheck,
};

function LiveBadge() {
  const { t } = useTranslation();
  const stream = useLiveStatus();
  // No network means not live, whatever the event stream has yet to notice.
  const status = useConnection() === 'offline' ? 'closed' : stream;
  const color = status === 'open' ? 'teal' : status === 'closed' ? 'gray' : 'yellow';
  const label = status === 'open' ? t('layout.live') : status === 'closed' ? t('layout.offline') : t('layout.reconnecting');
  return (
    <Tooltip label={t('layout.liveTooltip')}>
      <Badge color={color} variant="dot" data-testid="live-status" data-status={status}>
        {label}
      </Badge>
    </Tooltip>
  );
}

export function Layout() {
  const { t } = useTranslation();
  const me = useMe();
  const { signOut } = useSession();
  const [opened, { toggle, close }] = useDisclosure();
  const location = useLocation();
  const items = navFor(me.roles);
  const [searchOpen, setSearchOpen] = useState(false);

  return (
    <>
      <a href="#main" className="skip-link">
        {t('common.skipToContent')}
      </a>
      <AppShell header={{ height: 56 }} navbar={{ width: 230, breakpoint: 'sm', collapsed: { mobile: !opened } }} padding="md">
        <AppShell.Header>
          <Group h="100%" px="md" justify="space-between" wrap="nowrap">
            <Group gap="sm" wrap="nowrap">
              <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label={t('layout.toggleNavigation')} />
              <IconBuildingWarehouse size={22} />
              <Text fw={700} size="lg" visibleFrom="xs">
                {t('common.appName')}
              </Text>
              {me.tenant ? (
                <Text size="sm" c="dimmed" visibleFrom="xs">
                  {me.tenant.name}
                </Text>
              ) : null}
            </Group>
            <Group gap="sm" wrap="nowrap">
              {me.hasRole('admin', 'dispatcher', 'viewer') ? (
                <Button
                  variant="default"
                  size="xs"
                  leftSection={<IconSearch size={14} />}
                  rightSection={<Kbd size="xs">/</Kbd>}
                  onClick={() => setSearchOpen(true)}
                  aria-label={t('layout.searchLabel')}
                >
                  {t('layout.search')}
                </Button>
              ) : null}
              <LiveBadge />
              {me.roles.includes('dispatcher') || me.roles.includes('admin') ? <NotificationCentre /> : null}
              <Text size="sm" visibleFrom="sm" data-testid="user-name">
                {me.name}
              </Text>
              <Badge variant="outline" color="gray" visibleFrom="sm">
                {me.roles.join(', ')}
              </Badge>
              <Tooltip label={t('layout.myAccount')}>
                <ActionIcon variant="subtle" component={Link} to="/account" aria-label={t('layout.myAccount')}>
                  <IconUserCircle size={18} />
                </ActionIcon>
              </Tooltip>
              <Button variant="subtle" size="xs" leftSection={<IconLogout size={16} />} onClick={() => void signOut()} visibleFrom="xs">
                {t('layout.signOut')}
              </Button>
              <ActionIcon variant="subtle" onClick={() => void signOut()} hiddenFrom="xs" aria-label={t('layout.signOut')}>
                <IconLogout size={18} />
              </ActionIcon>
            </Group>
          </Group>
        </AppShell.Header>
        <AppShell.Navbar p="xs">
          <Stack gap={2} component="nav" aria-label={t('layout.mainNavigation')}>
            {items.map((item) => {
              const Icon = ICONS[item.path] ?? IconListCheck;
              return (
                <NavLink
                  key={item.path}
                  component={RouterNavLink}
                  to={item.path}
                  label={t(item.labelKey)}
                  leftSection={<Icon size={18} />}
                  active={location.pathname.startsWith(item.path)}
                  onClick={close}
                />
              );
            })}
          </Stack>
          <Text size="xs" c="dimmed" mt="auto" p="xs">
            {t('layout.timesIn', { timeZone: me.timeZone })}
          </Text>
        </AppShell.Navbar>
        <AppShell.Main id="main" tabIndex={-1}>
          {me.hasRole('admin', 'dispatcher', 'viewer') ? (
            <CommandLayer roles={me.roles} searchOpen={searchOpen} onSearchOpen={setSearchOpen} />
          ) : null}
          <Suspense fallback={<LoadingState />}>
            <Outlet />
          </Suspense>
        </AppShell.Main>
      </AppShell>
    </>
  );
}
