import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { csvField } from '../../platform/csv.js';
import {
  canonicalJson,
  diffFields,
  hashEvent,
  isRegisteredPseudonym,
  keyedHash,
  personalValueAt,
  sealPersonal,
  toJsonValue,
  type HashedContent,
  type JsonValue,
} from './audit.hash.js';

describe('canonical JSON', () => {
  it('sorts keys at every depth and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: 'x' }], A: null })).toBe('{"A":null,"a":[{"c":"x","d":2}],"b":1}');
  });

  it('is independent of key insertion order', () => {
    const a = toJsonValue({ x: 1, y: { p: true, q: [1, 2] } });
    const b = toJsonValue({ y: { q: [1, 2], p: true }, x: 1 });
    expect(canonicalJson(a ?? null)).toBe(canonicalJson(b ?? null));
  });

  it('normalises dates, undefined, -0, non-finite numbers, NUL and lone surrogates', () => {
    expect(toJsonValue({ d: new Date('2026-01-01T00:00:00Z'), u: undefined, z: -0, n: Number.NaN, s: 'a\u0000\uD800' })).toEqual({
      d: '2026-01-01T00:00:00.000Z',
      z: 0,
      n: null,
      s: 'a\uFFFD\uFFFD',
    });
  });
});

describe('diffFields', () => {
  it('keeps only changed fields; a missing field counts as null', () => {
    expect(diffFields({ a: 1, b: { x: 1 }, c: 'same', gone: 1 }, { a: 2, b: { x: 1 }, c: 'same', added: true })).toEqual({
      before: { a: 1, gone: 1, added: null },
      after: { a: 2, gone: null, added: true },
    });
  });

  it('records that a secret changed without its value', () => {
    expect(diffFields({ passwordHash: 'old', name: 'a' }, { passwordHash: 'new', name: 'a' })).toEqual({
      before: { passwordHash: '[redacted]' },
      after: { passwordHash: '[redacted]' },
    });
    expect(diffFields(null, { apiKey: 'k', nested: { clientSecret: 's', token: null } })).toEqual({
      before: null,
      after: { apiKey: '[redacted]', nested: { clientSecret: '[redacted]', token: null } },
    });
  });

  it('keeps the whole record on creation and deletion', () => {
    expect(diffFields(null, { a: 1 })).toEqual({ before: null, after: { a: 1 } });
    expect(diffFields({ a: 1 }, undefined)).toEqual({ before: { a: 1 }, after: null });
  });
});

describe('hashEvent', () => {
  const content: HashedContent = {
    sequence: 1,
    occurredAt: '2026-11-25T04:00:00.000Z',
    actor: { kind: 'user', subject: 's', name: 'n', roles: ['admin'] },
    action: 'job.created',
    entityType: 'job',
    entityId: 'j1',
    before: null,
    after: { a: 1 },
    requestId: null,
    sourceIp: null,
    userAgent: null,
    prevHash: '0'.repeat(64),
  };

  it('is a SHA-256 hex digest that changes with any field, including the previous hash', () => {
    const hash = hashEvent(content);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hashEvent({ ...content })).toBe(hash);
    expect(hashEvent({ ...content, entityId: 'j2' })).not.toBe(hash);
    expect(hashEvent({ ...content, prevHash: '1'.repeat(64) })).not.toBe(hash);
    expect(hashEvent({ ...content, after: { a: 2 } })).not.toBe(hash);
  });
});

describe('CSV fields', () => {
  it('quotes commas, quotes, CR and LF and doubles quotes; null is empty', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('line\nbreak')).toBe('"line\nbreak"');
    expect(csvField('cr\r')).toBe('"cr\r"');
    expect(csvField(null)).toBe('');
    expect(csvField(42)).toBe('42');
  });
});

