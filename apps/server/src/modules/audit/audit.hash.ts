import { createHash } from 'node:crypto';

/** The hash an empty chain starts from (the first event's `prev_hash`). */
export const GENESIS_HASH = '0'.repeat(64);

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Text PostgreSQL stores and returns unchanged: NUL is refused by `text` and `jsonb`, and lone
 * surrogates cannot be encoded in UTF-8, so both are replaced by U+FFFD before hashing and storing.
 */
export function storableText(value: string): string {
  return value.replace(LONE_SURROGATE, '\uFFFD').replaceAll('\u0000', '\uFFFD');
}

/** Assignment that keeps `__proto__` an ordinary member, as JSON.parse does. */
function setMember(target: Record<string, JsonValue>, key: string, value: JsonValue): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * A plain JSON value that survives a round trip through `jsonb` unchanged after canonicalisation:
 * `toJSON` applied (dates become ISO strings), `undefined` members and functions dropped, non-finite
 * numbers and `-0` become null / 0 as JSON.stringify does, text made storable.
 */
export function toJsonValue(value: unknown): JsonValue | undefined {
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return toJsonValue((value as { toJSON: () => unknown }).toJSON());
  }
  switch (typeof value) {
    case 'string':
      return storableText(value);
    case 'number':
      return Number.isFinite(value) ? (Object.is(value, -0) ? 0 : value) : null;
    case 'boolean':
      return value;
    case 'bigint':
      return Number(value);
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    case 'object':
      break;
  }
  if (value === null) return null;
  if (Array.isArray(value)) return value.map((item) => toJsonValue(item) ?? null);
  const out: Record<string, JsonValue> = {};
  for (const [key, member] of Object.entries(value as Record<string, unknown>)) {
    const json = toJsonValue(member);
    if (json !== undefined) setMember(out, storableText(key), json);
  }
  return out;
}

/**
 * Canonical JSON: object keys sorted (by UTF-16 code units), no whitespace, numbers and strings as
 * JSON.stringify writes them. jsonb reorders keys and normalises number text, which this ignores.
 */
export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key] as JsonValue)}`).join(',')}}`;
}

/** What an event's hash covers: everything it records, including the previous event's hash. */
export type HashedContent = {
  sequence: number;
  occurredAt: string;
  actor: { kind: string; subject: string; name: string; roles: string[] };
  action: string;
  entityType: string;
  entityId: string;
  before: Record<string, JsonValue> | null;
  after: Record<string, JsonValue> | null;
  requestId: string | null;
  sourceIp: string | null;
  userAgent: string | null;
  prevHash: string;
};

export function hashEvent(content: HashedContent): string {
  return createHash('sha256').update(canonicalJson(content), 'utf8').digest('hex');
}

/** Field names whose values never enter the trail (the change itself is still recorded). */
const SECRET_FIELD = /passw|secret|token|api_?key|credential/i;
export const REDACTED = '[redacted]';

function redact(value: JsonValue): JsonValue {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(redact);
  const out: Record<string, JsonValue> = {};
  for (const [key, member] of Object.entries(value))
    setMember(out, key, SECRET_FIELD.test(key) && member !== null ? REDACTED : redact(member));
  return out;
}

function sameJson(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  return canonicalJson(a ?? null) === canonicalJson(b ?? null);
}

/**
 * The changed fields only. A creation (no before) keeps the whole `after`, a deletion (no after)
 * the whole `before`; otherwise each side holds the fields whose values differ (a field missing on
 * one side counts as null there). Values of secret-looking fields (password, token, secret, API
 * key, credential) are replaced by "[redacted]" after the comparison, so a change still shows.
 */
export function diffFields(
  before: Record<string, unknown> | null | undefined,
  after: Record<string, unknown> | null | undefined,
): { before: Record<string, JsonValue> | null; after: Record<string, JsonValue> | null } {
  const b = before ? (toJsonValue(before) as Record<string, JsonValue>) : null;
  const a = after ? (toJsonValue(after) as Record<string, JsonValue>) : null;
  if (!b || !a) return { before: b && (redact(b) as Record<string, JsonValue>), after: a && (redact(a) as Record<string, JsonValue>) };
  const changedBefore: Record<string, JsonValue> = {};
  const changedAfter: Record<string, JsonValue> = {};
  for (const key of new Set([...Object.keys(b), ...Object.keys(a)])) {
    if (sameJson(Object.hasOwn(b, key) ? b[key] : null, Object.hasOwn(a, key) ? a[key] : null)) continue;
    setMember(changedBefore, key, Object.hasOwn(b, key) ? (b[key] as JsonValue) : null);
    setMember(changedAfter, key, Object.hasOwn(a, key) ? (a[key] as JsonValue) : null);
  }
  return { before: redact(changedBefore) as Record<string, JsonValue>, after: redact(changedAfter) as Record<string, JsonValue> };
}
