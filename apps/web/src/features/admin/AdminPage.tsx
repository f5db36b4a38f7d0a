import { Stack, Tabs, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import { useNavigate, useParams } from 'react-router';
import { ComingSoonPage } from '../home/Placeholder';
import { ResourceAdmin } from './components/ResourceAdmin';
import { ImportSection } from './ImportSection';
import { WebhooksSection } from './WebhooksSection';
import { ServiceAccountsSection } from './ServiceAccountsSection';
import { IdentityProvidersSection } from './IdentityProvidersSection';
import { DriversAdmin } from './DriversAdmin';
import { EquipmentAdmin } from './EquipmentAdmin';
import { SettingsSection } from './SettingsSection';
import { useQuery } from '@tanstack/react-query';
import type { EquipmentType, Qualification, Region } from '@yardmaster/contracts';
import { api } from '../../lib/api';
import { driversSpec, equipmentSpec, equipmentTypesSpec, qualificationsSpec, regionsSpec, sitesSpec } from './resources';
import { UsersSection } from './UsersSection';

/** The administration sections, in tab order; each is a URL (/admin/<section>). */
export const ADMIN_SECTIONS = [
  { key: 'qualifications' },
  { key: 'equipment-types' },
  { key: 'equipment' },
  { key: 'drivers' },
  { key: 'sites' },
  { key: 'regions' },
  { key: 'users' },
  { key: 'import' },
  { key: 'webhooks' },
  { key: 'service-accounts' },
  { key: 'identity-providers' },
  { key: 'settings' },
] as const;

/** A section's tab label (`admin.sections.<key>` in the catalogue). */
const sectionLabel = (t: TFunction, key: string) => t(`admin.sections.${key}`, { defaultValue: key });

function useOptions<T extends { id: string; code: string; name: string }>(key: string[], path: string) {
  return (
    useQuery({
      queryKey: [...key, 'options'],
      queryFn: ({ signal }) => api.get<{ items: T[] }>(path, { limit: 500 }, signal),
      select: (page) => page.items.map((i) => ({ value: i.id, label: `${i.code} — ${i.name}` })),
    }).data ?? []
  );
}

/** The tenant's regions as options (value: the code resources and memberships name). */
function useRegionOptions() {
  return (
    useQuery({
      queryKey: ['regions', 'options'],
      queryFn: ({ signal }) => api.get<{ items: Region[] }>('/api/v1/regions', {}, signal),
      select: (page) => page.items.map((r) => ({ value: r.code, label: `${r.code} — ${r.name}` })),
    }).data ?? []
  );
}

function EquipmentTypesSection() {
  const qualifications = useOptions<Qualification>(['people', 'qualifications'], '/api/v1/qualifications');
  return <ResourceAdmin spec={equipmentTypesSpec(qualifications)} />;
}
function EquipmentSection() {
  const types = useOptions<EquipmentType>(['fleet', 'equipment-types'], '/api/v1/equipment-types');
  return <EquipmentAdmin spec={equipmentSpec(types, useRegionOptions())} />;
}
function DriversSection() {
  const qualifications = useOptions<Qualification>(['people', 'qualifications'], '/api/v1/qualifications');
  return <DriversAdmin spec={driversSpec(qualifications, useRegionOptions())} />;
}
function SitesSection() {
  return <ResourceAdmin spec={sitesSpec(useRegionOptions())} />;
}

function Section({ section }: { section: string }) {
  const { t } = useTranslation();
  switch (section) {
    case 'users':
      return <UsersSection />;
    case 'regions':
      return <ResourceAdmin spec={regionsSpec()} />;
    case 'qualifications':
      return <ResourceAdmin spec={qualificationsSpec()} />;
    case 'sites':
      return <SitesSection />;
    case 'equipment-types':
      return <EquipmentTypesSection />;
    case 'equipment':
      return <EquipmentSection />;
    case 'drivers':
      return <DriversSection />;
    case 'import':
      return <ImportSection />;
    case 'webhooks':
      return <WebhooksSection />;
    case 'service-accounts':
      return <ServiceAccountsSection />;
    case 'identity-providers':
      return <IdentityProvidersSection />;
    case 'settings':
      return <SettingsSection />;
    default:
      return <ComingSoonPage title={sectionLabel(t, section)} />;
  }
}

export function AdminPage() {
  const { section = 'qualifications' } = useParams();
  const navigate = useNavigate();
  const { t } = useTranslation();
  return (
    <Stack>
      <Title order={2}>{t('admin.title')}</Title>
      <Tabs value={section} onChange={(v) => v && void navigate(`/admin/${v}`)} keepMounted={false}>
        <Tabs.List>
          {ADMIN_SECTIONS.map((s) => (
            <Tabs.Tab key={s.key} value={s.key}>
              {sectionLabel(t, s.key)}
            </Tabs.Tab>
          ))}
        </Tabs.List>
      </Tabs>
      <Section section={section} />
    </Stack>
  );
}
