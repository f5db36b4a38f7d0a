import { useEffect, useRef, useState } from 'react';
import { registerServiceWorker } from '../../app/service-worker';
import { Alert, Anchor, Badge, Button, Card, Group, Stack, Text, Textarea, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconMapPin, IconNavigation, IconPaperclip, IconPhone, IconTruck } from '@tabler/icons-react';
import { Trans, useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import type { DriverActionResult, DriverJob, ProofSettings } from '@yardmaster/contracts';
import { useConnection } from '../../app/connection';
import { useSession } from '../../app/session';
import { messageOf } from '../../lib/api';
import { formatDate, formatDateTime, formatTime } from '../../lib/time';
import { EmptyState, ErrorState, LoadingState } from '../../ui/States';
import { nextDriverStep, PRIORITY_COLOR, statusLabel } from '../dispatch/model';
import { openProtectedFile, reportPosition, subscribeToPush, useActionQueue, useDriverJobs, useMyProfile, useSetDuty } from './api';
import { CompleteDialog, type CompletionProof } from './components/CompleteDialog';
import { navigationHref, shouldReportPosition, type LatLng } from './geo';
import { projectStatus, type QueuedAction } from './queue';

const UNDO_MS = 10_000;
const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

type Queue = ReturnType<typeof useActionQueue>;

function UndoBar({ queue, timeZone }: { queue: Queue; timeZone: string }) {
  const { t } = useTranslation();
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(timer);
  }, []);
  // The newest tap still waiting to be sent can be taken back for 10 s; a sent one while the server allows it.
  const pending = [...queue.items]
    .reverse()
    .find((i) => i.state === 'pending' && i.action !== 'completed' && now - Date.parse(i.occurredAt) < UNDO_MS);
  const applied =
    queue.lastApplied && queue.lastApplied.undoableUntil && Date.parse(queue.lastApplied.undoableUntil) > now ? queue.lastApplied : null;
  const target: { queued?: QueuedAction; applied?: DriverActionResult } | null = pending
    ? { queued: pending }
    : applied
      ? { applied }
      : null;
  if (!target) return null;
  const action = target.queued?.action ?? target.applied?.action ?? '';
  const until = target.queued ? Date.parse(target.queued.occurredAt) + UNDO_MS : Date.parse(target.applied?.undoableUntil ?? '');
  return (
    <Alert color="blue" data-testid="undo-bar">
      <Group justify="space-between" wrap="nowrap">
        <Text size="sm">
          {t('driver.undoAt', {
            action: statusLabel(action),
            time: formatTime(target.queued?.occurredAt ?? target.applied?.occurredAt, timeZone),
            seconds: Math.max(0, Math.ceil((until - now) / 1000)),
          })}
        </Text>
        <Button
          size="xs"
          variant="white"
          onClick={() =>
            void queue.undo(target).catch((e: unknown) => {
              queue.clearLastApplied();
              notifications.show({ color: 'red', message: messageOf(e) });
            })
          }
        >
          {t('driver.undo')}
        </Button>
      </Group>
    </Alert>
  );
}

function Attachments({ job }: { job: DriverJob }) {
  if (job.attachments.length === 0) return null;
  return (
    <Stack gap={2} mt="xs">
      {job.attachments.map((f) => (
        <Group key={f.id} gap={4} wrap="nowrap">
          <IconPaperclip size={14} />
          <Anchor
            size="sm"
            onClick={() =>
              void openProtectedFile(`/api/v1/work-orders/${job.workOrder.id}/attachments/${f.id}/content`)
                .then((url) => window.open(url, '_blank'))
                .catch((e: unknown) => notifications.show({ color: 'red', message: messageOf(e) }))
            }
          >
            {f.filename}
          </Anchor>
        </Group>
      ))}
    </Stack>
  );
}

