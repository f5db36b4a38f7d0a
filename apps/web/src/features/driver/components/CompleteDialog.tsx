import { useCallback, useEffect, useState } from 'react';
import { Alert, Button, FileButton, Group, Image, Modal, SimpleGrid, Stack, Text, TextInput, Textarea } from '@mantine/core';
import type { ProofSettings } from '@yardmaster/contracts';
import type { QueuedFile } from '../queue';
import { MAX_PHOTOS, resizePhoto } from '../photos';
import { SignaturePad } from './SignaturePad';

export type CompletionProof = { photos: QueuedFile[]; signature?: QueuedFile; signerName?: string; notes?: string };

const label = (what: string, need: ProofSettings[keyof ProofSettings]) =>
  need === 'required' ? `${what} (required)` : `${what} (optional)`;

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
    if (files.length > room) setProblem(`At most ${MAX_PHOTOS} photos.`);
    const added: Array<QueuedFile & { url: string }> = [];
    for (const file of files.slice(0, room)) {
      try {
        const blob = await resizePhoto(file);
        added.push({ id: crypto.randomUUID(), blob, contentType: 'image/jpeg', url: URL.createObjectURL(blob) });
      } catch {
        setProblem('One of the photos could not be read.');
      }
    }
    setPhotos((p) => [...p, ...added]);
  };

  const onSignature = useCallback((b: Blob | null) => setSignature(b), []);

  const missing: string[] = [];
  if (settings.photos === 'required' && photos.length === 0) missing.push('a photo');
  if (settings.signature === 'required' && !signature) missing.push("the customer's signature");
  if (signature && !signerName.trim()) missing.push("the signer's name");
  if (settings.notes === 'required' && !notes.trim()) missing.push('a note');

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
    <Modal opened={opened} onClose={onClose} title={`Complete ${workOrderNumber}`} fullScreen>
      {confirming ? (
        <Stack>
          <Text fw={600}>Complete {workOrderNumber} now?</Text>
          <Text size="sm">The machine and you are freed for the next job at once. This cannot be undone.</Text>
          <Group grow>
            <Button variant="default" onClick={() => setConfirming(false)}>
              Back
            </Button>
            <Button color="teal" loading={busy} onClick={() => void complete()}>
              Yes, complete
            </Button>
          </Group>
        </Stack>
      ) : (
        <Stack>
          {settings.photos !== 'off' ? (
            <Stack gap={4}>
              <Text size="sm" fw={500}>
                {label(`Photos, up to ${MAX_PHOTOS}`, settings.photos)}
              </Text>
              <SimpleGrid cols={3} spacing="xs">
                {photos.map((p) => (
                  <Image key={p.id} src={p.url} alt="proof photo" h={90} fit="cover" radius="sm" data-testid="proof-photo" />
                ))}
              </SimpleGrid>
              {photos.length < MAX_PHOTOS ? (
                <FileButton onChange={(files) => void addPhotos(files)} accept="image/*" multiple>
                  {(props) => (
                    <Button {...props} variant="light">
                      Add photo
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
                label={label("Signer's name", signature ? 'required' : settings.signature)}
                value={signerName}
                onChange={(e) => setSignerName(e.currentTarget.value)}
              />
            </>
          ) : null}
          {settings.notes !== 'off' ? (
            <Textarea
              label={label('Notes for the report', settings.notes)}
              autosize
              minRows={2}
              value={notes}
              onChange={(e) => setNotes(e.currentTarget.value)}
            />
          ) : null}
          {problem ? <Alert color="red">{problem}</Alert> : null}
          {missing.length > 0 ? (
            <Text size="sm" c="dimmed">
              Still needed: {missing.join(', ')}.
            </Text>
          ) : null}
          <Button size="lg" color="teal" disabled={missing.length > 0} onClick={() => setConfirming(true)}>
            Complete job
          </Button>
        </Stack>
      )}
    </Modal>
  );
}
