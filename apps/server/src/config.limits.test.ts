import { describe, expect, it } from 'vitest';
import { BUILT_IN_PLANS, ConfigError, loadConfig } from './config.js';

describe('rate-limit and dev-origin settings', () => {
  it('defaults: limits on, plan "standard", the built-in plans, no dev origin', () => {
    const config = loadConfig({});
    expect(config.rateLimits).toEqual({ enabled: true, defaultPlan: 'standard', plans: BUILT_IN_PLANS });
    expect(config.devWebOrigin).toBeUndefined();
  });

  it('RATE_LIMIT_PLANS changes a built-in plan partly and adds complete new ones', () => {
    const config = loadConfig({
      RATE_LIMIT_PLANS: JSON.stringify({
        small: { userBurst: 50 },
        gold: { userPerSecond: 5, userBurst: 10, tenantPerSecond: 50, tenantBurst: 100, userStreams: 2, tenantStreams: 20 },
      }),
      RATE_LIMIT_DEFAULT_PLAN: 'gold',
      RATE_LIMITS: 'off',
    });
    expect(config.rateLimits.enabled).toBe(false);
    expect(config.rateLimits.defaultPlan).toBe('gold');
    expect(config.rateLimits.plans.small).toEqual({ ...BUILT_IN_PLANS.small, userBurst: 50 });
    expect(config.rateLimits.plans.gold?.userStreams).toBe(2);
  });

  it('names every bad setting', () => {
    const attempt = () =>
      loadConfig({
        RATE_LIMIT_PLANS: JSON.stringify({ gold: { userBurst: 10 }, small: { userBurst: -1 } }),
        RATE_LIMIT_DEFAULT_PLAN: 'platinum',
        RATE_LIMITS: 'maybe',
      });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      const text = (error as ConfigError).problems.join('\n');
      expect(text).toContain('RATE_LIMITS');
      expect(text).toContain('RATE_LIMIT_PLANS');
    }
    expect(() => loadConfig({ RATE_LIMIT_PLANS: '{not json' })).toThrow(/RATE_LIMIT_PLANS: must be a JSON object/);
    expect(() => loadConfig({ RATE_LIMIT_PLANS: JSON.stringify({ gold: { userBurst: 10 } }) })).toThrow(/plan "gold" is new/);
    expect(() => loadConfig({ RATE_LIMIT_DEFAULT_PLAN: 'platinum' })).toThrow(/RATE_LIMIT_DEFAULT_PLAN: no plan "platinum"/);
  });

  it('accepts the dev server origin in development only', () => {
    expect(loadConfig({ NODE_ENV: 'development', DEV_WEB_ORIGIN: 'http://localhost:5173/' }).devWebOrigin).toBe('http://localhost:5173');
    expect(() => loadConfig({ NODE_ENV: 'production', DEV_WEB_ORIGIN: 'http://localhost:5173' })).toThrow(
      /DEV_WEB_ORIGIN: .*only outside production/,
    );
    expect(() => loadConfig({ DEV_WEB_ORIGIN: 'http://localhost:5173/app' })).toThrow(/DEV_WEB_ORIGIN/);
  });
});