function JobCard({ job, queue, timeZone, proof }: { job: DriverJob; queue: Queue; timeZone: string; proof: ProofSettings }) {
  const { t } = useTranslation();
  const d = job.dispatch;
  const status = projectStatus(d.status, d.id, queue.items);
  const step = nextDriverStep(status);
  const [declining, setDeclining] = useState(false);
  const [declineReason, setDeclineReason] = useState('');
  const [completing, setCompleting] = useState(false);
  const navigate = navigationHref(job.site, navigator.userAgent);
  const tap = (action: QueuedAction['action'], extra: Partial<QueuedAction> = {}) =>
    queue.enqueue({ dispatchId: d.id, workOrderNumber: d.workOrderNumber, action, ...extra });

  return (
    <Card
      withBorder
      padding="md"
      data-testid="my-dispatch"
      data-status={status}
      data-synced={String(!queue.items.some((i) => i.dispatchId === d.id && i.state === 'pending'))}
    >
      <Group justify="space-between" wrap="nowrap">
        <Text fw={700} size="lg">
          {d.workOrderNumber}
        </Text>
        <Badge color={PRIORITY_COLOR[d.priority]}>{t(`driver.priority.${d.priority}`)}</Badge>
      </Group>
      <Group gap="xs" mt={4}>
        <Badge size="lg" variant="light" data-testid="my-dispatch-status">
          {statusLabel(status)}
        </Badge>
        {status !== d.status ? (
          <Badge size="sm" color="orange" variant="outline">
            {t('driver.job.waitingToSend')}
          </Badge>
        ) : null}
      </Group>
      <Text size="sm" mt="xs" data-testid="job-start">
        <Trans i18nKey="driver.job.start" components={{ when: <b>{formatDateTime(job.scheduledStart, timeZone)}</b> }} />
      </Text>

      <Text fw={600} mt="sm">
        {t('driver.job.work')}
      </Text>
      <Text data-testid="job-description">{job.workOrder.description}</Text>
      <Attachments job={job} />
      {job.related.length > 0 ? (
        <Text size="sm" c="dimmed" mt={4}>
          {t('driver.job.partOf', { numbers: job.related.map((r) => r.number).join(', ') })}
        </Text>
      ) : null}

      <Group gap={6} mt="sm" wrap="nowrap" data-testid="job-machine">
        <IconTruck size={18} />
        {job.equipment ? (
          <Text size="sm">
            <b>{job.equipment.assetTag}</b> {job.equipment.name} · {job.equipment.typeCode} {job.equipment.typeName}
            {job.equipment.parkedAt ? (
              <Text span size="sm" c="dimmed">
                {' '}
                · {t('driver.job.parkedAt')}{' '}
                <Anchor
                  href={navigationHref(
                    { name: job.equipment.assetTag, address: '', position: job.equipment.parkedAt },
                    navigator.userAgent,
                  )}
                  size="sm"
                >
                  {job.equipment.parkedAt.lat.toFixed(4)}, {job.equipment.parkedAt.lng.toFixed(4)}
                </Anchor>
              </Text>
            ) : null}
          </Text>
        ) : (
          <Text size="sm" c="dimmed">
            {t('driver.job.noMachine')}
          </Text>
        )}
      </Group>

      <Stack gap={4} mt="sm" data-testid="job-site">
        <Text fw={600}>{job.site.name}</Text>
        <Group gap={4} wrap="nowrap">
          <IconMapPin size={16} />
          <Text size="sm">{job.site.address}</Text>
        </Group>
        <Button component="a" href={navigate} leftSection={<IconNavigation size={16} />} variant="light" data-testid="navigate">
          {t('driver.job.navigate')}
        </Button>
        {job.site.contactName || job.site.contactPhone ? (
          <Group gap={4} wrap="nowrap">
            <IconPhone size={16} />
            <Text size="sm">{job.site.contactName}</Text>
            {job.site.contactPhone ? (
              <Anchor href={`tel:${job.site.contactPhone.replace(/[^+0-9]/g, '')}`} size="sm">
                {job.site.contactPhone}
              </Anchor>
            ) : null}
          </Group>
        ) : null}
        {job.site.accessNotes ? (
          <Alert color="yellow" variant="light" p="xs" title={t('driver.job.access')}>
            {job.site.accessNotes}
          </Alert>
        ) : null}
      </Stack>

      {step ? (
        <Button
          mt="md"
          size="lg"
          fullWidth
          onClick={() => (step.to === 'completed' ? setCompleting(true) : void tap(step.to as QueuedAction['action']))}
        >
          {step.label}
        </Button>
      ) : null}
      {status !== 'returning' && status !== 'completed' && step ? (
        <Button mt="xs" variant="subtle" fullWidth onClick={() => setCompleting(true)}>
          {t('driver.job.completeNow')}
        </Button>
      ) : null}
      {status === 'dispatched' ? (
        declining ? (
          <Stack mt="sm" gap="xs">
            <Textarea
              label={t('driver.job.declineWhy')}
              autosize
              minRows={2}
              value={declineReason}
              onChange={(e) => setDeclineReason(e.currentTarget.value)}
            />
            <Group grow>
              <Button variant="default" onClick={() => setDeclining(false)}>
                {t('driver.job.back')}
              </Button>
              <Button
                color="red"
                disabled={!declineReason.trim()}
                onClick={() => void tap('decline', { reason: declineReason.trim() }).then(() => setDeclining(false))}
              >
                {t('driver.job.decline')}
              </Button>
            </Group>
          </Stack>
        ) : (
          <Button mt="sm" variant="subtle" color="red" fullWidth onClick={() => setDeclining(true)}>
            {t('driver.job.declineJob')}
          </Button>
        )
      ) : null}
      <CompleteDialog
        opened={completing}
        workOrderNumber={d.workOrderNumber}
        settings={proof}
        onClose={() => setCompleting(false)}
        onComplete={async (p: CompletionProof) => {
          await tap('completed', {
            notes: p.notes,
            proof: { photos: p.photos, signature: p.signature, signerName: p.signerName, notes: p.notes },
          });
        }}
      />
    </Card>
  );
}

