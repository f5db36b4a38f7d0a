import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

type Violation = { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] };

/**
 * Runs axe-core in the page (evaluated through the browser's debugging protocol, so the app's CSP
 * stays as it is) and answers the critical and serious findings, one line each.
 */
export async function seriousAxeFindings(page: Page): Promise<string[]> {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (context: Document, options: object) => Promise<{ violations: Violation[] }> } }).axe;
    return (await axe.run(document, { resultTypes: ['violations'] })).violations;
  });
  return violations
    .filter((v) => v.impact === 'critical' || v.impact === 'serious')
    .map((v) => `${v.impact ?? ''} ${v.id}: ${v.help} (${v.nodes.map((n) => JSON.stringify(n.target)).slice(0, 3).join(', ')})`);
}

/** The signed-in app's bearer token, read from the first API call the page makes (tokens live in memory only). */
export function captureToken(page: Page): () => Promise<string> {
  let token: string | null = null;
  page.on('request', (request) => {
    const header = request.headers().authorization;
    if (header?.startsWith('Bearer ') && request.url().includes('/api/v1/')) token = header.slice(7);
  });
  return async () => {
    for (let i = 0; i < 100 && !token; i++) await page.waitForTimeout(100);
    if (!token) throw new Error('no API call with a bearer token seen');
    return token;
  };
}
