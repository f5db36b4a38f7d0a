import { describe, expect, it } from 'vitest';
import { redactUrl } from './log.js';

describe('request URLs in the log', () => {
  it('carry no single-use link token or authorization code', () => {
    expect(redactUrl('/account/set-password?token=abc_DEF-123')).toBe('/account/set-password?token=[redacted]');
    expect(redactUrl('/auth/callback?state=s1&code=xyz&iss=x')).toBe('/auth/callback?state=s1&code=[redacted]&iss=x');
    expect(redactUrl('/api/v1/work-orders?status=open')).toBe('/api/v1/work-orders?status=open');
  });
});
