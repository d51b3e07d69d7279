import { describe, expect, it } from 'vitest';
import { ConfigError, DEV_STRIPE_WEBHOOK_SECRET, loadConfig } from '../../src/config.js';

const PROD = {
  NODE_ENV: 'production',
  AUTH_JWT_SECRET: 'prod-secret-0123456789abcdefghijklmnopqrstuvwxyz',
  LINK_SIGNING_KEYS: 'k2:prod-link-key-0123456789abcdefghijklmnopqrstuv',
  DATABASE_URL: 'postgres://billing@db.internal:5432/billing',
  PUBLIC_BASE_URL: 'https://billing.example.com',
  STRIPE_SECRET_KEY: 'sk_live_prodKey0123456789',
  STRIPE_WEBHOOK_SECRET: 'whsec_prod_0123456789abcdefghijklmnop',
};

/** The STRIPE_ lines of the error loadConfig throws for env ('' when none): other capabilities add production checks of their own. */
function stripeProblems(env: Record<string, string | undefined>): string {
  try {
    loadConfig(env);
    return '';
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message
      .split('\n')
      .filter((l) => l.includes('STRIPE_'))
      .join('\n');
  }
}

function configError(env: Record<string, string | undefined>): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('accepted');
}

describe('payments configuration', () => {
  it('defaults to the sandbox with the development webhook secret outside production', () => {
    const c = loadConfig({});
    expect(c.payments.mode).toBe('sandbox');
    expect(c.STRIPE_SECRET_KEY).toBeUndefined();
    expect(c.STRIPE_WEBHOOK_SECRET).toBe(DEV_STRIPE_WEBHOOK_SECRET);
    expect(c.STRIPE_MAX_NETWORK_RETRIES).toBe(2);
    expect(c.CHECKOUT_SESSION_TTL_MINUTES).toBe(30);
    expect(Object.isFrozen(c.payments)).toBe(true);
  });

  it('uses Stripe when a secret key is set', () => {
    const c = loadConfig({ STRIPE_SECRET_KEY: 'sk_test_abc123', STRIPE_MAX_NETWORK_RETRIES: '0', CHECKOUT_SESSION_TTL_MINUTES: '60' });
    expect(c.payments.mode).toBe('stripe');
    expect(c.STRIPE_MAX_NETWORK_RETRIES).toBe(0);
    expect(c.CHECKOUT_SESSION_TTL_MINUTES).toBe(60);
  });

  it('refuses to start production in sandbox mode or with the development webhook secret', () => {
    expect(stripeProblems(PROD)).toBe('');
    expect(stripeProblems({ ...PROD, STRIPE_SECRET_KEY: undefined })).toMatch(/STRIPE_SECRET_KEY: production needs Stripe/);
    expect(stripeProblems({ ...PROD, STRIPE_WEBHOOK_SECRET: undefined })).toMatch(/STRIPE_WEBHOOK_SECRET: the development default is not allowed in production/);
    expect(stripeProblems({ ...PROD, STRIPE_WEBHOOK_SECRET: DEV_STRIPE_WEBHOOK_SECRET })).toContain('STRIPE_WEBHOOK_SECRET');
  });

  it('names malformed and unknown payment variables', () => {
    expect(configError({ STRIPE_SECRET_KEY: 'pk_test_publishable' })).toContain('STRIPE_SECRET_KEY');
    expect(configError({ STRIPE_WEBHOOK_SECRET: 'short' })).toContain('STRIPE_WEBHOOK_SECRET');
    expect(configError({ STRIPE_MAX_NETWORK_RETRIES: '-1' })).toContain('STRIPE_MAX_NETWORK_RETRIES');
    expect(configError({ CHECKOUT_SESSION_TTL_MINUTES: '10' })).toMatch(/CHECKOUT_SESSION_TTL_MINUTES: Stripe needs at least 30 minutes/);
    expect(configError({ CHECKOUT_SESSION_TTL_MINUTES: '1440' })).toContain('CHECKOUT_SESSION_TTL_MINUTES');
    expect(configError({ STRIPE_WEBHOOK_SECRT: 'whsec_x' })).toMatch(/Unknown configuration variable\(s\): STRIPE_WEBHOOK_SECRT/);
    expect(configError({ CHECKOUT_TTL: '30' })).toContain('CHECKOUT_TTL');
  });
});
