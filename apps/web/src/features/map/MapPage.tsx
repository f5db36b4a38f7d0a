import { useEffect, useMemo, useRef, useState } from 'react';
import { Alert, Badge, Box, Grid, Group, Paper, ScrollArea, Stack, Table, Text, Title, UnstyledButton } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import type { Board, Driver, Equipment, MapStyle, Site } from '@yardmaster/contracts';
import { Map as MapLibre, Marker, Popup, setWorkerUrl, type StyleSpecification } from 'maplibre-gl';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import 'maplibre-gl/dist/maplibre-gl.css';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { i18n } from '../../i18n';
import { api } from '../../lib/api';
import { ErrorState, LoadingState } from '../../ui/States';
import { pointsOf, type MapPoint } from './points';

// The worker is its own file under /assets (CSP worker-src 'self'), not a blob.
setWorkerUrl(workerUrl);

/** Without MAP_STYLE_URL: a plain background, so the map works with no tile server at all. */
export const PLAIN_STYLE: StyleSpecification = {
  version: 8,
  sources: {},
  layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#e9eef2' } }],
};

const COLORS: Record<MapPoint['kind'], string> = { site: '#1c5d99', equipment: '#7a3e00', driver: '#2b6a3f' };
const kindLabel = (kind: MapPoint['kind']) => i18n.t(`map.kinds.${kind}`);

function markerElement(point: MapPoint, highlighted: boolean): HTMLElement {
  const el = document.createElement('button');
  el.type = 'button';
  el.dataset.testid = `marker-${point.kind}-${point.id}`;
  el.setAttribute(
    'aria-label',
    point.queued
      ? i18n.t('map.markerWaiting', { kind: kindLabel(point.kind), label: point.label, n: point.queued })
      : i18n.t('map.marker', { kind: kindLabel(point.kind), label: point.label }),
  );
  el.textContent = point.kind === 'site' ? (point.queued ? String(point.queued) : 'S') : point.kind === 'equipment' ? 'E' : 'D';
  Object.assign(el.style, {
    width: point.kind === 'site' ? '26px' : '20px',
    height: point.kind === 'site' ? '26px' : '20px',
    borderRadius: point.kind === 'site' ? '4px' : '50%',
    border: highlighted ? '3px solid #f08c00' : '2px solid #ffffff',
    background: COLORS[point.kind],
    color: '#ffffff',
    font: '700 11px/1 sans-serif',
    cursor: 'pointer',
    boxShadow: '0 1px 3px rgba(0,0,0,0.4)',
  });
  return el;
}

function useMapData() {
  const style = useQuery({
    queryKey: ['map', 'style'],
    queryFn: ({ signal }) => api.get<MapStyle>('/api/v1/map-style', undefined, signal),
    staleTime: Infinity,
  });
  const sites = useQuery({
    queryKey: ['sites', 'map'],
    queryFn: async ({ signal }) => (await api.get<{ items: Site[] }>('/api/v1/sites', { limit: 500 }, signal)).items,
  });
  const equipment = useQuery({
    queryKey: ['fleet', 'equipment', 'map'],
    queryFn: async ({ signal }) => (await api.get<{ items: Equipment[] }>('/api/v1/equipment', { limit: 500 }, signal)).items,
  });
  const drivers = useQuery({
    queryKey: ['people', 'drivers', 'map'],
    queryFn: async ({ signal }) => (await api.get<{ items: Driver[] }>('/api/v1/drivers', { limit: 500 }, signal)).items,
  });
  const board = useQuery({ queryKey: ['dispatch', 'board'], queryFn: ({ signal }) => api.get<Board>('/api/v1/board', undefined, signal) });
  return { style, sites, equipment, drivers, board };
}

/**
 * Sites (with the work waiting at each), equipment and drivers at their last known positions, on
 * MapLibre GL. Tiles come from MAP_STYLE_URL; without it the map is a plain background with the
 * markers, so it works offline and in tests. Everything on the map is also listed beside it.
 */
