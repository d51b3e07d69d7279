import { execFile } from 'node:child_process';
import os from 'node:os';
import { promisify } from 'node:util';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_OPS_JWT_SECRET, loadConfig, testConfig } from '../../src/config.js';
import { opsAction } from '../../src/http/ops-auth.js';
import { signOperatorToken, verifyOperatorToken } from '../../src/identity/operator.js';
import { PROJECT_ROOT } from '../../src/paths.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

/**
 * Operator authentication (issue 18): operator tokens open /v1/ops and nothing else, portal tokens
 * the reseller routes and never /v1/ops; a token of the other kind is recognised and answered 403,
 * anything else that is not a valid token 401. Every operator call is audited with its operator.
 */

interface ErrorJson {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

const OPS_URL = '/v1/ops/alerts';

describe('operator authentication', () => {
  let t: TestApp;
  const config = testConfig();

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t?.close());

  const auditRows = (operatorId: string) =>
    t.app.services.db.selectFrom('audit_log').selectAll().where('actor_type', '=', 'operator').where('actor_id', '=', operatorId).orderBy('id').execute();

  it('a reseller portal token on /v1/ops → 403 saying an operator token is needed; nothing audited', async () => {
    const before = await t.app.services.db.selectFrom('audit_log').select('id').execute();
    for (const [method, url] of [['GET', OPS_URL], ['POST', '/v1/ops/alerts/1/resolve']] as const) {
      const res = await t.app.inject({ method, url, headers: await t.auth('R10042'), ...(method === 'POST' ? { payload: { note: 'x' } } : {}) });
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(403);
      const body = res.json<ErrorJson>();
      expect(body.error.code).toBe('forbidden');
      expect(body.error.message).toMatch(/reseller portal token: \/v1\/ops needs an operator token/);
    }
    expect(await t.app.services.db.selectFrom('audit_log').select('id').execute()).toHaveLength(before.length);
  });

  it('an operator token on /v1/billing, /v1/chat and in the portal cookie → 403 saying reseller routes need a portal token', async () => {
    const ops = await t.opsAuth();
    const calls = [
      await t.app.inject({ url: '/v1/billing/balance', headers: ops }),
      await t.app.inject({ url: '/v1/billing/invoices/IN7654321', headers: ops }),
      await t.app.inject({ method: 'POST', url: '/v1/chat/conversations', headers: ops }),
    ];
    for (const res of calls) {
      expect(res.statusCode, res.body).toBe(403);
      expect(res.json<ErrorJson>().error.message).toMatch(/operator token: reseller routes need a reseller portal token/);
    }
    const token = ops.authorization.slice('Bearer '.length);
    const page = await t.app.inject({ url: '/portal/billing', headers: { cookie: `ba_portal=${token}`, accept: 'text/html' } });
    expect(page.statusCode, page.body).toBe(403);
    // The reseller token still opens its routes.
    expect((await t.app.inject({ url: '/v1/billing/balance', headers: await t.auth('R10042') })).statusCode).toBe(200);
  });

  it('no token, garbage and tokens that are neither kind → 401 on both sides', async () => {
    const wrongSecret = await signOperatorToken(config, { operatorId: 'mallory', scopes: ['alerts'] }, { secret: 'x'.repeat(40) });
    const expired = await signOperatorToken(config, { operatorId: 'billing-system', scopes: ['alerts'] }, { expiresIn: Math.floor(Date.now() / 1000) - 10 });
    const sign = (claims: Record<string, unknown>, sub = 'billing-system', aud = config.OPS_JWT_AUDIENCE) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setAudience(aud).setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(DEV_OPS_JWT_SECRET));
    const cases: Record<string, string | null> = {
      none: null,
      garbage: 'Bearer not.a.token',
      wrongSecret: `Bearer ${wrongSecret}`,
      expired: `Bearer ${expired}`,
      noKind: `Bearer ${await sign({ scope: 'alerts' })}`,
      portalKind: `Bearer ${await sign({ kind: 'portal', scope: 'alerts' })}`,
      noScope: `Bearer ${await sign({ kind: 'ops' })}`,
      otherAudience: `Bearer ${await sign({ kind: 'ops', scope: 'alerts' }, 'billing-system', 'someone-else')}`,
      badSubject: `Bearer ${await sign({ kind: 'ops', scope: 'alerts' }, 'has spaces/and slashes')}`,
      portalSecretOpsClaims: `Bearer ${await signOperatorToken(config, { operatorId: 'billing-system', scopes: ['alerts'] }, { secret: config.AUTH_JWT_SECRET })}`,
    };
    for (const [name, authorization] of Object.entries(cases)) {
      const headers = authorization ? { authorization } : {};
      for (const url of [OPS_URL, '/v1/billing/balance']) {
        const res = await t.app.inject({ url, headers });
        expect(res.statusCode, `${name} on ${url}: ${res.body}`).toBe(401);
        expect(res.json<ErrorJson>().error.code).toBe('unauthorized');
      }
    }
    expect(Object.keys(cases)).toHaveLength(10);
  });

