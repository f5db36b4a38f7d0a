import { Badge, Group, Text } from '@mantine/core';
import {
  CreateDriverSchema,
  CreateEquipmentSchema,
  CreateEquipmentTypeSchema,
  CreateQualificationSchema,
  CreateRegionSchema,
  CreateSiteSchema,
  UpdateDriverSchema,
  UpdateEquipmentSchema,
  UpdateEquipmentTypeSchema,
  UpdateQualificationSchema,
  UpdateRegionSchema,
  UpdateSiteSchema,
  type Driver,
  type Equipment,
  type EquipmentType,
  type Qualification,
  type Region,
  type Site,
} from '@yardmaster/contracts';
import type { ResourceSpec } from './components/ResourceAdmin';

/* Administration of the tenant's resources, on the people, fleet and sites contracts. */

type Option = { value: string; label: string };
const opt = (s: string) => (s.trim() === '' ? null : s.trim());
const num = (v: number | string) => (v === '' || v === null || v === undefined ? null : Number(v));
const positionOf = (lat: number | string, lng: number | string) => {
  const a = num(lat);
  const b = num(lng);
  return a === null || b === null ? null : { lat: a, lng: b };
};
const archivedBadge = (archived: boolean) => (archived ? <Badge color="gray">archived</Badge> : null);
/** Regions (ABAC): a resource's region, or shared by every region. */
const regionBadge = (region: string | null) =>
  region ? (
    <Badge size="sm" variant="outline">
      {region}
    </Badge>
  ) : (
    <Text size="sm" c="dimmed">
      shared
    </Text>
  );
const regionField = <F,>(regions: Option[]) =>
  ({
    name: 'region' as keyof F & string,
    label: 'Region',
    kind: 'select',
    options: regions,
    description: 'Empty: shared by every region',
  }) as const;
/** Only a changed region is sent: a dispatcher limited by region may not make a resource shared. */
const regionChange = (region: string | null, before?: string | null) =>
  before === undefined ? (region === null ? {} : { region }) : region === before ? {} : { region };

type QualificationForm = { code: string; name: string; description: string };
export const qualificationsSpec: ResourceSpec<Qualification, QualificationForm> = {
  queryKey: ['people', 'qualifications'],
  path: '/api/v1/qualifications',
  title: 'Qualifications',
  singular: 'Qualification',
  columns: [
    { label: 'Code', render: (q) => <b>{q.code}</b> },
    { label: 'Name', render: (q) => q.name },
    { label: 'Description', render: (q) => q.description ?? '—' },
    { label: '', render: (q) => archivedBadge(q.archived) },
  ],
  fields: [
    { name: 'code', label: 'Code', kind: 'text', required: true, description: 'e.g. CDL-A' },
    { name: 'name', label: 'Name', kind: 'text', required: true },
    { name: 'description', label: 'Description', kind: 'textarea' },
  ],
  empty: { code: '', name: '', description: '' },
  toForm: (q) => ({ code: q.code, name: q.name, description: q.description ?? '' }),
  toCreate: (f) => ({ code: f.code.trim(), name: f.name.trim(), description: opt(f.description) }),
  toUpdate: (f) => ({ code: f.code.trim(), name: f.name.trim(), description: opt(f.description) }),
  createSchema: CreateQualificationSchema,
  updateSchema: UpdateQualificationSchema,
  idOf: (q) => q.id,
  versionOf: (q) => q.version,
};

