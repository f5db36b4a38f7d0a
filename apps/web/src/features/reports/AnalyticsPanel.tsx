import { useMemo, useState } from 'react';
import { BarChart, LineChart } from '@mantine/charts';
import { Card, Group, Paper, SimpleGrid, Stack, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { DurationStats } from '@yardmaster/contracts';
import { useMe } from '../../app/session';
import { formatDuration, formatShort } from '../../lib/time';
import { EmptyState, ErrorState, LoadingState } from '../../ui/States';
import { DateField } from '../../ui/DateField';
import { downloadAnalytics, useAnalytics } from './api';
import { ExportButtons } from './components/ExportButtons';

const day = (d: Date) => d.toISOString().slice(0, 10);

function Stat({ label, value, hint }: { label: string; value: string; hint?: string }) {
  return (
    <Paper withBorder p="sm">
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text fw={700} size="lg">
        {value}
      </Text>
      {hint ? (
        <Text size="xs" c="dimmed">
          {hint}
        </Text>
      ) : null}
    </Paper>
  );
}

const secs = (s: number | null) => (s == null ? '—' : formatDuration(s * 1000));
const pct = (v: number | null) => (v == null ? '—' : `${Math.round(v * 100)} %`);

export function AnalyticsPanel() {
  const { t } = useTranslation();
  const me = useMe();
  const stats = (s: DurationStats) => t('reports.analytics.stats', { p50: secs(s.p50), p90: secs(s.p90), count: s.count });
  const [range, setRange] = useState(() => {
    const to = new Date(Date.now() + 86_400_000);
    return { from: day(new Date(to.getTime() - 8 * 86_400_000)), to: day(to) };
  });
  const fromIso = new Date(`${range.from}T00:00:00Z`).toISOString();
  const toIso = new Date(`${range.to}T00:00:00Z`).toISOString();
  const analytics = useAnalytics(fromIso, toIso);
  const a = analytics.data;
  const depth = useMemo(
    () => (a?.queueDepth ?? []).map((p) => ({ hour: formatShort(p.hour, me.timeZone), depth: p.depth })),
    [a, me.timeZone],
  );
  return (
    <Stack>
      <Group align="flex-end">
        <DateField label={t('reports.analytics.from')} value={range.from} onChange={(from) => setRange({ ...range, from })} />
        <DateField label={t('reports.analytics.to')} value={range.to} onChange={(to) => setRange({ ...range, to })} />
        <ExportButtons download={(format) => downloadAnalytics(fromIso, toIso, format)} />
      </Group>
      {analytics.isPending ? (
        <LoadingState />
      ) : analytics.error ? (
        <ErrorState error={analytics.error} onRetry={() => void analytics.refetch()} />
      ) : !a ? (
        <EmptyState title={t('reports.analytics.noFigures')} />
      ) : (
        <>
          <SimpleGrid cols={{ base: 2, sm: 3, lg: 6 }}>
            <Stat label={t('reports.analytics.created')} value={String(a.counts.created)} />
            <Stat label={t('reports.analytics.completed')} value={String(a.counts.completed)} />
            <Stat label={t('reports.analytics.recalledCancelled')} value={`${a.counts.recalled} / ${a.counts.cancelled}`} />
            <Stat label={t('reports.analytics.fulfilmentRate')} value={pct(a.fulfilmentRate)} />
            <Stat label={t('reports.analytics.equipmentUtilisation')} value={pct(a.utilisation.equipment.overall)} />
            <Stat label={t('reports.analytics.driverUtilisation')} value={pct(a.utilisation.drivers.overall)} />
          </SimpleGrid>
          <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }}>
            <Stat label={t('reports.analytics.queueWait')} value={secs(a.queueWait.mean)} hint={stats(a.queueWait)} />
            <Stat label={t('reports.analytics.timeToAssign')} value={secs(a.timeToDispatch.mean)} hint={stats(a.timeToDispatch)} />
            <Stat label={t('reports.analytics.timeToSite')} value={secs(a.timeToSite.mean)} hint={stats(a.timeToSite)} />
            <Stat label={t('reports.analytics.onSite')} value={secs(a.onSite.mean)} hint={stats(a.onSite)} />
          </SimpleGrid>
          <SimpleGrid cols={{ base: 1, lg: 2 }}>
            <Card withBorder>
              <Text fw={600} mb="sm">
                {t('reports.analytics.queueDepth')}
              </Text>
              {depth.length ? (
                <LineChart
                  h={220}
                  data={depth}
                  dataKey="hour"
                  series={[{ name: 'depth', label: t('reports.analytics.series.depth'), color: 'blue.6' }]}
                  curveType="step"
                />
              ) : (
                <EmptyState title={t('reports.analytics.noQueue')} />
              )}
            </Card>
            <Card withBorder>
              <Text fw={600} mb="sm">
                {t('reports.analytics.busiestSites')}
              </Text>
              {a.busiestSites.length ? (
                <BarChart
                  h={220}
                  data={a.busiestSites.slice(0, 8)}
                  dataKey="name"
                  series={[{ name: 'dispatches', label: t('reports.analytics.series.dispatches'), color: 'teal.6' }]}
                />
              ) : (
                <EmptyState title={t('reports.analytics.noDispatches')} />
              )}
            </Card>
            <Card withBorder>
              <Text fw={600} mb="sm">
                {t('reports.analytics.requestsByHour')}
              </Text>
              <BarChart
                h={220}
                data={a.peakHours}
                dataKey="hourOfDay"
                series={[{ name: 'requests', label: t('reports.analytics.series.requests'), color: 'grape.6' }]}
              />
            </Card>
            <Card withBorder>
              <Text fw={600} mb="sm">
                {t('reports.analytics.equipmentUtilisation')}
              </Text>
              {a.utilisation.equipment.items.length ? (
                <BarChart
                  h={220}
                  data={a.utilisation.equipment.items
                    .slice(0, 10)
                    .map((i) => ({ name: i.name, utilisation: Math.round((i.utilisation ?? 0) * 100) }))}
                  dataKey="name"
                  unit=" %"
                  series={[{ name: 'utilisation', label: t('reports.analytics.series.utilisation'), color: 'orange.6' }]}
                />
              ) : (
                <EmptyState title={t('reports.analytics.noEquipment')} />
              )}
            </Card>
          </SimpleGrid>
          <Text size="xs" c="dimmed">
            {t('reports.analytics.source', { source: a.source, timeZone: a.range.timeZone })}
          </Text>
        </>
      )}
    </Stack>
  );
}
