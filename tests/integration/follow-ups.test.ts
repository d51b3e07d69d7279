import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/billing/dates.js';
import { createBillingService } from '../../src/billing/service.js';
import { ConfigError, DEV_AR_TEAM_EMAIL, loadConfig, testConfig } from '../../src/config.js';
import type { Database } from '../../src/db/index.js';
import type { DB } from '../../src/db/schema.js';
import { createFollowUpService, FollowUpRefusedError, MAX_USER_WORDS, type FollowUpLog } from '../../src/followups/service.js';
import { createOutboxMailer } from '../../src/mail/outbox.js';
import { MailTransportError, type Mailer } from '../../src/mail/types.js';
import { createLinkSigner } from '../../src/links/signer.js';
import { requestBillingFollowUp, requestBillingFollowUpResult } from '../../tools/requestBillingFollowUp.js';
import { ToolFailure, type ToolContext, type UserRequest } from '../../tools/types.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { TEST_TODAY } from '../helpers/constants.js';
import { freshDatabase } from '../helpers/db.js';

/**
 * Hand-off to people: a follow-up is stored with a reference and emailed to the AR team's
 * configured address (not through the invoice recipient policy); a mail failure keeps the row;
 * invoices must be the account's; listing is newest first and per account, over the API too.
 */

const AR = 'ar-desk@randmar.test';
const FROM = 'Randmar Billing <billing@randmar.example>';
const WORDS = 'I was charged twice for order SO-20417 on IN7654321, please have someone look at it. Secret phrase: zebra-quokka-42.';

class WallClock {
  t = Date.parse(`${TEST_TODAY}T15:00:00Z`);
  now = (): Date => new Date(this.t);
  advanceMinutes(m: number): void {
    this.t += m * 60_000;
  }
}

function captureLog(): FollowUpLog & { lines: Array<{ level: string; obj: object; msg: string }> } {
  const lines: Array<{ level: string; obj: object; msg: string }> = [];
  return {
    lines,
    info: (obj, msg) => lines.push({ level: 'info', obj, msg }),
    error: (obj, msg) => lines.push({ level: 'error', obj, msg }),
  };
}

async function rows(db: Kysely<DB>) {
  return db.selectFrom('follow_ups').selectAll().orderBy('id').execute();
}

async function newConversation(db: Kysely<DB>, accountId: string, userId: string): Promise<string> {
  const id = randomUUID();
  await db.insertInto('conversations').values({ id, account_id: accountId, user_id: userId }).execute();
  return id;
}

