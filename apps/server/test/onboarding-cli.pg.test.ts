import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src/platform/db/index.js';
import { startEmbeddedTestApp, type EmbeddedTestApp } from './support/embedded.js';
import { authorizeIn, createOidcBrowser, setPasswordFromLink } from './support/oidc-client.js';
import { createScratchPostgres } from './support/scratch.js';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

/**
 * `npm run cli -- operator create <email> [name]` on an EMPTY database with SEED_DEMO=false: the
 * first step of docs/identity.md "Onboarding a customer", nothing typed in SQL.
 */
describe('yardmaster operator create <email> [name] on a fresh database', () => {
  let scratch: Awaited<ReturnType<typeof createScratchPostgres>>;
  let database: Database;
  let server: EmbeddedTestApp;
  const cli = (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', CLI, ...args],
        {
          env: {
            ...process.env,
            DATABASE_URL: scratch.url,
            SEED_DEMO: 'false',
            LOG_LEVEL: 'silent',
            PUBLIC_URL: 'https://yard.example.com',
          },
          timeout: 60_000,
        },
        (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  const linkIn = (stdout: string): string =>
    /https:\/\/yard\.example\.com(\/account\/set-password\?token=[A-Za-z0-9_-]+)/.exec(stdout)?.[1] ?? '';

  beforeAll(async () => {
    scratch = await createScratchPostgres();
  });
  afterAll(async () => {
    await server?.close();
    await database?.close();
    await scratch?.drop();
  });

  it('migrates the empty database, creates the operator and prints a one-time link; again revokes the first', async () => {
    const first = await cli('operator', 'create', 'ops@yard.example.com', 'Olga Operator');
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('open this link within 24 hours');
    const firstLink = linkIn(first.stdout);
    expect(firstLink).not.toBe('');
    const second = await cli('operator', 'create', 'ops@yard.example.com');
    expect(second.code).toBe(0);
    const secondLink = linkIn(second.stdout);
    expect(secondLink).not.toBe(firstLink);

    database = await openDatabase({ kind: 'postgres', url: scratch.url, poolSize: 4 });
    server = await startEmbeddedTestApp(database, { SEED_DEMO: 'false' });
    expect((await createOidcBrowser(server.baseUrl).request(firstLink)).status).toBe(410);
    const browser = createOidcBrowser(server.baseUrl);
    expect((await setPasswordFromLink(browser, secondLink, 'Olga-Operator-2026')).status).toBe(303);
    const { tokens, formShown } = await authorizeIn(browser, server.baseUrl);
    expect(formShown).toBe(false);
    expect(decodeJwt(tokens.access_token)).toMatchObject({ email: 'ops@yard.example.com', realm_access: { roles: ['operator'] } });
    const tenants = await fetch(`${server.baseUrl}/api/v1/platform/tenants`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(tenants.status).toBe(200);
    expect(await tenants.json()).toEqual({ items: [] });
  });

  it('refuses what is not an e-mail address', async () => {
    const bad = await cli('operator', 'create', 'not-an-email');
    expect(bad.code).toBe(64);
    expect(bad.stderr).toContain('is not an e-mail address');
  });
});
