import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  it('defaults to the embedded database and identity provider on port 3000', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.database.kind).toBe('embedded');
    expect(config.oidc.issuer).toBeUndefined();
    expect(config.dataDir).toBe(path.resolve('./data'));
  });

  it('uses PostgreSQL when DATABASE_URL is set', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://u@db:5432/ym', DATABASE_POOL_SIZE: '25' });
    expect(config.database).toEqual({
      kind: 'postgres',
      url: 'postgres://u@db:5432/ym',
      poolSize: 25,
      poolTimeoutMs: 5_000,
      preparedStatements: true,
    });
  });

  it('names every wrong setting at once', () => {
    const problems = problemsOf({ PORT: 'abc', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x', OIDC_ISSUER: 'not a url' });
    expect(problems).toHaveLength(4);
    expect(problems.find((p) => p.startsWith('PORT:'))).toContain('"abc"');
    expect(problems.some((p) => p.startsWith('LOG_LEVEL:'))).toBe(true);
    expect(problems.some((p) => p.startsWith('DATABASE_URL:'))).toBe(true);
    expect(problems.some((p) => p.startsWith('OIDC_ISSUER:'))).toBe(true);
  });

  it('never echoes a secret value in its message', () => {
    const problems = problemsOf({ DATABASE_URL: 'mysql://user:hunter2@db/x' });
    expect(problems.join('\n')).not.toContain('hunter2');
  });

  it('reads secrets from *_FILE and refuses both forms at once', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ym-config-'));
    const file = path.join(dir, 'db-url');
    writeFileSync(file, 'postgres://app:s3cret@db/ym\n');
    expect(loadConfig({ DATABASE_URL_FILE: file }).database).toMatchObject({ kind: 'postgres', url: 'postgres://app:s3cret@db/ym' });
    expect(problemsOf({ DATABASE_URL_FILE: file, DATABASE_URL: 'postgres://x@y/z' })[0]).toMatch(/both set/);
    expect(problemsOf({ DATABASE_URL_FILE: path.join(dir, 'missing') })[0]).toMatch(/DATABASE_URL_FILE: cannot read/);
  });

  it('rejects a port out of range', () => {
    expect(problemsOf({ PORT: '70000' })[0]).toMatch(/^PORT:/);
  });

  it('reads OUTBOUND_ALLOW as a list and names each malformed entry', () => {
    expect(loadConfig({ OUTBOUND_ALLOW: 'hooks.corp.example, 10.20.0.0/16 *.intra.example' }).outboundAllow).toEqual([
      'hooks.corp.example',
      '10.20.0.0/16',
      '*.intra.example',
    ]);
    expect(loadConfig({}).outboundAllow).toEqual([]);
    const problems = problemsOf({ OUTBOUND_ALLOW: '10.0.0.0/40,hooks.corp.example,bad_host!' });
    expect(problems).toEqual([
      expect.stringMatching(/^OUTBOUND_ALLOW: "10\.0\.0\.0\/40" is not a CIDR range/),
      expect.stringMatching(/^OUTBOUND_ALLOW: "bad_host!" is not a host name/),
    ]);
  });
});