type TypeForm = { code: string; name: string; description: string; requiredQualificationIds: string[] };
export function equipmentTypesSpec(qualifications: Option[]): ResourceSpec<EquipmentType, TypeForm> {
  const label = (id: string) => qualifications.find((q) => q.value === id)?.label ?? id.slice(0, 8);
  return {
    queryKey: ['fleet', 'equipment-types'],
    path: '/api/v1/equipment-types',
    title: 'Equipment types',
    singular: 'Equipment type',
    columns: [
      { label: 'Code', render: (t) => <b>{t.code}</b> },
      { label: 'Name', render: (t) => t.name },
      {
        label: 'Operator must hold',
        render: (t) => (
          <Group gap={4}>
            {t.requiredQualificationIds.length
              ? t.requiredQualificationIds.map((id) => (
                  <Badge key={id} variant="light" size="sm">
                    {label(id)}
                  </Badge>
                ))
              : '—'}
          </Group>
        ),
      },
      { label: '', render: (t) => archivedBadge(t.archived) },
    ],
    fields: [
      { name: 'code', label: 'Code', kind: 'text', required: true, description: 'e.g. CRANE-50T' },
      { name: 'name', label: 'Name', kind: 'text', required: true },
      { name: 'description', label: 'Description', kind: 'textarea' },
      { name: 'requiredQualificationIds', label: 'Required qualifications', kind: 'multiselect', options: qualifications },
    ],
    empty: { code: '', name: '', description: '', requiredQualificationIds: [] },
    toForm: (t) => ({ code: t.code, name: t.name, description: t.description ?? '', requiredQualificationIds: t.requiredQualificationIds }),
    toCreate: (f) => ({
      code: f.code.trim(),
      name: f.name.trim(),
      description: opt(f.description),
      requiredQualificationIds: f.requiredQualificationIds,
    }),
    toUpdate: (f) => ({
      code: f.code.trim(),
      name: f.name.trim(),
      description: opt(f.description),
      requiredQualificationIds: f.requiredQualificationIds,
    }),
    createSchema: CreateEquipmentTypeSchema,
    updateSchema: UpdateEquipmentTypeSchema,
    idOf: (t) => t.id,
    versionOf: (t) => t.version,
  };
}

const EQUIPMENT_COLOR: Record<Equipment['status'], string> = {
  available: 'teal',
  dispatched: 'blue',
  maintenance: 'orange',
  retired: 'gray',
};
type EquipmentForm = {
  assetTag: string;
  name: string;
  equipmentTypeId: string | null;
  homeLat: number | string;
  homeLng: number | string;
  region: string | null;
};
export function equipmentSpec(types: Option[], regions: Option[] = []): ResourceSpec<Equipment, EquipmentForm> {
  return {
    queryKey: ['fleet', 'equipment'],
    path: '/api/v1/equipment',
    title: 'Equipment',
    singular: 'Equipment',
    columns: [
      { label: 'Asset tag', render: (e) => <b>{e.assetTag}</b> },
      { label: 'Name', render: (e) => e.name },
      { label: 'Type', render: (e) => types.find((t) => t.value === e.equipmentTypeId)?.label ?? '—' },
      { label: 'Region', render: (e) => regionBadge(e.region) },
      {
        label: 'Status',
        render: (e) => (
          <>
            <Badge color={EQUIPMENT_COLOR[e.status]} variant="light">
              {e.status}
            </Badge>
            {e.statusNote ? (
              <Text size="xs" c="dimmed">
                {e.statusNote}
              </Text>
            ) : null}
          </>
        ),
      },
    ],
    fields: [
      { name: 'assetTag', label: 'Asset tag', kind: 'text', required: true },
      { name: 'name', label: 'Name', kind: 'text', required: true },
      { name: 'equipmentTypeId', label: 'Type', kind: 'select', required: true, options: types },
      { name: 'homeLat', label: 'Home latitude', kind: 'number' },
      { name: 'homeLng', label: 'Home longitude', kind: 'number' },
      regionField<EquipmentForm>(regions),
    ],
    empty: { assetTag: '', name: '', equipmentTypeId: null, homeLat: '', homeLng: '', region: null },
    toForm: (e) => ({
      assetTag: e.assetTag,
      name: e.name,
      equipmentTypeId: e.equipmentTypeId,
      homeLat: e.home?.lat ?? '',
      homeLng: e.home?.lng ?? '',
      region: e.region,
    }),
    toCreate: (f) => ({
      assetTag: f.assetTag.trim(),
      name: f.name.trim(),
      equipmentTypeId: f.equipmentTypeId ?? '',
      home: positionOf(f.homeLat, f.homeLng),
      ...regionChange(f.region),
    }),
    toUpdate: (f, e) => ({
      assetTag: f.assetTag.trim(),
      name: f.name.trim(),
      equipmentTypeId: f.equipmentTypeId ?? '',
      home: positionOf(f.homeLat, f.homeLng),
      ...regionChange(f.region, e.region),
    }),
    createSchema: CreateEquipmentSchema,
    updateSchema: UpdateEquipmentSchema,
    idOf: (e) => e.id,
    versionOf: (e) => e.version,
  };
}

