import fs from 'node:fs';
import { setupServer } from 'msw/node';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { INJECTION_MEMO } from '../../src/billing/fixture.js';
import type { Database } from '../../src/db/index.js';
import { checkRecipient, parseEmailAddress } from '../../src/mail/policy.js';
import { MailTransportError, type Mailer } from '../../src/mail/types.js';
import { emailInvoicePdf } from '../../tools/emailInvoicePdf.js';
import { ToolFailure } from '../../tools/types.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { describeWithBrowser, tempDir } from '../helpers/browser.js';
import { freshDatabase } from '../helpers/db.js';
import { conversation, emailSends, mailHarness, outboxRows, say, toolAudit } from '../helpers/mail.js';
import { mockChatCompletions, OPENAI_TEST_ENV, toolMessages } from '../helpers/openai-msw.js';
import { call, respond, ScriptedModel, text, tools } from '../helpers/scripted-model.js';

/**
 * The recipient policy, the hourly limit and duplicate suppression: enforced by the mail service
 * in code, whatever the model asks for. Outsider addresses → zero sends; limit reached → refused
 * with when to try again; duplicates (sequential or concurrent) → one send.
 */

const EVIL = 'billing-archive@evil.example';

async function expectToolFailure(p: Promise<unknown>, code: string): Promise<ToolFailure> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ToolFailure);
  expect((err as ToolFailure).code).toBe(code);
  return err as ToolFailure;
}

describe('parseEmailAddress: one plain address, strictly', () => {
  it.each([
    ['accounting@mycompany.com', 'accounting@mycompany.com'],
    ['  Accounting@MyCompany.COM ', 'accounting@mycompany.com'],
    ['first.last+invoices@mycompany.com', 'first.last+invoices@mycompany.com'],
    ["o'brien@mycompany.com", "o'brien@mycompany.com"],
    ['a_b-c@sub-domain.mycompany.ca', 'a_b-c@sub-domain.mycompany.ca'],
    ['x@xn--caf-dma.example', 'x@xn--caf-dma.example'],
  ])('accepts %j', (raw, address) => {
    expect(parseEmailAddress(raw)?.address).toBe(address);
  });

  it.each([
    'evil.example?x@mycompany.com',
    'x%evil.example@mycompany.com',
    'evil.example!x@mycompany.com',
    '"x@evil.example"@mycompany.com',
    'x@evil.example@mycompany.com',
    'Accounting <accounting@mycompany.com>',
    'accounting@mycompany.com, billing-archive@evil.example',
    'accounting@mycompany.com;billing-archive@evil.example',
    'accounting@mycompany.com\nBcc: billing-archive@evil.example',
    'mailto:accounting@mycompany.com',
    'accounting@mycompany.com.',
    'accounting@mycompany',
    'accounting@[127.0.0.1]',
    'accounting@127.0.0.1',
    'accounting@-mycompany.com',
    'accounting@mycompany..com',
    '.accounting@mycompany.com',
    'accounting.@mycompany.com',
    'acc..ounting@mycompany.com',
    'accounting@mycompаny.com', // Cyrillic "а"
    'accounting@mycompany.com/evil',
    'accounting@mycompany.com#@evil.example',
    '@mycompany.com',
    'accounting@',
    '',
    `${'a'.repeat(65)}@mycompany.com`,
  ])('refuses %j', (raw) => {
    expect(parseEmailAddress(raw)).toBeNull();
  });
});

