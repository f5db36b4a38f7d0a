import { useCallback, useEffect, useRef, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Driver, DriverActionResult, DriverJobs, DutyStatus } from '@yardmaster/contracts';
import { onConnection } from '../../app/connection';
import { api, authorizationHeader, isProblemError, request } from '../../lib/api';
import { addQueued, listQueued, loadSnapshot, removeQueued, saveSnapshot, updateQueued } from './offline-store';
import { flushQueue, type QueuedAction, type QueuedFile, type SendResult } from './queue';

export const driverKeys = {
  all: ['driver'] as const,
  jobs: () => [...driverKeys.all, 'jobs'] as const,
  profile: () => [...driverKeys.all, 'profile'] as const,
};

export const DRIVER_PATHS = {
  jobs: '/api/v1/me/driver/jobs',
  profile: '/api/v1/me/driver',
  actions: '/api/v1/me/driver/actions',
  duty: '/api/v1/me/driver/duty',
  position: '/api/v1/me/driver/position',
} as const;

/** The day's jobs: from the server when it answers (and then kept on the phone), else the phone's copy. */
export type JobsView = { jobs: DriverJobs; savedAt: string | null };

const unreachable = (error: unknown): boolean => isProblemError(error) && (error.status === 0 || error.status === 401);

export function useDriverJobs(timeZone: string, online = true) {
  return useQuery({
    queryKey: driverKeys.jobs(),
    queryFn: async ({ signal }): Promise<JobsView> => {
      try {
        if (!online) throw new Error('offline');
        const jobs = await api.get<DriverJobs>(DRIVER_PATHS.jobs, undefined, signal);
        await saveSnapshot(jobs, timeZone).catch(() => undefined);
        return { jobs, savedAt: null };
      } catch (error) {
        if (!(error instanceof Error && error.message === 'offline') && !unreachable(error)) throw error;
        const copy = await loadSnapshot();
        if (!copy) throw error;
        return { jobs: copy.jobs, savedAt: copy.savedAt };
      }
    },
    retry: false,
    refetchInterval: 30_000,
  });
}

export function useMyProfile(enabled = true) {
  return useQuery({
    queryKey: driverKeys.profile(),
    queryFn: ({ signal }) => api.get<Driver>(DRIVER_PATHS.profile, undefined, signal),
    enabled,
    retry: false,
  });
}

export function useSetDuty() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (v: { dutyStatus: DutyStatus; note?: string }) =>
      api.put<Driver>(DRIVER_PATHS.duty, { dutyStatus: v.dutyStatus, note: v.note || undefined }),
    onSuccess: (driver) => client.setQueryData(driverKeys.profile(), driver),
  });
}

async function sendJson(path: string, body: unknown): Promise<SendResult> {
  try {
    return { kind: 'answered', result: await api.post<DriverActionResult>(path, body) };
  } catch (error) {
    if (!isProblemError(error) || error.status === 0) return { kind: 'unreachable' };
    return { kind: 'problem', status: error.status, detail: error.problem.detail ?? error.problem.title };
  }
}

async function uploadProof(dispatchId: string, kind: 'photos' | 'signatures', file: QueuedFile): Promise<SendResult | { kind: 'ok' }> {
  let response: Response;
  try {
    response = await fetch(`/api/v1/dispatches/${dispatchId}/proof/${kind}/${file.id}`, {
      method: 'PUT',
      headers: { ...(await authorizationHeader()), 'content-type': file.contentType },
      body: file.blob,
    });
  } catch {
    return { kind: 'unreachable' };
  }
  if (response.ok) return { kind: 'ok' };
  const body = (await response.json().catch(() => ({}))) as { detail?: string };
  return { kind: 'problem', status: response.status, detail: body.detail ?? response.statusText };
}

let flushing: Promise<unknown> | null = null;

/**
 * The phone's queue of status taps (IndexedDB): every tap goes through it, online or not, each with
 * its own id; it is sent in order as soon as the server can be reached.
 */
