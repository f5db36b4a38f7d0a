import { describe, expect, it } from 'vitest';
import { commonPasswords, passwordProblems } from './password-policy.js';

describe('password policy', () => {
  it('ships the 10,000 most common passwords', () => {
    const list = commonPasswords();
    expect(list.size).toBe(10_000);
    for (const p of ['123456', 'password', 'qwerty', 'letmein', 'dragon']) expect(list.has(p)).toBe(true);
  });

  it('wants 8 characters, an upper-case letter and a digit', () => {
    expect(passwordProblems('Short1')).toEqual(['at least 8 characters']);
    expect(passwordProblems('nouppercase1')).toEqual(['an upper-case letter']);
    expect(passwordProblems('NoDigitsHere')).toEqual(['a digit']);
    expect(passwordProblems('Yard-Master-42')).toEqual([]);
    expect(passwordProblems('Ünïcödé-Ä1x')).toEqual([]);
  });

  it('refuses a common password whatever its case, and the e-mail itself', () => {
    expect(passwordProblems('Password1')).toEqual(['not one of the most common passwords']);
    expect(passwordProblems('Qwerty123')).toContain('not one of the most common passwords');
    expect(passwordProblems('Ann@Example1.com', { email: 'ann@example1.com' })).toEqual(['not your e-mail address']);
  });
});
