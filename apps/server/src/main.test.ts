import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

/** Runs the server entry point as an operator would, with only the given environment. */
function runMain(env: Record<string, string>): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, stdout });
    });
  });
}

// Each case starts a fresh Node process that compiles the server with tsx: seconds on a busy machine.
describe('server start-up with bad configuration', { timeout: 30_000 }, () => {
  it('exits with status 2 naming every bad setting, without a stack trace', async () => {
    const result = await runMain({ PORT: 'abc', LOG_LEVEL: 'loud' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('PORT');
    expect(result.stderr).toContain('LOG_LEVEL');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits with status 2 naming DATABASE_URL when the database is unreachable', async () => {
    const result = await runMain({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/DATABASE_URL: cannot connect/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
