import { useCallback, useEffect, useState } from 'react';
import { Alert, Button, FileButton, Group, Image, Modal, SimpleGrid, Stack, Text, TextInput, Textarea } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { ProofSettings } from '@yardmaster/contracts';
import type { QueuedFile } from '../queue';
import { MAX_PHOTOS, resizePhoto } from '../photos';
import { SignaturePad } from './SignaturePad';

export type CompletionProof = { photos: QueuedFile[]; signature?: QueuedFile; signerName?: string; notes?: string };

/**
 * Completing asks for what the company wants (photos, the customer's signature and name, notes) and
 * then for a confirmation: completion frees the machine at once and cannot be undone.
 */
export function CompleteDialog({
  opened,
  workOrderNumber,
  settings,
  onClose,
  onComplete,
}: {
  opened: boolean;
  workOrderNumber: string;
  settings: ProofSettings;
  onClose: () => void;
  onComplete: (proof: CompletionProof) => Promise<void>;
}) {
  const { t } = useTranslation();
  /** A field's label with "(required)" or "(optional)" after it. */
  const label = (what: string, need: ProofSettings[keyof ProofSettings]) =>
    t(need === 'required' ? 'driver.complete.required' : 'driver.complete.optional', { what });
  const [photos, setPhotos] = useState<Array<QueuedFile & { url: string }>>([]);
  const [signature, setSignature] = useState<Blob | null>(null);
  const [signerName, setSignerName] = useState('');
  const [notes, setNotes] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    if (!opened) {
      setPhotos([]);
      setSignature(null);
      setSignerName('');
      setNotes('');
      setConfirming(false);
      setProblem(null);
    }
  }, [opened]);

  const addPhotos = async (files: File[]) => {
    setProblem(null);
    const room = MAX_PHOTOS - photos.length;
    if (files.length > room) setProblem(t('driver.complete.tooManyPhotos', { max: MAX_PHOTOS }));
    const added: Array<QueuedFile & { url: string }> = [];
    for (const file of files.slice(0, room)) {
      try {
        const blob = await resizePhoto(file);
        added.push({ id: crypto.randomUUID(), blob, contentType: 'image/jpeg', url: URL.createObjectURL(blob) });
      } catch {
        setProblem(t('driver.complete.unreadablePhoto'));
      }
    }
    setPhotos((p) => [...p, ...added]);
  };

  const onSignature = useCallback((b: Blob | null) => setSignature(b), []);

  const missing: string[] = [];
  if (settings.photos === 'required' && photos.length === 0) missing.push(t('driver.complete.needPhoto'));
  if (settings.signature === 'required' && !signature) missing.push(t('driver.complete.needSignature'));
  if (signature && !signerName.trim()) missing.push(t('driver.complete.needSignerName'));
  if (settings.notes === 'required' && !notes.trim()) missing.push(t('driver.complete.needNote'));

  const complete = async () => {
    setBusy(true);
    try {
      await onComplete({
        photos: photos.map(({ id, blob, contentType }) => ({ id, blob, contentType })),
        signature: signature ? { id: crypto.randomUUID(), blob: signature, contentType: 'image/png' } : undefined,
        signerName: signature ? signerName.trim() : undefined,
        notes: notes.trim() || undefined,
      });
      onClose();
    } catch (error) {
      setProblem(error instanceof Error ? error.message : String(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal opened={opened} onClose={onClose} title={t('driver.complete.title', { number: workOrderNumber })} fullScreen>
      {confirming ? (
        <Stack>
          <Text fw={600}>{t('driver.complete.confirm', { number: workOrderNumber })}</Text>
          <Text size="sm">{t('driver.complete.confirmHelp')}</Text>
          <Group grow>
            <Button variant="default" onClick={() => setConfirming(false)}>
              {t('driver.complete.back')}
            </Button>
            <Button color="teal" loading={busy} onClick={() => void complete()}>
              {t('driver.complete.yes')}
            </Button>
          </Group>
        </Stack>
      ) : (
        <Stack>
          {settings.photos !== 'off' ? (
            <Stack gap={4}>
              <Text size="sm" fw={500}>
                {label(t('driver.complete.photos', { max: MAX_PHOTOS }), settings.photos)}
              </Text>
              <SimpleGrid cols={3} spacing="xs">
                {photos.map((p) => (
                  <Image key={p.id} src={p.url} alt={t('driver.complete.photo')} h={90} fit="cover" radius="sm" data-testid="proof-photo" />
                ))}
              </SimpleGrid>
              {photos.length < MAX_PHOTOS ? (
                <FileButton onChange={(files) => void addPhotos(files)} accept="image/*" multiple>
                  {(props) => (
                    <Button {...props} variant="light">
                      {t('driver.complete.addPhoto')}
                    </Button>
                  )}
                </FileButton>
              ) : null}
            </Stack>
          ) : null}
          {settings.signature !== 'off' ? (
            <>
              <SignaturePad onChange={onSignature} />
              <TextInput
                label={label(t('driver.complete.signerName'), signature ? 'required' : settings.signature)}
                value={signerName}
                onChange={(e) => setSignerName(e.currentTarget.value)}
              />
            </>
          ) : null}
          {settings.notes !== 'off' ? (
            <Textarea
              label={label(t('driver.complete.notes'), settings.notes)}
              autosize
              minRows={2}
              value={notes}
              onChange={(e) => setNotes(e.currentTarget.value)}
            />
          ) : null}
          {problem ? <Alert color="red">{problem}</Alert> : null}
          {missing.length > 0 ? (
            <Text size="sm" c="dimmed">
              {t('driver.complete.stillNeeded', { missing: missing.join(', ') })}
            </Text>
          ) : null}
          <Button size="lg" color="teal" disabled={missing.length > 0} onClick={() => setConfirming(true)}>
            {t('driver.complete.submit')}
          </Button>
        </Stack>
      )}
    </Modal>
  );
}
