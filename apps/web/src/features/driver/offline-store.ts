import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { DriverJobs } from '@yardmaster/contracts';
import type { QueuedAction } from './queue';

/** The phone's copy of the driver's day: the last job list from the server and the taps not yet sent. */
type DriverDb = DBSchema & {
  snapshot: { key: string; value: { jobs: DriverJobs; savedAt: string; timeZone: string } };
  actions: { key: number; value: QueuedAction };
};

let dbPromise: Promise<IDBPDatabase<DriverDb>> | null = null;
function db(): Promise<IDBPDatabase<DriverDb>> {
  dbPromise ??= openDB<DriverDb>('yardmaster-driver', 1, {
    upgrade(d) {
      d.createObjectStore('snapshot');
      d.createObjectStore('actions', { keyPath: 'seq', autoIncrement: true });
    },
  });
  return dbPromise;
}

export async function saveSnapshot(jobs: DriverJobs, timeZone: string): Promise<void> {
  await (await db()).put('snapshot', { jobs, savedAt: new Date().toISOString(), timeZone }, 'jobs');
}

export async function loadSnapshot(): Promise<{ jobs: DriverJobs; savedAt: string; timeZone: string } | undefined> {
  return (await db()).get('snapshot', 'jobs');
}

export async function listQueued(): Promise<QueuedAction[]> {
  return (await db()).getAll('actions');
}

export async function addQueued(action: QueuedAction): Promise<void> {
  const { seq: _seq, ...rest } = action;
  await (await db()).add('actions', rest);
}

export async function updateQueued(action: QueuedAction): Promise<void> {
  await (await db()).put('actions', action);
}

export async function removeQueued(seq: number): Promise<void> {
  await (await db()).delete('actions', seq);
}

/** Signing out clears the phone's copy. */
export async function clearDriverStore(): Promise<void> {
  const d = await db();
  await d.clear('snapshot');
  await d.clear('actions');
}