describe('follow-up service', () => {
  let database: Database;
  let db: Kysely<DB>;
  let outboxDir: string;
  let outbox: Mailer;
  const wall = new WallClock();

  beforeAll(async () => {
    database = await freshDatabase();
    db = database.db;
    outboxDir = fs.mkdtempSync(path.join(os.tmpdir(), 'followups-outbox-'));
    outbox = createOutboxMailer({ db, dir: outboxDir, now: wall.now });
  });
  afterAll(async () => {
    await database?.close();
    fs.rmSync(outboxDir, { recursive: true, force: true });
  });

  function service(opts: { mailer?: Mailer; logger?: FollowUpLog } = {}) {
    return createFollowUpService({ db, mailer: opts.mailer ?? outbox, arTeamEmail: AR, mailFrom: FROM, now: wall.now, ...(opts.logger ? { logger: opts.logger } : {}) });
  }

  it('stores the request with a reference and emails the AR team (outbox row to AR_TEAM_EMAIL)', async () => {
    const conv = await newConversation(db, 'R10042', 'jordan@mycompany.com');
    const log = captureLog();
    wall.advanceMinutes(1);
    const out = await service({ logger: log }).request({
      accountId: 'R10042',
      userId: 'jordan@mycompany.com',
      conversationId: conv,
      invoiceNumber: 'in 7654321',
      topic: 'dispute',
      userWords: `  ${WORDS}  `,
    });
    expect(out).toStrictEqual({ reference: expect.stringMatching(/^FU-\d{6}$/), topic: 'dispute', invoiceNumber: 'IN7654321', createdAt: wall.now().toISOString(), notified: true });

    const [row] = await rows(db);
    expect(row).toMatchObject({
      reference: out.reference,
      account_id: 'R10042',
      user_id: 'jordan@mycompany.com',
      conversation_id: conv,
      invoice_number: 'IN7654321',
      topic: 'dispute',
      user_words: WORDS,
      status: 'open',
    });
    expect(row!.notified_at).not.toBeNull();
    // The reference is the row's id, zero-padded.
    expect(out.reference).toBe(`FU-${String(row!.id).padStart(6, '0')}`);

    const mail = await db.selectFrom('outbox').selectAll().where('to_address', '=', AR).execute();
    expect(mail).toHaveLength(1);
    const m = mail[0]!;
    expect(m.from_address).toBe(FROM);
    expect(m.email_send_id).toBeNull();
    expect(m.subject).toBe(`[${out.reference}] Dispute request from R10042 about IN7654321`);
    for (const s of ['R10042', 'Maple Leaf IT Solutions Inc.', 'jordan@mycompany.com', 'Invoice: IN7654321', 'Topic: Dispute', WORDS, conv, out.reference]) {
      expect(m.text_body).toContain(s);
    }
    expect(m.html_body).toContain(out.reference);
    // Logs name the follow-up, never the user's words.
    expect(log.lines.map((l) => l.msg)).toStrictEqual(['follow-up requested']);
    expect(JSON.stringify(log.lines)).not.toContain('zebra-quokka');
  });

  it('escapes the user words in the HTML body and says "none" without an invoice or conversation', async () => {
    wall.advanceMinutes(1);
    const out = await service().request({
      accountId: 'R10042',
      userId: 'jordan@mycompany.com',
      conversationId: null,
      invoiceNumber: null,
      topic: 'other',
      userWords: 'Can a person call me? <script>alert(1)</script>',
    });
    expect(out).toMatchObject({ invoiceNumber: null, topic: 'other', notified: true });
    const m = await db.selectFrom('outbox').selectAll().where('subject', 'like', `[${out.reference}]%`).executeTakeFirstOrThrow();
    expect(m.to_address).toBe(AR);
    expect(m.text_body).toContain('Invoice: none');
    expect(m.text_body).toContain('Conversation: none');
    expect(m.html_body).not.toContain('<script>');
    expect(m.html_body).toContain('&lt;script&gt;');
  });

  it('caps the words at 2,000 characters and refuses empty ones', async () => {
    wall.advanceMinutes(1);
    const long = 'x'.repeat(MAX_USER_WORDS + 500);
    const out = await service().request({ accountId: 'R10042', userId: 'u', conversationId: null, invoiceNumber: null, topic: 'refund', userWords: long });
    const row = await db.selectFrom('follow_ups').select('user_words').where('reference', '=', out.reference).executeTakeFirstOrThrow();
    expect(row.user_words).toHaveLength(MAX_USER_WORDS);

    const before = (await rows(db)).length;
    const err = await service()
      .request({ accountId: 'R10042', userId: 'u', conversationId: null, invoiceNumber: null, topic: 'refund', userWords: ' \n\t ' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FollowUpRefusedError);
    expect((err as FollowUpRefusedError).reason).toBe('empty_request');
    expect((await rows(db)).length).toBe(before);
  });

  it('keeps the follow-up when the mail transport fails, says the team was not notified, logs no words', async () => {
    const failing: Mailer = { transport: 'resend', send: () => Promise.reject(new MailTransportError('upstream 503', { status: 503, code: null, attempts: 3 })) };
    const log = captureLog();
    const outboxBefore = (await db.selectFrom('outbox').select('id').execute()).length;
    wall.advanceMinutes(1);
    const out = await service({ mailer: failing, logger: log }).request({
      accountId: 'R10042',
      userId: 'jordan@mycompany.com',
      conversationId: null,
      invoiceNumber: 'IN7654322',
      topic: 'extension',
      userWords: WORDS,
    });
    expect(out).toMatchObject({ topic: 'extension', invoiceNumber: 'IN7654322', notified: false });
    const row = await db.selectFrom('follow_ups').selectAll().where('reference', '=', out.reference).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ notified_at: null, user_words: WORDS, status: 'open' });
    expect((await db.selectFrom('outbox').select('id').execute()).length).toBe(outboxBefore);
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]).toMatchObject({ level: 'error', obj: { reference: out.reference, accountId: 'R10042', status: 503, attempts: 3 } });
    expect(JSON.stringify(log.lines)).not.toContain('zebra-quokka');
  });

  it("refuses another account's invoice, a made-up one and a malformed number (nothing stored or sent)", async () => {
    const before = { rows: (await rows(db)).length, mail: (await db.selectFrom('outbox').select('id').execute()).length };
    const base = { accountId: 'R10042', userId: 'jordan@mycompany.com', conversationId: null, topic: 'dispute' as const, userWords: WORDS };
    for (const [invoiceNumber, reason, message] of [
      ['IN8800001', 'invoice_not_found', 'No invoice IN8800001 was found on this account.'], // R20077's
      ['IN0000000', 'invoice_not_found', 'No invoice IN0000000 was found on this account.'],
      ['SO-20417', 'invalid_invoice_number', '"SO-20417" is not an invoice number; they look like IN7654321.'],
    ] as const) {
      const err = await service()
        .request({ ...base, invoiceNumber })
        .catch((e: unknown) => e);
      expect(err, invoiceNumber).toBeInstanceOf(FollowUpRefusedError);
      expect((err as FollowUpRefusedError).reason).toBe(reason);
      expect((err as FollowUpRefusedError).message).toBe(message);
    }
    // The same invoice is fine for its own account.
    wall.advanceMinutes(1);
    expect(await service().request({ ...base, accountId: 'R20077', userId: 'sam@northernbyte.ca', invoiceNumber: 'IN8800001' })).toMatchObject({ notified: true });
    expect((await rows(db)).length).toBe(before.rows + 1);
    expect((await db.selectFrom('outbox').select('id').execute()).length).toBe(before.mail + 1);
  });

  it('references are unique and follow the id', async () => {
    const all = await rows(db);
    expect(new Set(all.map((r) => r.reference)).size).toBe(all.length);
    for (const r of all) expect(r.reference).toBe(`FU-${String(r.id).padStart(6, '0')}`);
  });

  it('lists newest first, per account, in pages', async () => {
    const svc = service();
    const all = await svc.list('R10042', { limit: 100, offset: 0 });
    const own = (await rows(db)).filter((r) => r.account_id === 'R10042');
    expect(all.items.map((f) => f.reference)).toStrictEqual(
      own
        .sort((a, b) => new Date(b.created_at).getTime() - new Date(a.created_at).getTime())
        .map((r) => r.reference),
    );
    expect(all.items.length).toBeGreaterThanOrEqual(4);
    expect(all.items.every((f) => f.accountId === 'R10042')).toBe(true);
    expect(all.nextOffset).toBeNull();
    const times = all.items.map((f) => f.createdAt.getTime());
    expect([...times].sort((a, b) => b - a)).toStrictEqual(times);

    const p1 = await svc.list('R10042', { limit: 2, offset: 0 });
    expect(p1.items.map((f) => f.reference)).toStrictEqual(all.items.slice(0, 2).map((f) => f.reference));
    expect(p1.nextOffset).toBe(2);
    const p2 = await svc.list('R10042', { limit: 2, offset: 2 });
    expect(p2.items.map((f) => f.reference)).toStrictEqual(all.items.slice(2, 4).map((f) => f.reference));

    const other = await svc.list('R20077', { limit: 100, offset: 0 });
    expect(other.items.map((f) => [f.accountId, f.invoiceNumber])).toStrictEqual([['R20077', 'IN8800001']]);
    expect((await svc.list('R40010', { limit: 10, offset: 0 })).items).toStrictEqual([]);
  });

  describe('requestBillingFollowUp tool', () => {
    function ctx(extras: Record<string, unknown>, accountId = 'R10042'): ToolContext {
      const config = testConfig({ FIXED_TODAY: TEST_TODAY });
      const clock = fixedClock(TEST_TODAY);
      const billing = createBillingService({ db, clock });
      const links = createLinkSigner({ keys: config.linkKeys, ttlSeconds: config.LINK_TTL_SECONDS, baseUrl: config.publicBaseUrl, now: () => clock.now() });
      return { session: { accountId, userId: 'jordan@mycompany.com', userName: null }, conversationId: null, clock, billing, links, extras };
    }

    it('stores the current message as the words and returns a receipt card', async () => {
      wall.advanceMinutes(1);
      const svc = service();
      const text = 'I need more time to pay IN7654321, can someone extend the due date?';
      const out = await requestBillingFollowUp.execute(ctx({ followUps: svc.requester, userText: text }), { topic: 'extension', invoiceNumber: 'IN7654321' });
      const result = requestBillingFollowUpResult.parse(out.result);
      expect(result).toMatchObject({ reference: expect.stringMatching(/^FU-\d{6}$/), topic: 'extension', invoiceNumber: 'IN7654321', notified: true });
      expect(result.message).toContain(result.reference);
      expect(out.cards).toStrictEqual([{ type: 'followup_receipt', reference: result.reference, topic: 'extension', invoiceNumber: 'IN7654321', createdAt: wall.now().toISOString() }]);
      const row = await db.selectFrom('follow_ups').select(['user_words', 'user_id', 'account_id']).where('reference', '=', result.reference).executeTakeFirstOrThrow();
      expect(row).toStrictEqual({ user_words: text, user_id: 'jordan@mycompany.com', account_id: 'R10042' });
    });

    it('runs at once only when the message asks for a person, about the invoice it names; else it is proposed', () => {
      const req = (text: string, o: Partial<UserRequest> = {}): UserRequest => ({
        text,
        addresses: [],
        invoiceNumbers: [],
        referencedInvoice: null,
        withholds: () => false,
        asksForPerson: false,
        ...o,
      });
      const explicit = requestBillingFollowUp.approval!.explicit;
      const person = { asksForPerson: true };
      expect(explicit({ topic: 'other', invoiceNumber: null }, req('I want to talk to a human', person))).toBe(true);
      expect(explicit({ topic: 'dispute', invoiceNumber: 'IN7654321' }, req('IN7654321 is wrong, have someone call me', { ...person, invoiceNumbers: ['IN7654321'] }))).toBe(true);
      expect(explicit({ topic: 'refund', invoiceNumber: 'IN7650001' }, req('have your AR team contact me about that one', { ...person, referencedInvoice: 'IN7650001' }))).toBe(true);
      // Proposed: a dispute, extension or refund stated without asking for a person.
      expect(explicit({ topic: 'dispute', invoiceNumber: 'IN7654321' }, req('IN7654321 is wrong, we never ordered that', { invoiceNumbers: ['IN7654321'] }))).toBe(false);
      expect(explicit({ topic: 'extension', invoiceNumber: null }, req('Can I get more time to pay?'))).toBe(false);
      // Not this call: another invoice than the one named, or a withheld action.
      expect(explicit({ topic: 'dispute', invoiceNumber: 'IN7654322' }, req('someone call me about IN7654321', { ...person, invoiceNumbers: ['IN7654321'] }))).toBe(false);
      expect(explicit({ topic: 'other', invoiceNumber: null }, req("don't get me a person yet", { ...person, withholds: (a) => a === 'followup' }))).toBe(false);
      expect(requestBillingFollowUp.approval!.describe({ topic: 'extension', invoiceNumber: 'in 7654321' }, 'en-CA')).toStrictEqual({
        action: 'follow_up',
        summary: 'Pass your due-date extension request about IN7654321 to the accounts-receivable team, who will reply by email.',
        invoiceNumber: 'IN7654321',
        to: null,
      });
    });

    it("maps refusals to tool failures (another account's invoice, no words, no service)", async () => {
      const svc = service();
      const run = (extras: Record<string, unknown>, invoiceNumber: string | null) =>
        requestBillingFollowUp.execute(ctx(extras), { topic: 'dispute', invoiceNumber }).catch((e: unknown) => e);
      const foreign = await run({ followUps: svc.requester, userText: 'dispute IN8800001' }, 'IN8800001');
      expect(foreign).toBeInstanceOf(ToolFailure);
      expect(foreign).toMatchObject({ code: 'invoice_not_found', message: 'No invoice IN8800001 was found on this account.' });
      expect(await run({ followUps: svc.requester, userText: '   ' }, null)).toMatchObject({ code: 'empty_request' });
      expect(await run({ userText: 'talk to a person' }, null)).toMatchObject({ code: 'followup_unavailable' });
    });
  });
});

