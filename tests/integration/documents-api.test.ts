import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { fixedClock } from '../../src/billing/dates.js';
import { loadConfig, testConfig, type Config } from '../../src/config.js';
import { CHROMIUM_INSTALL_HINT, resolveChromium } from '../../src/documents/chromium.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { describeWithBrowser, looksLikePdf, pdfInfo, pdfText, tempDir } from '../helpers/browser.js';
import { TEST_TODAY } from '../helpers/constants.js';
import { freshDatabase } from '../helpers/db.js';
import { conversation, emailSends, outboxRows, say } from '../helpers/mail.js';

/**
 * GET /v1/billing/invoices/:n/pdf, the contacts API, the dev outbox's absence in production, and
 * the service without Chromium (it starts; PDF requests get a clear 503).
 */

function errorOf(body: string): unknown {
  const { error } = JSON.parse(body) as { error: unknown };
  return error;
}

describe('invoice PDF route: auth and tenancy (no browser needed)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('needs a session', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/billing/invoices/IN7654321/pdf' });
    expect(res.statusCode).toBe(401);
  });

  it("another account's invoice is a 404, exactly like the JSON route, and no browser is started", async () => {
    const headers = await t.auth('R20077');
    const pdf = await t.app.inject({ method: 'GET', url: '/v1/billing/invoices/IN7654321/pdf', headers });
    const json = await t.app.inject({ method: 'GET', url: '/v1/billing/invoices/IN7654321', headers });
    expect(pdf.statusCode).toBe(404);
    expect(json.statusCode).toBe(404);
    expect(errorOf(pdf.body)).toStrictEqual(errorOf(json.body));
    expect(errorOf(pdf.body)).toStrictEqual({ code: 'not_found', message: 'Invoice not found' });
    for (const n of ['IN0000000', 'not-an-invoice', 'IN76543210']) {
      const res = await t.app.inject({ method: 'GET', url: `/v1/billing/invoices/${n}/pdf`, headers: await t.auth('R10042') });
      expect(res.statusCode, n).toBe(404);
    }
    expect(t.app.services.pdf.stats().launches).toBe(0);
  });

  it('is documented in the OpenAPI document', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json<{ paths: Record<string, Record<string, unknown>> }>();
    expect(doc.paths['/v1/billing/invoices/{invoiceNumber}/pdf']?.['get']).toBeDefined();
    expect(Object.keys(doc.paths['/v1/billing/contacts'] ?? {}).sort()).toStrictEqual(['get', 'post']);
    expect(doc.paths['/v1/billing/contacts/{contactId}']?.['delete']).toBeDefined();
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/dev'))).toStrictEqual([]);
  });
});

describe('billing contacts API', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it("lists the account's contacts and verified domains", async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/billing/contacts', headers: await t.auth('R10042') });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ items: Array<{ email: string; createdBy: string | null }>; verifiedDomains: string[] }>();
    expect(body.items.map((c) => c.email)).toStrictEqual(['accounting@mycompany.com', 'ap@mycompany.com']);
    expect(body.items.every((c) => c.createdBy === null)).toBe(true);
    expect(body.verifiedDomains).toStrictEqual(['mycompany.com']);
  });

  it('adds a valid address (normalised), records who added it, refuses duplicates and invalid addresses', async () => {
    const headers = await t.auth('R10042');
    const add = await t.app.inject({ method: 'POST', url: '/v1/billing/contacts', headers, payload: { email: ' Payables@Outsourced-Books.example ', name: 'Outsourced books' } });
    expect(add.statusCode, add.body).toBe(201);
    const created = add.json<{ id: string; email: string; name: string; createdBy: string; createdAt: string }>();
    expect(created).toMatchObject({ email: 'payables@outsourced-books.example', name: 'Outsourced books', createdBy: 'user@r10042.test' });
    expect(Date.parse(created.createdAt)).not.toBeNaN();

    const dup = await t.app.inject({ method: 'POST', url: '/v1/billing/contacts', headers, payload: { email: 'PAYABLES@outsourced-books.example' } });
    expect(dup.statusCode).toBe(409);
    expect(errorOf(dup.body)).toMatchObject({ code: 'conflict' });

    for (const email of ['not an email', 'x@evil.example, y@evil.example', 'evil.example?x@mycompany.com', 'Name <a@b.example>']) {
      const bad = await t.app.inject({ method: 'POST', url: '/v1/billing/contacts', headers, payload: { email } });
      expect(bad.statusCode, email).toBe(400);
      expect(errorOf(bad.body)).toMatchObject({ code: 'invalid_request' });
    }
    const extra = await t.app.inject({ method: 'POST', url: '/v1/billing/contacts', headers, payload: { email: 'a@b.example', accountId: 'R20077' } });
    expect(extra.statusCode).toBe(400);

    // Another account sees none of it and cannot delete it.
    const other = await t.app.inject({ method: 'GET', url: '/v1/billing/contacts', headers: await t.auth('R20077') });
    expect(other.json<{ items: Array<{ email: string }> }>().items.map((c) => c.email)).toStrictEqual(['ap@northernbyte.ca']);
    const steal = await t.app.inject({ method: 'DELETE', url: `/v1/billing/contacts/${created.id}`, headers: await t.auth('R20077') });
    expect(steal.statusCode).toBe(404);

    const del = await t.app.inject({ method: 'DELETE', url: `/v1/billing/contacts/${created.id}`, headers });
    expect(del.statusCode).toBe(204);
    expect((await t.app.inject({ method: 'DELETE', url: `/v1/billing/contacts/${created.id}`, headers })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'DELETE', url: '/v1/billing/contacts/abc', headers })).statusCode).toBe(404);
    const after = await t.app.inject({ method: 'GET', url: '/v1/billing/contacts', headers });
    expect(after.json<{ items: Array<{ email: string }> }>().items.map((c) => c.email)).toStrictEqual(['accounting@mycompany.com', 'ap@mycompany.com']);
  });
});

