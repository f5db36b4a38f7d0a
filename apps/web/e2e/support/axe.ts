import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * Runs axe-core in the page (evaluated over the DevTools protocol, so the app's Content-Security-
 * Policy stays as it is) over `selector` (default: the whole page) and returns the critical and
 * serious findings, one line each.
 */
export async function seriousAxeFindings(page: Page, selector = 'body'): Promise<string[]> {
  await page.evaluate(axeSource);
  return page.evaluate(async (scope) => {
    type Result = { violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: string[] }> }> };
    const axe = (window as unknown as { axe: { run: (context: string, options: object) => Promise<Result> } }).axe;
    const result = await axe.run(scope, { resultTypes: ['violations'] });
    return result.violations
      .filter((v) => v.impact === 'critical' || v.impact === 'serious')
      .map((v) => `${v.impact ?? ''} ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  }, selector);
}
