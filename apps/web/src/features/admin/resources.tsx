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
import { t } from '../../i18n';
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
const archivedBadge = (archived: boolean) => (archived ? <Badge color="gray">{t('admin.badges.archived')}</Badge> : null);
/** Regions (ABAC): a resource's region, or shared by every region. */
const regionBadge = (region: string | null) =>
  region ? (
    <Badge size="sm" variant="outline">
      {region}
    </Badge>
  ) : (
    <Text size="sm" c="dimmed">
      {t('admin.badges.shared')}
    </Text>
  );
const regionField = <F,>(regions: Option[]) =>
  ({
    name: 'region' as keyof F & string,
    label: t('admin.fields.region'),
    kind: 'select',
    options: regions,
    description: t('admin.descriptions.regionShared'),
  }) as const;
/** Only a changed region is sent: a dispatcher limited by region may not make a resource shared. */
const regionChange = (region: string | null, before?: string | null) =>
  before === undefined ? (region === null ? {} : { region }) : region === before ? {} : { region };

type QualificationForm = { code: string; name: string; description: string };
export const qualificationsSpec = (): ResourceSpec<Qualification, QualificationForm> => ({
  queryKey: ['people', 'qualifications'],
  path: '/api/v1/qualifications',
  title: t('admin.specs.qualifications.title'),
  singular: t('admin.specs.qualifications.singular'),
  columns: [
    { label: t('admin.fields.code'), render: (q) => <b>{q.code}</b> },
    { label: t('admin.fields.name'), render: (q) => q.name },
    { label: t('admin.fields.description'), render: (q) => q.description ?? '—' },
    { label: '', render: (q) => archivedBadge(q.archived) },
  ],
  fields: [
    { name: 'code', label: t('admin.fields.code'), kind: 'text', required: true, description: t('admin.descriptions.qualificationCode') },
    { name: 'name', label: t('admin.fields.name'), kind: 'text', required: true },
    { name: 'description', label: t('admin.fields.description'), kind: 'textarea' },
  ],
  empty: { code: '', name: '', description: '' },
  toForm: (q) => ({ code: q.code, name: q.name, description: q.description ?? '' }),
  toCreate: (f) => ({ code: f.code.trim(), name: f.name.trim(), description: opt(f.description) }),
  toUpdate: (f) => ({ code: f.code.trim(), name: f.name.trim(), description: opt(f.description) }),
  createSchema: CreateQualificationSchema,
  updateSchema: UpdateQualificationSchema,
  idOf: (q) => q.id,
  versionOf: (q) => q.version,
});