  it('a scope the token lacks → 403 naming it (and the RFC 6750 header); the call is audited', async () => {
    const res = await t.app.inject({ url: OPS_URL, headers: await t.opsAuth(['billing:read', 'feedback'], 'reader-1') });
    expect(res.statusCode, res.body).toBe(403);
    const body = res.json<ErrorJson>();
    expect(body.error.message).toBe("This call needs the operator scope 'alerts'; the token grants: billing:read, feedback");
    expect(body.error.details).toStrictEqual({ requiredScope: 'alerts' });
    expect(res.headers['www-authenticate']).toBe('Bearer error="insufficient_scope", scope="alerts"');
    const rows = await auditRows('reader-1');
    expect(rows.map((r) => [r.action, r.outcome, r.details])).toStrictEqual([
      ['ops.alerts.list', 'rejected', { method: 'GET', route: '/v1/ops/alerts', status: 403 }],
    ]);
  });

  it('every operator call writes one audit row: the operator, the action, the outcome, never a body or token', async () => {
    const headers = await t.opsAuth(['alerts'], 'auditor-7');
    const calls = [
      await t.app.inject({ url: `${OPS_URL}?status=all`, headers }),
      await t.app.inject({ url: `${OPS_URL}?status=everything`, headers }),
      await t.app.inject({ method: 'POST', url: '/v1/ops/alerts/999999/resolve', headers: { ...headers, 'idempotency-key': 'key-123' }, payload: { note: 'secret note text' } }),
      await t.app.inject({ method: 'POST', url: '/v1/ops/alerts/1/resolve', headers, payload: { note: '' } }),
    ];
    expect(calls.map((r) => r.statusCode)).toStrictEqual([200, 400, 404, 400]);
    const rows = await auditRows('auditor-7');
    expect(rows.map((r) => ({ action: r.action, outcome: r.outcome, account: r.account_id, details: r.details }))).toStrictEqual([
      { action: 'ops.alerts.list', outcome: 'ok', account: null, details: { method: 'GET', route: '/v1/ops/alerts', status: 200 } },
      { action: 'ops.alerts.list', outcome: 'rejected', account: null, details: { method: 'GET', route: '/v1/ops/alerts', status: 400 } },
      {
        action: 'ops.alerts.resolve',
        outcome: 'rejected',
        account: null,
        details: { method: 'POST', route: '/v1/ops/alerts/:id/resolve', status: 404, idempotencyKey: 'key-123' },
      },
      { action: 'ops.alerts.resolve', outcome: 'rejected', account: null, details: { method: 'POST', route: '/v1/ops/alerts/:id/resolve', status: 400 } },
    ]);
    const text = JSON.stringify(rows, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    expect(text).not.toContain('secret note text');
    expect(text).not.toContain(headers.authorization.slice('Bearer '.length));
    for (const r of rows) expect(r.created_at).toBeInstanceOf(Date);
  });

  it('names the audit action from the route when it does not say one', () => {
    expect(opsAction('GET', '/v1/ops/alerts')).toBe('ops.alerts.list');
    expect(opsAction('GET', '/v1/ops/accounts/:accountId')).toBe('ops.accounts.get');
    expect(opsAction('PUT', '/v1/ops/accounts/:accountId')).toBe('ops.accounts.put');
    expect(opsAction('POST', '/v1/ops/invoices')).toBe('ops.invoices.create');
    expect(opsAction('POST', '/v1/ops/accounts/:accountId/contacts')).toBe('ops.accounts.contacts.create');
    expect(opsAction('DELETE', '/v1/ops/accounts/:accountId/contacts/:email')).toBe('ops.accounts.contacts.delete');
  });
});

