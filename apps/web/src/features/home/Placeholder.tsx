import { Stack, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { EmptyState } from '../../ui/States';

/** A section whose server API is not available yet. */
export function ComingSoonPage({ title }: { title: string }) {
  const { t } = useTranslation();
  return (
    <Stack>
      <Title order={2}>{title}</Title>
      <EmptyState title={t('home.comingSoon.title')}>{t('home.comingSoon.text')}</EmptyState>
    </Stack>
  );
}
