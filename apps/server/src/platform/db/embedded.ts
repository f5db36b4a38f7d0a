import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

/**
 * The embedded database: PGlite (PostgreSQL compiled to WASM) in a worker thread, reached over
 * pglite-socket with the ordinary `pg` driver — the same code path as production. In-process,
 * a long query would stall the event loop; in a worker it does not (see DESIGN.md §2).
 *
 * The worker is plain JavaScript evaluated from a string so it runs identically from the compiled
 * build and from TypeScript sources under the test runner.
 */
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
(async () => {
  const { PGlite } = await import(workerData.pgliteUrl);
  const { PGLiteSocketServer } = await import(workerData.socketUrl);
  const db = await PGlite.create({ dataDir: workerData.dataDir });
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 16 });
  await server.start();
  parentPort.on('message', async (message) => {
    if (message !== 'stop') return;
    // Stopping: a server or database that fails to close is discarded with this worker anyway.
    try { await server.stop(); } catch {}
    try { await db.close(); } catch {}
    parentPort.postMessage({ type: 'stopped' });
  });
  parentPort.postMessage({ type: 'ready', conn: server.getServerConn() });
})().catch((error) => parentPort.postMessage({ type: 'error', message: String(error && error.stack || error) }));
`;

export type EmbeddedDatabase = { url: string; stop: () => Promise<void> };

type WorkerMessage = { type: 'ready'; conn: string } | { type: 'error'; message: string } | { type: 'stopped' };

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** One process at a time may open a data folder: PGlite has no lock of its own. */
function lockDataDir(dataDir: string): () => void {
  const lockFile = path.join(dataDir, 'yardmaster.pid');
  try {
    const holder = Number(readFileSync(lockFile, 'utf8'));
    if (Number.isInteger(holder) && holder !== process.pid && isAlive(holder)) {
      throw new Error(`the embedded database in ${dataDir} is in use by process ${holder}; stop it first`);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  writeFileSync(lockFile, String(process.pid));
  return () => rmSync(lockFile, { force: true });
}

export async function startEmbeddedDatabase(dataDir: string): Promise<EmbeddedDatabase> {
  mkdirSync(dataDir, { recursive: true });
  const unlock = lockDataDir(dataDir);
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      dataDir,
      pgliteUrl: import.meta.resolve('@electric-sql/pglite'),
      socketUrl: import.meta.resolve('@electric-sql/pglite-socket'),
    },
  });
  const next = (): Promise<WorkerMessage> =>
    new Promise((resolve, reject) => {
      const onMessage = (message: WorkerMessage): void => {
        worker.off('error', onError);
        resolve(message);
      };
      const onError = (error: Error): void => {
        worker.off('message', onMessage);
        reject(error);
      };
      worker.once('message', onMessage);
      worker.once('error', onError);
    });
  const first = await next().catch((error: unknown) => {
    unlock();
    throw error;
  });
  if (first.type !== 'ready') {
    unlock();
    await worker.terminate();
    throw new Error(`embedded database failed to start: ${first.type === 'error' ? first.message : first.type}`);
  }
  let stopped = false;
  return {
    url: `postgres://postgres@${first.conn}/postgres`,
    async stop() {
      if (stopped) return;
      stopped = true;
      worker.postMessage('stop');
      await Promise.race([next(), new Promise((resolve) => setTimeout(resolve, 5_000))]);
      await worker.terminate();
      unlock();
    },
  };
}