function QueueProblems({ queue }: { queue: Queue }) {
  const { t } = useTranslation();
  const problems = queue.items.filter((i) => i.state !== 'pending');
  if (problems.length === 0) return null;
  return (
    <Stack gap="xs">
      {problems.map((p) => (
        <Alert
          key={p.id}
          color="red"
          title={t('driver.notApplied', { number: p.workOrderNumber, action: statusLabel(p.action) })}
          data-testid="refused-action"
        >
          <Text size="sm">{p.problem}</Text>
          <Button mt="xs" size="xs" variant="white" onClick={() => void queue.dismiss(p)}>
            {t('driver.ok')}
          </Button>
        </Alert>
      ))}
    </Stack>
  );
}

/** Duty on/off with a note, and position sharing while on duty (none off duty — and it says so). */
function Duty({ online }: { online: boolean }) {
  const { t } = useTranslation();
  const profile = useMyProfile(online);
  const setDuty = useSetDuty();
  const [note, setNote] = useState('');
  const [sharing, setSharing] = useState(() => localStorage.getItem('ym.sharePosition') === '1');
  const last = useRef<{ at: number; position: LatLng } | null>(null);
  const onDuty = profile.data?.dutyStatus === 'on_duty';

  useEffect(() => {
    if (!onDuty || !sharing || !('geolocation' in navigator)) return;
    const watch = navigator.geolocation.watchPosition(
      (p) => {
        const position = { lat: p.coords.latitude, lng: p.coords.longitude };
        if (!shouldReportPosition(last.current, Date.now(), position)) return;
        last.current = { at: Date.now(), position };
        void reportPosition(position).catch(() => {
          last.current = null;
        });
      },
      () => setSharing(false),
      { enableHighAccuracy: false, maximumAge: 30_000 },
    );
    return () => navigator.geolocation.clearWatch(watch);
  }, [onDuty, sharing]);

  if (!online) return null;
  if (profile.isPending) return <LoadingState />;
  if (profile.error) return <ErrorState error={profile.error} />;
  return (
    <Card withBorder data-testid="duty">
      <Group justify="space-between" wrap="nowrap">
        <Text fw={600}>{t('driver.duty.title')}</Text>
        <Badge color={onDuty ? 'teal' : 'gray'} data-testid="duty-status">
          {onDuty ? t('driver.duty.on') : t('driver.duty.off')}
        </Badge>
      </Group>
      <Textarea
        mt="xs"
        placeholder={t('driver.duty.notePlaceholder')}
        autosize
        minRows={1}
        value={note}
        onChange={(e) => setNote(e.currentTarget.value)}
      />
      <Button
        mt="xs"
        fullWidth
        variant={onDuty ? 'default' : 'filled'}
        loading={setDuty.isPending}
        onClick={() =>
          setDuty.mutate(
            { dutyStatus: onDuty ? 'off_duty' : 'on_duty', note: note.trim() },
            { onSuccess: () => setNote(''), onError: (e) => notifications.show({ color: 'red', message: messageOf(e) }) },
          )
        }
      >
        {onDuty ? t('driver.duty.goOff') : t('driver.duty.goOn')}
      </Button>
      <Text size="sm" mt="xs" c="dimmed" data-testid="position-sharing">
        {!onDuty ? t('driver.duty.offNotShared') : sharing ? t('driver.duty.onShared') : t('driver.duty.onNotShared')}
      </Text>
      {onDuty ? (
        <Button
          mt={4}
          size="xs"
          variant="subtle"
          onClick={() => {
            const next = !sharing;
            localStorage.setItem('ym.sharePosition', next ? '1' : '0');
            setSharing(next);
          }}
        >
          {sharing ? t('driver.duty.stopSharing') : t('driver.duty.startSharing')}
        </Button>
      ) : null}
      <Button
        mt={4}
        size="xs"
        variant="subtle"
        onClick={() =>
          void subscribeToPush()
            .then((r) =>
              notifications.show({
                message:
                  r === 'subscribed'
                    ? t('driver.duty.pushSubscribed')
                    : r === 'denied'
                      ? t('driver.duty.pushDenied')
                      : t('driver.duty.pushUnsupported'),
              }),
            )
            .catch((e: unknown) => notifications.show({ color: 'red', message: messageOf(e) }))
        }
      >
        {t('driver.duty.notify')}
      </Button>
    </Card>
  );
}

