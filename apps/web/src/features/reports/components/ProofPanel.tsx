import { useEffect, useState } from 'react';
import { Card, Group, Image, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import type { Proof } from '@yardmaster/contracts';
import { api, authorizationHeader, isProblemError } from '../../../lib/api';

/** An image the API guards with the bearer token, shown through a blob URL. */
function ProtectedImage({ src, alt, h, testId }: { src: string; alt: string; h: number; testId: string }) {
  const { t } = useTranslation();
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    let revoked = false;
    let objectUrl: string | null = null;
    void (async () => {
      const response = await fetch(src, { headers: await authorizationHeader() });
      if (!response.ok || revoked) return;
      objectUrl = URL.createObjectURL(await response.blob());
      setUrl(objectUrl);
    })();
    return () => {
      revoked = true;
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
  }, [src]);
  return url ? (
    <Image src={url} alt={alt} h={h} fit="contain" radius="sm" data-testid={testId} />
  ) : (
    <Text size="xs" c="dimmed">
      {t('reports.proof.loading')}
    </Text>
  );
}

/** Proof of completion on the report page: photos, the signature with the signer's name, notes. */
export function ProofPanel({ dispatchId }: { dispatchId: string }) {
  const { t } = useTranslation();
  const proof = useQuery({
    queryKey: ['reports', 'proof', dispatchId],
    queryFn: async ({ signal }) => {
      try {
        return await api.get<Proof>(`/api/v1/dispatches/${dispatchId}/proof`, undefined, signal);
      } catch (error) {
        if (isProblemError(error) && error.status === 404) return null;
        throw error;
      }
    },
  });
  if (!proof.data) return null;
  const p = proof.data;
  const content = (id: string) => `/api/v1/dispatches/${dispatchId}/proof/files/${id}/content`;
  return (
    <Card withBorder data-testid="proof">
      <Title order={4}>{t('reports.proof.title')}</Title>
      <Stack gap="xs" mt="xs">
        {p.photos.length > 0 ? (
          <SimpleGrid cols={{ base: 2, sm: 5 }} spacing="xs">
            {p.photos.map((f) => (
              <ProtectedImage key={f.id} src={content(f.id)} alt={t('reports.proof.photo')} h={110} testId="proof-photo" />
            ))}
          </SimpleGrid>
        ) : null}
        {p.signature ? (
          <Group align="end">
            <ProtectedImage src={content(p.signature.id)} alt={t('reports.proof.signature')} h={80} testId="proof-signature" />
            <Text size="sm">{t('reports.proof.signedBy', { name: p.signerName })}</Text>
          </Group>
        ) : null}
        {p.notes ? <Text size="sm">{p.notes}</Text> : null}
      </Stack>
    </Card>
  );
}