describe('GET /v1/billing/follow-ups', () => {
  let t: TestApp;
  const refs: Record<string, string[]> = { R10042: [], R20077: [] };

  beforeAll(async () => {
    t = await createTestApp();
    const svc = t.app.services.followUps;
    for (const [accountId, invoiceNumber, topic] of [
      ['R10042', 'IN7654321', 'dispute'],
      ['R20077', 'IN8800001', 'extension'],
      ['R10042', null, 'other'],
    ] as const) {
      const out = await svc.request({ accountId, userId: `user@${accountId.toLowerCase()}.test`, conversationId: null, invoiceNumber, topic, userWords: `Please help (${topic}).` });
      refs[accountId]!.push(out.reference);
    }
  });
  afterAll(async () => t?.close());

  it("returns only the session account's follow-ups, newest first", async () => {
    const res = await t.app.inject({ url: '/v1/billing/follow-ups', headers: await t.auth('R10042') });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<{ items: Array<Record<string, unknown>>; limit: number; offset: number; nextOffset: number | null }>();
    expect(body).toMatchObject({ limit: 25, offset: 0, nextOffset: null });
    expect(body.items.map((i) => i['reference'])).toStrictEqual([...refs['R10042']!].reverse());
    expect(body.items[1]).toStrictEqual({
      reference: refs['R10042']![0],
      topic: 'dispute',
      invoiceNumber: 'IN7654321',
      status: 'open',
      requestedBy: 'user@r10042.test',
      userWords: 'Please help (dispute).',
      createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      notified: true,
      notifiedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
    });

    const other = await t.app.inject({ url: '/v1/billing/follow-ups', headers: await t.auth('R20077') });
    expect(other.json<{ items: Array<{ reference: string }> }>().items.map((i) => i.reference)).toStrictEqual(refs['R20077']);
    const none = await t.app.inject({ url: '/v1/billing/follow-ups', headers: await t.auth('R40010') });
    expect(none.json<{ items: unknown[] }>().items).toStrictEqual([]);
  });

  it('pages with limit and offset, and rejects bad paging', async () => {
    const res = await t.app.inject({ url: '/v1/billing/follow-ups?limit=1&offset=1', headers: await t.auth('R10042') });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ limit: 1, offset: 1, nextOffset: null, items: [{ reference: refs['R10042']![0] }] });
    const bad = await t.app.inject({ url: '/v1/billing/follow-ups?limit=0', headers: await t.auth('R10042') });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: { code: 'invalid_request' } });
    const unknown = await t.app.inject({ url: '/v1/billing/follow-ups?accountId=R20077', headers: await t.auth('R10042') });
    expect(unknown.statusCode).toBe(400);
  });

  it('answers 401 without a token', async () => {
    const res = await t.app.inject({ url: '/v1/billing/follow-ups' });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ error: { code: 'unauthorized' }, requestId: expect.any(String) });
  });

  it('is in the OpenAPI document with its query, errors and bearer auth', async () => {
    const res = await t.app.inject({ url: '/docs/json' });
    const doc = res.json<{ paths: Record<string, { get?: { responses: Record<string, unknown>; security?: unknown; parameters?: Array<{ name: string; in: string }> } }> }>();
    const op = doc.paths['/v1/billing/follow-ups']?.get;
    expect(op).toBeDefined();
    expect(Object.keys(op!.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '404', '500']));
    expect(op!.security).toStrictEqual([{ bearerAuth: [] }]);
    expect(op!.parameters!.map((p) => `${p.in}:${p.name}`).sort()).toStrictEqual(['query:limit', 'query:offset']);
  });
});

