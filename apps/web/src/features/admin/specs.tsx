import { Badge, Group, Text } from '@mantine/core';
import { InviteMemberSchema, ROLES, UpdateMemberSchema, type Membership, type Role } from '@yardmaster/contracts';
import { t } from '../../i18n';
import type { ResourceSpec } from './components/ResourceAdmin';
import { PersonalDataActions } from './PersonalDataActions';

const roleOptions = ROLES.map((r) => ({ value: r, label: r }));

type MemberForm = { email: string; name: string; roles: string[]; regions: string[]; active: boolean };

/** `regions`: the tenant's region codes, for the people a region limits (dispatchers, viewers). */
export const usersSpec = (regions: Array<{ value: string; label: string }> = []): ResourceSpec<Membership, MemberForm> => ({
  queryKey: ['users'],
  path: '/api/v1/users',
  title: t('admin.specs.users.title'),
  singular: t('admin.specs.users.singular'),
  columns: [
    { label: t('admin.fields.name'), render: (m) => m.name || '—' },
    { label: t('admin.fields.email'), render: (m) => m.email ?? '—' },
    {
      label: t('admin.fields.roles'),
      render: (m) => (
        <Group gap={4}>
          {m.roles.map((r) => (
            <Badge key={r} size="sm" variant="light">
              {r}
            </Badge>
          ))}
        </Group>
      ),
    },
    {
      label: t('admin.fields.regions'),
      render: (m) =>
        m.regions.length > 0 ? (
          m.regions.join(', ')
        ) : (
          <Text size="sm" c="dimmed">
            {t('admin.badges.allRegions')}
          </Text>
        ),
    },
    {
      label: t('admin.fields.status'),
      render: (m) =>
        m.pending ? (
          <Badge color="yellow">{t('admin.badges.invited')}</Badge>
        ) : m.active ? (
          <Badge color="teal">{t('admin.badges.active')}</Badge>
        ) : (
          <Text size="sm" c="dimmed">
            {t('admin.badges.deactivated')}
          </Text>
        ),
    },
    { label: t('admin.fields.personalData'), render: (m) => <PersonalDataActions member={m} /> },
  ],
  fields: [
    {
      name: 'email',
      label: t('admin.fields.email'),
      kind: 'text',
      required: true,
      createOnly: true,
      description: t('admin.descriptions.email'),
    },
    { name: 'name', label: t('admin.fields.name'), kind: 'text' },
    { name: 'roles', label: t('admin.fields.roles'), kind: 'multiselect', required: true, options: roleOptions },
    {
      name: 'regions',
      label: t('admin.fields.regions'),
      kind: 'multiselect',
      options: regions,
      description: t('admin.descriptions.regions'),
    },
    { name: 'active', label: t('admin.fields.active'), kind: 'switch', editOnly: true },
  ],
  empty: { email: '', name: '', roles: [], regions: [], active: true },
  toForm: (m) => ({ email: m.email ?? '', name: m.name, roles: m.roles, regions: m.regions, active: m.active }),
  toCreate: (f) => ({ email: f.email.trim() || undefined, name: f.name.trim(), roles: f.roles as Role[], regions: f.regions }),
  toUpdate: (f) => ({ name: f.name.trim(), roles: f.roles as Role[], regions: f.regions, active: f.active }),
  createSchema: InviteMemberSchema,
  updateSchema: UpdateMemberSchema,
  idOf: (m) => m.id,
  versionOf: (m) => m.version,
});