describe('the ops rate-limit family', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ RATE_LIMIT_OPS_PER_MINUTE: '2' });
  });
  afterAll(async () => t?.close());

  it('counts per operator: a third call in the minute → 429, another operator still answered', async () => {
    const a = await t.opsAuth(['alerts'], 'busy-operator');
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await t.app.inject({ url: OPS_URL, headers: a })).statusCode);
    expect(statuses).toStrictEqual([200, 200, 429]);
    expect((await t.app.inject({ url: OPS_URL, headers: await t.opsAuth(['alerts'], 'other-operator') })).statusCode).toBe(200);
    // Reseller reads keep their own budget.
    expect((await t.app.inject({ url: '/v1/billing/balance', headers: await t.auth('R10042') })).statusCode).toBe(200);
  });
});

describe('operator configuration', () => {
  const PROD = {
    NODE_ENV: 'production',
    AUTH_JWT_SECRET: 'prod-secret-0123456789abcdefghijklmnopqrstuvwxyz',
    LINK_SIGNING_KEYS: 'k2:prod-link-key-0123456789abcdefghijklmnopqrstuv',
    DATABASE_URL: 'postgres://billing@db.internal:5432/billing',
    PUBLIC_BASE_URL: 'https://billing.example.com',
    STRIPE_SECRET_KEY: 'sk_live_prodKey',
    STRIPE_WEBHOOK_SECRET: 'whsec_prod_0123456789abcdef',
    RESEND_API_KEY: 're_prod_key',
    AR_TEAM_EMAIL: 'ar@billing.example.com',
    MAIL_FROM: 'Billing <billing@billing.example.com>',
  };

  it('production refuses the development operator secret and the portal secret reused; without one, no operator token verifies', async () => {
    expect(() => loadConfig({ ...PROD, OPS_JWT_SECRET: DEV_OPS_JWT_SECRET })).toThrow(/OPS_JWT_SECRET: the development default is not allowed in production/);
    expect(() => loadConfig({ ...PROD, OPS_JWT_SECRET: PROD.AUTH_JWT_SECRET })).toThrow(/OPS_JWT_SECRET: must differ from AUTH_JWT_SECRET/);
    expect(() => loadConfig({ ...PROD, OPS_JWT_SECRET: 'short' })).toThrow(/OPS_JWT_SECRET: must be at least 32 characters/);
    expect(loadConfig({ ...PROD, OPS_JWT_SECRET: 'ops-prod-secret-0123456789abcdefghijklmnop' }).OPS_JWT_SECRET).toBe('ops-prod-secret-0123456789abcdefghijklmnop');

    const off = loadConfig(PROD);
    expect(off.OPS_JWT_SECRET).toBeUndefined();
    const devToken = await signOperatorToken(testConfig(), { operatorId: 'billing-system', scopes: ['alerts'] });
    await expect(verifyOperatorToken(off, devToken)).rejects.toThrow(/operator API is not enabled/);
    expect(testConfig().OPS_JWT_SECRET).toBe(DEV_OPS_JWT_SECRET);
  });
});

describe('npm run token -- --ops', () => {
  const run = promisify(execFile);
  const env = (extra: Record<string, string> = {}) => ({ PATH: process.env['PATH'], HOME: process.env['HOME'] ?? os.tmpdir(), NODE_ENV: 'development', ...extra });
  const token = (args: string[], extra?: Record<string, string>) =>
    run(process.execPath, ['--import', 'tsx', 'src/cli/token.ts', ...args], { cwd: PROJECT_ROOT, env: env(extra) });

  it('prints an operator token that verifies, with the scopes and operator asked for (all scopes by default)', async () => {
    const config = testConfig();
    const given = await token(['--ops', '--scope', 'billing:write,alerts', '--sub', 'billing-system']);
    expect(await verifyOperatorToken(config, given.stdout.trim())).toStrictEqual({ operatorId: 'billing-system', scopes: ['billing:write', 'alerts'] });
    const plain = await token(['--ops']);
    expect(await verifyOperatorToken(config, plain.stdout.trim())).toStrictEqual({
      operatorId: 'dev-operator',
      scopes: ['billing:write', 'billing:read', 'alerts', 'feedback'],
    });
  });

  it('refuses a non-development secret, an unknown scope and a bad operator id', async () => {
    await expect(token(['--ops'], { OPS_JWT_SECRET: 'y'.repeat(40) })).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('refused: OPS_JWT_SECRET is not the development default') });
    await expect(token(['--ops', '--scope', 'admin'])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('unknown scope admin') });
    await expect(token(['--ops', '--sub', 'two words'])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('--sub') });
    await expect(token(['R1'])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('usage: npm run token') });
  });
});
