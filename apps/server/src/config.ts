import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { parseAllowList } from './platform/net/allow-list.js';
import { PlanLimitsSchema, type PlanLimits } from '@yardmaster/contracts';

/** Names of rate-limit plans. */
const PLAN_NAME = /^[a-z][a-z0-9_-]{0,39}$/;

/** Built-in plans (docs/operations.md § Limits); RATE_LIMIT_PLANS changes them or adds more. */
export const BUILT_IN_PLANS: Readonly<Record<string, PlanLimits>> = {
  small: { userPerSecond: 10, userBurst: 100, tenantPerSecond: 50, tenantBurst: 500, userStreams: 5, tenantStreams: 50 },
  standard: { userPerSecond: 30, userBurst: 300, tenantPerSecond: 200, tenantBurst: 2_000, userStreams: 10, tenantStreams: 500 },
  large: { userPerSecond: 100, userBurst: 1_000, tenantPerSecond: 1_000, tenantBurst: 10_000, userStreams: 20, tenantStreams: 5_000 },
};

/**
 * The only reader of process.env. Every setting is validated at start; all problems are reported
 * together, each naming its variable, so an operator fixes a deployment in one pass.
 * A secret may be given as `<NAME>_FILE` (a path), as with Docker/Kubernetes secrets.
 */
const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  PUBLIC_URL: z.url().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: z
    .string()
    .refine((v) => /^postgres(ql)?:\/\//.test(v), 'must be a postgres:// or postgresql:// URL')
    .optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  REPORTING_DATABASE_URL: z
    .string()
    .refine((v) => /^postgres(ql)?:\/\//.test(v), 'must be a postgres:// or postgresql:// URL')
    .optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  OIDC_ISSUER: z.url().optional(),
  OIDC_AUDIENCE: z.string().min(1).default('yardmaster'),
  OIDC_TENANT_CLAIM: z.string().min(1).default('org'),
  OIDC_CLIENT_ID: z.string().min(1).default('yardmaster-web'),
  SEED_DEMO: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
  TRUST_PROXY: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  OUTBOUND_ALLOW: z
    .string()
    .optional()
    .transform((v) => (v ?? '').split(/[\s,]+/).filter((entry) => entry !== ''))
    .superRefine((entries, ctx) => {
      for (const problem of parseAllowList(entries).problems) ctx.addIssue({ code: 'custom', message: problem });
    }),
  DATABASE_POOL_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(5_000),
  DATABASE_PREPARED_STATEMENTS: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  REPORTING_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(2),
  REPORTING_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(0).max(3_600_000).default(15_000),
  DATABASE_LISTEN_URL: z
    .string()
    .refine((v) => /^postgres(ql)?:\/\//.test(v), 'must be a postgres:// or postgresql:// URL')
    .optional(),
  REPLICA_MAX_LAG_MS: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
  STORAGE: z.enum(['folder', 's3']).default('folder'),
  SMTP_URL: z
    .string()
    .refine((v) => /^smtps?:\/\//.test(v), 'must be an smtp:// or smtps:// URL (smtp://user:pass@host:587)')
    .optional(),
  MAIL_FROM: z.string().min(3).max(320).optional(),
  S3_ENDPOINT: z.url().optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name')
    .optional(),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  S3_FORCE_PATH_STYLE: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  FILES_QUOTA_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .default(2 * 1024 * 1024 * 1024),
  VAPID_PUBLIC_KEY: z
    .string()
    .regex(/^[A-Za-z0-9_-]{80,100}$/, 'a base64url P-256 public key')
    .optional(),
  VAPID_PRIVATE_KEY: z
    .string()
    .regex(/^[A-Za-z0-9_-]{40,50}$/, 'a base64url P-256 private key')
    .optional(),
  VAPID_SUBJECT: z
    .string()
    .regex(/^(mailto:|https:\/\/)/, 'a mailto: or https: URL')
    .optional(),
  PUSH_ALLOW_PRIVATE_ENDPOINTS: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  RATE_LIMITS: z
    .enum(['on', 'off'])
    .default('on')
    .transform((v) => v === 'on'),
  RATE_LIMIT_DEFAULT_PLAN: z.string().regex(PLAN_NAME, 'must be a plan name (a-z, 0-9, _ or -)').default('standard'),
  RATE_LIMIT_PLANS: z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON object' });
        return z.NEVER;
      }
    })
    .pipe(z.record(z.string().regex(PLAN_NAME, 'plan names use a-z, 0-9, _ or -'), PlanLimitsSchema.partial().strict()))
    .optional(),
  MAP_STYLE_URL: z
    .url()
    .refine((v) => /^https?:\/\//.test(v), 'an http:// or https:// URL of a MapLibre style JSON')
    .optional(),
  MAP_ORIGINS: z
    .string()
    .optional()
    .transform((v) => (v ?? '').split(/[\s,]+/).filter((entry) => entry !== ''))
    .pipe(
      z.array(
        z.url().refine((v) => /^https?:\/\/[^/]+$/.test(v.replace(/\/$/, '')), 'each must be an origin (scheme, host and port, no path)'),
      ),
    ),
  DEV_WEB_ORIGIN: z
    .url()
    .refine((v) => /^https?:\/\/[^/]+$/.test(v.replace(/\/$/, '')), 'must be an origin (scheme, host and port, no path)')
    .optional(),
});

