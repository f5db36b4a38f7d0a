import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { baseUrl, DEMO, launchBrowser, screenshot, screenshotsDir } from './support/browser';

/** A solid-colour PNG (the "photo" of the delivered load): red, so it can be found on the printed page. */
function solidPng(width: number, height: number, rgb: [number, number, number]): Buffer {
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: width }, () => rgb).flat())]);
  const raw = Buffer.concat(Array.from({ length: height }, () => row));
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const t = Buffer.concat([Buffer.from(type), data]);
    const out = Buffer.alloc(8 + data.length + 4);
    out.writeUInt32BE(data.length, 0);
    t.copy(out, 4);
    out.writeUInt32BE(crc(t), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A phone: 390×844, touch, an Android browser (so "Navigate" hands a geo: URI to the maps app). */
async function phone(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext({
    baseURL: baseUrl(),
    viewport: { width: 390, height: 844 },
    isMobile: true,
    hasTouch: true,
    deviceScaleFactor: 2,
    userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0 Mobile Safari/537.36',
    acceptDownloads: true,
  });
  context.setDefaultTimeout(20_000);
  return context;
}

/** Signs in through the login page and keeps the access token the app received (for API set-up). */
async function signInForToken(page: Page, who: { email: string; password: string }, to: string): Promise<string> {
  const token = new Promise<string>((resolve) => {
    page.on('response', (response) => {
      if (!/\/token$/.test(new URL(response.url()).pathname) || response.request().method() !== 'POST') return;
      void response
        .json()
        .then((b: { access_token?: string }) => b.access_token && resolve(b.access_token))
        .catch(() => undefined);
    });
  });
  await page.goto(to);
  await fillLogin(page, who);
  await page.getByTestId('user-name').waitFor({ state: 'attached' });
  return token;
}

async function fillLogin(page: Page, who: { email: string; password: string }): Promise<void> {
  await page.getByLabel('E-mail').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

type Json = Record<string, unknown>;
async function call<T = Json>(
  token: string,
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T; etag: string | null }> {
  const response = await fetch(`${baseUrl()}${url}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T, etag: response.headers.get('etag') };
}

async function msUntil(page: Page, status: (s: string | null) => boolean): Promise<number> {
  const started = Date.now();
  await page.waitForFunction(
    (accepted) => {
      const s = document.querySelector('[data-testid="live-status"]')?.getAttribute('data-status') ?? null;
      return accepted.includes(String(s));
    },
    ['open', 'connecting', 'closed'].filter((s) => status(s)),
    { timeout: 10_000, polling: 50 },
  );
  return Date.now() - started;
}

describe('the driver app on a phone (390×844)', () => {
  let browser: Browser;
  let admin = '';
  let dispatcher = '';
  let driverToken = '';
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    // Leave the demo tenant as other suites expect it: no proof required.
    if (admin) await call(admin, 'PATCH', '/api/v1/settings/proof', { photos: 'optional', signature: 'optional', notes: 'optional' });
    await browser.close();
  });

  it('a day: job card, Navigate, a stretch without signal (queued in order, a recall refuses with its reason), completion with photo and signature in the PDF', async () => {
    // --- set-up through the API, with tokens from real sign-ins
    const office = await browser.newContext({ baseURL: baseUrl(), viewport: { width: 1280, height: 900 } });
    office.setDefaultTimeout(20_000);
    const officePage = await office.newPage();
    admin = await signInForToken(officePage, DEMO.admin, '/');
    const dispatcherPage = await office.newPage();
    await dispatcherPage.context().clearCookies();
    dispatcher = await signInForToken(dispatcherPage, DEMO.dispatcher, '/dispatch');

    const mobile = await phone(browser);
    const page = await mobile.newPage();
    driverToken = await signInForToken(page, DEMO.driver, '/driver');
    const me = (await call<{ id: string; version: number }>(driverToken, 'GET', '/api/v1/me/driver')).body;

    const q = (await call<{ id: string }>(admin, 'POST', '/api/v1/qualifications', { code: 'DRV-Q', name: 'Drive licence' })).body;
    const type = (
      await call<{ id: string }>(admin, 'POST', '/api/v1/equipment-types', {
        code: 'DRV-T',
        name: 'Drive tipper',
        requiredQualificationIds: [q.id],
      })
    ).body;
    expect(
      (
        await call(admin, 'POST', '/api/v1/equipment', {
          assetTag: 'DRV-1',
          name: 'Tipper one',
          equipmentTypeId: type.id,
          position: { lat: 53.4701, lng: -2.2502 },
        })
      ).status,
    ).toBe(201);
    const site = (
      await call<{ id: string }>(admin, 'POST', '/api/v1/sites', {
        name: 'Ridge Farm',
        address: '4 Ridge Lane, Bury',
        position: { lat: 53.5931, lng: -2.2981 },
        contactName: 'Quinn Foreman',
        contactPhone: '+44 161 555 0142',
        notes: 'Gate code 4711; report to the cabin',
      })
    ).body;
    // Only this ticket (expiring in 20 days), so no demo work claims the driver meanwhile.
    const expiresAt = new Date(Date.now() + 20 * 86_400_000).toISOString();
    const current = await call<{ version: number }>(admin, 'GET', `/api/v1/drivers/${me.id}`);
    expect(
      (
        await call(
          admin,
          'PATCH',
          `/api/v1/drivers/${me.id}`,
          { qualifications: [{ qualificationId: q.id, expiresAt }] },
          { 'if-match': `"${current.body.version}"` },
        )
      ).status,
    ).toBe(200);
    await call(driverToken, 'PUT', '/api/v1/me/driver/duty', { dutyStatus: 'on_duty' });
    // Finish whatever the demo morning gave the driver.
    for (let i = 0; i < 10; i++) {
      const jobs = (await call<{ current: { dispatch: { id: string } } | null }>(driverToken, 'GET', '/api/v1/me/driver/jobs')).body;
      if (!jobs.current) break;
      await call(driverToken, 'POST', '/api/v1/me/driver/actions', {
        id: crypto.randomUUID(),
        dispatchId: jobs.current.dispatch.id,
        action: 'completed',
        occurredAt: new Date().toISOString(),
      });
    }
    await call(admin, 'PATCH', '/api/v1/settings/proof', { photos: 'required', signature: 'required', notes: 'optional' });
    const wo = (
      await call<{ id: string; number: string; dispatchIds: string[] }>(dispatcher, 'POST', '/api/v1/work-orders', {
        siteId: site.id,
        description: 'Take 20 t of hardcore to the new barn base',
        priority: 'urgent',
        lines: [{ equipmentTypeId: type.id, quantity: 1 }],
      })
    ).body;
    const firstDispatch = wo.dispatchIds[0] ?? '';

    // --- the job card
    await page.reload();
    const card = page.getByTestId('my-dispatch');
    await card.waitFor();
    await expect(card.textContent()).resolves.toContain(wo.number);
    await expect(page.getByTestId('job-description').textContent()).resolves.toBe('Take 20 t of hardcore to the new barn base');
    const machine = (await page.getByTestId('job-machine').textContent()) ?? '';
    expect(machine).toContain('DRV-1');
    expect(machine).toContain('DRV-T Drive tipper');
    expect(machine).toContain('parked at 53.4701, -2.2502');
    const siteText = (await page.getByTestId('job-site').textContent()) ?? '';
    for (const part of ['Ridge Farm', '4 Ridge Lane, Bury', 'Quinn Foreman', '+44 161 555 0142', 'Gate code 4711; report to the cabin'])
      expect(siteText).toContain(part);
    await expect(page.getByTestId('job-start').textContent()).resolves.toMatch(/Start: \d{2} \w{3} \d{4}/);
    await expect(page.getByTestId('navigate').getAttribute('href')).resolves.toBe('geo:53.5931,-2.2981?q=53.5931,-2.2981(Ridge%20Farm)');
    await expect(card.getByRole('link', { name: '+44 161 555 0142' }).getAttribute('href')).resolves.toBe('tel:+441615550142');
    // The expiry badge is shown whole, not cut off.
    const badge = page.getByTestId('expiry-badge').first();
    await badge.waitFor();
    expect(await badge.evaluate((el) => [...el.querySelectorAll('*'), el].every((e) => e.scrollWidth <= e.clientWidth + 1))).toBe(true);
    await expect(badge.textContent()).resolves.toMatch(/^expires \d{2} \w{3} \d{4}$/);
    await screenshot(page, '80-driver-job-card');

    // --- installable: manifest and a service worker controlling the page
    const manifest = (
      await call<{ icons: Array<{ sizes: string }>; start_url: string; display: string }>('', 'GET', '/manifest.webmanifest')
    ).body;
    expect(manifest).toMatchObject({ start_url: '/driver', display: 'standalone' });
    expect(manifest.icons.map((i) => i.sizes)).toEqual(expect.arrayContaining(['192x192', '512x512']));
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 30_000 });

    // --- no signal: the badge says so within 2 s; two taps are queued, nothing reaches the server
    await page.getByTestId('live-status').waitFor();
    await mobile.setOffline(true);
    const wentOffline = await msUntil(page, (s) => s === 'closed');
    console.log(`driver-app e2e: the badge said Offline ${wentOffline} ms after the network went`);
    expect(wentOffline).toBeLessThan(2_000);
    await card.getByRole('button', { name: 'Start driving (en route)' }).click();
    await page.getByTestId('my-dispatch-status').filter({ hasText: 'en route' }).waitFor();
    await card.getByRole('button', { name: 'Arrived on site' }).click();
    await page.getByTestId('my-dispatch-status').filter({ hasText: 'on site' }).waitFor();
    await page.getByTestId('offline-banner').filter({ hasText: '2 waiting' }).waitFor();
    await screenshot(page, '81-driver-offline-queued');
    expect((await call<{ status: string }>(dispatcher, 'GET', `/api/v1/dispatches/${firstDispatch}`)).body.status).toBe('dispatched');

    // --- signal back: both applied, in order; the badge leaves "Offline" within 2 s
    await mobile.setOffline(false);
    const cameBack = await msUntil(page, (s) => s !== 'closed');
    console.log(`driver-app e2e: the badge left Offline ${cameBack} ms after the network came back`);
    expect(cameBack).toBeLessThan(2_000);
    await page.locator('[data-testid="my-dispatch"][data-synced="true"]').waitFor({ timeout: 15_000 });
    const applied = (
      await call<{ status: string; timestamps: { enRouteAt: string; onSiteAt: string } }>(
        dispatcher,
        'GET',
        `/api/v1/dispatches/${firstDispatch}`,
      )
    ).body;
    expect(applied.status).toBe('on_site');
    expect(Date.parse(applied.timestamps.enRouteAt)).toBeLessThan(Date.parse(applied.timestamps.onSiteAt));

    // --- reloaded without signal: the app opens (no browser error page) with the saved jobs
    await page.waitForTimeout(500);
    await mobile.setOffline(true);
    await page.reload();
    await page.getByTestId('offline-banner').waitFor();
    await expect(page.getByTestId('my-dispatch').textContent()).resolves.toContain(wo.number);
    await page.getByTestId('my-dispatch').getByRole('button', { name: 'Leaving site (returning)' }).click();
    await page.getByTestId('offline-banner').filter({ hasText: '1 waiting' }).waitFor();
    await screenshot(page, '82-driver-reloaded-offline');

    // Meanwhile the dispatcher recalls the job.
    const d = await call(dispatcher, 'GET', `/api/v1/dispatches/${firstDispatch}`);
    expect(
      (
        await call(
          dispatcher,
          'POST',
          `/api/v1/dispatches/${firstDispatch}/recall`,
          { reason: 'Barn base not poured yet' },
          { 'if-match': d.etag ?? '' },
        )
      ).status,
    ).toBe(200);

    // Signal back: the app starts again, signs in, sends the queued tap, and the server refuses it, saying why.
    await mobile.setOffline(false);
    const login = page.getByLabel('E-mail');
    const refused = page.getByTestId('refused-action');
    await login.or(refused).first().waitFor({ timeout: 30_000 });
    if (await login.isVisible()) await fillLogin(page, DEMO.driver);
    await refused.waitFor({ timeout: 30_000 });
    await expect(refused.textContent()).resolves.toMatch(
      /"returning" was not applied.*Recalled by the dispatcher.*Barn base not poured yet/,
    );
    await screenshot(page, '83-driver-refused');
    await refused.getByRole('button', { name: 'OK' }).click();

    // --- the line was queued again and comes straight back to this driver: complete it with proof
    const again = page.getByTestId('my-dispatch');
    await again.filter({ hasText: wo.number }).waitFor();
    await again.getByRole('button', { name: 'Complete the job now' }).click();
    const dialog = page.getByRole('dialog');
    await dialog
      .locator('input[type=file]')
      .setInputFiles({ name: 'load.png', mimeType: 'image/png', buffer: solidPng(320, 240, [220, 20, 20]) });
    await dialog.getByTestId('proof-photo').waitFor();
    const pad = await dialog.getByTestId('signature-pad').boundingBox();
    if (!pad) throw new Error('no signature pad');
    await page.mouse.move(pad.x + 20, pad.y + 100);
    await page.mouse.down();
    for (let i = 1; i <= 12; i++) await page.mouse.move(pad.x + 20 + i * 22, pad.y + 100 - Math.sin(i / 2) * 50, { steps: 2 });
    await page.mouse.up();
    await dialog.getByLabel(/Signer's name/).fill('Quinn Foreman');
    await dialog.getByLabel(/Notes for the report/).fill('Tipped by the barn, level');
    await screenshot(page, '84-driver-complete');
    await dialog.getByRole('button', { name: 'Complete job' }).click();
    await dialog.getByRole('button', { name: 'Yes, complete' }).click();
    await page.getByText('No dispatch right now').waitFor({ timeout: 30_000 });

    // --- the status report: proof on the report page and in the PDF (text and image)
    const reports = (
      await call<{ items: Array<{ id: string; finalStatus: string }> }>(dispatcher, 'GET', `/api/v1/reports?workOrderId=${wo.id}`)
    ).body.items;
    const report = reports.find((r) => r.finalStatus === 'completed');
    expect(report).toBeDefined();
    await dispatcherPage.goto(`/reports/${report?.id}`);
    await dispatcherPage.getByTestId('proof-photo').first().waitFor();
    await dispatcherPage.getByTestId('proof-signature').waitFor();
    await expect(dispatcherPage.getByTestId('proof').textContent()).resolves.toContain('Signed by Quinn Foreman');
    await screenshot(dispatcherPage, '85-report-proof');

    const pdf = await fetch(`${baseUrl()}/api/v1/reports/${report?.id}/pdf`, { headers: { authorization: `Bearer ${dispatcher}` } });
    expect(pdf.status).toBe(200);
    const dir = mkdtempSync(path.join(tmpdir(), 'ym-pdf-'));
    try {
      const file = path.join(dir, 'report.pdf');
      writeFileSync(file, Buffer.from(await pdf.arrayBuffer()));
      const text = execFileSync('pdftotext', ['-layout', file, '-']).toString();
      expect(text).toContain('Proof of completion');
      expect(text).toContain('Signed by Quinn Foreman');
      expect(text).toContain('Tipped by the barn, level');
      const images = execFileSync('pdfimages', ['-list', file]).toString().trim().split('\n').slice(2);
      expect(images.length).toBeGreaterThanOrEqual(2); // the photo and the signature
      // Rendered as a person sees it: the red photo is on the page.
      execFileSync('pdftoppm', ['-r', '50', '-singlefile', file, path.join(dir, 'page')]);
      const ppm = readFileSync(path.join(dir, 'page.ppm'));
      const header = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(ppm.subarray(0, 40).toString('latin1'));
      const pixels = ppm.subarray(header?.[0].length ?? 0);
      let red = 0;
      for (let i = 0; i + 2 < pixels.length; i += 3) if (pixels[i]! > 180 && pixels[i + 1]! < 70 && pixels[i + 2]! < 70) red++;
      expect(red).toBeGreaterThan(200);
      execFileSync('pdftoppm', ['-r', '60', '-png', '-singlefile', file, path.join(dir, 'page')]);
      copyFileSync(path.join(dir, 'page.png'), path.join(screenshotsDir, '86-report-pdf.png'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await mobile.close();
    await office.close();
  });

  it('work-order files and related work orders: attached on the page, listed, and links followed in one click both ways', async () => {
    const office = await browser.newContext({ baseURL: baseUrl(), viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    office.setDefaultTimeout(20_000);
    const page = await office.newPage();
    const token = await signInForToken(page, DEMO.dispatcher, '/dispatch');
    const sites = (await call<{ items: Array<{ id: string }> }>(token, 'GET', '/api/v1/sites?limit=1')).body.items;
    const types = (await call<{ items: Array<{ id: string }> }>(token, 'GET', '/api/v1/equipment-types?limit=1')).body.items;
    const make = async (description: string) =>
      (
        await call<{ id: string; number: string }>(token, 'POST', '/api/v1/work-orders', {
          siteId: sites[0]?.id,
          description,
          priority: 'low',
          requestedStart: new Date(Date.now() + 7 * 86_400_000).toISOString(),
          lines: [{ equipmentTypeId: types[0]?.id, quantity: 1 }],
        })
      ).body;
    const first = await make('Crane lift, machine one of two');
    const second = await make('Crane lift, machine two of two');

    await page.goto(`/work-orders/${first.number}`);
    await page.getByTestId('attachments').getByText('No files.').waitFor();
    await page
      .getByTestId('attachments')
      .locator('input[type=file]')
      .setInputFiles({ name: 'delivery details.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n% delivery details\n') });
    await page.getByTestId('attachments').getByText('delivery details.pdf').waitFor();
    // A disguised file is refused with the reason.
    await page
      .getByTestId('attachments')
      .locator('input[type=file]')
      .setInputFiles({ name: 'photo.png', mimeType: 'image/png', buffer: Buffer.from('%PDF-1.4 not a png') });
    await page.getByText(/declared image\/png but the bytes are application\/pdf/).waitFor();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('attachments').getByText('delivery details.pdf').click(),
    ]);
    expect(readFileSync(await download.path()).toString()).toContain('% delivery details');

    await page.getByLabel('Link to work order number').fill(second.number);
    await page.getByRole('button', { name: 'Link' }).click();
    await page
      .getByTestId('related')
      .getByRole('link', { name: new RegExp(second.number) })
      .click();
    await page.waitForURL(`**/work-orders/${second.number}`);
    await page.getByRole('heading', { name: second.number }).waitFor();
    await page
      .getByTestId('related')
      .getByRole('link', { name: new RegExp(first.number) })
      .click();
    await page.getByRole('heading', { name: first.number }).waitFor();
    await screenshot(page, '87-work-order-files-related');
    await office.close();
  });
});