export function MapPage() {
  const { t } = useTranslation();
  const { style, sites, equipment, drivers, board } = useMapData();
  const [params] = useSearchParams();
  const focus = params.get('site');
  const container = useRef<HTMLDivElement>(null);
  const map = useRef<MapLibre | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [ready, setReady] = useState(false);
  const points = useMemo(
    () =>
      sites.data && equipment.data && drivers.data && board.data ? pointsOf(sites.data, equipment.data, drivers.data, board.data) : null,
    [sites.data, equipment.data, drivers.data, board.data],
  );

  // The map, once the style is known.
  useEffect(() => {
    if (!container.current || !style.data || map.current) return;
    try {
      const m = new MapLibre({
        container: container.current,
        style: style.data.styleUrl ?? PLAIN_STYLE,
        center: [0, 20],
        zoom: 1,
        attributionControl: { compact: true },
      });
      m.on('load', () => setReady(true));
      m.on('error', (e) => {
        // A tile or style that fails to load leaves the markers usable; say so once.
        setFailure((f) => f ?? i18n.t('map.tilesFailed', { reason: e.error.message }));
      });
      map.current = m;
    } catch (error) {
      setFailure(i18n.t('map.cannotDraw', { reason: (error as Error).message }));
    }
    return () => {
      map.current?.remove();
      map.current = null;
    };
  }, [style.data]);

  // The markers, whenever the data changes.
  useEffect(() => {
    const m = map.current;
    if (!m || !points) return;
    const markers = points.map((p) => {
      const content = document.createElement('div');
      const title = document.createElement('strong');
      title.textContent = p.label;
      const detail = document.createElement('div');
      detail.textContent = p.detail;
      content.append(title, detail);
      return new Marker({ element: markerElement(p, p.kind === 'site' && p.id === focus) })
        .setLngLat([p.lng, p.lat])
        .setPopup(new Popup({ offset: 14, closeButton: true }).setDOMContent(content))
        .addTo(m);
    });
    const focused = points.find((p) => p.kind === 'site' && p.id === focus);
    if (focused) m.jumpTo({ center: [focused.lng, focused.lat], zoom: 13 });
    else if (points.length > 0) {
      const lngs = points.map((p) => p.lng);
      const lats = points.map((p) => p.lat);
      m.fitBounds(
        [
          [Math.min(...lngs), Math.min(...lats)],
          [Math.max(...lngs), Math.max(...lats)],
        ],
        { padding: 60, maxZoom: 13, duration: 0 },
      );
    }
    return () => markers.forEach((marker) => marker.remove());
  }, [points, focus, ready]);

  const error = style.error ?? sites.error ?? equipment.error ?? drivers.error ?? board.error;
  if (error) return <ErrorState error={error} />;
  const unplaced =
    (sites.data ?? []).filter((s) => !s.position).length + (equipment.data ?? []).filter((e) => !e.position && !e.home).length;

  return (
    <Stack gap="sm">
      <Group justify="space-between">
        <Title order={2}>{t('map.title')}</Title>
        <Group gap="xs">
          {(['site', 'equipment', 'driver'] as const).map((k) => (
            <Badge key={k} variant="filled" style={{ background: COLORS[k] }}>
              {kindLabel(k)}
            </Badge>
          ))}
        </Group>
      </Group>
      {failure ? <Alert color="orange">{failure}</Alert> : null}
      <Grid>
        <Grid.Col span={{ base: 12, lg: 8 }}>
          <Paper withBorder style={{ overflow: 'hidden' }}>
            <Box
              ref={container}
              h={560}
              data-testid="map"
              data-ready={ready ? 'true' : 'false'}
              role="region"
              aria-label={t('map.label')}
            />
          </Paper>
          {!style.data?.styleUrl ? (
            <Text size="xs" mt={4}>
              {t('map.plain')}
            </Text>
          ) : null}
        </Grid.Col>
        <Grid.Col span={{ base: 12, lg: 4 }}>
          <Paper withBorder p="xs">
            <Title order={3} size="h5" mb="xs">
              {t('map.list')}
            </Title>
            {!points ? (
              <LoadingState />
            ) : (
              <ScrollArea h={500}>
                <Table data-testid="map-list" verticalSpacing={4}>
                  <Table.Tbody>
                    {points.map((p) => (
                      <Table.Tr key={`${p.kind}-${p.id}`}>
                        <Table.Td>
                          <Badge size="xs" variant="filled" style={{ background: COLORS[p.kind] }}>
                            {kindLabel(p.kind)}
                          </Badge>
                        </Table.Td>
                        <Table.Td>
                          <UnstyledButton onClick={() => map.current?.flyTo({ center: [p.lng, p.lat], zoom: 14 })}>
                            <Text size="sm" fw={600}>
                              {p.label}
                            </Text>
                            <Text size="xs">{p.detail}</Text>
                          </UnstyledButton>
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
                {unplaced > 0 ? <Text size="xs">{t('map.unplaced', { n: unplaced })}</Text> : null}
              </ScrollArea>
            )}
          </Paper>
        </Grid.Col>
      </Grid>
    </Stack>
  );
}