type DriverForm = {
  name: string;
  employeeNo: string;
  phone: string;
  email: string;
  subject: string;
  dutyStatus: string;
  qualificationIds: string[];
  region: string | null;
};
export function driversSpec(qualifications: Option[], regions: Option[] = []): ResourceSpec<Driver, DriverForm> {
  // Held qualifications keep their expiry when the list is edited here; new ones have none.
  const held = (ids: string[], d?: Driver) =>
    ids.map((id) => ({ qualificationId: id, expiresAt: d?.qualifications.find((q) => q.qualificationId === id)?.expiresAt ?? null }));
  return {
    queryKey: ['people', 'drivers'],
    path: '/api/v1/drivers',
    title: 'Drivers',
    singular: 'Driver',
    columns: [
      { label: 'Name', render: (d) => <b>{d.name}</b> },
      { label: 'Employee no.', render: (d) => d.employeeNo ?? '—' },
      { label: 'Contact', render: (d) => [d.phone, d.email].filter(Boolean).join(' · ') || '—' },
      {
        label: 'Qualifications',
        render: (d) => (
          <Group gap={4}>
            {d.qualifications.map((q) => (
              <Badge
                key={q.qualificationId}
                size="sm"
                variant="light"
                color={q.expired ? 'red' : 'blue'}
                title={q.expiresAt ? `expires ${q.expiresAt.slice(0, 10)}` : 'no expiry'}
              >
                {q.code}
              </Badge>
            ))}
          </Group>
        ),
      },
      { label: 'Region', render: (d) => regionBadge(d.region) },
      {
        label: 'Duty',
        render: (d) => <Badge color={d.dutyStatus === 'on_duty' ? 'teal.9' : 'gray'}>{d.dutyStatus.replace('_', ' ')}</Badge>,
      },
      { label: 'Sign-in', render: (d) => (d.subject ? 'linked' : '—') },
    ],
    fields: [
      { name: 'name', label: 'Name', kind: 'text', required: true },
      { name: 'employeeNo', label: 'Employee number', kind: 'text' },
      { name: 'phone', label: 'Phone', kind: 'text' },
      { name: 'email', label: 'E-mail', kind: 'text' },
      { name: 'subject', label: 'Identity subject', kind: 'text', description: 'Links the driver to a sign-in for the driver view' },
      { name: 'qualificationIds', label: 'Qualifications held', kind: 'multiselect', options: qualifications },
      regionField<DriverForm>(regions),
      {
        name: 'dutyStatus',
        label: 'Duty status',
        kind: 'select',
        createOnly: true,
        options: [
          { value: 'on_duty', label: 'On duty' },
          { value: 'off_duty', label: 'Off duty' },
        ],
      },
    ],
    empty: { name: '', employeeNo: '', phone: '', email: '', subject: '', dutyStatus: 'off_duty', qualificationIds: [], region: null },
    toForm: (d) => ({
      name: d.name,
      employeeNo: d.employeeNo ?? '',
      phone: d.phone ?? '',
      email: d.email ?? '',
      subject: d.subject ?? '',
      dutyStatus: d.dutyStatus,
      qualificationIds: d.qualifications.map((q) => q.qualificationId),
      region: d.region,
    }),
    toCreate: (f) => ({
      name: f.name.trim(),
      employeeNo: opt(f.employeeNo),
      phone: opt(f.phone),
      email: opt(f.email),
      subject: opt(f.subject),
      dutyStatus: f.dutyStatus === 'on_duty' ? 'on_duty' : 'off_duty',
      qualifications: held(f.qualificationIds),
      ...regionChange(f.region),
    }),
    toUpdate: (f, d) => ({
      name: f.name.trim(),
      employeeNo: opt(f.employeeNo),
      phone: opt(f.phone),
      email: opt(f.email),
      subject: opt(f.subject),
      qualifications: held(f.qualificationIds, d),
      ...regionChange(f.region, d.region),
    }),
    createSchema: CreateDriverSchema,
    updateSchema: UpdateDriverSchema,
    idOf: (d) => d.id,
    versionOf: (d) => d.version,
  };
}