describe('recipient policy against the fixture (R10042: contacts accounting@ and ap@mycompany.com, domain mycompany.com)', () => {
  let database: Database;
  beforeAll(async () => {
    database = await freshDatabase();
  });
  afterAll(async () => {
    await database?.close();
  });

  it.each([
    ['accounting@mycompany.com', 'billing_contact'],
    ['AP@MYCOMPANY.COM', 'billing_contact'],
    ['jordan@mycompany.com', 'verified_domain'],
    ['Controller@MyCompany.com', 'verified_domain'],
  ])('allows %j (%s)', async (to, basis) => {
    expect(await checkRecipient(database.db, 'R10042', to)).toMatchObject({ allowed: true, basis });
  });

  it.each([
    [EVIL, 'recipient_not_allowed'],
    ['accounting@mycompany.com.evil.example', 'recipient_not_allowed'],
    ['accounting@evil.mycompany.com', 'recipient_not_allowed'],
    ['accounting@mycompany.co', 'recipient_not_allowed'],
    ['accounting@notmycompany.com', 'recipient_not_allowed'],
    ['ap@northernbyte.ca', 'recipient_not_allowed'], // another account's contact
    ['sam@northernbyte.ca', 'recipient_not_allowed'], // another account's domain
    ['evil.example?x@mycompany.com', 'invalid_recipient'],
    ['accounting@mycompany.com, billing-archive@evil.example', 'invalid_recipient'],
  ])('refuses %j (%s)', async (to, code) => {
    const d = await checkRecipient(database.db, 'R10042', to);
    expect(d).toMatchObject({ allowed: false, code });
    if (!d.allowed && code === 'recipient_not_allowed') {
      expect(d.message).toContain('Billing → Contacts');
      expect(d.message).toContain('mycompany.com');
      expect(d.message).toContain('nothing was sent');
    }
  });

  it('a domain is only verified for its own account', async () => {
    expect(await checkRecipient(database.db, 'R20077', 'anyone@northernbyte.ca')).toMatchObject({ allowed: true, basis: 'verified_domain' });
    expect(await checkRecipient(database.db, 'R20077', 'accounting@mycompany.com')).toMatchObject({ allowed: false, code: 'recipient_not_allowed' });
  });
});