function MyQualifications({ timeZone, online }: { timeZone: string; online: boolean }) {
  const { t } = useTranslation();
  const profile = useMyProfile(online);
  if (!online || !profile.data) return null;
  const soon = Date.now() + 30 * 86_400_000;
  return (
    <Card withBorder>
      <Text fw={600}>{t('driver.qualifications.title')}</Text>
      <Stack gap={6} mt="xs">
        {profile.data.qualifications.length === 0 ? (
          <Text size="sm" c="dimmed">
            {t('driver.qualifications.none')}
          </Text>
        ) : null}
        {profile.data.qualifications.map((q) => {
          const expires = q.expiresAt ? new Date(q.expiresAt).getTime() : null;
          return (
            <Group key={q.qualificationId} justify="space-between" wrap="wrap" gap={4}>
              <Text size="sm">
                <b>{q.code}</b> {q.name}
              </Text>
              {expires === null ? (
                <Text size="sm" c="dimmed">
                  {t('driver.qualifications.noExpiry')}
                </Text>
              ) : (
                <Badge
                  color={expires < Date.now() ? 'red' : expires < soon ? 'orange' : 'gray'}
                  variant="light"
                  data-testid="expiry-badge"
                  styles={{
                    root: { maxWidth: 'none', height: 'auto' },
                    label: { overflow: 'visible', textOverflow: 'clip', whiteSpace: 'nowrap' },
                  }}
                >
                  {t(expires < Date.now() ? 'driver.qualifications.expired' : 'driver.qualifications.expires', {
                    date: formatDate(q.expiresAt, timeZone),
                  })}
                </Badge>
              )}
            </Group>
          );
        })}
      </Stack>
    </Card>
  );
}

