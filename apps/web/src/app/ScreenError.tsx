import { Button, Group, Stack } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { useRouteError } from 'react-router';
import { ErrorState } from '../ui/States';

/** What a screen shows when it fails to render: the error and a way back, inside the app's shell. */
export function ScreenError() {
  const { t } = useTranslation();
  const error = useRouteError();
  return (
    <Stack maw={640} py="md">
      <ErrorState error={error} title={t('layout.screenFailed')} />
      <Group>
        <Button variant="default" onClick={() => window.location.reload()}>
          {t('layout.reload')}
        </Button>
      </Group>
    </Stack>
  );
}
