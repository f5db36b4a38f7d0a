import { Alert, Group, Loader, Text } from '@mantine/core';
import type { CapacityResult } from '@yardmaster/contracts';
import { useTranslation } from 'react-i18next';
import { formatDateTime } from '../../../lib/time';
import { ProblemAlert } from '../../../ui/States';

type Preview = { data: CapacityResult | undefined; error: unknown; isFetching: boolean };

/**
 * What the capacity check says about work about to be booked: each line's free machines and
 * qualified drivers on shift then (maintenance windows, leave and other booked work counted). A
 * shortage is a warning, never a refusal: the form still saves.
 */
export function CapacityNotice({ preview, at, timeZone }: { preview: Preview; at: string | null; timeZone: string }) {
  const { t } = useTranslation();
  if (preview.error) return <ProblemAlert error={preview.error} title={t('planning.capacity.failed')} />;
  if (!preview.data) {
    return preview.isFetching ? (
      <Group gap="xs" role="status" aria-live="polite">
        <Loader size="xs" />
        <Text size="sm">{t('planning.capacity.checking')}</Text>
      </Group>
    ) : null;
  }
  const when = formatDateTime(at, timeZone);
  const lines = preview.data.lines;
  if (preview.data.ok) {
    return (
      <Alert color="teal" variant="light" title={t('planning.capacity.okTitle', { when })} data-testid="capacity-result" role="status">
        {lines.map((l) => (
          <Text key={l.equipmentTypeId} size="sm">
            {t('planning.capacity.line', { type: l.typeCode, machines: l.machines, drivers: l.drivers, needed: l.needed })}
          </Text>
        ))}
      </Alert>
    );
  }
  return (
    <Alert
      color="orange"
      variant="light"
      title={t('planning.capacity.warningTitle', { when })}
      data-testid="capacity-result"
      data-capacity="short"
      role="alert"
    >
      {lines
        .filter((l) => l.machines < l.needed || l.drivers < l.needed)
        .map((l) => (
          <Text key={l.equipmentTypeId} size="sm">
            {[
              l.machines < l.needed
                ? t('planning.capacity.shortMachines', { type: l.typeCode, needed: l.needed, count: l.machines })
                : null,
              l.drivers < l.needed ? t('planning.capacity.shortDrivers', { type: l.typeCode, needed: l.needed, count: l.drivers }) : null,
            ]
              .filter(Boolean)
              .join(' ')}
          </Text>
        ))}
      <Text size="sm" mt={4}>
        {t('planning.capacity.stillSave')}
      </Text>
    </Alert>
  );
}
