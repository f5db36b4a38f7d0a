/**
 * Dispatcher console benchmark (issue 15): click to updated screen in a real browser (Debian
 * Chromium via playwright-core) for create, reprioritise, assign and recall, and a driver's tap to
 * the dispatcher's board, against the real server on PostgreSQL with the demo tenant.
 *
 *   npm run bench:console                      # 20 rounds of each action
 *   npm run bench:console -- --rounds 50
 *
 * It runs the console browser test (`apps/web/e2e/console.e2e.ts`, which builds the server and the
 * web app and starts them) with CONSOLE_BENCH_ROUNDS, then prints p50 / p95 / max per action from
 * the timings the test writes to artifacts/console-timings.json. Each timing is from the click (a
 * DevTools-protocol round trip included) until the changed card is on the dispatcher's screen.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const roundsAt = process.argv.indexOf('--rounds');
const rounds = roundsAt > 0 ? Number(process.argv[roundsAt + 1]) : 20;

const loadBefore = os.loadavg();
const run = spawnSync('npx', ['vitest', 'run', '--project', 'e2e', 'apps/web/e2e/console.e2e.ts'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, CI: 'true', CONSOLE_BENCH_ROUNDS: String(rounds) },
});
const loadAfter = os.loadavg();
const timings = JSON.parse(readFileSync(path.join(root, 'artifacts', 'console-timings.json'), 'utf8')) as Record<string, number[]>;
const pct = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * p) - 1))] ?? NaN;
};
console.log(
  `\nconsole benchmark — ${rounds} rounds; ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}); load average before ${loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${loadAfter.map((l) => l.toFixed(2)).join(' ')}`,
);
console.log('action                 n     p50 ms   p95 ms   max ms   target');
for (const [name, values] of Object.entries(timings)) {
  const target = name === 'driver-tap-to-board' ? 1000 : 300;
  console.log(
    `${name.padEnd(22)} ${String(values.length).padStart(3)} ${pct(values, 0.5).toFixed(0).padStart(9)} ${pct(values, 0.95).toFixed(0).padStart(8)} ${Math.max(
      ...values,
    )
      .toFixed(0)
      .padStart(8)}   < ${target}`,
  );
}
process.exitCode = run.status ?? 1;
