import { Button, Group, Stack } from '@mantine/core';
import { useRouteError } from 'react-router';
import { ErrorState } from '../ui/States';

/** What a screen shows when it fails to render: the error and a way back, inside the app's shell. */
export function ScreenError() {
  const error = useRouteError();
  return (
    <Stack maw={640} py="md">
      <ErrorState error={error} title="This screen could not be shown" />
      <Group>
        <Button variant="default" onClick={() => window.location.reload()}>
          Reload
        </Button>
      </Group>
    </Stack>
  );
}
