/**
 * The analytics flood for bench/flood.ts, in a process of its own: GET /api/v1/analytics over a
 * year at a fixed rate (open loop: a request leaves every 1/rate s whatever the answers do), for
 * the given seconds. Prints one JSON line: sent, answers by status, latency percentiles.
 *
 *   node --import tsx bench/flood/load.ts <baseUrl> <token> <ratePerSecond> <seconds>
 */
const [baseUrl, token, rateText, secondsText] = process.argv.slice(2);
const rate = Number(rateText ?? 200);
const seconds = Number(secondsText ?? 20);
const byStatus = new Map<string, number>();
const latencies: number[] = [];
const pending = new Set<Promise<void>>();
const url = `${baseUrl}/api/v1/analytics?from=2025-11-25T00:00:00Z&to=2026-11-25T00:00:00Z`;

const one = async (): Promise<void> => {
  const started = performance.now();
  let key: string;
  try {
    const response = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(60_000) });
    await response.arrayBuffer();
    key = String(response.status);
  } catch (error) {
    key = `error ${(error as Error).name}`;
  }
  latencies.push(performance.now() - started);
  byStatus.set(key, (byStatus.get(key) ?? 0) + 1);
};

const started = performance.now();
let sent = 0;
while (performance.now() - started < seconds * 1000) {
  const due = started + (sent * 1000) / rate;
  const wait = due - performance.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  const request = one();
  pending.add(request);
  void request.finally(() => pending.delete(request));
  sent++;
}
const elapsed = (performance.now() - started) / 1000;
await Promise.all([...pending]);
latencies.sort((a, b) => a - b);
const at = (q: number): number => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0);
process.stdout.write(
  `${JSON.stringify({ sent, rate: Math.round(sent / elapsed), byStatus: Object.fromEntries(byStatus), p50: at(0.5), p99: at(0.99) })}\n`,
);
