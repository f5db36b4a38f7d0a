import { useEffect, useMemo, useState } from 'react';
import { Badge, Group, Kbd, Loader, Modal, Stack, Table, Text, TextInput, UnstyledButton } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { IconSearch } from '@tabler/icons-react';
import { useQuery } from '@tanstack/react-query';
import type { Role, SearchResult } from '@yardmaster/contracts';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { i18n } from '../../i18n';
import { api } from '../../lib/api';
import { ProblemAlert } from '../../ui/States';
import { createShortcutReader, isTyping, shortcutsFor } from './shortcuts';

type Hit = { key: string; kind: string; title: string; detail: string; to: string | null };

/** Where each kind of result leads: a work order to its page; the rest to the map or the timeline, for those who may open them. */
export function hitsOf(result: SearchResult, roles: readonly Role[]): Hit[] {
  const desk = roles.includes('dispatcher') || roles.includes('admin');
  return [
    ...result.workOrders.map((w) => ({
      key: `w${w.id}`,
      kind: i18n.t('search.kinds.workOrder'),
      title: w.number,
      detail: `${w.description} · ${w.status}`,
      to: `/work-orders/${encodeURIComponent(w.number)}`,
    })),
    ...result.sites.map((s) => ({
      key: `s${s.id}`,
      kind: i18n.t('search.kinds.site'),
      title: s.name,
      detail: s.address,
      to: desk ? `/map?site=${s.id}` : null,
    })),
    ...result.equipment.map((e) => ({
      key: `e${e.id}`,
      kind: i18n.t('search.kinds.equipment'),
      title: e.assetTag,
      detail: `${e.name} · ${e.status}`,
      to: desk ? `/timeline?equipment=${e.id}` : null,
    })),
    ...result.drivers.map((d) => ({
      key: `d${d.id}`,
      kind: i18n.t('search.kinds.driver'),
      title: d.name,
      detail: d.dutyStatus === 'on_duty' ? i18n.t('search.onDuty') : i18n.t('search.offDuty'),
      to: desk ? `/timeline?driver=${d.id}` : null,
    })),
  ];
}

function SearchDialog({ opened, onClose, roles }: { opened: boolean; onClose: () => void; roles: readonly Role[] }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [text, setText] = useState('');
  const [active, setActive] = useState(0);
  const [q] = useDebouncedValue(text.trim(), 150);
  const search = useQuery({
    queryKey: ['search', q],
    enabled: opened && q.length > 0,
    queryFn: ({ signal }) => api.get<SearchResult>('/api/v1/search', { q, limit: 5 }, signal),
    staleTime: 10_000,
  });
  const hits = useMemo(() => (search.data ? hitsOf(search.data, roles) : []), [search.data, roles]);
  const open = (hit: Hit | undefined) => {
    if (!hit?.to) return;
    onClose();
    void navigate(hit.to);
  };
  useEffect(() => setActive(0), [q]);
  return (
    <Modal opened={opened} onClose={onClose} title={t('search.title')} size="lg" closeButtonProps={{ 'aria-label': t('search.close') }}>
      <TextInput
        data-autofocus
        label={t('search.label')}
        placeholder={t('search.placeholder')}
        leftSection={<IconSearch size={16} />}
        rightSection={search.isFetching ? <Loader size="xs" /> : null}
        value={text}
        onChange={(e) => setText(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') {
            e.preventDefault();
            setActive((i) => Math.min(i + 1, Math.max(hits.length - 1, 0)));
          } else if (e.key === 'ArrowUp') {
            e.preventDefault();
            setActive((i) => Math.max(i - 1, 0));
          } else if (e.key === 'Enter') {
            e.preventDefault();
            open(hits[active]);
          }
        }}
        aria-describedby="search-help"
      />
      <Text id="search-help" size="xs" c="dimmed" mt={4}>
        {t('search.help')}
      </Text>
      <ProblemAlert error={search.error} />
      <Stack gap={2} mt="sm" role="list" aria-label={t('search.results')} data-testid="search-results">
        {q && search.data && hits.length === 0 ? <Text size="sm">{t('search.noMatch', { q })}</Text> : null}
        {hits.map((hit, i) => (
          <UnstyledButton
            key={hit.key}
            role="listitem"
            disabled={!hit.to}
            onClick={() => open(hit)}
            onMouseEnter={() => setActive(i)}
            p="xs"
            style={{ borderRadius: 4, background: i === active ? 'var(--mantine-color-blue-light)' : undefined }}
            aria-current={i === active ? 'true' : undefined}
          >
            <Group gap="sm" wrap="nowrap">
              <Badge variant="light" w={92} style={{ flexShrink: 0 }}>
                {hit.kind}
              </Badge>
              <Text fw={600} size="sm">
                {hit.title}
              </Text>
              <Text size="sm" truncate>
                {hit.detail}
              </Text>
            </Group>
          </UnstyledButton>
        ))}
      </Stack>
    </Modal>
  );
}

function HelpSheet({ opened, onClose, roles }: { opened: boolean; onClose: () => void; roles: readonly Role[] }) {
  const { t } = useTranslation();
  return (
    <Modal
      opened={opened}
      onClose={onClose}
      title={t('search.shortcutsTitle')}
      closeButtonProps={{ 'aria-label': t('search.closeShortcuts') }}
    >
      <Table data-testid="shortcut-sheet">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t('search.keys')}</Table.Th>
            <Table.Th>{t('search.does')}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {shortcutsFor(roles).map((s) => (
            <Table.Tr key={s.id}>
              <Table.Td>
                <Group gap={4} wrap="nowrap">
                  {s.keys.map((k, i) => (
                    <span key={k}>
                      {i > 0 ? (
                        <Text span size="xs">
                          {' '}
                          {t('search.then')}{' '}
                        </Text>
                      ) : null}
                      <Kbd>{k}</Kbd>
                    </span>
                  ))}
                </Group>
              </Table.Td>
              <Table.Td>{t(`search.shortcuts.${s.id}`)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Text size="xs" mt="sm">
        {t('search.shortcutsNote')}
      </Text>
    </Modal>
  );
}

/** The search box (`/`), the shortcut help sheet (`?`) and the other shortcuts, for every page of the app. */
export function CommandLayer({
  roles,
  searchOpen,
  onSearchOpen,
}: {
  roles: readonly Role[];
  searchOpen: boolean;
  onSearchOpen: (open: boolean) => void;
}) {
  const navigate = useNavigate();
  const [helpOpen, setHelpOpen] = useState(false);
  const available = useMemo(() => shortcutsFor(roles), [roles]);
  useEffect(() => {
    const read = createShortcutReader(available);
    const onKey = (event: KeyboardEvent) => {
      if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return;
      if (document.querySelector('[role="dialog"][aria-modal="true"]')) return;
      const id = read(event.key);
      if (!id) return;
      const shortcut = available.find((s) => s.id === id);
      event.preventDefault();
      if (id === 'search') onSearchOpen(true);
      else if (id === 'help') setHelpOpen(true);
      // On the console itself the page's own `n` opens the form.
      else if (shortcut?.go && !(id === 'new' && window.location.pathname === '/dispatch')) void navigate(shortcut.go);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [available, navigate, onSearchOpen]);
  return (
    <>
      <SearchDialog opened={searchOpen} onClose={() => onSearchOpen(false)} roles={roles} />
      <HelpSheet opened={helpOpen} onClose={() => setHelpOpen(false)} roles={roles} />
    </>
  );
}
