import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, preconditionRequired, problemType } from '../errors.js';

/** `ETag: "<version>"` on every read and write of a versioned entity. */
export function setEtag(reply: FastifyReply, version: number): void {
  reply.header('etag', `"${version}"`);
}

/** One entity tag: `opaque` is the quoted string as sent (`"3"`), `weak` when it had `W/`. */
export type EntityTag = { weak: boolean; opaque: string };

const TAG = /^(W\/)?("[\x21\x23-\x7e\x80-\xff]*")$/;
const BARE_VERSION = /^\d+$/;

/**
 * The one parser of entity-tag preconditions (`If-Match`, `If-None-Match`, RFC 9110 §8.8.3 and
 * §13.1): `*`, or a comma-separated list of strong (`"3"`) or weak (`W/"3"`) tags. A bare number
 * (`3`) is taken as the strong tag `"3"` for clients that forget the quotes. `undefined` when the
 * value is malformed (an empty list, an unquoted word, a stray quote).
 */
export function parseEntityTags(header: string): '*' | EntityTag[] | undefined {
  const value = header.trim();
  if (value === '*') return '*';
  const tags: EntityTag[] = [];
  for (const part of value.split(',')) {
    const candidate = part.trim();
    if (candidate === '') continue; // RFC 9110 list syntax tolerates empty elements
    if (BARE_VERSION.test(candidate)) {
      tags.push({ weak: false, opaque: `"${candidate}"` });
      continue;
    }
    const match = TAG.exec(candidate);
    if (!match?.[2]) return undefined;
    tags.push({ weak: match[1] !== undefined, opaque: match[2] });
  }
  return tags.length > 0 ? tags : undefined;
}

/**
 * Whether a conditional header's tags name `current` (an ETag as this server sends it), by weak
 * comparison (the opaque parts are equal, `W/` ignored) as `If-None-Match` requires; `*` matches
 * any. A missing or malformed header matches nothing.
 */
export function matchesEntityTag(header: string | undefined, current: string): boolean {
  if (!header) return false;
  const tags = parseEntityTags(header);
  const mine = parseEntityTags(current);
  if (tags === undefined || mine === undefined || mine === '*' || mine.length !== 1) return false;
  if (tags === '*') return true;
  return tags.some((tag) => tag.opaque === mine[0]?.opaque);
}

const invalidIfMatch = (detail: string): AppError =>
  new AppError(400, problemType('validation'), 'Invalid request', detail, [{ field: 'If-Match', message: 'expected an ETag like "3"' }]);

/**
 * The version the caller last read, from `If-Match: "<n>"` (weak or strong; a bare number is
 * accepted too). Required on updates: without it a client could overwrite a change it never saw
 * (428). Anything but one version is a 400: `*` (it would overwrite whatever is there), several
 * different versions, or a tag that is not a version.
 */
export function expectedVersion(request: FastifyRequest): number {
  const header = request.headers['if-match'];
  if (header === undefined || header === '') throw preconditionRequired();
  const tags = parseEntityTags(String(header));
  if (tags === '*') throw invalidIfMatch('If-Match: * is not accepted here; send the ETag of the version you read, like "3"');
  const versions = new Set((tags ?? []).map((tag) => /^"(\d{1,9})"$/.exec(tag.opaque)?.[1]));
  const [version] = versions;
  if (versions.size !== 1 || version === undefined) throw invalidIfMatch('If-Match must be an ETag like "3"');
  return Number(version);
}

/** The If-Match version when the caller sent one (routes where it is optional), else undefined. */
export function optionalVersion(request: FastifyRequest): number | undefined {
  const header = request.headers['if-match'];
  return header === undefined || header === '' ? undefined : expectedVersion(request);
}
