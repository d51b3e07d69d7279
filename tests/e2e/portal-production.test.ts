import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/billing/dates.js';
import { testConfig, type Config } from '../../src/config.js';
import type { Database } from '../../src/db/index.js';
import { signSessionToken } from '../../src/identity/session.js';
import { registerErrorHandling } from '../../src/http/errors.js';
import { createServices, type Services } from '../../src/services.js';
import { portalRoutes, safeNext } from '../../src/web/portal/routes.js';
import { TEST_TODAY } from '../helpers/constants.js';
import { freshDatabase } from '../helpers/db.js';

/**
 * The portal's production behaviour (no browser needed): no sign-in page, no root redirect;
 * signed-out pages answer 401 instead of sending people to a sign-in page that does not exist.
 * The portal routes run alone here with NODE_ENV=production (the rest of a production config,
 * Stripe and Resend keys, is not what this tests).
 */

describe('portal in production', () => {
  let database: Database;
  let services: Services;
  let app: FastifyInstance;
  let config: Config;

  beforeAll(async () => {
    database = await freshDatabase();
    const base = testConfig({ FIXED_TODAY: TEST_TODAY, PUBLIC_BASE_URL: 'https://billing.example' });
    config = Object.freeze({ ...base, NODE_ENV: 'production' as const });
    services = { ...createServices({ config: base, database, clock: fixedClock(TEST_TODAY) }), config };
    app = Fastify();
    app.setValidatorCompiler(validatorCompiler);
    app.setSerializerCompiler(serializerCompiler);
    registerErrorHandling(app);
    app.decorateRequest('session', null);
    await app.register(portalRoutes(services));
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await services?.pdf.close();
    await database?.close();
  });

  it('has no sign-in page and no root redirect', async () => {
    expect((await app.inject('/portal/sign-in')).statusCode).toBe(404);
    expect((await app.inject({ method: 'POST', url: '/portal/sign-in', payload: 'account=R10042', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).statusCode).toBe(404);
    expect((await app.inject('/')).statusCode).toBe(404);
  });

  it('answers 401 to signed-out portal pages, and serves them with a valid portal cookie (Secure)', async () => {
    const out = await app.inject('/portal/billing');
    expect(out.statusCode).toBe(401);
    expect(out.body).toContain('Please sign in');
    const token = await signSessionToken(config, { accountId: 'R10042', userId: 'jordan@mycompany.com' });
    const ok = await app.inject({ url: '/portal/billing', headers: { cookie: `other=1; ba_portal=${token}` } });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toContain('$2,494.96');
    const signOut = await app.inject({ method: 'POST', url: '/portal/sign-out' });
    // Sign-out ends the session and forgets its language choice.
    expect(signOut.headers['set-cookie']).toEqual([
      'ba_portal=; Path=/portal; HttpOnly; SameSite=Lax; Max-Age=0; Secure',
      'ba_portal_locale=; Path=/portal; HttpOnly; SameSite=Lax; Max-Age=0; Secure',
    ]);
  });

  it('follows only portal paths after sign-in (no open redirect)', () => {
    expect(safeNext('/portal/billing/invoices?offset=25')).toBe('/portal/billing/invoices?offset=25');
    for (const bad of ['https://evil.example', '//evil.example', '/portal//evil.example', '/portalx', '/portal/../v1', '/\\evil', null, 42]) expect(safeNext(bad), String(bad)).toBeNull();
  });
});
