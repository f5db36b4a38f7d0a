/**
 * Failed sign-in throttling per (e-mail, address): after `freeAttempts` failures within the window
 * each further attempt must wait, doubling up to `maxDelayS`. In memory: the embedded provider is
 * a single-process, development-and-small-site feature; Keycloak does this in production.
 */
export function createLoginThrottle(options: { freeAttempts?: number; windowMs?: number; maxDelayS?: number; now?: () => number } = {}) {
  const freeAttempts = options.freeAttempts ?? 5;
  const windowMs = options.windowMs ?? 15 * 60_000;
  const maxDelayS = options.maxDelayS ?? 15 * 60;
  const now = options.now ?? Date.now;
  const state = new Map<string, { failures: number; first: number; blockedUntil: number }>();

  return {
    retryAfterSeconds(key: string): number {
      const entry = state.get(key);
      if (!entry) return 0;
      if (now() - entry.first > windowMs && now() >= entry.blockedUntil) {
        state.delete(key);
        return 0;
      }
      return Math.max(0, Math.ceil((entry.blockedUntil - now()) / 1000));
    },
    failed(key: string): void {
      const entry = state.get(key) ?? { failures: 0, first: now(), blockedUntil: 0 };
      entry.failures += 1;
      if (entry.failures >= freeAttempts) {
        const delay = Math.min(maxDelayS, 2 ** (entry.failures - freeAttempts) * 30);
        entry.blockedUntil = now() + delay * 1000;
      }
      state.set(key, entry);
      if (state.size > 10_000) state.delete(state.keys().next().value as string);
    },
    succeeded(key: string): void {
      state.delete(key);
    },
  };
}
