import { createHmac } from 'node:crypto';
import type { Role } from '@yardmaster/contracts';
import { mfaSettings } from '../../src/modules/auth/index.js';
import { withTenant, type Database } from '../../src/platform/db/index.js';

/** RFC 4648 base32 (no padding) to bytes. */
function base32Bytes(text: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const char of text.replace(/[\s=]/g, '').toUpperCase()) {
    const value = alphabet.indexOf(char);
    if (value < 0) throw new Error(`not base32: ${char}`);
    bits += value.toString(2).padStart(5, '0');
  }
  const bytes = bits.match(/.{8}/g) ?? [];
  return Buffer.from(bytes.map((b) => parseInt(b, 2)));
}

/** RFC 6238 TOTP (HMAC-SHA-1, 30 s steps) written here from the RFC, independently of the server's library. */
export function totpAt(secret: Buffer | string, step: number, digits = 6): string {
  const key = typeof secret === 'string' ? base32Bytes(secret) : secret;
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = (mac[mac.length - 1] ?? 0) & 0x0f;
  const binary =
    (((mac[offset] ?? 0) & 0x7f) << 24) | ((mac[offset + 1] ?? 0) << 16) | ((mac[offset + 2] ?? 0) << 8) | (mac[offset + 3] ?? 0);
  return String(binary % 10 ** digits).padStart(digits, '0');
}

export const currentStep = (now = Date.now()): number => Math.floor(now / 30_000);

/**
 * A person's authenticator app in a test: learns the secret at enrolment (from the page, as a
 * person typing it would), keeps the recovery codes shown once, and gives a code of a time step
 * the server has not seen yet (each code works once): the current step, else the next one (the
 * server accepts one step either side), else it waits for the clock.
 */
export type TestAuthenticator = {
  secret?: string;
  recoveryCodes: string[];
  lastStep: number;
  /** When set, the next code asked for is this text (a wrong code, a recovery code). */
  nextCode?: string;
  code: () => Promise<string>;
};

export function createTestAuthenticator(): TestAuthenticator {
  const device: TestAuthenticator = {
    recoveryCodes: [],
    lastStep: 0,
    async code() {
      if (device.nextCode !== undefined) {
        const given = device.nextCode;
        delete device.nextCode;
        return given;
      }
      if (!device.secret) throw new Error('the authenticator has no secret yet');
      while (device.lastStep + 1 > currentStep() + 1) await new Promise((resolve) => setTimeout(resolve, 500));
      const step = Math.max(currentStep(), device.lastStep + 1);
      device.lastStep = step;
      return totpAt(device.secret, step);
    },
  };
  return device;
}

/** Sets which roles of a tenant must use MFA, as PUT /api/v1/settings/mfa would (for suites about something else). */
export async function setMfaRequiredRoles(database: Database, slug: string, requiredRoles: Role[]): Promise<void> {
  await withTenant(database.db, slug, (tx) => mfaSettings.write(tx, { requiredRoles }));
}