describe('without Chromium: the service starts, PDF requests get a clear 503', () => {
  let t: TestApp;
  let dir: string;
  beforeAll(async () => {
    dir = tempDir('outbox-nochromium-');
    t = await createTestApp({ CHROMIUM_PATH: '/nonexistent/chromium', OUTBOX_DIR: dir });
  });
  afterAll(async () => {
    await t?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('resolves explicitly configured paths only, with the hint', () => {
    expect(resolveChromium({ CHROMIUM_PATH: '/nonexistent/chromium' })).toStrictEqual({
      ok: false,
      message: `PDF rendering is unavailable: CHROMIUM_PATH=/nonexistent/chromium is not an executable file; ${CHROMIUM_INSTALL_HINT}.`,
    });
    expect(resolveChromium({}, { candidates: ['/nope/a', '/nope/b'] })).toStrictEqual({
      ok: false,
      message: `PDF rendering is unavailable: Chromium was not found; ${CHROMIUM_INSTALL_HINT}.`,
    });
    expect(resolveChromium({ PUPPETEER_EXECUTABLE_PATH: '/x/chrome' }, { isExecutable: (p) => p === '/x/chrome' })).toStrictEqual({ ok: true, path: '/x/chrome', source: 'PUPPETEER_EXECUTABLE_PATH' });
    expect(resolveChromium({}, { candidates: ['/a', '/b'], isExecutable: (p) => p === '/b' })).toStrictEqual({ ok: true, path: '/b', source: 'system' });
  });

  it('health and the JSON invoice still work; the PDF is a 503 saying what to install or set', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    const headers = await t.auth('R10042');
    expect((await t.app.inject({ method: 'GET', url: '/v1/billing/invoices/IN7654321', headers })).statusCode).toBe(200);
    const res = await t.app.inject({ method: 'GET', url: '/v1/billing/invoices/IN7654321/pdf', headers });
    expect(res.statusCode).toBe(503);
    const err = errorOf(res.body) as { code: string; message: string };
    expect(err.code).toBe('pdf_unavailable');
    expect(err.message).toContain('install chromium (apt-get install -y chromium) or set CHROMIUM_PATH');
    expect(t.app.services.pdf.stats().launches).toBe(0);
  });

  it('emailing says the PDF could not be created; recorded as failed; nothing in the outbox', async () => {
    const reply = await say(t, await conversation(t), 'Email a PDF copy of IN7654321 to accounting@mycompany.com');
    expect(reply.text).toMatch(/could not be created/);
    expect(reply.text).toContain('install chromium');
    expect(reply.cards.filter((c) => c.type === 'email_receipt')).toStrictEqual([]);
    expect(await outboxRows(t.app.services.db)).toStrictEqual([]);
    const sends = await emailSends(t.app.services.db);
    expect(sends.map((s) => [s.status, s.reason])).toStrictEqual([['failed', 'pdf_unavailable']]);
    expect(sends[0]!.error).toContain(CHROMIUM_INSTALL_HINT);
  });
});

describe('the dev outbox (/portal/dev/outbox) is development-only', () => {
  it('is a 404 in production', async () => {
    const database = await freshDatabase();
    // A production-mode config without the rest of production's requirements (not under test here).
    const config: Config = { ...testConfig({ FIXED_TODAY: TEST_TODAY }), NODE_ENV: 'production' };
    const app = await buildApp({ config, database, clock: fixedClock(TEST_TODAY) });
    try {
      await app.ready();
      expect((await app.inject({ method: 'GET', url: '/portal/dev/outbox' })).statusCode).toBe(404);
      expect((await app.inject({ method: 'GET', url: '/portal/dev/outbox/00000000-0000-4000-8000-000000000000/attachments/0' })).statusCode).toBe(404);
    } finally {
      await app.close();
      await database.close();
    }
  });

  it('production refuses the local outbox and the development sender', () => {
    const prod = {
      NODE_ENV: 'production',
      AUTH_JWT_SECRET: 'prod-secret-0123456789abcdefghijklmnopqrstuvwxyz',
      LINK_SIGNING_KEYS: 'k2:prod-link-key-0123456789abcdefghijklmnopqrstuv',
      DATABASE_URL: 'postgres://billing@db.internal:5432/billing',
      PUBLIC_BASE_URL: 'https://billing.example.com/',
    };
    expect(() => loadConfig(prod)).toThrow(/RESEND_API_KEY: production sends real email/);
    expect(() => loadConfig(prod)).toThrow(/MAIL_FROM: the development sender is not allowed in production/);
    expect(() => loadConfig({ ...prod, RESEND_API_KEY: 're_live', MAIL_FROM: 'Randmar Billing <billing@randmar.com>' })).not.toThrow(/RESEND_API_KEY|MAIL_FROM/);
    expect(() => loadConfig({ MAIL_FROM: 'Randmar <not an address>' })).toThrow(/MAIL_FROM/);
    expect(() => loadConfig({ EMAIL_SENDS_PER_HOUR: '0' })).toThrow(/EMAIL_SENDS_PER_HOUR/);
    expect(() => loadConfig({ PDF_POOL_SIZE: '0' })).toThrow(/PDF_POOL_SIZE/);
    expect(() => loadConfig({ PDF_POOL_SIZ: '2' })).toThrow(/Unknown configuration variable\(s\): PDF_POOL_SIZ/);
    expect(() => loadConfig({ RESEND_KEY: 'x', CHROMIUM_BIN: '/x', OUTBOX_PATH: '/x', MAIL_TO: 'x' })).toThrow(/CHROMIUM_BIN, MAIL_TO, OUTBOX_PATH, RESEND_KEY/);
    const c = loadConfig({});
    expect([c.EMAIL_SENDS_PER_HOUR, c.EMAIL_DUPLICATE_WINDOW_MINUTES, c.PDF_POOL_SIZE, c.PDF_QUEUE_MAX, c.MAIL_FROM]).toStrictEqual([
      20,
      10,
      2,
      20,
      'Randmar Billing <billing@randmar.example>',
    ]);
  });
});

describeWithBrowser(
  'invoice PDF route with a real browser',
  () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp();
    });
    afterAll(async () => {
      await t?.close();
    });

    it('serves the PDF as an attachment, from one warm browser (no launch per request)', async () => {
      const headers = await t.auth('R10042');
      expect(t.app.services.pdf.stats()).toMatchObject({ launches: 0, browsers: 0 });
      const res = await t.app.inject({ method: 'GET', url: '/v1/billing/invoices/in-7654321/pdf', headers });
      expect(res.statusCode, res.body.slice(0, 200)).toBe(200);
      expect(res.headers['content-type']).toBe('application/pdf');
      expect(res.headers['content-disposition']).toBe('attachment; filename="IN7654321.pdf"');
      expect(res.headers['cache-control']).toBe('private, no-store');
      const pdf = res.rawPayload;
      expect(looksLikePdf(pdf)).toBe(true);
      expect(pdfInfo(pdf)['Title']).toBe('Invoice IN7654321 · Maple Leaf IT Solutions Inc. · Randmar');
      const text = pdfText(pdf);
      expect(text).toMatch(/Amount due \(CAD\)\s+\$1,234\.56/);
      expect(text).toContain('Overdue');
      for (const n of ['IN7654320', 'IN7654322', 'IN7654323', 'IN7653310', 'IN7650001']) {
        const r = await t.app.inject({ method: 'GET', url: `/v1/billing/invoices/${n}/pdf`, headers });
        expect(r.statusCode).toBe(200);
        expect(pdfText(r.rawPayload)).toContain(n);
      }
      // Six documents, one browser, launched once.
      expect(t.app.services.pdf.stats()).toMatchObject({ launches: 1, renders: 6, failures: 0 });
    });
  },
  { pdftotext: true },
);