type SiteForm = {
  name: string;
  address: string;
  lat: number | string;
  lng: number | string;
  contactName: string;
  contactPhone: string;
  notes: string;
  active: boolean;
  region: string | null;
};
export const sitesSpec = (regions: Option[] = []): ResourceSpec<Site, SiteForm> => ({
  queryKey: ['sites'],
  path: '/api/v1/sites',
  title: 'Sites',
  singular: 'Site',
  columns: [
    { label: 'Name', render: (s) => <b>{s.name}</b> },
    { label: 'Address', render: (s) => s.address },
    { label: 'Contact', render: (s) => [s.contactName, s.contactPhone].filter(Boolean).join(' · ') || '—' },
    { label: 'Region', render: (s) => regionBadge(s.region) },
    { label: 'Status', render: (s) => (s.active ? <Badge color="teal">active</Badge> : <Text c="dimmed">inactive</Text>) },
  ],
  fields: [
    { name: 'name', label: 'Name', kind: 'text', required: true },
    { name: 'address', label: 'Address', kind: 'textarea', required: true },
    { name: 'lat', label: 'Latitude', kind: 'number' },
    { name: 'lng', label: 'Longitude', kind: 'number' },
    { name: 'contactName', label: 'Contact name', kind: 'text' },
    { name: 'contactPhone', label: 'Contact phone', kind: 'text' },
    { name: 'notes', label: 'Notes', kind: 'textarea' },
    regionField<SiteForm>(regions),
    { name: 'active', label: 'Active', kind: 'switch', editOnly: true },
  ],
  empty: { name: '', address: '', lat: '', lng: '', contactName: '', contactPhone: '', notes: '', active: true, region: null },
  toForm: (s) => ({
    name: s.name,
    address: s.address,
    lat: s.position?.lat ?? '',
    lng: s.position?.lng ?? '',
    contactName: s.contactName ?? '',
    contactPhone: s.contactPhone ?? '',
    notes: s.notes ?? '',
    active: s.active,
    region: s.region,
  }),
  toCreate: (f) => ({
    name: f.name.trim(),
    address: f.address.trim(),
    position: positionOf(f.lat, f.lng),
    contactName: opt(f.contactName),
    contactPhone: opt(f.contactPhone),
    notes: opt(f.notes),
    ...regionChange(f.region),
  }),
  toUpdate: (f, s) => ({
    name: f.name.trim(),
    address: f.address.trim(),
    position: positionOf(f.lat, f.lng),
    contactName: opt(f.contactName),
    contactPhone: opt(f.contactPhone),
    notes: opt(f.notes),
    active: f.active,
    ...regionChange(f.region, s.region),
  }),
  createSchema: CreateSiteSchema,
  updateSchema: UpdateSiteSchema,
  idOf: (s) => s.id,
  versionOf: (s) => s.version,
});

type RegionForm = { code: string; name: string; description: string };
export const regionsSpec: ResourceSpec<Region, RegionForm> = {
  queryKey: ['regions'],
  path: '/api/v1/regions',
  title: 'Regions',
  singular: 'Region',
  columns: [
    { label: 'Code', render: (r) => <b>{r.code}</b> },
    { label: 'Name', render: (r) => r.name },
    { label: 'Description', render: (r) => r.description ?? '—' },
  ],
  fields: [
    {
      name: 'code',
      label: 'Code',
      kind: 'text',
      required: true,
      createOnly: true,
      description: 'e.g. NORTH; the key memberships and token claims use, it never changes',
    },
    { name: 'name', label: 'Name', kind: 'text', required: true },
    { name: 'description', label: 'Description', kind: 'textarea' },
  ],
  empty: { code: '', name: '', description: '' },
  toForm: (r) => ({ code: r.code, name: r.name, description: r.description ?? '' }),
  toCreate: (f) => ({ code: f.code.trim(), name: f.name.trim(), description: opt(f.description) }),
  toUpdate: (f) => ({ name: f.name.trim(), description: opt(f.description) }),
  createSchema: CreateRegionSchema,
  updateSchema: UpdateRegionSchema,
  idOf: (r) => r.id,
  versionOf: (r) => r.version,
};