export type Config = {
  env: 'development' | 'production' | 'test';
  host: string;
  port: number;
  publicUrl: string | undefined;
  logLevel: string;
  database:
    | { kind: 'postgres'; url: string; poolSize: number; poolTimeoutMs: number; preparedStatements: boolean; listenUrl?: string }
    | { kind: 'embedded'; dataDir: string; poolTimeoutMs: number };
  reportingDatabaseUrl: string | undefined;
  /** The reporting and analytics pool: its own connections and a statement_timeout (0 = none). */
  reporting: { poolSize: number; statementTimeoutMs: number };
  dataDir: string;
  oidc: { issuer: string | undefined; audience: string; tenantClaim: string; clientId: string };
  seedDemo: boolean;
  shutdownTimeoutMs: number;
  trustProxy: boolean;
  /** Hosts and ranges outbound calls (webhooks, identity providers) may reach although private. */
  outboundAllow: string[];
  /** Reports fall back to the primary when the replica is further behind than this. */
  replicaMaxLagMs: number;
  /** Where file bytes live (attachments, proof of completion): a folder under DATA_DIR or S3. */
  files: {
    storage:
      | { kind: 'folder'; dir: string }
      | {
          kind: 's3';
          endpoint: string | undefined;
          region: string;
          bucket: string;
          accessKeyId: string;
          secretAccessKey: string;
          forcePathStyle: boolean;
        };
    defaultQuotaBytes: number;
  };
  /** Web Push (VAPID): keys from config, or generated once and kept in DATA_DIR. */
  push: { publicKey: string | undefined; privateKey: string | undefined; subject: string; allowPrivateEndpoints: boolean };
  /** Per-user and per-tenant request limits and live-stream caps, by tenant plan. */
  rateLimits: { enabled: boolean; defaultPlan: string; plans: Readonly<Record<string, PlanLimits>> };
  /**
   * The dispatcher's map: a MapLibre style URL (tiles), or null for the built-in plain style (sites
   * and resources on a blank background, no outside requests). `origins` are allowed to the browser
   * (CSP connect-src and img-src): the style's own origin and MAP_ORIGINS (tile, glyph, sprite hosts).
   */
  map: { styleUrl: string | null; origins: string[] };
  /** The Vite dev server's origin, accepted as a redirect URI of the embedded provider (development only). */
  devWebOrigin: string | undefined;
  /** Outgoing e-mail (invitations, password resets); without it links go to the log and to the admin. */
  mail: { smtpUrl: string; from: string } | undefined;
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const SECRET_CAPABLE = [
  'DATABASE_URL',
  'REPORTING_DATABASE_URL',
  'DATABASE_LISTEN_URL',
  'S3_SECRET_ACCESS_KEY',
  'VAPID_PRIVATE_KEY',
  'SMTP_URL',
] as const;

/** Reads `<NAME>_FILE` for secrets; a value and a file for the same name is an error. */
function resolveSecretFiles(env: NodeJS.ProcessEnv, problems: string[]): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = { ...env };
  for (const name of SECRET_CAPABLE) {
    const file = env[`${name}_FILE`];
    if (file === undefined || file === '') continue;
    if (env[name] !== undefined && env[name] !== '') {
      problems.push(`${name} and ${name}_FILE are both set; set only one`);
      continue;
    }
    try {
      out[name] = readFileSync(file, 'utf8').trim();
    } catch (error) {
      problems.push(`${name}_FILE: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  // An empty variable means "unset" — the way most deployment tools blank a setting.
  for (const [key, value] of Object.entries(out)) if (value === '') out[key] = undefined;
  return out;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const resolved = resolveSecretFiles(env, problems);
  const parsed = EnvSchema.safeParse(resolved);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = issue.path.join('.');
      const given = resolved[name];
      const shown = given === undefined || SECRET_CAPABLE.includes(name as never) ? '' : ` (got "${given}")`;
      problems.push(`${name}: ${issue.message}${shown}`);
    }
  }
  if (parsed.success && parsed.data.STORAGE === 's3') {
    for (const name of ['S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'] as const)
      if (!parsed.data[name]) problems.push(`${name}: required when STORAGE=s3`);
  }
  if (parsed.success && parsed.data.SMTP_URL && !parsed.data.MAIL_FROM)
    problems.push('MAIL_FROM: required when SMTP_URL is set (the sender of invitation and reset e-mails)');
  if (parsed.success && !parsed.data.VAPID_PUBLIC_KEY !== !parsed.data.VAPID_PRIVATE_KEY)
    problems.push('VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY: set both or neither');
  const plans: Record<string, PlanLimits> = { ...BUILT_IN_PLANS };
  if (parsed.success) {
    for (const [planName, given] of Object.entries(parsed.data.RATE_LIMIT_PLANS ?? {})) {
      const merged = { ...BUILT_IN_PLANS[planName], ...given };
      const complete = PlanLimitsSchema.safeParse(merged);
      if (complete.success) plans[planName] = complete.data;
      else
        problems.push(
          `RATE_LIMIT_PLANS: plan "${planName}" is new, so it needs every rate (${Object.keys(PlanLimitsSchema.shape).join(', ')})`,
        );
    }
    if (!(parsed.data.RATE_LIMIT_DEFAULT_PLAN in plans)) {
      problems.push(`RATE_LIMIT_DEFAULT_PLAN: no plan "${parsed.data.RATE_LIMIT_DEFAULT_PLAN}" (plans: ${Object.keys(plans).join(', ')})`);
    }
    if (parsed.data.DEV_WEB_ORIGIN !== undefined && parsed.data.NODE_ENV === 'production') {
      problems.push('DEV_WEB_ORIGIN: the dev server origin is accepted only outside production (NODE_ENV=production)');
    }
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  const e = parsed.data;
  const dataDir = path.resolve(e.DATA_DIR);
  return {
    env: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    publicUrl: e.PUBLIC_URL,
    logLevel: e.LOG_LEVEL,
    database: e.DATABASE_URL
      ? {
          kind: 'postgres',
          url: e.DATABASE_URL,
          poolSize: e.DATABASE_POOL_SIZE,
          poolTimeoutMs: e.DATABASE_POOL_TIMEOUT_MS,
          preparedStatements: e.DATABASE_PREPARED_STATEMENTS,
          ...(e.DATABASE_LISTEN_URL ? { listenUrl: e.DATABASE_LISTEN_URL } : {}),
        }
      : { kind: 'embedded', dataDir: path.join(dataDir, 'pglite'), poolTimeoutMs: e.DATABASE_POOL_TIMEOUT_MS },
    reportingDatabaseUrl: e.REPORTING_DATABASE_URL,
    reporting: { poolSize: e.REPORTING_POOL_SIZE, statementTimeoutMs: e.REPORTING_STATEMENT_TIMEOUT_MS },
    dataDir,
    oidc: { issuer: e.OIDC_ISSUER, audience: e.OIDC_AUDIENCE, tenantClaim: e.OIDC_TENANT_CLAIM, clientId: e.OIDC_CLIENT_ID },
    seedDemo: e.SEED_DEMO,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    trustProxy: e.TRUST_PROXY,
    outboundAllow: e.OUTBOUND_ALLOW,
    replicaMaxLagMs: e.REPLICA_MAX_LAG_MS,
    files: {
      storage:
        e.STORAGE === 's3'
          ? {
              kind: 's3',
              endpoint: e.S3_ENDPOINT,
              region: e.S3_REGION,
              bucket: e.S3_BUCKET ?? '',
              accessKeyId: e.S3_ACCESS_KEY_ID ?? '',
              secretAccessKey: e.S3_SECRET_ACCESS_KEY ?? '',
              forcePathStyle: e.S3_FORCE_PATH_STYLE,
            }
          : { kind: 'folder', dir: path.join(dataDir, 'files') },
      defaultQuotaBytes: e.FILES_QUOTA_BYTES,
    },
    map: {
      styleUrl: e.MAP_STYLE_URL ?? null,
      origins: [
        ...new Set([...(e.MAP_STYLE_URL ? [new URL(e.MAP_STYLE_URL).origin] : []), ...e.MAP_ORIGINS.map((o) => new URL(o).origin)]),
      ],
    },
    push: {
      publicKey: e.VAPID_PUBLIC_KEY,
      privateKey: e.VAPID_PRIVATE_KEY,
      subject: e.VAPID_SUBJECT ?? 'mailto:operator@yardmaster.invalid',
      allowPrivateEndpoints: e.PUSH_ALLOW_PRIVATE_ENDPOINTS,
    },
    rateLimits: { enabled: e.RATE_LIMITS, defaultPlan: e.RATE_LIMIT_DEFAULT_PLAN, plans },
    devWebOrigin: e.DEV_WEB_ORIGIN?.replace(/\/$/, ''),
    mail: e.SMTP_URL && e.MAIL_FROM ? { smtpUrl: e.SMTP_URL, from: e.MAIL_FROM } : undefined,
  };
}

/** The base URL the server is reached at (used for the embedded issuer and links). */
export function publicUrlOf(config: Config, boundPort: number): string {
  if (config.publicUrl) return config.publicUrl.replace(/\/$/, '');
  return `http://localhost:${boundPort}`;
}
