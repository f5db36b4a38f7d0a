import { readFileSync } from 'node:fs';

/** The shipped list (apps/server/data/common-passwords.txt), the same path from src/ and dist/. */
const LIST_FILE = new URL('../../../data/common-passwords.txt', import.meta.url);

let common: Set<string> | undefined;

/** The 10,000 most common passwords, lower-cased (read once). */
export function commonPasswords(): Set<string> {
  common ??= new Set(
    readFileSync(LIST_FILE, 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'))
      .map((line) => line.toLowerCase()),
  );
  return common;
}

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 1024;

/**
 * The product's password policy: at least 8 characters with an upper-case letter and a digit, not
 * one of the 10,000 most common passwords (compared case-insensitively, so "Password1" is refused
 * as "password1"), and not the person's own e-mail. Returns what is wrong, empty when it is fine.
 */
export function passwordProblems(password: string, context: { email?: string } = {}): string[] {
  const problems: string[] = [];
  if ([...password].length < PASSWORD_MIN_LENGTH) problems.push(`at least ${PASSWORD_MIN_LENGTH} characters`);
  if (password.length > PASSWORD_MAX_LENGTH) problems.push(`at most ${PASSWORD_MAX_LENGTH} characters`);
  if (!/\p{Lu}/u.test(password)) problems.push('an upper-case letter');
  if (!/\p{Nd}/u.test(password)) problems.push('a digit');
  const lower = password.toLowerCase();
  if (commonPasswords().has(lower)) problems.push('not one of the most common passwords');
  if (context.email && lower === context.email.toLowerCase()) problems.push('not your e-mail address');
  return problems;
}

/** One sentence for a form or a problem detail. */
export function describePasswordProblems(problems: string[]): string {
  return `The password needs ${problems.join(', ')}.`;
}
