import { Badge, Group, Text } from '@mantine/core';
import { InviteMemberSchema, ROLES, UpdateMemberSchema, type Membership, type Role } from '@yardmaster/contracts';
import type { ResourceSpec } from './components/ResourceAdmin';
import { PersonalDataActions } from './PersonalDataActions';

const roleOptions = ROLES.map((r) => ({ value: r, label: r }));

type MemberForm = { email: string; name: string; roles: string[]; regions: string[]; active: boolean };

/** `regions`: the tenant's region codes, for the people a region limits (dispatchers, viewers). */
export const usersSpec = (regions: Array<{ value: string; label: string }> = []): ResourceSpec<Membership, MemberForm> => ({
  queryKey: ['users'],
  path: '/api/v1/users',
  title: 'Users and roles',
  singular: 'User',
  columns: [
    { label: 'Name', render: (m) => m.name || '—' },
    { label: 'E-mail', render: (m) => m.email ?? '—' },
    {
      label: 'Roles',
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
      label: 'Regions',
      render: (m) =>
        m.regions.length > 0 ? (
          m.regions.join(', ')
        ) : (
          <Text size="sm" c="dimmed">
            all
          </Text>
        ),
    },
    {
      label: 'Status',
      render: (m) =>
        m.pending ? (
          <Badge color="yellow">invited</Badge>
        ) : m.active ? (
          <Badge color="teal">active</Badge>
        ) : (
          <Text size="sm" c="dimmed">
            deactivated
          </Text>
        ),
    },
    { label: 'Personal data', render: (m) => <PersonalDataActions member={m} /> },
  ],
  fields: [
    {
      name: 'email',
      label: 'E-mail',
      kind: 'text',
      required: true,
      createOnly: true,
      description: 'Bound to the person at their first sign-in',
    },
    { name: 'name', label: 'Name', kind: 'text' },
    { name: 'roles', label: 'Roles', kind: 'multiselect', required: true, options: roleOptions },
    {
      name: 'regions',
      label: 'Regions',
      kind: 'multiselect',
      options: regions,
      description: 'A dispatcher or viewer sees and dispatches only in these (empty: every region); admins are never limited',
    },
    { name: 'active', label: 'Active', kind: 'switch', editOnly: true },
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
