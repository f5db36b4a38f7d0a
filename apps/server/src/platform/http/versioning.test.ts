import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { expectedVersion, matchesEntityTag, optionalVersion, parseEntityTags } from './versioning.js';

const withIfMatch = (value?: string): FastifyRequest =>
  ({ headers: value === undefined ? {} : { 'if-match': value } }) as unknown as FastifyRequest;

/** The problem a call throws, as the error handler would answer it. */
function problemOf(fn: () => unknown): { status: number; type: string; detail: string; errors: unknown } {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return { status: error.status, type: error.type, detail: error.detail, errors: error.errors };
  }
  throw new Error('expected a problem');
}

describe('parseEntityTags', () => {
  it('reads strong and weak tags', () => {
    expect(parseEntityTags('"3"')).toEqual([{ weak: false, opaque: '"3"' }]);
    expect(parseEntityTags('W/"3"')).toEqual([{ weak: true, opaque: '"3"' }]);
    expect(parseEntityTags('  W/"bAbc-_"  ')).toEqual([{ weak: true, opaque: '"bAbc-_"' }]);
    expect(parseEntityTags('""')).toEqual([{ weak: false, opaque: '""' }]);
  });

  it('reads lists, tolerating empty elements and spaces', () => {
    expect(parseEntityTags('"1", W/"2" ,"3"')).toEqual([
      { weak: false, opaque: '"1"' },
      { weak: true, opaque: '"2"' },
      { weak: false, opaque: '"3"' },
    ]);
    expect(parseEntityTags('"1",,"2",')).toHaveLength(2);
  });

  it('reads * and bare numbers', () => {
    expect(parseEntityTags('*')).toBe('*');
    expect(parseEntityTags(' * ')).toBe('*');
    expect(parseEntityTags('7')).toEqual([{ weak: false, opaque: '"7"' }]);
  });

  it('refuses malformed values', () => {
    for (const bad of ['', ',', 'abc', '"3', '3"', 'W/3', 'w/"3"', '"a"b"', '"3" "4"', '*, "3"', 'W/ "3"', '"tab\t"']) {
      expect(parseEntityTags(bad), bad).toBeUndefined();
    }
  });
});

describe('matchesEntityTag (If-None-Match, weak comparison)', () => {
  const current = 'W/"b123"';
  it('matches the same opaque tag, weak or strong, in a list, or *', () => {
    expect(matchesEntityTag('W/"b123"', current)).toBe(true);
    expect(matchesEntityTag('"b123"', current)).toBe(true);
    expect(matchesEntityTag('"x", W/"b123"', current)).toBe(true);
    expect(matchesEntityTag('*', current)).toBe(true);
  });
  it('does not match another tag, a missing or a malformed header', () => {
    expect(matchesEntityTag('W/"b124"', current)).toBe(false);
    expect(matchesEntityTag(undefined, current)).toBe(false);
    expect(matchesEntityTag('', current)).toBe(false);
    expect(matchesEntityTag('b123', current)).toBe(false);
  });
});

describe('expectedVersion (If-Match on updates)', () => {
  it('reads the version of a strong, weak or bare tag, or a list naming one version', () => {
    expect(expectedVersion(withIfMatch('"3"'))).toBe(3);
    expect(expectedVersion(withIfMatch('W/"12"'))).toBe(12);
    expect(expectedVersion(withIfMatch(' 4 '))).toBe(4);
    expect(expectedVersion(withIfMatch('"5", W/"5"'))).toBe(5);
    expect(expectedVersion(withIfMatch('"0"'))).toBe(0);
  });

  it('answers 428 without If-Match', () => {
    for (const request of [withIfMatch(), withIfMatch('')]) {
      const problem = problemOf(() => expectedVersion(request));
      expect(problem).toMatchObject({
        status: 428,
        type: '/problems/precondition-required',
        detail: 'send the version you read in If-Match',
      });
    }
  });

  it('answers 400 with a field error for anything but one version', () => {
    for (const bad of ['abc', '"abc"', '"3', 'W/3', '"1", "2"', '"1234567890"', '"-1"', ',']) {
      const problem = problemOf(() => expectedVersion(withIfMatch(bad)));
      expect(problem, bad).toEqual({
        status: 400,
        type: '/problems/validation',
        detail: 'If-Match must be an ETag like "3"',
        errors: [{ field: 'If-Match', message: 'expected an ETag like "3"' }],
      });
    }
  });

  it('answers 400 to *, which would overwrite a version the caller never read', () => {
    const problem = problemOf(() => expectedVersion(withIfMatch('*')));
    expect(problem.status).toBe(400);
    expect(problem.detail).toMatch(/If-Match: \* is not accepted/);
    expect(problem.errors).toEqual([{ field: 'If-Match', message: 'expected an ETag like "3"' }]);
  });

  it('is optional where routes allow it', () => {
    expect(optionalVersion(withIfMatch())).toBeUndefined();
    expect(optionalVersion(withIfMatch(''))).toBeUndefined();
    expect(optionalVersion(withIfMatch('"2"'))).toBe(2);
    expect(problemOf(() => optionalVersion(withIfMatch('x'))).status).toBe(400);
  });
});
