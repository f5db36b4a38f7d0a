import { describe, expect, it } from 'vitest';
import { formErrorsOf, messageOf, normaliseField, problemOf, ProblemError } from './problem';

const refusal = (errors: { field: string; message: string }[], detail = 'request is invalid') =>
  new ProblemError({ type: '/problems/validation', title: 'Invalid request', status: 400, detail, errors });

describe('problem+json → form errors', () => {
  it('puts each field error on its form field, with server paths normalised', () => {
    const error = refusal([
      { field: 'body.name', message: 'Required' },
      { field: '/lines/0/quantity', message: 'must be at least 1' },
      { field: 'lines[1].equipmentTypeId', message: 'unknown type' },
    ]);
    expect(formErrorsOf(error, ['name', 'lines'])).toEqual({
      fields: { name: 'Required', 'lines.0.quantity': 'must be at least 1', 'lines.1.equipmentTypeId': 'unknown type' },
      rest: [],
    });
  });

  it('keeps errors for fields the form does not have, and the detail when there are none', () => {
    expect(formErrorsOf(refusal([{ field: 'tenant', message: 'nope' }]), ['name'])).toEqual({ fields: {}, rest: ['tenant: nope'] });
    expect(formErrorsOf(refusal([], 'equipment type has no equipment'), ['name'])).toEqual({
      fields: {},
      rest: ['equipment type has no equipment'],
    });
  });

  it('keeps the first message when a field has several', () => {
    const error = refusal([
      { field: 'code', message: 'too short' },
      { field: 'code', message: 'bad characters' },
    ]);
    expect(formErrorsOf(error).fields).toEqual({ code: 'too short' });
  });

  it('reports anything that is not a problem as one message', () => {
    expect(formErrorsOf(new Error('boom'))).toEqual({ fields: {}, rest: ['boom'] });
  });

  it('normalises paths', () => {
    expect(normaliseField('/a/b/0')).toBe('a.b.0');
    expect(normaliseField('querystring.limit')).toBe('limit');
    expect(normaliseField('')).toBe('');
  });
});

describe('reading answers', () => {
  it('reads a problem body, tolerating missing fields', () => {
    expect(
      problemOf(409, { type: '/problems/stale-version', title: 'Conflict', status: 409, detail: 'changed meanwhile', requestId: 'r1' }),
    ).toEqual({
      type: '/problems/stale-version',
      title: 'Conflict',
      status: 409,
      detail: 'changed meanwhile',
      requestId: 'r1',
    });
    expect(problemOf(502, '<html>bad gateway</html>', 'Bad Gateway')).toMatchObject({
      status: 502,
      title: 'Bad Gateway',
      type: 'about:blank',
    });
    expect(problemOf(400, { message: 'x', errors: [{ message: 'y' }, 3] })).toMatchObject({
      detail: 'x',
      errors: [{ field: '', message: 'y' }],
    });
  });

  it('gives one line with the reason and the field errors', () => {
    expect(messageOf(refusal([{ field: 'body.priority', message: 'invalid' }], 'nope'))).toBe('nope — priority: invalid');
  });
});
