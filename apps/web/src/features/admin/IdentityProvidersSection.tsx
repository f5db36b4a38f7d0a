import { useState } from 'react';
import {
  ActionIcon,
  Badge,
  Button,
  Code,
  Group,
  Modal,
  Select,
  Stack,
  Table,
  TagsInput,
  Text,
  TextInput,
  Title,
  VisuallyHidden,
} from '@mantine/core';
import { IconPlus, IconTrash } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import type { RegisterTenantIssuer, Role, TenantIssuer, UpdateTenantIssuer } from '@yardmaster/contracts';
import { api, formErrorsOf } from '../../lib/api';
import { EmptyState, ErrorState, LoadingState, ProblemAlert } from '../../ui/States';

const keys = { all: ['identity-providers'] as const };
const ROLES: Role[] = ['admin', 'dispatcher', 'driver', 'viewer'];
const FIELDS = ['issuer', 'audience', 'clientId', 'roleMapping', 'regionClaim', 'domains'] as const;

type MappingRow = { name: string; role: Role };
type Draft = { issuer: string; audience: string; clientId: string; regionClaim: string; domains: string[]; mapping: MappingRow[] };

const draftOf = (p?: TenantIssuer): Draft => ({
  issuer: p?.issuer ?? '',
  audience: p?.audience ?? '',
  clientId: p?.clientId ?? '',
  regionClaim: p?.regionClaim ?? 'region',
  domains: p?.domains ?? [],
  mapping: Object.entries(p?.roleMapping ?? {}).map(([name, role]) => ({ name, role })),
});

const mappingOf = (rows: MappingRow[]): Record<string, Role> =>
  Object.fromEntries(rows.filter((r) => r.name.trim() !== '').map((r) => [r.name.trim(), r.role]));

/** The provider-role → Yardmaster-role rows of a registration. */
function RoleMappingEditor({ rows, onChange, error }: { rows: MappingRow[]; onChange: (rows: MappingRow[]) => void; error?: string }) {
  const { t } = useTranslation();
  const set = (index: number, row: Partial<MappingRow>) => onChange(rows.map((r, i) => (i === index ? { ...r, ...row } : r)));
  return (
    <Stack gap="xs" component="fieldset" style={{ border: 0, padding: 0, margin: 0 }}>
      <Text component="legend" size="sm" fw={500}>
        {t('identityProviders.roleMapping')}
      </Text>
      <Text size="xs" c="dimmed">
        {t('identityProviders.roleMappingHelp')}
      </Text>
      {rows.map((row, index) => (
        <Group key={index} gap="xs" wrap="nowrap" align="flex-end">
          <TextInput
            label={t('identityProviders.providerRole', { number: index + 1 })}
            value={row.name}
            onChange={(e) => set(index, { name: e.currentTarget.value })}
            style={{ flex: 1 }}
          />
          <Select
            label={t('identityProviders.yardmasterRole', { number: index + 1 })}
            data={ROLES}
            value={row.role}
            onChange={(v) => v && set(index, { role: v })}
            allowDeselect={false}
            w={150}
          />
          <ActionIcon
            variant="subtle"
            color="red.9"
            size="lg"
            aria-label={t('identityProviders.removeMapping', { number: index + 1 })}
            onClick={() => onChange(rows.filter((_, i) => i !== index))}
          >
            <IconTrash size={16} />
          </ActionIcon>
        </Group>
      ))}
      {error ? (
        <Text size="xs" c="red.9" role="alert">
          {error}
        </Text>
      ) : null}
      <Group>
        <Button
          variant="light"
          size="xs"
          leftSection={<IconPlus size={14} />}
          onClick={() => onChange([...rows, { name: '', role: 'viewer' }])}
        >
          {t('identityProviders.addMapping')}
        </Button>
      </Group>
    </Stack>
  );
}

