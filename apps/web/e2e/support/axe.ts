import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export type AxeFinding = { id: string; impact: string | null; help: string; targets: string[]; why: string };

/** Resolves once no finite animation or transition runs (spinners loop for ever and are left out). */
async function animationsSettled(page: Page): Promise<void> {
  await page.waitForFunction(() =>
    document.getAnimations().every((a) => a.playState !== 'running' || a.effect?.getTiming().iterations === Infinity),
  );
}

async function runAxe(page: Page, selector: string): Promise<AxeFinding[]> {
  await page.evaluate(axeSource);
  return page.evaluate(async (scope) => {
    type Result = {
      violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: unknown[]; failureSummary?: string }> }>;
    };
    const axe = (window as unknown as { axe: { run: (context: string, options: object) => Promise<Result> } }).axe;
    const result = await axe.run(scope, { resultTypes: ['violations'] });
    return result.violations
      .filter((v) => v.impact === 'critical' || v.impact === 'serious')
      .map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        targets: v.nodes.slice(0, 12).map((n) => n.target.join(' ')),
        why: v.nodes[0]?.failureSummary ?? '',
      }));
  }, selector);
}

/**
 * Runs axe-core in the page (evaluated through the DevTools protocol, so the app's
 * Content-Security-Policy is untouched) over `selector` (default: the whole page) and returns the
 * critical and serious findings.
 *
 * Colours are judged on a still screen: the check starts once fades and transitions are over, and
 * when it finds something it looks again once the screen is still. A notification that starts to
 * fade out while axe reads the page (axe takes about a second) is not low contrast; a real finding
 * is there both times and is reported.
 */
export async function seriousA11yFindings(page: Page, selector = 'body'): Promise<AxeFinding[]> {
  await animationsSettled(page);
  const first = await runAxe(page, selector);
  if (first.length === 0) return first;
  await animationsSettled(page);
  return runAxe(page, selector);
}

/** The same findings, one line each (for `expect(...).toEqual([])` messages). */
export async function seriousAxeFindings(page: Page, selector = 'body'): Promise<string[]> {
  return (await seriousA11yFindings(page, selector)).map(
    (f) => `${f.impact ?? ''} ${f.id}: ${f.help} — ${f.targets.join(', ')} (${f.why.replaceAll('\n', ' ')})`,
  );
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
