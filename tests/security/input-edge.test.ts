import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { tempDir } from '../helpers/browser.js';
import { emailSends, outboxRows } from '../helpers/mail.js';
import { NO_LIMITS } from './edge-env.js';

/**
 * Defect 3 of issue #11 (the edge): text PostgreSQL cannot store (NUL), half of a UTF-16 pair
 * (a lone surrogate) and other control characters reached the services, answered 500, and in one
 * case sent an email first. Every text field of every route is now checked once, before any
 * handler runs: a 400 in the JSON error shape (an HTML page for the browser pages) that names the
 * field and never echoes the value, and no side effect.
 */

interface ErrorJson {
  error: { code: string; message: string; details?: { issues?: Array<{ field: string; message: string }> } };
  requestId: string;
}

/** Characters that are not storable text, as they arrive in JSON (escaped). */
const BAD: ReadonlyArray<[string, string]> = [
  ['NUL', '\u0000'],
  ['lone high surrogate', '\ud83d'],
  ['lone low surrogate', '\udc1f'],
  ['reversed surrogate pair', '\ude00\ud83d'],
  ['high surrogate at the end', 'x\udbff'],
  ['bell (C0 control)', '\u0007'],
  ['escape (C0 control)', '\u001b[2J'],
  ['delete', '\u007f'],
  ['C1 control', '\u0090'],
];

/** Where the bad character sits in a value. */
const place = (bad: string, i: number) => (i % 3 === 0 ? `${bad}leading` : i % 3 === 1 ? `trailing${bad}` : `mid${bad}dle`);

/** The control characters and UTF-16 halves in a text (what must never be echoed). */
function unsafeChars(text: string): string[] {
  return [...text].filter((ch) => {
    const c = ch.charCodeAt(0);
    return (c < 0x20 && ch !== '\t' && ch !== '\n' && ch !== '\r') || (c >= 0x7f && c <= 0x9f) || (ch.length === 1 && c >= 0xd800 && c <= 0xdfff);
  });
}

function expect400(res: { statusCode: number; body: string; headers: Record<string, unknown> }, field: string, value: string) {
  expect(res.statusCode, res.body).toBe(400);
  expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
  const body = JSON.parse(res.body) as ErrorJson;
  expect(body).toStrictEqual({ error: { code: 'invalid_request', message: expect.any(String), details: { issues: expect.any(Array) } }, requestId: expect.any(String) });
  expect(body.error.message).toContain(field);
  // Says what was wrong, without the value.
  expect(body.error.message).toMatch(/character/);
  expect(res.body).not.toContain(JSON.stringify(value).slice(1, -1));
  for (const ch of unsafeChars(value)) expect(res.body).not.toContain(ch);
  return body;
}


