import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database, TenantRecord } from '../src/platform/db/index.js';
import { createTestTenant, openTestDatabase, testDbKind } from './support/db.js';
import { startEmbeddedTestApp, type EmbeddedTestApp } from './support/embedded.js';
import { setMfaRequiredRoles } from './support/mfa.js';
import { authorizeIn, createOidcBrowser, setPasswordFromLink, signInWithCode } from './support/oidc-client.js';
import { ensureLocalUserForTest } from './support/users.js';

type Received = { from: string; to: string[]; raw: string };

/** A real SMTP server in this process: it accepts every message and keeps it for the test. */
async function startSmtpSink(): Promise<{ port: number; inbox: Received[]; close: () => Promise<void> }> {
  const inbox: Received[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        inbox.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return { port, inbox, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** The set-password link in a received message (quoted-printable soft breaks undone). */
const linkIn = (raw: string): string =>
  /https?:\/\/\S+\/account\/set-password\?token=3D([A-Za-z0-9_-]+)/.exec(raw.replace(/=\r?\n/g, ''))?.[1] ?? '';

describe(`account e-mail over SMTP on ${testDbKind()}`, () => {
  let database: Database;
  let server: EmbeddedTestApp;
  let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
  let tenant: TenantRecord;
  const run = randomBytes(3).toString('hex');
  const adminEmail = `admin-${run}@mail.example`;

  beforeAll(async () => {
    database = await openTestDatabase();
    smtp = await startSmtpSink();
    tenant = await createTestTenant(database, 'mail');
    await ensureLocalUserForTest(database, { email: adminEmail, password: 'correct horse', tenantSlug: tenant.slug, roles: ['admin'] });
    // About e-mail, not two-step sign-in (auth-mfa.test.ts): this tenant requires none.
    await setMfaRequiredRoles(database, tenant.slug, []);
    server = await startEmbeddedTestApp(database, {
      SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
      MAIL_FROM: 'Yardmaster <no-reply@yard.example>',
    });
  });
  afterAll(async () => {
    await server?.close();
    await smtp?.close();
    await database?.close();
  });

  const waitForMail = async (to: string): Promise<Received> => {
    for (let i = 0; i < 100; i++) {
      const found = smtp.inbox.find((m) => m.to.includes(to));
      if (found) return found;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no mail to ${to}`);
  };

  it('an invitation is e-mailed with the same link the admin receives', async () => {
    const { tokens } = await signInWithCode(server.baseUrl, adminEmail, 'correct horse');
    const invitee = `new-${run}@mail.example`;
    const response = await fetch(`${server.baseUrl}/api/v1/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ email: invitee, name: 'Nina New', roles: ['viewer'] }),
    });
    expect(response.status).toBe(201);
    const { invitation } = (await response.json()) as { invitation: { url: string } };
    const mail = await waitForMail(invitee);
    expect(mail.from).toBe('no-reply@yard.example');
    expect(mail.raw).toContain('Subject: Your Yardmaster invitation');
    expect(linkIn(mail.raw)).toBe(new URL(invitation.url).searchParams.get('token'));
  });

  it('forgot password e-mails a reset link to an account, and answers the same for an unknown address', async () => {
    const ask = (email: string) =>
      fetch(`${server.baseUrl}/account/forgot-password`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ email }).toString(),
      });
    const unknown = await ask(`nobody-${run}@mail.example`);
    const known = await ask(adminEmail);
    expect(unknown.status).toBe(200);
    expect(known.status).toBe(200);
    expect(await unknown.text()).toBe(await known.text());
    const mail = await waitForMail(adminEmail);
    expect(mail.raw).toContain('Subject: Reset your Yardmaster password');
    expect(smtp.inbox.some((m) => m.to.includes(`nobody-${run}@mail.example`))).toBe(false);
    // The link sets a new password and signs in; the old password no longer works.
    const browser = createOidcBrowser(server.baseUrl);
    const token = linkIn(mail.raw);
    expect((await setPasswordFromLink(browser, `/account/set-password?token=${token}`, `Reset-${run}-Pass1`)).status).toBe(303);
    expect((await authorizeIn(browser, server.baseUrl)).formShown).toBe(false);
    await expect(signInWithCode(server.baseUrl, adminEmail, 'correct horse')).rejects.toThrow(/login failed with 401/);
    expect((await signInWithCode(server.baseUrl, adminEmail, `Reset-${run}-Pass1`)).loginStatus).toBe(303);
  });
});
