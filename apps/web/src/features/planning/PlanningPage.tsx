import type { ComponentType } from 'react';
import { Stack, Tabs, Title } from '@mantine/core';
import type { Role } from '@yardmaster/contracts';
import { useTranslation } from 'react-i18next';
import { useNavigate, useParams } from 'react-router';
import { useMe } from '../../app/session';
import { ForecastSection } from './sections/ForecastSection';
import { LeaveSection } from './sections/LeaveSection';
import { RecurringSection } from './sections/RecurringSection';
import { ShiftsSection } from './sections/ShiftsSection';

const PLANNERS: readonly Role[] = ['admin', 'dispatcher', 'viewer'];

/** The planning sections, in tab order: each is a URL (/planning/<section>), with who may open it and what it shows. */
export const PLANNING_SECTIONS: ReadonlyArray<{ key: string; roles: readonly Role[]; Section: ComponentType }> = [
  { key: 'leave', roles: [...PLANNERS, 'driver'], Section: LeaveSection },
  { key: 'shifts', roles: PLANNERS, Section: ShiftsSection },
  { key: 'recurring', roles: PLANNERS, Section: RecurringSection },
  { key: 'forecast', roles: PLANNERS, Section: ForecastSection },
];

/** Planning: leave requests and approvals, shifts, exceptions and maintenance windows, recurring work, the qualification forecast. Drivers see their leave only. */
export function PlanningPage() {
  const { t } = useTranslation();
  const me = useMe();
  const navigate = useNavigate();
  const params = useParams();
  const sections = PLANNING_SECTIONS.filter((s) => me.hasRole(...s.roles));
  const current = sections.find((s) => s.key === params.section) ?? sections[0];
  if (!current) return null;
  return (
    <Stack data-testid="planning-page">
      <Title order={2}>{t('planning.title')}</Title>
      {sections.length > 1 ? (
        <Tabs value={current.key} onChange={(v) => v && void navigate(`/planning/${v}`)} keepMounted={false}>
          <Tabs.List aria-label={t('planning.sectionsLabel')}>
            {sections.map((s) => (
              <Tabs.Tab key={s.key} value={s.key}>
                {t(`planning.sections.${s.key}`)}
              </Tabs.Tab>
            ))}
          </Tabs.List>
          {sections.map((s) => (
            <Tabs.Panel key={s.key} value={s.key} pt="md">
              <s.Section />
            </Tabs.Panel>
          ))}
        </Tabs>
      ) : (
        <current.Section />
      )}
    </Stack>
  );
}