describe('non-storable text is refused at the edge (issue #11, defect 3)', () => {
  let t: TestApp;
  let auth: { authorization: string };
  let outboxDir: string;

  beforeAll(async () => {
    outboxDir = tempDir('outbox-edge-');
    t = await createTestApp({ OUTBOX_DIR: outboxDir, ...NO_LIMITS });
    auth = await t.auth('R10042');
  });
  afterAll(async () => {
    await t?.close();
    fs.rmSync(outboxDir, { recursive: true, force: true });
  });

  async function conversation(): Promise<string> {
    const res = await t.app.inject({ method: 'POST', url: '/v1/chat/conversations', headers: auth });
    expect(res.statusCode).toBe(201);
    return res.json<{ id: string }>().id;
  }
  async function history(conv: string) {
    const res = await t.app.inject({ method: 'GET', url: `/v1/chat/conversations/${conv}/messages`, headers: auth });
    expect(res.statusCode).toBe(200);
    return res.json<{ messages: unknown[] }>().messages;
  }
  function sendRaw(conv: string, json: string, accept?: string) {
    return t.app.inject({
      method: 'POST',
      url: `/v1/chat/conversations/${conv}/messages`,
      headers: { ...auth, 'content-type': 'application/json', ...(accept ? { accept } : {}) },
      payload: json,
    });
  }

  describe('chat messages', () => {
    it.each(BAD)('%s: 400 as JSON and as a stream request, nothing stored', async (_label, bad) => {
      const conv = await conversation();
      for (const [i, accept] of [undefined, 'text/event-stream', 'text/event-stream, application/json'].entries()) {
        const text = `What is my balance? ${place(bad, i)}`;
        const res = await sendRaw(conv, JSON.stringify({ text }), accept);
        expect400(res, 'body.text', text);
      }
      expect(await history(conv)).toStrictEqual([]);
    });

    it('the reported case: an email request with a NUL after the address sends nothing and stores nothing', async () => {
      const conv = await conversation();
      const requests = [
        'Email a PDF copy of IN7653310 to payables@mycompany.com\u0000',
        'Send IN7654321 as a PDF to ap\u0000@mycompany.com',
        'email invoice IN7654321 to accounting@mycompany.com \ud800',
        'Please email IN7654321 to accounting@mycompany.com\u0000\u0000 thanks',
      ];
      for (const text of requests) {
        for (const accept of [undefined, 'text/event-stream']) expect400(await sendRaw(conv, JSON.stringify({ text }), accept), 'body.text', text);
      }
      expect(await emailSends(t.app.services.db)).toStrictEqual([]);
      expect(await outboxRows(t.app.services.db)).toStrictEqual([]);
      expect(fs.readdirSync(outboxDir)).toStrictEqual([]);
      expect(await history(conv)).toStrictEqual([]);
    });

    it('escaped in the raw JSON, in a field name too', async () => {
      const conv = await conversation();
      for (const raw of ['{"text":"hi \\u0000"}', '{"text":"\\ud800 balance"}', '{"text":"balance \\udfff"}', '{"te\\u0000xt":"hi"}', '{"text":"ok","\\ud800":1}']) {
        const res = await sendRaw(conv, raw);
        expect(res.statusCode, raw).toBe(400);
        expect(res.json<ErrorJson>().error.code).toBe('invalid_request');
        expect(res.json<ErrorJson>().error.message).toMatch(/body/);
        expect(unsafeChars(res.body)).toStrictEqual([]);
        expect(res.body).not.toMatch(/\\u0000|\\ud[89a-f]/i);
      }
      expect(await history(conv)).toStrictEqual([]);
    });

    it('tab, newline, carriage return, emoji, accents and invisible format characters are still accepted', async () => {
      const conv = await conversation();
      for (const text of ['What is\tmy balance?', 'Hello\r\nwhat is my balance?', 'Balance? 😀 café', 'balance\u200b please', 'my ba\u00adlance']) {
        const res = await sendRaw(conv, JSON.stringify({ text }));
        expect(res.statusCode, text).toBe(200);
      }
    });

    it('a decision on a proposal with a bad path parameter', async () => {
      const conv = await conversation();
      const res = await t.app.inject({ method: 'POST', url: `/v1/chat/conversations/${conv}/proposals/${conv}/approve%00`, headers: auth });
      expect400(res, 'params.decision', 'approve\u0000');
    });
  });

  describe('billing contacts', () => {
    async function contacts() {
      const res = await t.app.inject({ method: 'GET', url: '/v1/billing/contacts', headers: auth });
      return res.json<{ items: Array<{ email: string }> }>().items;
    }
    async function contactAudits() {
      return t.app.services.db.selectFrom('audit_log').select(['action']).where('action', 'like', 'contact.%').execute();
    }

    it.each(BAD)('%s in the name or the email: 400, nothing added, nothing audited', async (_label, bad) => {
      const before = await contacts();
      const audits = (await contactAudits()).length;
      const cases: Array<[string, Record<string, unknown>]> = [
        ['body.name', { email: 'ap.edge@mycompany.com', name: `Accounts ${bad}Payable` }],
        ['body.email', { email: `ap.edge${bad}@mycompany.com`, name: 'Accounts' }],
        ['body.email', { email: `ap.edge@mycompany.com${bad}` }],
      ];
      for (const [field, payload] of cases) {
        const res = await t.app.inject({ method: 'POST', url: '/v1/billing/contacts', headers: auth, payload });
        expect400(res, field, String(field === 'body.name' ? payload['name'] : payload['email']));
      }
      expect(await contacts()).toStrictEqual(before);
      expect(await contactAudits()).toHaveLength(audits);
    });

    it('removing a contact with a bad id', async () => {
      const res = await t.app.inject({ method: 'DELETE', url: '/v1/billing/contacts/12%00', headers: auth });
      expect400(res, 'params.contactId', '12\u0000');
    });
  });

  describe('query and path parameters', () => {
    const urls: ReadonlyArray<[string, string, string]> = [
      ['/v1/billing/invoices?status=open%00', 'querystring.status', 'open\u0000'],
      ['/v1/billing/invoices?from=2026-01-01%01', 'querystring.from', '2026-01-01\u0001'],
      ['/v1/billing/payments?limit=5%00', 'querystring.limit', '5\u0000'],
      ['/v1/billing/invoices?x%00y=1', 'querystring', 'x\u0000y'],
      ['/v1/billing/invoices/IN7654321%00', 'params.invoiceNumber', 'IN7654321\u0000'],
      ['/v1/billing/invoices/%1bIN7654321/pdf', 'params.invoiceNumber', '\u001bIN7654321'],
      ['/v1/billing/credits?limit=%7f', 'querystring.limit', '\u007f'],
      ['/v1/billing/follow-ups?offset=0%00', 'querystring.offset', '0\u0000'],
    ];
    it.each(urls)('GET %s → 400 naming %s', async (url, field, value) => {
      expect400(await t.app.inject({ method: 'GET', url, headers: auth }), field, value);
    });

    it('bytes that are not UTF-8 (an encoded lone surrogate, a stray continuation byte) are refused, never a 500', async () => {
      for (const url of ['/v1/billing/invoices?status=%ED%A0%80', '/v1/billing/invoices?status=%C0%80', '/v1/billing/invoices/IN76%ED%B0%80', '/v1/billing/invoices?status=%80']) {
        const res = await t.app.inject({ method: 'GET', url, headers: auth });
        expect(res.statusCode, url).toBe(400);
        expect(res.json<ErrorJson>().error.code).toBe('invalid_request');
      }
    });
  });

  describe('the pay pages and the portal (browser pages answer HTML)', () => {
    it('a pay link with a control character: a 400 page, no checkout started', async () => {
      const token = t.app.services.links.mint({ purpose: 'pay', accountId: 'R10042', invoiceNumber: 'IN7654321' });
      for (const [method, url] of [
        ['GET', `/pay/${token}%00`],
        ['GET', `/pay/%00${token}`],
        ['POST', `/pay/${token}%07/checkout`],
        ['GET', '/pay/return?session_id=cs_sandbox_x%00'],
      ] as const) {
        const res = await t.app.inject({ method, url, ...(method === 'POST' ? { headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: '' } : {}) });
        expect(res.statusCode, url).toBe(400);
        expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
        expect(res.headers['content-security-policy']).toContain("default-src 'none'");
        expect(res.body).not.toContain(token);
        expect(unsafeChars(res.body)).toStrictEqual([]);
      }
      const sessions = await t.app.services.db.selectFrom('checkout_sessions').select('id').execute();
      expect(sessions).toStrictEqual([]);
    });

    it('a form body with a control character (sandbox checkout, portal sign-in)', async () => {
      const form = { 'content-type': 'application/x-www-form-urlencoded' };
      const signIn = await t.app.inject({ method: 'POST', url: '/portal/sign-in', headers: form, payload: 'account=R10042%00' });
      expect(signIn.statusCode).toBe(400);
      expect(signIn.headers['set-cookie']).toBeUndefined();
      expect(signIn.headers['content-type']).toBe('text/html; charset=utf-8');
      const sandbox = await t.app.inject({ method: 'POST', url: '/sandbox/checkout/cs_sandbox_abc', headers: form, payload: 'outcome=success%00' });
      expect(sandbox.statusCode).toBe(400);
      expect(sandbox.headers['content-type']).toBe('text/html; charset=utf-8');
    });
  });
});
