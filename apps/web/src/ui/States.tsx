import type { ReactNode } from 'react';
import { Alert, Button, Center, Group, Loader, Stack, Text, ThemeIcon } from '@mantine/core';
import { IconAlertTriangle, IconInbox } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { isProblemError, messageOf } from '../lib/api';

export function LoadingState({ label }: { label?: string }) {
  const { t } = useTranslation();
  return (
    <Center py="xl" role="status" aria-live="polite">
      <Group gap="sm">
        <Loader size="sm" />
        <Text c="dimmed" size="sm">
          {label ?? t('common.loading')}
        </Text>
      </Group>
    </Center>
  );
}

export function EmptyState({ title, children, action }: { title: string; children?: ReactNode; action?: ReactNode }) {
  return (
    <Center py="xl">
      <Stack align="center" gap="xs" maw={420}>
        <ThemeIcon variant="light" color="gray" size={44} radius="xl">
          <IconInbox size={24} />
        </ThemeIcon>
        <Text fw={600}>{title}</Text>
        {children ? (
          <Text c="dimmed" size="sm" ta="center">
            {children}
          </Text>
        ) : null}
        {action}
      </Stack>
    </Center>
  );
}

export function ErrorState({ error, onRetry, title }: { error: unknown; onRetry?: () => void; title?: string }) {
  const { t } = useTranslation();
  const requestId = isProblemError(error) ? error.problem.requestId : undefined;
  return (
    <Alert color="red" variant="light" icon={<IconAlertTriangle size={18} />} title={title ?? t('states.failed')} role="alert">
      <Stack gap="xs">
        <Text size="sm">{messageOf(error)}</Text>
        {requestId ? (
          <Text size="xs" c="dimmed">
            {t('states.requestId', { id: requestId })}
          </Text>
        ) : null}
        {onRetry ? (
          <Group>
            <Button size="xs" variant="light" color="red" onClick={onRetry}>
              {t('common.retry')}
            </Button>
          </Group>
        ) : null}
      </Stack>
    </Alert>
  );
}

/** Renders loading / error / empty / content for one query. */
export function QueryState<T>({
  query,
  isEmpty,
  empty,
  children,
}: {
  query: { data: T | undefined; error: unknown; isPending: boolean; refetch: () => unknown };
  isEmpty?: (data: T) => boolean;
  empty?: ReactNode;
  children: (data: T) => ReactNode;
}) {
  const { t } = useTranslation();
  if (query.isPending) return <LoadingState />;
  if (query.error || query.data === undefined) return <ErrorState error={query.error} onRetry={() => void query.refetch()} />;
  if (isEmpty?.(query.data)) return <>{empty ?? <EmptyState title={t('states.empty')} />}</>;
  return <>{children(query.data)}</>;
}

/** The server's refusal, shown inside a dialog or above a form. */
export function ProblemAlert({ error, title }: { error: unknown; title?: string }) {
  const { t } = useTranslation();
  if (!error) return null;
  const problem = isProblemError(error) ? error.problem : null;
  return (
    <Alert color="red" variant="light" title={title ?? problem?.title ?? t('states.refused')} role="alert" data-testid="problem">
      <Text size="sm">{problem?.detail || messageOf(error)}</Text>
      {problem?.errors?.length ? (
        <ul style={{ margin: '4px 0 0', paddingLeft: 18 }}>
          {problem.errors.map((e, i) => (
            <li key={i}>
              <Text size="sm">{e.field ? `${e.field}: ${e.message}` : e.message}</Text>
            </li>
          ))}
        </ul>
      ) : null}
    </Alert>
  );
}