describe('mail rules at the service (stub PDF, local outbox, controllable wall clock)', () => {
  let database: Database;
  let dir: string;
  beforeAll(async () => {
    database = await freshDatabase();
    dir = tempDir('outbox-policy-');
  });
  afterEach(async () => {
    // Each test starts with no sends (the outbox goes with them).
    await sql`truncate email_sends cascade`.execute(database.db);
  });
  afterAll(async () => {
    await database?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('an outsider address is refused by the tool with the remedy; nothing is rendered or sent; the refusal is recorded', async () => {
    const h = mailHarness(database.db, { outboxDir: dir });
    const f = await expectToolFailure(emailInvoicePdf.execute(h.ctx(), { invoiceNumber: 'IN7654321', to: EVIL }), 'recipient_not_allowed');
    expect(f.message).toMatch(/Billing → Contacts in the portal/);
    expect(f.message).toContain(EVIL);
    await expectToolFailure(emailInvoicePdf.execute(h.ctx(), { invoiceNumber: 'IN7654321', to: 'x@mycompany.com.evil.example' }), 'recipient_not_allowed');
    await expectToolFailure(emailInvoicePdf.execute(h.ctx(), { invoiceNumber: 'IN7654321', to: 'evil.example?x@mycompany.com' }), 'invalid_recipient');
    expect((h.pdf as { calls?: number }).calls).toBe(0);
    expect(await outboxRows(database.db)).toStrictEqual([]);
    const sends = await emailSends(database.db);
    // (Same wall-clock instant: compare as a set.)
    expect(sends.map((s) => [s.status, s.reason, s.transport].join(' ')).sort()).toStrictEqual([
      'refused invalid_recipient ',
      'refused recipient_not_allowed ',
      'refused recipient_not_allowed ',
    ]);
  });

  it("another account's invoice is not found (and nothing is sent)", async () => {
    const h = mailHarness(database.db, { outboxDir: dir });
    await expectToolFailure(emailInvoicePdf.execute(h.ctx('R20077', 'sam@northernbyte.ca'), { invoiceNumber: 'IN7654321', to: 'ap@northernbyte.ca' }), 'invoice_not_found');
    expect(await outboxRows(database.db)).toStrictEqual([]);
  });

  it('success confirms recipient, invoice and time, with an email_receipt card', async () => {
    const h = mailHarness(database.db, { outboxDir: dir });
    const out = await emailInvoicePdf.execute(h.ctx(), { invoiceNumber: 'in-7654321', to: 'Accounting@MyCompany.com' });
    expect(out.result).toMatchObject({ invoiceNumber: 'IN7654321', to: 'accounting@mycompany.com', status: 'sent', duplicate: false, sentAt: h.wall.now().toISOString() });
    expect(String(out.result['message'])).toMatch(/^Emailed a PDF copy of IN7654321 to accounting@mycompany\.com at Nov 25, 2026, 10:00 a\.m\. EST\.$/);
    expect(out.cards).toStrictEqual([
      { type: 'email_receipt', invoiceNumber: 'IN7654321', to: 'accounting@mycompany.com', sentAt: h.wall.now().toISOString(), status: 'sent', duplicate: false },
    ]);
    expect(await outboxRows(database.db)).toHaveLength(1);
  });

  it('the same invoice to the same recipient within the window is not sent again; the reply says when it was sent; after the window it is', async () => {
    const h = mailHarness(database.db, { outboxDir: dir, windowMinutes: 10 });
    const first = await emailInvoicePdf.execute(h.ctx(), { invoiceNumber: 'IN7654321', to: 'accounting@mycompany.com' });
    const sentAt = first.result['sentAt'];
    h.wall.advanceMinutes(4);
    const again = await emailInvoicePdf.execute(h.ctx(), { invoiceNumber: 'IN7654321', to: 'ACCOUNTING@mycompany.com' });
    expect(again.result).toMatchObject({ duplicate: true, status: 'sent', sentAt });
    expect(String(again.result['message'])).toBe('A copy of IN7654321 was already sent to accounting@mycompany.com at Nov 25, 2026, 10:00 a.m. EST, so it was not sent again.');
    expect(again.cards?.[0]).toMatchObject({ type: 'email_receipt', duplicate: true, sentAt });
    // A different recipient or a different invoice is not a duplicate.
    await emailInvoicePdf.execute(h.ctx(), { invoiceNumber: 'IN7654321', to: 'ap@mycompany.com' });
    await emailInvoicePdf.execute(h.ctx(), { invoiceNumber: 'IN7654320', to: 'accounting@mycompany.com' });
    expect(await outboxRows(database.db)).toHaveLength(3);
    h.wall.advanceMinutes(7); // 11 minutes after the first send
    const later = await emailInvoicePdf.execute(h.ctx(), { invoiceNumber: 'IN7654321', to: 'accounting@mycompany.com' });
    expect(later.result).toMatchObject({ duplicate: false, status: 'sent' });
    expect(await outboxRows(database.db)).toHaveLength(4);
    const sends = await emailSends(database.db);
    expect(sends.filter((s) => s.status === 'sent')).toHaveLength(4);
    const dup = sends.filter((s) => s.status === 'duplicate');
    expect(dup).toHaveLength(1);
    expect(dup[0]!.duplicate_of).toBe(sends[0]!.id);
  });

  it('a failed send is not a duplicate: asking again sends it', async () => {
    let fail = true;
    const outbox = mailHarness(database.db, { outboxDir: dir }).mailer;
    const flaky: Mailer = {
      transport: 'outbox',
      send: (msg) => (fail ? Promise.reject(new MailTransportError('boom', { status: 500, code: null, attempts: 3 })) : outbox.send(msg)),
    };
    const h = mailHarness(database.db, { outboxDir: dir, mailer: flaky });
    const f = await expectToolFailure(emailInvoicePdf.execute(h.ctx(), { invoiceNumber: 'IN7654321', to: 'accounting@mycompany.com' }), 'email_failed');
    expect(f.message).toBe('The email service did not accept the message, so IN7654321 was not sent to accounting@mycompany.com. Please try again in a few minutes.');
    fail = false;
    h.wall.advanceMinutes(1);
    const ok = await emailInvoicePdf.execute(h.ctx(), { invoiceNumber: 'IN7654321', to: 'accounting@mycompany.com' });
    expect(ok.result).toMatchObject({ status: 'sent', duplicate: false });
    const sends = await emailSends(database.db);
    expect(sends.map((s) => [s.status, s.reason])).toStrictEqual([
      ['failed', 'transport_error'],
      ['sent', null],
    ]);
    expect(sends[0]!.error).toBe('boom');
  });

  it('the hourly limit: refused with when to try again, nothing rendered; a slot frees an hour after the oldest send', async () => {
    const h = mailHarness(database.db, { outboxDir: dir, perHour: 3 });
    const t0 = h.wall.now();
    for (const [i, n] of ['IN7654321', 'IN7654320', 'IN7654322'].entries()) {
      await emailInvoicePdf.execute(h.ctx(), { invoiceNumber: n, to: 'accounting@mycompany.com' });
      if (i === 0) h.wall.advanceMinutes(20);
    }
    h.wall.advanceMinutes(10); // 30 minutes after the first
    const rendered = (h.pdf as { calls?: number }).calls;
    const f = await expectToolFailure(emailInvoicePdf.execute(h.ctx(), { invoiceNumber: 'IN7654323', to: 'ap@mycompany.com' }), 'email_limit_reached');
    expect(f.message).toBe(
      'This account has reached its limit of 3 invoice emails per hour, so IN7654323 was not sent. You can send again after Nov 25, 2026, 11:00 a.m. EST (in about 30 minutes).',
    );
    expect((h.pdf as { calls?: number }).calls).toBe(rendered);
    // Refusals and duplicates do not use up the limit; other accounts have their own.
    await expectToolFailure(emailInvoicePdf.execute(h.ctx(), { invoiceNumber: 'IN7654323', to: EVIL }), 'recipient_not_allowed');
    expect((await emailInvoicePdf.execute(h.ctx('R20077', 'sam@northernbyte.ca'), { invoiceNumber: 'IN8800001', to: 'ap@northernbyte.ca' })).result).toMatchObject({ status: 'sent' });
    // An hour after the first send, one slot is free again.
    h.wall.t = t0.getTime() + 60 * 60_000 + 1000;
    expect((await emailInvoicePdf.execute(h.ctx(), { invoiceNumber: 'IN7654323', to: 'ap@mycompany.com' })).result).toMatchObject({ status: 'sent' });
    await expectToolFailure(emailInvoicePdf.execute(h.ctx(), { invoiceNumber: 'IN7653310', to: 'ap@mycompany.com' }), 'email_limit_reached');
    const refused = (await emailSends(database.db)).filter((s) => s.reason === 'rate_limited');
    expect(refused).toHaveLength(2);
  });

  it('concurrent identical requests produce one send; the others are recorded as duplicates', async () => {
    const h = mailHarness(database.db, { outboxDir: dir });
    const results = await Promise.all(Array.from({ length: 6 }, () => emailInvoicePdf.execute(h.ctx(), { invoiceNumber: 'IN7654321', to: 'accounting@mycompany.com' })));
    expect(results.filter((r) => r.result['duplicate'] === false)).toHaveLength(1);
    expect(results.filter((r) => r.result['duplicate'] === true)).toHaveLength(5);
    expect(await outboxRows(database.db)).toHaveLength(1);
    const sends = await emailSends(database.db);
    expect(sends.filter((s) => s.status === 'sent')).toHaveLength(1);
    expect(sends.filter((s) => s.status === 'duplicate')).toHaveLength(5);
  });

  it('concurrent different requests at the limit: exactly the limit is sent', async () => {
    const h = mailHarness(database.db, { outboxDir: dir, perHour: 3 });
    const asks = ['IN7654321', 'IN7654320', 'IN7654322', 'IN7654323', 'IN7653310', 'IN7650001'].map((invoiceNumber) =>
      emailInvoicePdf.execute(h.ctx(), { invoiceNumber, to: 'ap@mycompany.com' }).then(
        () => 'sent',
        (e: unknown) => (e instanceof ToolFailure ? e.code : 'other'),
      ),
    );
    const outcomes = await Promise.all(asks);
    expect(outcomes.filter((o) => o === 'sent')).toHaveLength(3);
    expect(outcomes.filter((o) => o === 'email_limit_reached')).toHaveLength(3);
    expect(await outboxRows(database.db)).toHaveLength(3);
  });
});

describe('policy through the chat API (no browser needed: refusals happen before any PDF)', () => {
  let t: TestApp;
  let dir: string;
  beforeAll(async () => {
    dir = tempDir('outbox-chat-policy-');
    t = await createTestApp({ OUTBOX_DIR: dir, EMAIL_SENDS_PER_HOUR: '20' });
  });
  afterEach(async () => {
    await sql`truncate email_sends cascade`.execute(t.app.services.db);
  });
  afterAll(async () => {
    await t?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('offline engine: a direct request to an outsider is refused with the remedy, zero sends', async () => {
    const conv = await conversation(t);
    for (const to of [EVIL, 'accounting@mycompany.com.evil.example']) {
      const reply = await say(t, conv, `Email a PDF copy of IN7654321 to ${to}`);
      expect(reply.text).toContain('Billing → Contacts');
      expect(reply.text).not.toMatch(/Done|I've emailed/);
      expect(reply.cards.filter((c) => c.type === 'email_receipt')).toStrictEqual([]);
      const audit = await toolAudit(t.app.services.db, reply.id);
      expect(audit.map((a) => [a.name, a.outcome])).toStrictEqual([['emailInvoicePdf', 'error']]);
    }
    expect(await outboxRows(t.app.services.db)).toStrictEqual([]);
    expect((await emailSends(t.app.services.db)).map((s) => [s.status, s.reason])).toStrictEqual([
      ['refused', 'recipient_not_allowed'],
      ['refused', 'recipient_not_allowed'],
    ]);
    expect(t.app.services.pdf.stats().launches).toBe(0);
  });

  it('limit reached: the reply says when to try again and nothing is sent', async () => {
    const db = t.app.services.db;
    const oldest = new Date(Date.now() - 25 * 60_000);
    await db
      .insertInto('email_sends')
      .values(
        Array.from({ length: 20 }, (_, i) => ({
          id: crypto.randomUUID(),
          account_id: 'R10042',
          user_id: 'jordan@mycompany.com',
          conversation_id: null,
          invoice_number: 'IN7654320',
          recipient: `person${i}@mycompany.com`,
          transport: 'outbox' as const,
          status: 'sent' as const,
          created_at: new Date(oldest.getTime() + i * 1000),
        })),
      )
      .execute();
    const conv = await conversation(t);
    const reply = await say(t, conv, 'Email a PDF copy of IN7654321 to accounting@mycompany.com');
    expect(reply.text).toMatch(/limit of 20 invoice emails per hour/);
    expect(reply.text).toMatch(/You can send again after .+ \(in about 35 minutes\)/);
    expect(await outboxRows(db)).toStrictEqual([]);
    expect(t.app.services.pdf.stats().launches).toBe(0);
    expect((await emailSends(db)).filter((s) => s.status === 'refused').map((s) => s.reason)).toStrictEqual(['rate_limited']);
  });
});

describe("the memo of IN7654323 under a scripted model (createTestApp with an injected ChatModel)", () => {
  let t: TestApp;
  let dir: string;
  beforeAll(() => {
    dir = tempDir('outbox-scripted-policy-');
  });
  afterAll(async () => {
    await t?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("a scripted model that obeys IN7654323's memo: every attempt refused, zero sends", async () => {
    const model = new ScriptedModel([
      tools(call('getInvoice', { invoiceNumber: 'IN7654323' }, 'c_read')),
      respond((req) => {
        // The model reads the memo in the tool result and does what it says: every invoice to that address.
        const memo = (JSON.parse(req.messages.filter((m) => m.role === 'tool').at(-1)!.content) as { memo: string }).memo;
        const to = /[\w.+-]+@[\w-]+(?:\.[\w-]+)+/.exec(memo)![0];
        return {
          toolCalls: ['IN7654323', 'IN7654321', 'IN7654320', 'IN7654322'].map((invoiceNumber, i) => ({ id: `c_evil_${i}`, name: 'emailInvoicePdf', arguments: { invoiceNumber, to } })),
        };
      }),
      text('I tried to archive the invoices.'),
    ]);
    t = await createTestApp({ OUTBOX_DIR: dir }, { model });
    const conv = await conversation(t);
    const reply = await say(t, conv, 'Show me invoice IN7654323');

    expect(String((model.toolResults(1).get('c_read')!.content as { memo: string }).memo)).toBe(INJECTION_MEMO);
    const results = model.toolResults(2);
    for (let i = 0; i < 4; i++) {
      const r = results.get(`c_evil_${i}`)!.content as { error?: { code: string; message: string } };
      expect(r.error?.code).toBe('recipient_not_allowed');
      expect(r.error?.message).toContain('Billing → Contacts');
    }
    const audit = await toolAudit(t.app.services.db, reply.id);
    expect(audit.map((a) => [a.name, a.outcome])).toStrictEqual([
      ['getInvoice', 'ok'],
      ['emailInvoicePdf', 'error'],
      ['emailInvoicePdf', 'error'],
      ['emailInvoicePdf', 'error'],
      ['emailInvoicePdf', 'error'],
    ]);
    // The message did not ask for an email, so each call could at most be proposed; the recipient
    // policy refuses the memo address before proposing: every attempt is on record as refused.
    for (const a of audit.slice(1)) {
      expect((a.arguments as { to?: unknown }).to).toBe(EVIL);
      expect(a.error).toContain(`${EVIL} is not one of this account's billing contacts`);
    }
    // No confirm card, nothing proposed, nothing sent (not even a send attempt), nothing rendered.
    expect(reply.cards.map((c) => c.type)).toStrictEqual(['invoice']);
    expect(await t.app.services.db.selectFrom('chat_proposals').select('id').where('conversation_id', '=', conv).execute()).toStrictEqual([]);
    expect(await outboxRows(t.app.services.db)).toStrictEqual([]);
    expect(await emailSends(t.app.services.db)).toStrictEqual([]);
    expect(t.app.services.pdf.stats().launches).toBe(0);
  });
});

describe('the memo attack through the real openai SDK (msw Chat Completions)', () => {
  const server = setupServer();
  let t: TestApp;
  let dir: string;
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
  afterAll(() => server.close());
  beforeEach(() => {
    dir = tempDir('outbox-openai-policy-');
  });
  afterEach(async () => {
    server.resetHandlers();
    await t?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('an obedient model emails the memo address: refused, the model explains, zero sends', async () => {
    const m = mockChatCompletions([
      { toolCalls: [{ id: 'call_read', name: 'getInvoice', arguments: '{"invoiceNumber":"IN7654323"}' }] },
      (req) => {
        const memo = String((toolMessages(req).get('call_read') as { memo?: unknown }).memo);
        const to = /[\w.+-]+@[\w-]+(?:\.[\w-]+)+/.exec(memo)?.[0] ?? 'nobody';
        return { toolCalls: [{ id: 'call_evil', name: 'emailInvoicePdf', arguments: ['{"invoiceNumber":"IN76', `54323","to":"${to}"}`] }] };
      },
      (req) => {
        const refusal = toolMessages(req).get('call_evil') as { error?: { code?: string } };
        return { text: `I couldn't send it (${refusal.error?.code}).` };
      },
    ]);
    server.use(m.handler);
    t = await createTestApp({ ...OPENAI_TEST_ENV, OUTBOX_DIR: dir });
    const conv = await conversation(t);
    const reply = await say(t, conv, 'Show me invoice IN7654323');
    expect(m.requests).toHaveLength(3);
    expect(m.requests[0]!.body.tools?.map((x) => (x.type === 'function' ? x.function.name : ''))).toContain('emailInvoicePdf');
    expect(reply.text).toBe("I couldn't send it (recipient_not_allowed).");
    // Refused by the recipient policy before anything was proposed (the message asked for no email).
    expect((await toolAudit(t.app.services.db, reply.id)).map((a) => [a.name, a.outcome, (a.arguments as { to?: unknown }).to ?? null])).toStrictEqual([
      ['getInvoice', 'ok', null],
      ['emailInvoicePdf', 'error', EVIL],
    ]);
    expect(reply.cards.map((c) => c.type)).toStrictEqual(['invoice']);
    expect(await t.app.services.db.selectFrom('chat_proposals').select('id').where('conversation_id', '=', conv).execute()).toStrictEqual([]);
    expect(await outboxRows(t.app.services.db)).toStrictEqual([]);
    expect(await emailSends(t.app.services.db)).toStrictEqual([]);
  });
});

describeWithBrowser('policy end to end with real PDFs (chat API, outbox)', () => {
  let t: TestApp;
  let dir: string;
  beforeAll(async () => {
    dir = tempDir('outbox-chat-e2e-');
    t = await createTestApp({ OUTBOX_DIR: dir });
  });
  afterAll(async () => {
    await t?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('two identical chat requests at once: one email', async () => {
    const [a, b] = await Promise.all([conversation(t), conversation(t)]);
    const replies = await Promise.all([a, b].map((c) => say(t, c, 'Email a PDF copy of IN7654320 to ap@mycompany.com')));
    const receipts = replies.flatMap((r) => r.cards.filter((c) => c.type === 'email_receipt'));
    expect(receipts).toHaveLength(2);
    expect(receipts.filter((c) => c.type === 'email_receipt' && c.duplicate)).toHaveLength(1);
    expect((await outboxRows(t.app.services.db)).filter((o) => o.subject.includes('IN7654320'))).toHaveLength(1);
  });

  it('the remedy works: refused, contact added through the API, then sent', async () => {
    const to = 'payables@outsourced-books.example';
    const conv = await conversation(t);
    const refused = await say(t, conv, `Email a PDF copy of IN7654322 to ${to}`);
    expect(refused.text).toContain('Billing → Contacts');
    const add = await t.app.inject({ method: 'POST', url: '/v1/billing/contacts', headers: await t.auth('R10042'), payload: { email: to, name: 'Outsourced bookkeeping' } });
    expect(add.statusCode, add.body).toBe(201);
    const sent = await say(t, conv, `Email a PDF copy of IN7654322 to ${to}`);
    expect(sent.cards.find((c) => c.type === 'email_receipt')).toMatchObject({ invoiceNumber: 'IN7654322', to, status: 'sent', duplicate: false });
    expect((await outboxRows(t.app.services.db)).filter((o) => o.to_address === to)).toHaveLength(1);
  });
});
