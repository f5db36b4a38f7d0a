import { useEffect, useState } from 'react';

/** How often the app asks the server "are you there?" while the page is visible. */
export const PROBE_INTERVAL_MS = 1_000;
const PROBE_TIMEOUT_MS = 900;

export type Connection = 'online' | 'offline';

type Listener = (c: Connection) => void;
const listeners = new Set<Listener>();
let current: Connection = typeof navigator === 'undefined' || navigator.onLine ? 'online' : 'offline';
let timer: ReturnType<typeof setInterval> | null = null;

function set(next: Connection): void {
  if (next === current) return;
  current = next;
  for (const l of listeners) l(next);
}

async function probe(): Promise<void> {
  if (!navigator.onLine) return set('offline');
  if (document.visibilityState === 'hidden') return;
  try {
    const response = await fetch('/healthz', { cache: 'no-store', signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    set(response.ok ? 'online' : 'offline');
  } catch {
    set('offline');
  }
}

function start(): void {
  if (timer) return;
  // The browser knows at once when the network goes (airplane mode, no Wi-Fi); the probe catches
  // a connection that is up but reaches nothing. Either way the badge is right within 2 s.
  window.addEventListener('offline', () => set('offline'));
  window.addEventListener('online', () => void probe());
  timer = setInterval(() => void probe(), PROBE_INTERVAL_MS);
  void probe();
}

export function connectionNow(): Connection {
  return current;
}

/** Subscribe to connection changes (e.g. to send queued actions when the signal is back). */
export function onConnection(listener: Listener): () => void {
  start();
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useConnection(): Connection {
  const [state, setState] = useState<Connection>(current);
  useEffect(() => onConnection(setState), []);
  return state;
}
