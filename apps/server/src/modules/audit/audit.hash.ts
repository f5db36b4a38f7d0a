import { createHash, createHmac } from 'node:crypto';

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

// ---- keyed hash of personal fields (hash version 2, decision 0012) ------------------------------

/**
 * Fields of `before`/`after` (at any depth) whose values are personal data: names, e-mail
 * addresses, phone numbers and contacts (`name`, `email`, `phone`, `contact`, and any key ending in
 * `Name`, `Email` or `Phone`: `contactName`, `createdBy.name`, `adminEmail`…). With the actor's
 * name they are the values an event's hash covers through a keyed hash instead of the value.
 */
const PERSONAL_KEY = /^(name|email|phone|contact)$|(Name|Email|Phone)$/;

export const isPersonalKey = (key: string): boolean => PERSONAL_KEY.test(key);

/** How a keyed hash stands in for a personal value in the hashed content. */
export const DIGEST_PREFIX = 'hmac-sha256:';

/** The keyed hash of one personal value: HMAC-SHA-256 (tenant key) over its canonical JSON, hex. */
export function keyedHash(key: Buffer, value: JsonValue): string {
  return createHmac('sha256', key).update(canonicalJson(value), 'utf8').digest('hex');
}

/**
 * A personal value's path: JSON Pointer segments (RFC 6901 escaping) joined by `/`, from the
 * event's root: `actor/name`, `after/email`, `after/createdBy/name`, `before/lines/0/contactName`.
 */
export const personalPath = (segments: ReadonlyArray<string | number>): string =>
  segments.map((s) => String(s).replaceAll('~', '~0').replaceAll('/', '~1')).join('/');

const segmentsOf = (path: string): string[] => path.split('/').map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));

/**
 * Calls `visit` for every personal value of a `before`/`after` record (non-null values under a
 * personal key, not descending into them) with its path; `visit` returns its stand-in. Returns
 * the record with the stand-ins (a copy), so the same walk cuts the text and seals the content.
 */
export function replacePersonal(
  side: 'before' | 'after',
  record: Record<string, JsonValue> | null,
  visit: (path: string, value: JsonValue, parent: Record<string, JsonValue>) => JsonValue,
): Record<string, JsonValue> | null {
  const walk = (value: JsonValue, at: Array<string | number>): JsonValue => {
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map((item, i) => walk(item, [...at, i]));
    const out: Record<string, JsonValue> = {};
    for (const [key, member] of Object.entries(value))
      setMember(
        out,
        key,
        isPersonalKey(key) && member !== null ? visit(personalPath([...at, key]), member, value) : walk(member, [...at, key]),
      );
    return out;
  };
  return record && (walk(record, [side]) as Record<string, JsonValue>);
}

/** The value a personal path names in an event, or undefined when it holds none. */
export function personalValueAt(content: HashedContent, path: string): JsonValue | undefined {
  const [root, ...rest] = segmentsOf(path);
  let value: JsonValue | undefined = root === 'actor' ? content.actor : root === 'before' || root === 'after' ? content[root] : undefined;
  for (const segment of rest) {
    if (value === null || value === undefined || typeof value !== 'object') return undefined;
    if (Array.isArray(value)) value = /^(0|[1-9][0-9]*)$/.test(segment) ? value[Number(segment)] : undefined;
    else value = Object.hasOwn(value, segment) ? value[segment] : undefined;
  }
  return value;
}

/**
 * The content a keyed-hash event's hash covers: each personal value replaced by
 * `"hmac-sha256:<hex>"` (its keyed hash, as stored in the event's `personal`). Any other change
 * to the event still changes the hash; the personal values themselves can be pseudonymised.
 */
export function sealPersonal(content: HashedContent, digests: Readonly<Record<string, string>>): HashedContent {
  const stand = (path: string, value: JsonValue): JsonValue => (Object.hasOwn(digests, path) ? `${DIGEST_PREFIX}${digests[path]}` : value);
  return {
    ...content,
    actor: { ...content.actor, name: stand('actor/name', content.actor.name) as string },
    before: replacePersonal('before', content.before, stand),
    after: replacePersonal('after', content.after, stand),
  };
}

/** The format of erasure pseudonyms (`audit_erasures`) and the e-mail form erasure writes. */
export const PSEUDONYM = /^erased-[0-9a-f]{12}$/;
export const pseudonymEmail = (pseudonym: string): string => `${pseudonym}@erased.invalid`;

/** Whether a personal value is one a registered erasure wrote (the pseudonym or its e-mail form). */
export function isRegisteredPseudonym(value: JsonValue | undefined, registered: ReadonlySet<string>): boolean {
  if (typeof value !== 'string') return false;
  const bare = value.endsWith('@erased.invalid') ? value.slice(0, -'@erased.invalid'.length) : value;
  return PSEUDONYM.test(bare) && registered.has(bare);
}