describe('AR_TEAM_EMAIL', () => {
  const prod = {
    NODE_ENV: 'production',
    AUTH_JWT_SECRET: 'prod-secret-0123456789abcdefghijklmnopqrstuvwxyz',
    LINK_SIGNING_KEYS: 'k2:prod-link-key-0123456789abcdefghijklmnopqrstuv',
    DATABASE_URL: 'postgres://billing@db.internal:5432/billing',
    PUBLIC_BASE_URL: 'https://billing.example.com',
    STRIPE_SECRET_KEY: 'sk_live_prodKey0123456789',
    STRIPE_WEBHOOK_SECRET: 'whsec_prod_0123456789abcdefghijklmnop',
    RESEND_API_KEY: 're_prod_0123456789',
    MAIL_FROM: 'Randmar Billing <billing@randmar.com>',
  };

  it('defaults outside production, is validated as an address, and is required in production', () => {
    expect(loadConfig({}).arTeamEmail).toBe(DEV_AR_TEAM_EMAIL);
    expect(DEV_AR_TEAM_EMAIL).toBe('ar-team@randmar.example');
    expect(loadConfig({ AR_TEAM_EMAIL: 'ar@randmar.com' }).arTeamEmail).toBe('ar@randmar.com');
    expect(() => loadConfig({ AR_TEAM_EMAIL: 'not an address' })).toThrow(/AR_TEAM_EMAIL/);
    expect(() => loadConfig({ AR_TEAM_EMAILS: 'ar@randmar.com' })).toThrow(/Unknown configuration variable\(s\): AR_TEAM_EMAILS/);
    expect(() => loadConfig(prod)).toThrow(ConfigError);
    expect(() => loadConfig(prod)).toThrow(/AR_TEAM_EMAIL: production needs the address of the accounts-receivable team/);
    expect(loadConfig({ ...prod, AR_TEAM_EMAIL: 'ar@randmar.com' }).arTeamEmail).toBe('ar@randmar.com');
  });
});
