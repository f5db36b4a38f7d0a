import { useState } from 'react';
import { Alert, Button, Group, NumberInput, Stack, Table, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconDownload } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { messageOf } from '../../../lib/api';
import { QueryState } from '../../../ui/States';
import { downloadForecast, useForecast } from '../api';

/** The qualification-expiry impact forecast: days with too few qualified drivers on shift, and the expiries behind them. */
export function ForecastSection() {
  const { t } = useTranslation();
  const [days, setDays] = useState(14);
  const forecast = useForecast(days);
  return (
    <Stack>
      <Group align="flex-end">
        <NumberInput
          label={t('planning.forecast.days')}
          min={1}
          max={90}
          value={days}
          onChange={(v) => setDays(Math.min(90, Math.max(1, Number(v) || 14)))}
          w={140}
        />
        <Button
          variant="default"
          leftSection={<IconDownload size={16} />}
          onClick={() => {
            downloadForecast(days).catch((e: unknown) => notifications.show({ color: 'red', message: messageOf(e) }));
          }}
        >
          {t('planning.forecast.export')}
        </Button>
      </Group>
      <QueryState query={forecast}>
        {(data) => (
          <>
            <Title order={3} size="h4">
              {t('planning.forecast.problemsTitle')}
            </Title>
            {data.problems.length === 0 ? (
              <Text size="sm" c="gray.7">
                {t('planning.forecast.noProblems', { count: days })}
              </Text>
            ) : (
              <Stack gap="xs" data-testid="forecast-problems">
                {data.problems.map((p) => (
                  <Alert key={`${p.day}-${p.equipmentTypeId}-${p.region ?? ''}`} color="orange" variant="light">
                    {p.message}
                  </Alert>
                ))}
              </Stack>
            )}
            <Title order={3} size="h4">
              {t('planning.forecast.expiriesTitle')}
            </Title>
            {data.expiries.length === 0 ? (
              <Text size="sm" c="gray.7">
                {t('planning.forecast.noExpiries', { count: days })}
              </Text>
            ) : (
              <Table striped aria-label={t('planning.forecast.expiriesTitle')}>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('planning.fields.driver')}</Table.Th>
                    <Table.Th>{t('planning.forecast.qualification')}</Table.Th>
                    <Table.Th>{t('planning.forecast.expiresOn')}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {data.expiries.map((e) => (
                    <Table.Tr key={`${e.driverId}-${e.qualificationCode}`}>
                      <Table.Td>{e.driverName}</Table.Td>
                      <Table.Td>{e.qualificationCode}</Table.Td>
                      <Table.Td>{e.expiresOn}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            )}
          </>
        )}
      </QueryState>
    </Stack>
  );
}
