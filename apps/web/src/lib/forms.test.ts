import { describe, expect, it } from 'vitest';
import { CreateTenantSchema, ProblemSchema } from '@yardmaster/contracts';
import { blankToNull, zodValidate } from './forms';

describe('form validation from the shared schemas', () => {
  it('maps zod issues to form paths, first message per field', () => {
    const errors = zodValidate(CreateTenantSchema)({ slug: 'A', name: 'x', timeZone: 'Mars/Olympus' });
    expect(Object.keys(errors).sort()).toEqual(['slug', 'timeZone']);
    expect(errors.timeZone).toBe('unknown IANA time zone');
    expect(zodValidate(CreateTenantSchema)({ slug: 'acme', name: 'Acme', timeZone: 'UTC' })).toEqual({});
  });
  it('names nested fields with dotted paths', () => {
    const errors = zodValidate(ProblemSchema)({
      type: 't',
      title: 't',
      status: 400,
      detail: '',
      errors: [{ field: 'a', message: 'm' }, { field: 1 }],
    });
    expect(Object.keys(errors).sort()).toEqual(['errors.1.field', 'errors.1.message']);
  });
  it('validates what will be sent, not the raw inputs', () => {
    expect(blankToNull({ a: ' x ', b: '', c: 3 })).toEqual({ a: 'x', b: null, c: 3 });
    const prepared = zodValidate(CreateTenantSchema, (v: { slug: string; name: string }) => ({ ...v, name: v.name.trim() }));
    expect(prepared({ slug: 'acme', name: '  ' })).toHaveProperty('name');
  });
});
