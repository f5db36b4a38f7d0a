import { Stack, Title } from '@mantine/core';
import { EmptyState } from '../../ui/States';

/** A section whose server API is not available yet. */
export function ComingSoonPage({ title }: { title: string }) {
  return (
    <Stack>
      <Title order={2}>{title}</Title>
      <EmptyState title="Not available yet">This part of Yardmaster is not enabled on this server.</EmptyState>
    </Stack>
  );
}