type TypeForm = { code: string; name: string; description: string; requiredQualificationIds: string[] };
export function equipmentTypesSpec(qualifications: Option[]): ResourceSpec<EquipmentType, TypeForm> {
  const label = (id: string) => qualifications.find((q) => q.value === id)?.label ?? id.slice(0, 8);
  return {
    queryKey: ['fleet', 'equipment-types'],
    path: '/api/v1/equipment-types',
    title: t('admin.specs.equipmentTypes.title'),
    singular: t('admin.specs.equipmentTypes.singular'),
    columns: [
      { label: t('admin.fields.code'), render: (et) => <b>{et.code}</b> },
      { label: t('admin.fields.name'), render: (et) => et.name },
      {
        label: t('admin.fields.operatorMustHold'),
        render: (et) => (
          <Group gap={4}>
            {et.requiredQualificationIds.length
              ? et.requiredQualificationIds.map((id) => (
                  <Badge key={id} variant="light" size="sm">
                    {label(id)}
                  </Badge>
                ))
              : '—'}
          </Group>
        ),
      },
      { label: '', render: (et) => archivedBadge(et.archived) },
    ],
    fields: [
      { name: 'code', label: t('admin.fields.code'), kind: 'text', required: true, description: t('admin.descriptions.typeCode') },
      { name: 'name', label: t('admin.fields.name'), kind: 'text', required: true },
      { name: 'description', label: t('admin.fields.description'), kind: 'textarea' },
      { name: 'requiredQualificationIds', label: t('admin.fields.requiredQualifications'), kind: 'multiselect', options: qualifications },
    ],
    empty: { code: '', name: '', description: '', requiredQualificationIds: [] },
    toForm: (et) => ({
      code: et.code,
      name: et.name,
      description: et.description ?? '',
      requiredQualificationIds: et.requiredQualificationIds,
    }),
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
    idOf: (et) => et.id,
    versionOf: (et) => et.version,
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
    title: t('admin.specs.equipment.title'),
    singular: t('admin.specs.equipment.singular'),
    columns: [
      { label: t('admin.fields.assetTag'), render: (e) => <b>{e.assetTag}</b> },
      { label: t('admin.fields.name'), render: (e) => e.name },
      { label: t('admin.fields.type'), render: (e) => types.find((o) => o.value === e.equipmentTypeId)?.label ?? '—' },
      { label: t('admin.fields.region'), render: (e) => regionBadge(e.region) },
      {
        label: t('admin.fields.status'),
        render: (e) => (
          <>
            <Badge color={EQUIPMENT_COLOR[e.status]} variant="light">
              {t(`admin.equipmentStatus.${e.status}`)}
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
      { name: 'assetTag', label: t('admin.fields.assetTag'), kind: 'text', required: true },
      { name: 'name', label: t('admin.fields.name'), kind: 'text', required: true },
      { name: 'equipmentTypeId', label: t('admin.fields.type'), kind: 'select', required: true, options: types },
      { name: 'homeLat', label: t('admin.fields.homeLat'), kind: 'number' },
      { name: 'homeLng', label: t('admin.fields.homeLng'), kind: 'number' },
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
    title: t('admin.specs.drivers.title'),
    singular: t('admin.specs.drivers.singular'),
    columns: [
      { label: t('admin.fields.name'), render: (d) => <b>{d.name}</b> },
      { label: t('admin.fields.employeeNoShort'), render: (d) => d.employeeNo ?? '—' },
      { label: t('admin.fields.contact'), render: (d) => [d.phone, d.email].filter(Boolean).join(' · ') || '—' },
      {
        id: 'qualifications',
        label: t('admin.fields.qualifications'),
        render: (d) => (
          <Group gap={4}>
            {d.qualifications.map((q) => (
              <Badge
                key={q.qualificationId}
                size="sm"
                variant="light"
                color={q.expired ? 'red' : 'blue'}
                title={q.expiresAt ? t('admin.badges.expires', { date: q.expiresAt.slice(0, 10) }) : t('admin.badges.noExpiry')}
              >
                {q.code}
              </Badge>
            ))}
          </Group>
        ),
      },
      { label: t('admin.fields.region'), render: (d) => regionBadge(d.region) },
      {
        label: t('admin.fields.duty'),
        render: (d) => <Badge color={d.dutyStatus === 'on_duty' ? 'teal.9' : 'gray'}>{t(`admin.duty.${d.dutyStatus}`)}</Badge>,
      },
      { id: 'signIn', label: t('admin.fields.signIn'), render: (d) => (d.subject ? t('admin.badges.linked') : '—') },
    ],
    fields: [
      { name: 'name', label: t('admin.fields.name'), kind: 'text', required: true },
      { name: 'employeeNo', label: t('admin.fields.employeeNo'), kind: 'text' },
      { name: 'phone', label: t('admin.fields.phone'), kind: 'text' },
      { name: 'email', label: t('admin.fields.email'), kind: 'text' },
      { name: 'subject', label: t('admin.fields.subject'), kind: 'text', description: t('admin.descriptions.subject') },
      { name: 'qualificationIds', label: t('admin.fields.qualificationsHeld'), kind: 'multiselect', options: qualifications },
      regionField<DriverForm>(regions),
      {
        name: 'dutyStatus',
        label: t('admin.fields.dutyStatus'),
        kind: 'select',
        createOnly: true,
        options: [
          { value: 'on_duty', label: t('admin.fields.onDuty') },
          { value: 'off_duty', label: t('admin.fields.offDuty') },
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
  title: t('admin.specs.sites.title'),
  singular: t('admin.specs.sites.singular'),
  columns: [
    { label: t('admin.fields.name'), render: (s) => <b>{s.name}</b> },
    { label: t('admin.fields.address'), render: (s) => s.address },
    { label: t('admin.fields.contact'), render: (s) => [s.contactName, s.contactPhone].filter(Boolean).join(' · ') || '—' },
    { label: t('admin.fields.region'), render: (s) => regionBadge(s.region) },
    {
      label: t('admin.fields.status'),
      render: (s) =>
        s.active ? <Badge color="teal">{t('admin.badges.active')}</Badge> : <Text c="dimmed">{t('admin.badges.inactive')}</Text>,
    },
  ],
  fields: [
    { name: 'name', label: t('admin.fields.name'), kind: 'text', required: true },
    { name: 'address', label: t('admin.fields.address'), kind: 'textarea', required: true },
    { name: 'lat', label: t('admin.fields.lat'), kind: 'number' },
    { name: 'lng', label: t('admin.fields.lng'), kind: 'number' },
    { name: 'contactName', label: t('admin.fields.contactName'), kind: 'text' },
    { name: 'contactPhone', label: t('admin.fields.contactPhone'), kind: 'text' },
    { name: 'notes', label: t('admin.fields.notes'), kind: 'textarea' },
    regionField<SiteForm>(regions),
    { name: 'active', label: t('admin.fields.active'), kind: 'switch', editOnly: true },
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
export const regionsSpec = (): ResourceSpec<Region, RegionForm> => ({
  queryKey: ['regions'],
  path: '/api/v1/regions',
  title: t('admin.specs.regions.title'),
  singular: t('admin.specs.regions.singular'),
  columns: [
    { label: t('admin.fields.code'), render: (r) => <b>{r.code}</b> },
    { label: t('admin.fields.name'), render: (r) => r.name },
    { label: t('admin.fields.description'), render: (r) => r.description ?? '—' },
  ],
  fields: [
    {
      name: 'code',
      label: t('admin.fields.code'),
      kind: 'text',
      required: true,
      createOnly: true,
      description: t('admin.descriptions.regionCode'),
    },
    { name: 'name', label: t('admin.fields.name'), kind: 'text', required: true },
    { name: 'description', label: t('admin.fields.description'), kind: 'textarea' },
  ],
  empty: { code: '', name: '', description: '' },
  toForm: (r) => ({ code: r.code, name: r.name, description: r.description ?? '' }),
  toCreate: (f) => ({ code: f.code.trim(), name: f.name.trim(), description: opt(f.description) }),
  toUpdate: (f) => ({ name: f.name.trim(), description: opt(f.description) }),
  createSchema: CreateRegionSchema,
  updateSchema: UpdateRegionSchema,
  idOf: (r) => r.id,
  versionOf: (r) => r.version,
});
