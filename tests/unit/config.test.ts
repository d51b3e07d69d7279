import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, DEV_JWT_SECRET, DEV_LINK_KEY, loadConfig, testConfig } from '../../src/config.js';

const PROD_OK = {
  NODE_ENV: 'production',
  AUTH_JWT_SECRET: 'prod-secret-0123456789abcdefghijklmnopqrstuvwxyz',
  LINK_SIGNING_KEYS: 'k2:prod-link-key-0123456789abcdefghijklmnopqrstuv',
  DATABASE_URL: 'postgres://billing@db.internal:5432/billing',
  PUBLIC_BASE_URL: 'https://billing.example.com/',
  STRIPE_SECRET_KEY: 'sk_live_prodKey0123456789',
  STRIPE_WEBHOOK_SECRET: 'whsec_prod_0123456789abcdefghijklmnop',
  RESEND_API_KEY: 're_prod_0123456789',
  MAIL_FROM: 'Randmar Billing <billing@randmar.com>',
  AR_TEAM_EMAIL: 'ar@randmar.com',
};

/** The ConfigError thrown by loadConfig(env); fails the test when none is thrown. */
function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('applies the defaults', () => {
    const c = loadConfig({});
    expect(c.NODE_ENV).toBe('development');
    expect(c.HOST).toBe('127.0.0.1');
    expect(c.PORT).toBe(3000);
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.DATABASE_POOL_MAX).toBe(10);
    expect(c.AUTO_MIGRATE).toBe(true);
    expect(c.AUTO_SEED).toBe(true);
    expect(c.AUTH_JWT_SECRET).toBe(DEV_JWT_SECRET);
    expect(c.AUTH_JWT_ISSUER).toBe('reseller-portal');
    expect(c.AUTH_JWT_AUDIENCE).toBe('billing-assistant');
    expect(c.linkKeys).toStrictEqual([{ kid: 'k1', secret: DEV_LINK_KEY }]);
    expect(c.BILLING_TIME_ZONE).toBe('America/Toronto');
    expect(c.publicBaseUrl).toBe('http://localhost:3000');
    expect(c.corsOrigins).toStrictEqual([]);
    expect(c.openai).toStrictEqual({ enabled: false });
    expect(c.LOG_PROMPTS).toBe(false);
  });

  it('parses numbers, booleans and lists', () => {
    const c = loadConfig({
      PORT: '8080',
      AUTO_SEED: 'no',
      AUTO_MIGRATE: '1',
      LOG_PROMPTS: 'yes',
      CORS_ORIGINS: ' https://portal.example.com , https://admin.example.com ,',
      LINK_SIGNING_KEYS: 'new:abcdefghijklmnopqrstuvwxyz0123456789,old:0123456789abcdefghijklmnopqrstuvwxyz',
    });
    expect(c.PORT).toBe(8080);
    expect(c.publicBaseUrl).toBe('http://localhost:8080');
    expect(c.AUTO_SEED).toBe(false);
    expect(c.AUTO_MIGRATE).toBe(true);
    expect(c.LOG_PROMPTS).toBe(true);
    expect(c.corsOrigins).toStrictEqual(['https://portal.example.com', 'https://admin.example.com']);
    expect(c.linkKeys.map((k) => k.kid)).toStrictEqual(['new', 'old']);
  });

  it('treats empty variables as unset', () => {
    const c = loadConfig({ PORT: '', AUTH_JWT_SECRET: '', AUTH_JWT_SECRT: '' });
    expect(c.PORT).toBe(3000);
    expect(c.AUTH_JWT_SECRET).toBe(DEV_JWT_SECRET);
  });

  it('ignores variables that are not ours', () => {
    const c = loadConfig({ PATH: '/usr/bin', HOME: '/root', npm_config_foo: 'x', OPENAI_ORGANIZATION: 'org-1' });
    expect(c.PORT).toBe(3000);
  });

  it('rejects an unknown variable with one of our prefixes, naming it', () => {
    const e = configError({ AUTH_JWT_SECRT: 'x'.repeat(40) });
    expect(e.message).toContain('AUTH_JWT_SECRT');
    expect(e.message).toMatch(/unknown/i);
    for (const name of ['LINK_TTL', 'DATABASE_UR', 'OPENAI_MODLE', 'AGENT_MAX_TURNS', 'CHAT_LIMIT', 'BILLING_TZ', 'AUTO_MIGRATES', 'PGLITE_DIR']) {
      expect(configError({ [name]: '1' }).message, name).toContain(name);
    }
    const both = configError({ LINK_KEY: 'a', AUTH_SECRET: 'b' });
    expect(both.message).toContain('AUTH_SECRET, LINK_KEY');
  });

  it('rejects a malformed PORT, naming PORT', () => {
    for (const port of ['abc', '80.5', '-1', '65536', '3000x']) {
      const e = configError({ PORT: port });
      expect(e.message, port).toMatch(/^Invalid configuration:/);
      expect(e.message, port).toMatch(/\bPORT\b/);
    }
  });

  it('names each malformed variable', () => {
    expect(configError({ NODE_ENV: 'staging' }).message).toContain('NODE_ENV');
    expect(configError({ AUTH_JWT_SECRET: 'short' }).message).toMatch(/AUTH_JWT_SECRET: must be at least 32 characters/);
    expect(configError({ DATABASE_URL: 'mysql://x' }).message).toContain('DATABASE_URL');
    expect(configError({ DATABASE_POOL_MAX: '0' }).message).toContain('DATABASE_POOL_MAX');
    expect(configError({ AUTO_SEED: 'maybe' }).message).toContain('AUTO_SEED');
    expect(configError({ BILLING_TIME_ZONE: 'Mars/Olympus' }).message).toMatch(/BILLING_TIME_ZONE: unknown IANA time zone/);
    expect(configError({ FIXED_TODAY: '25/11/2026' }).message).toContain('FIXED_TODAY');
    expect(configError({ PUBLIC_BASE_URL: 'not a url' }).message).toContain('PUBLIC_BASE_URL');
    expect(configError({ LINK_SIGNING_KEYS: 'nokid' }).message).toContain('LINK_SIGNING_KEYS');
    expect(configError({ LINK_SIGNING_KEYS: 'k1:tooshort' }).message).toContain('LINK_SIGNING_KEYS');
    expect(configError({ LINK_SIGNING_KEYS: `k1:${'a'.repeat(32)},k1:${'b'.repeat(32)}` }).message).toMatch(/LINK_SIGNING_KEYS: duplicate key id/);
    expect(configError({ CORS_ORIGINS: 'https://a.example,*' }).message).toContain('CORS_ORIGINS');
    expect(configError({ OPENAI_BASE_URL: 'http://localhost:11434/v1' }).message).toMatch(/OPENAI_MODEL: required/);
  });

  it('reports several problems at once', () => {
    const e = configError({ PORT: 'abc', LOG_LEVEL: 'loud' });
    expect(e.message).toContain('PORT');
    expect(e.message).toContain('LOG_LEVEL');
  });

  it('refuses the development secrets in production', () => {
    const e = configError({ ...PROD_OK, AUTH_JWT_SECRET: undefined, LINK_SIGNING_KEYS: undefined });
    expect(e.message).toMatch(/AUTH_JWT_SECRET: the development default is not allowed in production/);
    expect(e.message).toMatch(/LINK_SIGNING_KEYS: the development default is not allowed in production/);

    expect(configError({ ...PROD_OK, AUTH_JWT_SECRET: DEV_JWT_SECRET }).message).toContain('AUTH_JWT_SECRET');
    expect(configError({ ...PROD_OK, LINK_SIGNING_KEYS: `k1:${DEV_LINK_KEY}` }).message).toContain('LINK_SIGNING_KEYS');
    // A development key kept for verification only is still refused.
    expect(configError({ ...PROD_OK, LINK_SIGNING_KEYS: `${PROD_OK.LINK_SIGNING_KEYS},k1:${DEV_LINK_KEY}` }).message).toContain('LINK_SIGNING_KEYS');
  });

  it('refuses a pinned clock, PGlite and a missing public URL in production', () => {
    expect(configError({ ...PROD_OK, FIXED_TODAY: '2026-11-25' }).message).toContain('FIXED_TODAY');
    expect(configError({ ...PROD_OK, DATABASE_URL: undefined }).message).toContain('DATABASE_URL');
    expect(configError({ ...PROD_OK, PUBLIC_BASE_URL: undefined }).message).toContain('PUBLIC_BASE_URL');
  });

  it('accepts a complete production configuration', () => {
    const c = loadConfig(PROD_OK);
    expect(c.NODE_ENV).toBe('production');
    expect(c.publicBaseUrl).toBe('https://billing.example.com');
    expect(c.linkKeys).toStrictEqual([{ kid: 'k2', secret: 'prod-link-key-0123456789abcdefghijklmnopqrstuv' }]);
  });

  it('enables the model only when one is configured', () => {
    expect(loadConfig({ OPENAI_API_KEY: 'sk-test' }).openai.enabled).toBe(false);
    expect(loadConfig({ OPENAI_API_KEY: 'sk-test', OPENAI_MODEL: 'gpt-4.1-mini' }).openai.enabled).toBe(true);
    expect(loadConfig({ OPENAI_BASE_URL: 'http://localhost:11434/v1', OPENAI_MODEL: 'llama3' }).openai.enabled).toBe(true);
  });

  it('returns a frozen config', () => {
    const c = loadConfig({});
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.linkKeys)).toBe(true);
    expect(Object.isFrozen(c.corsOrigins)).toBe(true);
    expect(Object.isFrozen(c.openai)).toBe(true);
    expect(() => {
      (c as { PORT: number }).PORT = 1;
    }).toThrow(TypeError);
    expect(() => {
      (c.openai as { enabled: boolean }).enabled = true;
    }).toThrow(TypeError);
    expect(c.PORT).toBe(3000);
    expect(c.openai.enabled).toBe(false);
  });

  it('reads process.env by default, and testConfig never does', () => {
    vi.stubEnv('AUTH_JWT_SECRT', 'typo');
    expect(() => loadConfig()).toThrow(/AUTH_JWT_SECRT/);
    const c = testConfig({ PORT: '4321' });
    expect(c.NODE_ENV).toBe('test');
    expect(c.LOG_LEVEL).toBe('silent');
    expect(c.AUTO_SEED).toBe(false);
    expect(c.PORT).toBe(4321);
  });
});