describe('the canonical text cut for audit_append', () => {
  it('is the canonical JSON of the hashed content once the chain fills in time, previous hash and sequence', async () => {
    const { appendableEvent } = await import('./audit.record.js');
    const key = Buffer.alloc(32, 7);
    const callers = [
      {
        kind: 'user' as const,
        subject: 'sub-"1"\\',
        name: 'Zoë \u2028 Ortiz',
        roles: ['dispatcher', 'admin'],
        tenantSlug: 'acme',
        requestId: 'req-1',
        sourceIp: '10.0.0.1',
        userAgent: 'UA/1 "x"',
      },
      {
        kind: 'system' as const,
        subject: 'system',
        name: 'system',
        roles: [],
        tenantSlug: 'acme',
        requestId: null,
        sourceIp: null,
        userAgent: null,
      },
    ];
    const entries = [
      {
        action: 'dispatch.dispatched',
        entityType: 'dispatch',
        entityId: 'd-1',
        before: { status: 'queued', n: 1.5, x: null },
        after: {
          status: 'dispatched',
          n: -0,
          when: new Date(0),
          driverName: 'Ann "A" Ortiz',
          phone: null,
          contactEmail: 'a@b.c',
          createdBy: { name: 'Zoë', subject: 's/1' },
          lines: [{ contactName: 'L~1' }, 'x', null],
          'we/ird~': { email: 'w@x.y' },
        },
      },
      {
        action: 'work_order.created',
        entityType: 'work_order',
        entityId: 'w\u0000-2',
        after: { lines: [{ b: 2, a: 1 }], note: 'a\uD800b', password: 'hunter2' },
      },
      { action: 'x', entityType: 'y', entityId: 'z', before: { gone: true, name: { first: 'Zoë' }, email: 'z@x.y' } },
    ];
    for (const caller of callers) {
      for (const entry of entries) {
        const e = appendableEvent(caller, entry) as Record<string, unknown> & {
          s: string[];
          p: Array<{ k: string; v: string }>;
          b: string;
          c: string;
        };
        const occurredAt = '2026-12-02T20:00:00.123Z';
        const prevHash = 'ab'.repeat(32);
        const sequence = 4711;
        const content: HashedContent = {
          sequence,
          occurredAt,
          actor: { kind: caller.kind, subject: e.actor_subject as string, name: e.actor_name as string, roles: e.actor_roles as string[] },
          action: e.action as string,
          entityType: e.entity_type as string,
          entityId: e.entity_id as string,
          before: e.before as HashedContent['before'],
          after: e.after as HashedContent['after'],
          requestId: e.request_id as string | null,
          sourceIp: e.source_ip as string | null,
          userAgent: e.user_agent as string | null,
          prevHash,
        };
        // What audit_append does in SQL: each hole becomes the HMAC of its value under the tenant key.
        const digests: Record<string, string> = {};
        let a = e.s[0] ?? '';
        e.p.forEach((hole, i) => {
          const digest = createHmac('sha256', key).update(hole.v, 'utf8').digest('hex');
          digests[hole.k] = digest;
          a += `"hmac-sha256:${digest}"${e.s[i + 1] ?? ''}`;
          expect(hole.v).toBe(canonicalJson(personalValueAt(content, hole.k) ?? null));
          expect(keyedHash(key, personalValueAt(content, hole.k) ?? null)).toBe(digest);
        });
        expect(e.s).toHaveLength(e.p.length + 1);
        expect(Object.keys(digests)).toContain('actor/name');
        if (entry.entityId === 'd-1')
          expect(Object.keys(digests).sort()).toEqual([
            'actor/name',
            'after/contactEmail',
            'after/createdBy/name',
            'after/driverName',
            'after/lines/0/contactName',
            'after/we~1ird~0/email',
          ]);
        expect(`${a}${occurredAt}","prevHash":"${prevHash}${e.b}${sequence}${e.c}`).toBe(
          canonicalJson(sealPersonal(content, digests) as unknown as JsonValue),
        );
        expect(hashEvent(content)).toMatch(/^[0-9a-f]{64}$/);
      }
    }
  });
});

describe('keyed hash of personal fields', () => {
  const content: HashedContent = {
    sequence: 3,
    occurredAt: '2026-12-03T07:00:00.000Z',
    actor: { kind: 'user', subject: 's', name: 'Ann Ortiz', roles: ['admin'] },
    action: 'driver.updated',
    entityType: 'driver',
    entityId: 'd1',
    before: { name: 'Ann', status: 'x' },
    after: { name: 'Ann Ortiz', status: 'y' },
    requestId: null,
    sourceIp: null,
    userAgent: null,
    prevHash: '0'.repeat(64),
  };
  const key = Buffer.alloc(32, 1);
  const digests = {
    'actor/name': keyedHash(key, 'Ann Ortiz'),
    'before/name': keyedHash(key, 'Ann'),
    'after/name': keyedHash(key, 'Ann Ortiz'),
  };

  it('covers the keyed hash, so a pseudonym in place of the value keeps the hash', () => {
    const hash = hashEvent(sealPersonal(content, digests));
    const erased = {
      ...content,
      actor: { ...content.actor, name: 'erased-0123456789ab' },
      before: { name: 'erased-0123456789ab', status: 'x' },
    };
    expect(hashEvent(sealPersonal(erased, digests))).toBe(hash);
    expect(hashEvent(sealPersonal({ ...content, after: { name: 'Ann Ortiz', status: 'z' } }, digests))).not.toBe(hash);
    expect(hashEvent(sealPersonal(content, { ...digests, 'after/name': keyedHash(key, 'Someone else') }))).not.toBe(hash);
  });

  it('depends on the key and accepts only registered pseudonyms', () => {
    expect(keyedHash(Buffer.alloc(32, 2), 'Ann')).not.toBe(keyedHash(key, 'Ann'));
    const registered = new Set(['erased-0123456789ab']);
    expect(isRegisteredPseudonym('erased-0123456789ab', registered)).toBe(true);
    expect(isRegisteredPseudonym('erased-0123456789ab@erased.invalid', registered)).toBe(true);
    expect(isRegisteredPseudonym('erased-ffffffffffff', registered)).toBe(false);
    expect(isRegisteredPseudonym('Mallory', registered)).toBe(false);
  });
});