/**
 * The driver's day on a phone: the job card, the jobs after it, duty and position, all readable and
 * tappable without signal (the phone keeps a copy and queues the taps).
 * `signedIn` is false when the app was opened offline and could not reach the identity provider.
 */
export function DriverPage({ signedIn = true }: { signedIn?: boolean }) {
  const { t } = useTranslation();
  useEffect(registerServiceWorker, []);
  const { state } = useSession();
  const timeZone = state.status === 'ready' ? (state.me.tenant?.timeZone ?? browserZone) : browserZone;
  const connection = useConnection();
  const online = signedIn && connection === 'online';
  const jobs = useDriverJobs(timeZone, online);
  const queue = useActionQueue();
  const { refetch } = jobs;
  useEffect(() => {
    if (online) void refetch();
  }, [online, refetch]);
  // Opened offline without a session: once the signal is back, start again (sign in, then the queue is sent).
  useEffect(() => {
    if (!signedIn && connection === 'online') window.location.reload();
  }, [signedIn, connection]);
  const pending = queue.items.filter((i) => i.state === 'pending').length;

  return (
    <Stack maw={560} mx="auto">
      <Title order={2}>{t('driver.title')}</Title>
      {!online || jobs.data?.savedAt ? (
        <Alert color="gray" data-testid="offline-banner" title={t('driver.offline.title')}>
          {[
            jobs.data?.savedAt ? t('driver.offline.asOf', { time: formatTime(jobs.data.savedAt, timeZone) }) : '',
            pending ? t('driver.offline.keptWaiting', { count: pending }) : t('driver.offline.kept'),
            signedIn ? '' : t('driver.offline.signInAgain'),
          ]
            .filter(Boolean)
            .join(' ')}
        </Alert>
      ) : pending ? (
        <Text size="sm" c="dimmed">
          {t('driver.sending', { count: pending })}
        </Text>
      ) : null}
      <QueueProblems queue={queue} />
      <UndoBar queue={queue} timeZone={timeZone} />
      {jobs.isPending ? (
        <LoadingState />
      ) : jobs.error ? (
        <ErrorState error={jobs.error} onRetry={() => void jobs.refetch()} />
      ) : jobs.data.jobs.current ? (
        <JobCard
          key={jobs.data.jobs.current.dispatch.id}
          job={jobs.data.jobs.current}
          queue={queue}
          timeZone={timeZone}
          proof={jobs.data.jobs.proof}
        />
      ) : (
        <EmptyState title={t('driver.emptyTitle')}>{t('driver.emptyBody')}</EmptyState>
      )}
      {jobs.data && jobs.data.jobs.upcoming.length > 0 ? (
        <Card withBorder data-testid="upcoming">
          <Text fw={600}>{t('driver.next')}</Text>
          {jobs.data.jobs.upcoming.map((j) => (
            <Group key={j.dispatch.id} justify="space-between" mt={4} wrap="nowrap">
              <Text size="sm">
                <b>{j.dispatch.workOrderNumber}</b> {j.site.name}
              </Text>
              <Text size="sm" c="dimmed">
                {formatTime(j.scheduledStart, timeZone)}
              </Text>
            </Group>
          ))}
        </Card>
      ) : null}
      <Duty online={online} />
      <MyQualifications timeZone={timeZone} online={online} />
      {signedIn ? (
        <Anchor component={Link} to="/reports">
          {t('driver.myReports')}
        </Anchor>
      ) : null}
    </Stack>
  );
}