/** Adds a provider, or changes one (`editing`): issuer and audience are fixed once registered. */
function ProviderForm({ editing, opened, onClose }: { editing: TenantIssuer | null; opened: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [draft, setDraft] = useState<Draft>(() => draftOf(editing ?? undefined));
  const save = useMutation({
    mutationFn: () => {
      const common = { roleMapping: mappingOf(draft.mapping), regionClaim: draft.regionClaim.trim() || 'region', domains: draft.domains };
      if (editing) {
        const body: UpdateTenantIssuer = { ...common, clientId: draft.clientId.trim() || null };
        return api.patch<TenantIssuer>(`/api/v1/identity-providers/${editing.id}`, body);
      }
      const body: RegisterTenantIssuer = {
        ...common,
        issuer: draft.issuer.trim(),
        audience: draft.audience.trim(),
        ...(draft.clientId.trim() ? { clientId: draft.clientId.trim() } : {}),
      };
      return api.post<TenantIssuer>('/api/v1/identity-providers', body);
    },
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: keys.all });
      onClose();
    },
  });
  const errors = save.error ? formErrorsOf(save.error, FIELDS) : { fields: {} as Record<string, string>, rest: [] };
  const set = (patch: Partial<Draft>) => setDraft((d) => ({ ...d, ...patch }));
  return (
    <Modal opened={opened} onClose={onClose} size="lg" title={editing ? t('identityProviders.editTitle') : t('identityProviders.addTitle')}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate();
        }}
        noValidate
      >
        <Stack>
          {errors.rest.length > 0 ? <ProblemAlert error={save.error} title={t('identityProviders.notSaved')} /> : null}
          <TextInput
            label={t('identityProviders.issuer')}
            description={t('identityProviders.issuerHelp')}
            placeholder="https://login.example.com/realms/dispatch"
            value={draft.issuer}
            onChange={(e) => set({ issuer: e.currentTarget.value })}
            disabled={editing !== null}
            error={errors.fields.issuer}
            required
          />
          <TextInput
            label={t('identityProviders.audience')}
            description={t('identityProviders.audienceHelp')}
            value={draft.audience}
            onChange={(e) => set({ audience: e.currentTarget.value })}
            disabled={editing !== null}
            error={errors.fields.audience}
            required
          />
          <TextInput
            label={t('identityProviders.clientId')}
            description={t('identityProviders.clientIdHelp', { callback: `${window.location.origin}/auth/callback` })}
            value={draft.clientId}
            onChange={(e) => set({ clientId: e.currentTarget.value })}
            error={errors.fields.clientId}
          />
          <TextInput
            label={t('identityProviders.regionClaim')}
            description={t('identityProviders.regionClaimHelp')}
            value={draft.regionClaim}
            onChange={(e) => set({ regionClaim: e.currentTarget.value })}
            error={errors.fields.regionClaim}
          />
          <TagsInput
            label={t('identityProviders.domains')}
            description={t('identityProviders.domainsHelp')}
            value={draft.domains}
            onChange={(domains) => set({ domains: [...new Set(domains.flatMap((d) => d.toLowerCase().split(/[\s,]+/)).filter(Boolean))] })}
            splitChars={[',', ' ']}
            acceptValueOnBlur
            error={errors.fields.domains}
            data-testid="idp-domains"
          />
          <RoleMappingEditor rows={draft.mapping} onChange={(mapping) => set({ mapping })} error={errors.fields.roleMapping} />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              {t('common.cancel')}
            </Button>
            <Button type="submit" loading={save.isPending}>
              {t('identityProviders.save')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

/**
 * Administration › Identity providers: the tenant's own OpenID providers (issuer, audience, the
 * web app's client id there, role mapping, region claim, e-mail domains that sign in through it).
 */
export function IdentityProvidersSection() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [form, setForm] = useState<{ editing: TenantIssuer | null; key: number } | null>(null);
  const list = useQuery({
    queryKey: keys.all,
    queryFn: ({ signal }) => api.get<{ items: TenantIssuer[] }>('/api/v1/identity-providers', {}, signal),
  });
  const remove = useMutation({
    mutationFn: (id: string) => api.delete(`/api/v1/identity-providers/${id}`),
    onSuccess: () => void client.invalidateQueries({ queryKey: keys.all }),
  });
  const open = (editing: TenantIssuer | null) => setForm({ editing, key: Date.now() });
  const signInLink = `${window.location.origin}/sign-in`;

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={3}>{t('identityProviders.title')}</Title>
        <Button leftSection={<IconPlus size={16} />} onClick={() => open(null)}>
          {t('identityProviders.add')}
        </Button>
      </Group>
      <Text size="sm" c="dimmed">
        {t('identityProviders.intro')} <Code>{signInLink}</Code>
      </Text>
      <ProblemAlert error={remove.error} title={t('identityProviders.notRemoved')} />
      {list.isPending ? (
        <LoadingState />
      ) : list.isError ? (
        <ErrorState error={list.error} onRetry={() => void list.refetch()} />
      ) : list.data.items.length === 0 ? (
        <EmptyState title={t('identityProviders.empty')}>{t('identityProviders.emptyHelp')}</EmptyState>
      ) : (
        <Table data-testid="identity-providers" striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('identityProviders.issuer')}</Table.Th>
              <Table.Th>{t('identityProviders.clientId')}</Table.Th>
              <Table.Th>{t('identityProviders.roleMapping')}</Table.Th>
              <Table.Th>{t('identityProviders.regionClaim')}</Table.Th>
              <Table.Th>{t('identityProviders.domains')}</Table.Th>
              <Table.Th>
                <VisuallyHidden>{t('identityProviders.actions')}</VisuallyHidden>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {list.data.items.map((p) => (
              <Table.Tr key={p.id}>
                <Table.Td>
                  <Text size="sm">{p.issuer}</Text>
                  <Text size="xs" c="dimmed">
                    {t('identityProviders.audienceIs', { audience: p.audience })}
                  </Text>
                </Table.Td>
                <Table.Td>{p.clientId ?? t('identityProviders.noWebSignIn')}</Table.Td>
                <Table.Td>
                  {Object.entries(p.roleMapping).length === 0
                    ? t('identityProviders.sameNames')
                    : Object.entries(p.roleMapping).map(([name, role]) => (
                        <Text key={name} size="xs">
                          {name} → {role}
                        </Text>
                      ))}
                </Table.Td>
                <Table.Td>{p.regionClaim}</Table.Td>
                <Table.Td>
                  <Group gap={4}>
                    {p.domains.length === 0
                      ? t('common.none')
                      : p.domains.map((d) => (
                          <Badge key={d} variant="outline" color="dark" tt="none">
                            {d}
                          </Badge>
                        ))}
                  </Group>
                </Table.Td>
                <Table.Td>
                  <Group gap="xs" wrap="nowrap">
                    <Button
                      size="xs"
                      variant="light"
                      onClick={() => open(p)}
                      aria-label={t('identityProviders.editOne', { issuer: p.issuer })}
                    >
                      {t('identityProviders.edit')}
                    </Button>
                    <Button
                      size="xs"
                      variant="outline"
                      color="red.9"
                      loading={remove.isPending && remove.variables === p.id}
                      onClick={() => {
                        if (window.confirm(t('identityProviders.confirmRemove', { issuer: p.issuer }))) remove.mutate(p.id);
                      }}
                      aria-label={t('identityProviders.removeOne', { issuer: p.issuer })}
                    >
                      {t('identityProviders.remove')}
                    </Button>
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {form ? <ProviderForm key={form.key} editing={form.editing} opened onClose={() => setForm(null)} /> : null}
    </Stack>
  );
}