export function useActionQueue() {
  const client = useQueryClient();
  const [items, setItems] = useState<QueuedAction[]>([]);
  const [lastApplied, setLastApplied] = useState<DriverActionResult | null>(null);
  const mounted = useRef(true);

  const reload = useCallback(async () => {
    const all = await listQueued();
    if (mounted.current) setItems(all);
  }, []);

  const flush = useCallback(async () => {
    if (flushing) return flushing;
    flushing = (async () => {
      try {
        const { sent } = await flushQueue(
          {
            list: listQueued,
            update: updateQueued,
            remove: removeQueued,
            upload: uploadProof,
            send: (a) =>
              sendJson(DRIVER_PATHS.actions, {
                id: a.id,
                dispatchId: a.dispatchId,
                action: a.action,
                occurredAt: a.occurredAt,
                notes: a.notes,
                reason: a.reason,
                proof: a.proof
                  ? {
                      photoIds: a.proof.photos.map((p) => p.id),
                      signatureId: a.proof.signature?.id,
                      signerName: a.proof.signerName,
                      notes: a.proof.notes,
                    }
                  : undefined,
              }),
          },
          (_action, result) => {
            if (result.outcome === 'applied' && mounted.current) setLastApplied(result);
          },
        );
        if (sent > 0) await client.invalidateQueries({ queryKey: driverKeys.all });
      } finally {
        flushing = null;
        await reload();
      }
    })();
    return flushing;
  }, [client, reload]);

  useEffect(() => {
    mounted.current = true;
    void reload().then(flush);
    const off = onConnection((c) => {
      if (c === 'online') void flush();
    });
    const timer = setInterval(() => void flush(), 5_000);
    return () => {
      mounted.current = false;
      off();
      clearInterval(timer);
    };
  }, [reload, flush]);

  const enqueue = useCallback(
    async (action: Omit<QueuedAction, 'state' | 'seq' | 'id' | 'occurredAt'>) => {
      await addQueued({ ...action, id: crypto.randomUUID(), occurredAt: new Date().toISOString(), state: 'pending' });
      await reload();
      void flush();
    },
    [reload, flush],
  );

  /** Undo: a tap not yet sent just leaves the queue; a sent one asks the server (10 s, nothing depending on it). */
  const undo = useCallback(
    async (target: { queued?: QueuedAction; applied?: DriverActionResult }) => {
      if (target.queued?.seq !== undefined) {
        await removeQueued(target.queued.seq);
        await reload();
        return;
      }
      if (target.applied) {
        await request(`${DRIVER_PATHS.actions}/${target.applied.id}/undo`, { method: 'POST' });
        setLastApplied(null);
        await client.invalidateQueries({ queryKey: driverKeys.all });
      }
    },
    [client, reload],
  );

  const dismiss = useCallback(
    async (item: QueuedAction) => {
      if (item.seq !== undefined) await removeQueued(item.seq);
      await reload();
    },
    [reload],
  );

  return { items, enqueue, flush, undo, dismiss, lastApplied, clearLastApplied: () => setLastApplied(null) };
}

/** Reports the phone's position while on duty, at most once a minute and only after moving > 100 m. */
export async function reportPosition(position: { lat: number; lng: number }): Promise<void> {
  await api.put(DRIVER_PATHS.position, position);
}

/** Opens an attachment (fetched with the token, handed to the browser as a file). */
export async function openProtectedFile(path: string): Promise<string> {
  const response = await fetch(path, { headers: await authorizationHeader() });
  if (!response.ok) throw new Error(`download failed (${response.status})`);
  return URL.createObjectURL(await response.blob());
}

export async function subscribeToPush(): Promise<'subscribed' | 'unsupported' | 'denied'> {
  if (!('serviceWorker' in navigator) || !('PushManager' in window) || !('Notification' in window)) return 'unsupported';
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') return 'denied';
  const { publicKey } = await api.get<{ publicKey: string }>('/api/v1/me/push/key');
  const registration = await navigator.serviceWorker.ready;
  const raw = Uint8Array.from(atob(publicKey.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
  const subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: raw });
  await api.put('/api/v1/me/push/subscription', subscription.toJSON());
  return 'subscribed';
}
