import { Badge, Group, Text } from '@mantine/core';
import { InviteMemberSchema, ROLES, UpdateMemberSchema, type Membership, type Role } from '@yardmaster/contracts';
import type { ResourceSpec } from './components/ResourceAdmin';

const roleOptions = ROLES.map((r) => ({ value: r, label: r }));

type MemberForm = { email: string; name: string; roles: string[]; active: boolean };

export const usersSpec: ResourceSpec<Membership, MemberForm> = {
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
  ],
  fields: [
    { name: 'email', label: 'E-mail', kind: 'text', required: true, createOnly: true, description: 'Bound to the person at their first sign-in' },
    { name: 'name', label: 'Name', kind: 'text' },
    { name: 'roles', label: 'Roles', kind: 'multiselect', required: true, options: roleOptions },
    { name: 'active', label: 'Active', kind: 'switch', editOnly: true },
  ],
  empty: { email: '', name: '', roles: [], active: true },
  toForm: (m) => ({ email: m.email ?? '', name: m.name, roles: m.roles, active: m.active }),
  toCreate: (f) => ({ email: f.email.trim() || undefined, name: f.name.trim(), roles: f.roles as Role[] }),
  toUpdate: (f) => ({ name: f.name.trim(), roles: f.roles as Role[], active: f.active }),
  createSchema: InviteMemberSchema,
  updateSchema: UpdateMemberSchema,
  idOf: (m) => m.id,
  versionOf: (m) => m.version,
};
