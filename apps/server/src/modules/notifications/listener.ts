import pg from 'pg';
import { createSessionClient } from '../../platform/db/index.js';
import type { SchedulerLog } from '../../platform/scheduler.js';

export type Listener = {
  close: () => Promise<void>;
  /** True while LISTEN is established: every notification sent meanwhile reaches `onNotify`. */
  isListening: () => boolean;
};

/**
 * One LISTEN connection per instance, reconnecting with backoff. `onReconnect` runs after every
 * re-established connection: notifications sent while it was down are lost, so callers re-read.
 * A lost connection and each failed reconnect are logged.
 */
export function createListener(
  url: string,
  channels: readonly string[],
  onNotify: (channel: string, payload: string) => void,
  onReconnect: () => void,
  log: SchedulerLog,
): Listener {
  let client: pg.Client | null = null;
  let closed = false;
  let retryTimer: NodeJS.Timeout | null = null;
  let delay = 100;
  let connectedOnce = false;
  let listening = false;

  const scheduleReconnect = (): void => {
    if (closed || retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      void connect();
    }, delay);
    retryTimer.unref();
    delay = Math.min(delay * 2, 5_000);
  };

  async function connect(): Promise<void> {
    if (closed) return;
    // Bounded connect and TCP keepalive: a database that vanished without closing the socket is
    // noticed, and a reconnect never hangs (the error listener below keeps a loss from crashing).
    const c = createSessionClient(url, 'yardmaster-listen');
    client = c;
    c.on('notification', (message) => onNotify(message.channel, message.payload ?? ''));
    c.on('error', (error) => {
      if (client === c) listening = false;
      log.warn({ err: error, channels }, 'LISTEN connection lost (reconnecting; readers poll meanwhile)');
      void c.end().catch(() => undefined); // it already failed: closing it has nothing more to report
    });
    c.on('end', () => {
      if (client === c) {
        client = null;
        listening = false;
      }
      scheduleReconnect();
    });
    try {
      await c.connect();
      for (const channel of channels) await c.query(`listen ${pg.escapeIdentifier(channel)}`);
      delay = 100;
      listening = client === c;
      if (connectedOnce) onReconnect();
      connectedOnce = true;
    } catch (error) {
      log.warn({ err: error, channels, retryInMs: delay }, 'LISTEN connection could not be opened (retrying; readers poll meanwhile)');
      await c.end().catch(() => undefined); // it already failed: closing it has nothing more to report
      if (client === c) client = null;
      scheduleReconnect();
    }
  }

  void connect();
  return {
    isListening: () => listening && !closed,
    async close() {
      closed = true;
      listening = false;
      if (retryTimer) clearTimeout(retryTimer);
      const c = client;
      client = null;
      await c?.end().catch(() => undefined); // shutting down: a connection that fails to close is gone anyway
    },
  };
}
