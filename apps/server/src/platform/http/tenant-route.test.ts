import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * A static check over every route module (`modules/<module>/*.routes.ts`): a tenant route opens its
 * transaction through `tenantRunner`, never with `withTenant` and a caller's tenant of its own. A
 * new route module that declares tenant roles and forgets the runner fails here.
 */
const modulesDir = fileURLToPath(new URL('../../modules/', import.meta.url));

const routeModules = readdirSync(modulesDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .flatMap((dir) =>
    readdirSync(join(modulesDir, dir.name))
      .filter((file) => file.endsWith('.routes.ts'))
      .map((file) => join(modulesDir, dir.name, file)),
  )
  .map((path) => ({ name: relative(modulesDir, path).replaceAll('\\', '/'), source: readFileSync(path, 'utf8') }));

/** Route modules that declare tenant roles but open no tenant transaction at all, and why. */
const WITHOUT_TENANT_TRANSACTION: Record<string, string> = {
  'limits/limits.routes.ts': "a member reads their tenant's plan from the control schema (plan book), no tenant data",
};

/** Route modules that may still call `withTenant` (never with the caller's tenant), and why. */
const MAY_CALL_WITH_TENANT: Record<string, string> = {
  'alerts/alerts.routes.ts': 'the scheduled evaluation walks every tenant (no request, no caller)',
  'auth/auth.routes.ts': 'an operator route registers an issuer for the tenant named in the path',
  'planning/planning.routes.ts': 'the recurring-work horizon timer walks every tenant (no request, no caller)',
};

/** `{ roles: [...] }` is the access declaration of a tenant route (see platform/http/access.ts). */
const declaresTenantRoles = (source: string): boolean => /\broles:\s*\[/.test(source);

describe('tenant routes use tenantRunner', () => {
  it('finds the route modules', () => {
    expect(routeModules.length).toBeGreaterThanOrEqual(15);
    expect(routeModules.map((m) => m.name)).toContain('users/users.routes.ts');
  });

  it.each(routeModules.map((m) => [m.name, m] as const))('%s', (name, { source }) => {
    if (!declaresTenantRoles(source)) return; // operator or public routes only
    if (name in WITHOUT_TENANT_TRANSACTION) {
      expect(source, `${name} is listed as opening no tenant transaction`).not.toMatch(/\bTenantTx\b|\bwithTenant\b|tenantRunner/);
      return;
    }
    expect(source, `${name} declares tenant roles: open its transactions with tenantRunner(database)`).toMatch(/\btenantRunner\(/);
    const calls = [...source.matchAll(/\bwithTenant\(([^;]*?)\)/g)].map((m) => m[1] ?? '');
    if (!(name in MAY_CALL_WITH_TENANT)) expect(calls, `${name} calls withTenant itself; use the runner`).toEqual([]);
    for (const args of calls)
      expect(args, `${name} opens a caller's tenant without the runner`).not.toMatch(/tenantSlug|callerOf|tenantActor/);
  });

  it('leaves no other module file that reads the caller from a request opening its tenant itself', () => {
    const offenders = readdirSync(modulesDir, { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
      .map((file) => ({ name: file.replaceAll('\\', '/'), source: readFileSync(join(modulesDir, file), 'utf8') }))
      .filter(({ name, source }) => !(name in MAY_CALL_WITH_TENANT) && /\bcallerOf\(/.test(source) && /\bwithTenant\(/.test(source))
      .map(({ name }) => name);
    expect(offenders).toEqual([]);
  });

  it('keeps its exception lists current', () => {
    const names = new Set(routeModules.map((m) => m.name));
    for (const name of [...Object.keys(WITHOUT_TENANT_TRANSACTION), ...Object.keys(MAY_CALL_WITH_TENANT)]) expect(names).toContain(name);
    for (const name of Object.keys(MAY_CALL_WITH_TENANT))
      expect(routeModules.find((m) => m.name === name)?.source).toMatch(/\bwithTenant\(/);
  });
});
