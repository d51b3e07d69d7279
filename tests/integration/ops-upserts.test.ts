import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../../src/billing/dates.js';
import { applyOpsRecord, parseOpsRecord } from '../../src/billing/ops/apply.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { TEST_TODAY } from '../helpers/constants.js';

/**
 * Must show 2 of issue 18 (the cross-token 403s are in ops-auth.test.ts): the operator API's
 * upserts are idempotent (same key twice → one invoice and the same answer, also when the
 * duplicates race), a stale sourceVersion is refused with 409, and every rule the ledger enforces
 * answers 4xx naming the field, with nothing written.
 */

interface ErrorJson {
  error: { code: string; message: string; details?: { field?: string } };
}

const D = (n: number) => addDays(TEST_TODAY, n);
const line = (over: Record<string, unknown> = {}) => ({ position: 1, kind: 'order', description: 'Order SO-90001: test rack', reference: 'SO-90001', quantity: 2, unitCents: 12500, ...over });
const invoiceBody = (over: Record<string, unknown> = {}) => ({ accountId: 'R10042', issuedOn: TEST_TODAY, dueOn: D(30), currency: 'CAD', memo: null, lines: [line()], sourceVersion: 1, ...over });
const paymentBody = (over: Record<string, unknown> = {}) => ({ accountId: 'R10042', receivedOn: TEST_TODAY, amountCents: 10000, currency: 'CAD', method: 'wire', allocations: [], sourceVersion: 1, ...over });

describe('operator API upserts (Must show 2)', () => {
  let t: TestApp;
  let ops: { authorization: string };

  beforeAll(async () => {
    t = await createTestApp();
    ops = await t.opsAuth(['billing:write', 'billing:read'], 'billing-system');
  });
  afterAll(async () => t?.close());

  const send = (method: 'PUT' | 'POST' | 'DELETE', url: string, payload?: unknown, key: string | null = randomUUID()) =>
    t.app.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }), headers: { ...ops, ...(key === null ? {} : { 'idempotency-key': key }) } });
  const get = async (url: string) => t.app.inject({ url, headers: ops });
  const invoicesNumbered = async (number: string) => (await t.database.db.selectFrom('invoices').select('id').where('number', '=', number).execute()).length;
  const resellerBalance = async (accountId: string) => (await t.app.inject({ url: '/v1/billing/balance', headers: await t.auth(accountId) })).json<{ balance: { cents: number }; outstanding: { cents: number } }>();

  describe('idempotency', () => {
    it('the same key twice → one invoice, and the second answer is the first one (status and body), replayed', async () => {
      const key = randomUUID();
      const first = await send('PUT', '/v1/ops/invoices/IN7700001', invoiceBody(), key);
      expect(first.statusCode, first.body).toBe(201);
      expect(first.json()).toMatchObject({ number: 'IN7700001', accountId: 'R10042', totalCents: 25000, amountDueCents: 25000, status: 'due', sourceVersion: 1 });
      const again = await send('PUT', '/v1/ops/invoices/IN7700001', invoiceBody(), key);
      expect(again.statusCode).toBe(201);
      expect(again.body).toBe(first.body);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      expect(await invoicesNumbered('IN7700001')).toBe(1);
      // Another key with the same record: an upsert that finds it as it is (200), still one invoice.
      const other = await send('PUT', '/v1/ops/invoices/IN7700001', invoiceBody());
      expect(other.statusCode).toBe(200);
      expect(other.json()).toStrictEqual(first.json());
      expect(await invoicesNumbered('IN7700001')).toBe(1);
    });

    it('the same key with another body → 422 naming the key, and nothing is written', async () => {
      const key = randomUUID();
      expect((await send('PUT', '/v1/ops/invoices/IN7700002', invoiceBody(), key)).statusCode).toBe(201);
      const changed = await send('PUT', '/v1/ops/invoices/IN7700002', invoiceBody({ memo: 'PO 4471' }), key);
      expect(changed.statusCode).toBe(422);
      expect(changed.json<ErrorJson>().error).toMatchObject({ code: 'idempotency_key_reused', details: { field: 'headers.idempotency-key' } });
      expect(changed.json<ErrorJson>().error.message).toMatch(/^headers\.idempotency-key: this key was used for another request \(PUT \/v1\/ops\/invoices\/IN7700002/);
      // Same key on another URL: also another request.
      expect((await send('PUT', '/v1/ops/invoices/IN7700003', invoiceBody(), key)).statusCode).toBe(422);
      expect((await get('/v1/ops/invoices/IN7700002')).json()).toMatchObject({ memo: null });
      expect(await invoicesNumbered('IN7700003')).toBe(0);
    });

    it('a key is per operator: another operator using the same key makes its own request', async () => {
      const key = randomUUID();
      expect((await send('PUT', '/v1/ops/invoices/IN7700004', invoiceBody(), key)).statusCode).toBe(201);
      const other = await t.app.inject({ method: 'PUT', url: '/v1/ops/invoices/IN7700004', payload: invoiceBody(), headers: { ...(await t.opsAuth(['billing:write'], 'erp-2')), 'idempotency-key': key } });
      expect(other.statusCode).toBe(200);
      expect(other.headers['idempotent-replayed']).toBeUndefined();
    });

    it('a write without Idempotency-Key → 400 naming the header; nothing written', async () => {
      const res = await send('PUT', '/v1/ops/invoices/IN7700005', invoiceBody(), null);
      expect(res.statusCode).toBe(400);
      expect(res.json<ErrorJson>().error.message).toMatch(/^headers\.idempotency-key: /);
      expect(await invoicesNumbered('IN7700005')).toBe(0);
    });

    it('concurrent requests with the same key → one write; every one gets the same answer', async () => {
      const key = randomUUID();
      const answers = await Promise.all(Array.from({ length: 8 }, () => send('PUT', '/v1/ops/invoices/IN7700006', invoiceBody(), key)));
      expect(answers.map((a) => a.statusCode)).toStrictEqual(Array(8).fill(201));
      expect(new Set(answers.map((a) => a.body)).size).toBe(1);
      expect(answers.filter((a) => a.headers['idempotent-replayed'] === 'true')).toHaveLength(7);
      expect(await invoicesNumbered('IN7700006')).toBe(1);
      const keys = await t.database.db.selectFrom('ops_idempotency').select('response_status').where('key', '=', key).execute();
      expect(keys).toStrictEqual([{ response_status: 201 }]);
    });

    it('concurrent requests with different keys for one payment → one payment, allocated once', async () => {
      const body = paymentBody({ amountCents: 20000, allocations: [{ invoiceNumber: 'IN7654321', amountCents: 20000 }] });
      const answers = await Promise.all(Array.from({ length: 6 }, () => send('PUT', '/v1/ops/payments/WIRE-2026-0001', body)));
      expect(answers.map((a) => a.statusCode).sort()).toStrictEqual([200, 200, 200, 200, 200, 201]);
      const allocs = await t.database.db
        .selectFrom('payment_allocations as pa')
        .innerJoin('payments as p', 'p.id', 'pa.payment_id')
        .select('pa.amount_cents')
        .where('p.number', '=', 'WIRE-2026-0001')
        .execute();
      expect(allocs).toStrictEqual([{ amount_cents: 20000n }]);
      expect((await get('/v1/ops/invoices/IN7654321')).json()).toMatchObject({ paidCents: 20000, amountDueCents: 103456 });
    });
  });

  describe('sourceVersion', () => {
    it('an update older than the stored version → 409 naming the stored version; equal or newer applies', async () => {
      expect((await send('PUT', '/v1/ops/invoices/IN7700010', invoiceBody({ sourceVersion: 5 }))).statusCode).toBe(201);
      const stale = await send('PUT', '/v1/ops/invoices/IN7700010', invoiceBody({ sourceVersion: 4, dueOn: D(60) }));
      expect(stale.statusCode).toBe(409);
      expect(stale.json<ErrorJson>().error.message).toBe('sourceVersion: invoice IN7700010 is stored at version 5; 4 is older and was not applied');
      expect((await get('/v1/ops/invoices/IN7700010')).json()).toMatchObject({ dueOn: D(30), sourceVersion: 5 });
      const newer = await send('PUT', '/v1/ops/invoices/IN7700010', invoiceBody({ sourceVersion: 6, dueOn: D(60), memo: 'PO 4471' }));
      expect(newer.statusCode).toBe(200);
      expect(newer.json()).toMatchObject({ dueOn: D(60), memo: 'PO 4471', sourceVersion: 6 });
    });

    it('a timestamp version is kept as epoch milliseconds and compared the same way', async () => {
      const created = await send('PUT', '/v1/ops/credit-memos/CM-T-1', { accountId: 'R20077', issuedOn: TEST_TODAY, amountCents: 1500, currency: 'CAD', reason: 'Goodwill', sourceVersion: '2026-11-25T10:00:00Z' });
      expect(created.statusCode, created.body).toBe(201);
      expect(created.json()).toMatchObject({ sourceVersion: Date.parse('2026-11-25T10:00:00Z') });
      const stale = await send('PUT', '/v1/ops/credit-memos/CM-T-1', { accountId: 'R20077', issuedOn: TEST_TODAY, amountCents: 1500, currency: 'CAD', reason: 'Goodwill (edited)', sourceVersion: '2026-11-25T09:59:59.999Z' });
      expect(stale.statusCode).toBe(409);
      expect(stale.json<ErrorJson>().error.details).toMatchObject({ field: 'sourceVersion' });
    });

    it('a void carries the version too: the pre-void record sent again afterwards is stale', async () => {
      expect((await send('PUT', '/v1/ops/invoices/IN7700011', invoiceBody({ sourceVersion: 1 }))).statusCode).toBe(201);
      const voided = await send('POST', '/v1/ops/invoices/IN7700011/void', { sourceVersion: 2 });
      expect(voided.statusCode, voided.body).toBe(200);
      expect(voided.json()).toMatchObject({ status: 'void', sourceVersion: 2 });
      expect((await send('PUT', '/v1/ops/invoices/IN7700011', invoiceBody({ sourceVersion: 1 }))).statusCode).toBe(409);
      // Voiding again changes nothing.
      expect((await send('POST', '/v1/ops/invoices/IN7700011/void', { sourceVersion: 2 })).statusCode).toBe(200);
    });
  });

  describe('accounts, contacts, domains', () => {
    it('opening an account charges the opening fee once on its first invoice; renaming and re-sending change nothing else', async () => {
      const body = { name: 'Polar Cloud Ltd.', currency: 'CAD', openedOn: TEST_TODAY, openingInvoice: { number: 'IN7700020', lines: [line({ position: 2 })] }, sourceVersion: 1 };
      const opened = await send('PUT', '/v1/ops/accounts/R55501', body);
      expect(opened.statusCode, opened.body).toBe(201);
      expect(opened.json()).toMatchObject({ accountId: 'R55501', openingInvoiceNumber: 'IN7700020', closedOn: null });
      const inv = (await get('/v1/ops/invoices/IN7700020')).json<{ lines: Array<{ kind: string; amountCents: number }>; dueOn: string; isOpening: boolean }>();
      expect(inv.lines.map((l) => [l.kind, l.amountCents])).toStrictEqual([
        ['opening_fee', 5000],
        ['order', 25000],
      ]);
      expect(inv).toMatchObject({ isOpening: true, dueOn: D(30) });
      expect((await send('PUT', '/v1/ops/accounts/R55501', body)).statusCode).toBe(200);
      const renamed = await send('PUT', '/v1/ops/accounts/R55501', { ...body, name: 'Polar Cloud Inc.', sourceVersion: 2 });
      expect(renamed.json()).toMatchObject({ name: 'Polar Cloud Inc.', sourceVersion: 2 });
      expect(await t.database.db.selectFrom('invoices').select('number').where('account_id', '=', 'R55501').execute()).toStrictEqual([{ number: 'IN7700020' }]);
      expect(await resellerBalance('R55501')).toMatchObject({ outstanding: { cents: 30000 } });
    });

    it('contacts and verified domains: added, renamed, removed; the reseller sees them', async () => {
      expect((await send('PUT', '/v1/ops/accounts/R20077/contacts/Payables@NorthernByte.ca', { name: 'Payables', sourceVersion: 1 })).statusCode).toBe(201);
      expect((await send('PUT', '/v1/ops/accounts/R20077/domains/NB-Billing.ca', { verifiedAt: '2026-11-20T09:00:00Z', sourceVersion: 1 })).statusCode).toBe(201);
      const renamed = await send('PUT', '/v1/ops/accounts/R20077/contacts/payables@northernbyte.ca', { name: 'Accounts payable', sourceVersion: 2 });
      expect(renamed.statusCode).toBe(200);
      expect(renamed.json<{ contacts: unknown[] }>().contacts).toContainEqual({ email: 'payables@northernbyte.ca', name: 'Accounts payable', sourceVersion: 2 });
      const seen = (await t.app.inject({ url: '/v1/billing/contacts', headers: await t.auth('R20077') })).json<{ items: Array<{ email: string }>; verifiedDomains: string[] }>();
      expect(seen.items.map((c) => c.email)).toContain('payables@northernbyte.ca');
      expect(seen.verifiedDomains).toStrictEqual(['nb-billing.ca', 'northernbyte.ca']);
      const removed = await send('DELETE', '/v1/ops/accounts/R20077/contacts/payables@northernbyte.ca');
      expect(removed.statusCode).toBe(200);
      expect(removed.json<{ contacts: Array<{ email: string }> }>().contacts.map((c) => c.email)).toStrictEqual(['ap@northernbyte.ca']);
      expect((await send('DELETE', '/v1/ops/accounts/R20077/domains/nb-billing.ca')).json<{ verifiedDomains: Array<{ domain: string }> }>().verifiedDomains.map((d) => d.domain)).toStrictEqual(['northernbyte.ca']);
    });

    it('a closed account takes no invoice issued on or after the closing day; payments still apply', async () => {
      const r40010 = (await get('/v1/ops/accounts/R40010')).json<Record<string, unknown>>();
      const body = { name: r40010['name'], currency: 'CAD', openedOn: r40010['openedOn'], closedOn: TEST_TODAY, sourceVersion: 1 };
      const closed = await send('PUT', '/v1/ops/accounts/R40010', body);
      expect(closed.statusCode, closed.body).toBe(200);
      expect(closed.json()).toMatchObject({ closedOn: TEST_TODAY });
      const refused = await send('PUT', '/v1/ops/invoices/IN7700030', invoiceBody({ accountId: 'R40010' }));
      expect(refused.statusCode).toBe(409);
      expect(refused.json<ErrorJson>().error.message).toBe(`issuedOn: account R40010 closed on ${TEST_TODAY}: it takes no invoice issued on or after that day`);
      const earlier = await send('PUT', '/v1/ops/invoices/IN7700031', invoiceBody({ accountId: 'R40010', issuedOn: D(-1) }));
      expect(earlier.statusCode, earlier.body).toBe(201);
      expect((await send('PUT', '/v1/ops/payments/EFT-40010-1', paymentBody({ accountId: 'R40010', method: 'eft', amountCents: 25000, allocations: [{ invoiceNumber: 'IN7700031', amountCents: 25000 }] }))).statusCode).toBe(201);
      expect((await send('PUT', '/v1/ops/accounts/R40010', { ...body, closedOn: null, sourceVersion: 2 })).json()).toMatchObject({ closedOn: null });
    });
  });

  describe('payments', () => {
    it('what a payment does not allocate stays on it, unallocated; a later update allocates it; recorded allocations never change', async () => {
      const first = await send('PUT', '/v1/ops/payments/CHQ-88123', paymentBody({ accountId: 'R20077', method: 'cheque', amountCents: 100000, allocations: [{ invoiceNumber: 'IN8800001', amountCents: 60000 }] }));
      expect(first.statusCode, first.body).toBe(201);
      expect(first.json()).toMatchObject({ method: 'cheque', methodLabel: 'Cheque', unallocatedCents: 40000, allocations: [{ invoiceNumber: 'IN8800001', amountCents: 60000 }] });
      // The unallocated part is in no balance.
      expect(await resellerBalance('R20077')).toMatchObject({ outstanding: { cents: 240000 } });
      const more = await send('PUT', '/v1/ops/payments/CHQ-88123', paymentBody({ accountId: 'R20077', method: 'cheque', amountCents: 100000, allocations: [{ invoiceNumber: 'IN8800001', amountCents: 60000 }, { invoiceNumber: 'IN7700040', amountCents: 1 }], sourceVersion: 2 }));
      expect(more.statusCode).toBe(400);
      expect(more.json<ErrorJson>().error.message).toBe('allocations[1].invoiceNumber: no invoice IN7700040 on account R20077');
      const all = await send('PUT', '/v1/ops/payments/CHQ-88123', paymentBody({ accountId: 'R20077', method: 'cheque', amountCents: 100000, allocations: [{ invoiceNumber: 'IN8800001', amountCents: 100000 }], sourceVersion: 2 }));
      expect(all.statusCode).toBe(409);
      expect(all.json<ErrorJson>().error.message).toBe('allocations[0].amountCents: the allocation to IN8800001 is recorded as 60000 cents and cannot change');
      const dropped = await send('PUT', '/v1/ops/payments/CHQ-88123', paymentBody({ accountId: 'R20077', method: 'cheque', amountCents: 100000, allocations: [], sourceVersion: 2 }));
      expect(dropped.json<ErrorJson>().error.message).toBe('allocations: the allocation of 60000 cents to IN8800001 is recorded and cannot be removed');
      expect((await get('/v1/ops/payments/CHQ-88123')).json()).toMatchObject({ unallocatedCents: 40000, sourceVersion: 1 });
    });

    it('GET of an unknown record → 404; a read-only token cannot write (403 naming billing:write)', async () => {
      expect((await get('/v1/ops/payments/PAY-NOPE')).statusCode).toBe(404);
      expect((await get('/v1/ops/invoices/IN7999999')).statusCode).toBe(404);
      expect((await get('/v1/ops/accounts/R99999')).statusCode).toBe(404);
      const res = await t.app.inject({ method: 'PUT', url: '/v1/ops/invoices/IN7700050', payload: invoiceBody(), headers: { ...(await t.opsAuth(['billing:read'])), 'idempotency-key': randomUUID() } });
      expect(res.statusCode).toBe(403);
      expect(res.json<ErrorJson>().error.message).toMatch(/'billing:write'/);
    });
  });

  it('GET /docs/json documents every upsert under the tag ops, with the opsBearer scheme and the Idempotency-Key header', async () => {
    type Op = { tags: string[]; security: unknown; parameters?: Array<{ name: string; in: string; required?: boolean }>; responses: Record<string, unknown> };
    const doc = (await t.app.inject({ url: '/docs/json' })).json<{ paths: Record<string, Record<string, Op>> }>();
    const writes: Array<[string, string]> = [
      ['/v1/ops/accounts/{accountId}', 'put'],
      ['/v1/ops/accounts/{accountId}/contacts/{email}', 'put'],
      ['/v1/ops/accounts/{accountId}/contacts/{email}', 'delete'],
      ['/v1/ops/accounts/{accountId}/domains/{domain}', 'put'],
      ['/v1/ops/accounts/{accountId}/domains/{domain}', 'delete'],
      ['/v1/ops/invoices/{number}', 'put'],
      ['/v1/ops/invoices/{number}/void', 'post'],
      ['/v1/ops/payments/{number}', 'put'],
      ['/v1/ops/credit-memos/{number}', 'put'],
      ['/v1/ops/credit-memos/{number}/applications/{invoiceNumber}', 'put'],
    ];
    for (const [path, method] of writes) {
      const op = doc.paths[path]?.[method];
      expect(op, `${method} ${path}`).toBeDefined();
      expect(op!.tags).toStrictEqual(['ops']);
      expect(op!.security).toStrictEqual([{ opsBearer: [] }]);
      expect(op!.parameters).toContainEqual(expect.objectContaining({ name: 'idempotency-key', in: 'header', required: true }));
      expect(Object.keys(op!.responses)).toEqual(expect.arrayContaining(['200', '201', '400', '403', '409', '422']));
    }
    for (const path of ['/v1/ops/accounts/{accountId}', '/v1/ops/invoices/{number}', '/v1/ops/payments/{number}', '/v1/ops/credit-memos/{number}']) {
      expect(doc.paths[path]?.['get']?.tags, path).toStrictEqual(['ops']);
    }
  });

  it('every write is audited with the operator, the account and the key', async () => {
    const key = randomUUID();
    expect((await send('PUT', '/v1/ops/credit-memos/CM-T-2', { accountId: 'R10042', issuedOn: TEST_TODAY, amountCents: 500, currency: 'CAD', reason: 'Goodwill', sourceVersion: 1 }, key)).statusCode).toBe(201);
    const rows = await t.database.db.selectFrom('audit_log').select(['actor_type', 'actor_id', 'account_id', 'action', 'outcome', 'details']).where(sql<boolean>`details->>'idempotencyKey' = ${key}`).execute();
    expect(rows).toStrictEqual([
      { actor_type: 'operator', actor_id: 'billing-system', account_id: 'R10042', action: 'ops.credit-memos.put', outcome: 'ok', details: expect.objectContaining({ status: 201 }) },
    ]);
  });
});

/** [what, method, url, body, status, the field the message starts with, and a piece of the reason]. */
type Case = [string, 'PUT' | 'POST', string, Record<string, unknown>, number, string, RegExp];

const CASES: Case[] = [
  ['over-allocation', 'PUT', '/v1/ops/payments/PAY-T-10', paymentBody({ amountCents: 200000, allocations: [{ invoiceNumber: 'IN7654321', amountCents: 123457 }] }), 400, 'allocations[0].amountCents', /exceeds the amount due on IN7654321 \(123456 cents\)/],
  ['allocations above the payment', 'PUT', '/v1/ops/payments/PAY-T-11', paymentBody({ amountCents: 1000, allocations: [{ invoiceNumber: 'IN7654321', amountCents: 600 }, { invoiceNumber: 'IN7654320', amountCents: 600 }] }), 400, 'allocations', /add up to 1200 cents, more than the payment's 1000/],
  ['allocation to an unknown invoice', 'PUT', '/v1/ops/payments/PAY-T-12', paymentBody({ allocations: [{ invoiceNumber: 'IN7999999', amountCents: 100 }] }), 400, 'allocations[0].invoiceNumber', /no invoice IN7999999 on account R10042/],
  ["allocation to another account's invoice", 'PUT', '/v1/ops/payments/PAY-T-13', paymentBody({ allocations: [{ invoiceNumber: 'IN8800001', amountCents: 100 }] }), 400, 'allocations[0].invoiceNumber', /no invoice IN8800001 on account R10042/],
  ['an invoice allocated twice', 'PUT', '/v1/ops/payments/PAY-T-14', paymentBody({ allocations: [{ invoiceNumber: 'IN7654321', amountCents: 100 }, { invoiceNumber: 'IN7654321', amountCents: 100 }] }), 400, 'allocations[1].invoiceNumber', /listed twice/],
  ['payment in another currency', 'PUT', '/v1/ops/payments/PAY-T-15', paymentBody({ currency: 'USD', allocations: [{ invoiceNumber: 'IN7654321', amountCents: 100 }] }), 400, 'currency', /must be the account's currency \(CAD\)/],
  ['invoice in another currency', 'PUT', '/v1/ops/invoices/IN7700100', invoiceBody({ currency: 'USD' }), 400, 'currency', /account's currency \(CAD\)/],
  ['credit memo in another currency', 'PUT', '/v1/ops/credit-memos/CM-T-10', { accountId: 'R10042', issuedOn: TEST_TODAY, amountCents: 100, currency: 'EUR', reason: 'x', sourceVersion: 1 }, 400, 'currency', /CAD/],
  ['zero payment', 'PUT', '/v1/ops/payments/PAY-T-16', paymentBody({ amountCents: 0 }), 400, 'body.amountCents', /1/],
  ['negative payment', 'PUT', '/v1/ops/payments/PAY-T-17', paymentBody({ amountCents: -500 }), 400, 'body.amountCents', /./],
  ['zero allocation', 'PUT', '/v1/ops/payments/PAY-T-18', paymentBody({ allocations: [{ invoiceNumber: 'IN7654321', amountCents: 0 }] }), 400, 'body.allocations.0.amountCents', /./],
  ['fractional cents', 'PUT', '/v1/ops/payments/PAY-T-19', paymentBody({ amountCents: 10.5 }), 400, 'body.amountCents', /./],
  ['negative credit memo', 'PUT', '/v1/ops/credit-memos/CM-T-11', { accountId: 'R10042', issuedOn: TEST_TODAY, amountCents: -1, currency: 'CAD', reason: 'x', sourceVersion: 1 }, 400, 'body.amountCents', /./],
  ['negative price on an order line', 'PUT', '/v1/ops/invoices/IN7700101', invoiceBody({ lines: [line({ unitCents: -100 })] }), 400, 'lines[0].unitCents', /only an adjustment line may be negative/],
  ['lines adding up below zero', 'PUT', '/v1/ops/invoices/IN7700102', invoiceBody({ lines: [line({ unitCents: 100, quantity: 1 }), line({ position: 2, kind: 'adjustment', quantity: 1, unitCents: -200 })] }), 400, 'lines', /add up to -100 cents/],
  ['due before issue', 'PUT', '/v1/ops/invoices/IN7700103', invoiceBody({ dueOn: D(-1) }), 400, 'dueOn', new RegExp(`must not be before the issue date \\(${TEST_TODAY}\\)`)],
  ['duplicate line positions', 'PUT', '/v1/ops/invoices/IN7700104', invoiceBody({ lines: [line(), line({ description: 'Second' })] }), 400, 'lines[1].position', /position 1 is used by another line/],
  ['an opening fee on an ordinary invoice', 'PUT', '/v1/ops/invoices/IN7700105', invoiceBody({ lines: [line({ kind: 'opening_fee' })] }), 400, 'lines[0].kind', /opening fee is charged once/],
  ['invoice for an unknown account', 'PUT', '/v1/ops/invoices/IN7700106', invoiceBody({ accountId: 'R99999' }), 400, 'accountId', /no account R99999/],
  ['no lines', 'PUT', '/v1/ops/invoices/IN7700107', invoiceBody({ lines: [] }), 400, 'body.lines', /./],
  ['a bad invoice number', 'PUT', '/v1/ops/invoices/INV-123', invoiceBody(), 400, 'params.number', /IN and 7 digits/],
  ['a bad account number', 'PUT', '/v1/ops/accounts/X10042', { name: 'x', currency: 'CAD', openedOn: TEST_TODAY, sourceVersion: 1 }, 400, 'params.accountId', /R and 5 to 12 digits/],
  ['an account number too long', 'PUT', '/v1/ops/accounts/R1234567890123', { name: 'x', currency: 'CAD', openedOn: TEST_TODAY, sourceVersion: 1 }, 400, 'params.accountId', /R and 5 to 12 digits/],
  ['a payment number that reads as a card number', 'PUT', '/v1/ops/payments/4242424242424242', paymentBody(), 400, 'params.number', /13 digits in a row/],
  ['an allocation to a malformed invoice number', 'PUT', '/v1/ops/payments/PAY-T-20', paymentBody({ allocations: [{ invoiceNumber: '7654321', amountCents: 100 }] }), 400, 'body.allocations.0.invoiceNumber', /IN and 7 digits/],
  ['void of a paid invoice', 'POST', '/v1/ops/invoices/IN7654322/void', { sourceVersion: 1 }, 409, 'number', /has 50000 cents paid or credited and cannot be voided: that money would stay allocated to an invoice that no longer counts/],
  ['void of an unknown invoice', 'POST', '/v1/ops/invoices/IN7999998/void', { sourceVersion: 1 }, 404, 'number', /no invoice IN7999998/],
  ['an issued invoice with other lines', 'PUT', '/v1/ops/invoices/IN7654320', { accountId: 'R10042', issuedOn: D(-20), dueOn: D(10), currency: 'CAD', memo: null, lines: [{ position: 1, kind: 'service', description: 'Microsoft 365 Business Standard, monthly licences', reference: 'SUB-7781', quantity: 33, unitCents: 2000 }], sourceVersion: 1 }, 409, 'lines[0].quantity', /is 32 and cannot change/],
  ['an invoice moved to another account', 'PUT', '/v1/ops/invoices/IN8800001', invoiceBody(), 409, 'accountId', /is R20077 and cannot change/],
  ['a recorded payment with another amount', 'PUT', '/v1/ops/payments/PAY-300205', paymentBody({ receivedOn: D(-15), amountCents: 50001, method: 'cheque', allocations: [{ invoiceNumber: 'IN7654322', amountCents: 50000 }] }), 409, 'amountCents', /is 50000 and cannot change/],
  ['a credit applied beyond what it has', 'PUT', '/v1/ops/credit-memos/CM-100202/applications/IN7654321', { amountCents: 7501, appliedOn: TEST_TODAY, sourceVersion: 1 }, 400, 'amountCents', /has available \(7500 cents\)/],
  ['a credit applied to a paid invoice', 'PUT', '/v1/ops/credit-memos/CM-100202/applications/IN7650001', { amountCents: 100, appliedOn: TEST_TODAY, sourceVersion: 1 }, 400, 'amountCents', /amount due on IN7650001 \(0 cents\)/],
  ["a credit applied to another account's invoice", 'PUT', '/v1/ops/credit-memos/CM-100202/applications/IN8800001', { amountCents: 100, appliedOn: TEST_TODAY, sourceVersion: 1 }, 400, 'invoiceNumber', /no invoice IN8800001 on account R10042/],
  ['an unknown credit memo', 'PUT', '/v1/ops/credit-memos/CM-NOPE/applications/IN7654321', { amountCents: 100, appliedOn: TEST_TODAY, sourceVersion: 1 }, 404, 'creditNumber', /no credit memo CM-NOPE/],
  ['an account opened without its opening invoice', 'PUT', '/v1/ops/accounts/R55502', { name: 'No Fee Ltd.', currency: 'CAD', openedOn: TEST_TODAY, sourceVersion: 1 }, 400, 'openingInvoice', /carries the one-time opening fee/],
  ['an opening invoice line at position 1', 'PUT', '/v1/ops/accounts/R55503', { name: 'x', currency: 'CAD', openedOn: TEST_TODAY, openingInvoice: { number: 'IN7700110', lines: [line()] }, sourceVersion: 1 }, 400, 'openingInvoice.lines[0].position', /position 1 is the opening fee/],
  ['an opening invoice number already taken', 'PUT', '/v1/ops/accounts/R55504', { name: 'x', currency: 'CAD', openedOn: TEST_TODAY, openingInvoice: { number: 'IN7654321', lines: [] }, sourceVersion: 1 }, 409, 'openingInvoice.number', /already an invoice of account R10042/],
  ["an account's currency changed", 'PUT', '/v1/ops/accounts/R30001', { name: 'Fresh Start Tech', currency: 'USD', openedOn: D(-3), sourceVersion: 1 }, 409, 'currency', /is CAD and cannot change/],
  ['closing before invoices already issued', 'PUT', '/v1/ops/accounts/R10042', { name: 'Maple Leaf IT Solutions Inc.', currency: 'CAD', openedOn: D(-150), closedOn: D(-10), sourceVersion: 1 }, 409, 'closedOn', /invoice IN7654323 was issued on .*, on or after that day/],
  ['a contact on an unknown account', 'PUT', '/v1/ops/accounts/R99999/contacts/a@b.example', { name: null, sourceVersion: 1 }, 404, 'accountId', /no account R99999/],
  ['a contact address that is not one', 'PUT', '/v1/ops/accounts/R10042/contacts/not-an-address', { name: null, sourceVersion: 1 }, 400, 'params.email', /email/],
  ['a domain without a dot', 'PUT', '/v1/ops/accounts/R10042/domains/localhost', { verifiedAt: '2026-11-25T00:00:00Z', sourceVersion: 1 }, 400, 'params.domain', /domain name/],
  ['an unknown field', 'PUT', '/v1/ops/invoices/IN7700111', { ...invoiceBody(), discount: 5 }, 400, 'body', /discount/],
  ['a negative sourceVersion', 'PUT', '/v1/ops/invoices/IN7700112', invoiceBody({ sourceVersion: -1 }), 400, 'body.sourceVersion', /./],
  ['a missing sourceVersion', 'PUT', '/v1/ops/invoices/IN7700113', invoiceBody({ sourceVersion: undefined }), 400, 'body.sourceVersion', /./],
  ['an unknown payment method', 'PUT', '/v1/ops/payments/PAY-T-21', paymentBody({ method: 'bitcoin' }), 400, 'body.method', /./],
];

describe('every rule violation → 4xx naming the field, nothing written (Must show 2)', () => {
  let t: TestApp;
  let ops: { authorization: string };
  const counts = async () =>
    Promise.all(
      (['accounts', 'invoices', 'invoice_lines', 'payments', 'payment_allocations', 'credit_memos', 'credit_applications', 'billing_contacts', 'account_domains', 'ops_idempotency'] as const).map(
        async (table) => [table, (await t.database.db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n],
      ),
    );
  let before: unknown;

  beforeAll(async () => {
    t = await createTestApp();
    ops = await t.opsAuth(['billing:write', 'billing:read'], 'billing-system');
    before = await counts();
  });
  afterAll(async () => t?.close());

  const named = CASES.map(([what, method, url, payload, status, field, reason]) => [what, status, field, method, url, payload, reason] as const);
  it.each(named)('%s → %i naming %s', async (_what, status, field, method, url, payload, reason) => {
    const res = await t.app.inject({ method, url, payload, headers: { ...ops, 'idempotency-key': randomUUID() } });
    expect(res.statusCode, res.body).toBe(status);
    const { message } = res.json<ErrorJson>().error;
    expect(message.startsWith(`${field}: `) || message.startsWith(`${field}.`) || message.includes(`${field}: `), message).toBe(true);
    expect(message).toMatch(reason);
  });

  it('nothing of any refused write was kept: no record, no idempotency key', async () => {
    expect(await counts()).toStrictEqual(before);
  });
});

describe('applyOpsRecord: the bulk importer\'s unit (one savepoint per record)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t?.close());

  it('parses a record with the API\'s schemas and names the field of the first problem', () => {
    expect(parseOpsRecord({ type: 'invoice', number: 'IN7700200', ...invoiceBody({ lines: [line({ quantity: 0 })] }) })).toMatchObject({ ok: false, field: 'lines[0].quantity' });
    expect(parseOpsRecord({ type: 'refund' })).toMatchObject({ ok: false, field: 'type' });
    expect(parseOpsRecord({ type: 'credit_memo', number: 'CM-T-200', accountId: 'R10042', issuedOn: TEST_TODAY, amountCents: 100, currency: 'CAD', reason: 'x', sourceVersion: 3 })).toMatchObject({
      ok: true,
      record: { type: 'credit_memo', amountCents: 100n, sourceVersion: 3n },
    });
  });

  it('a refused record leaves nothing of itself, the records around it are kept, and the transaction goes on', async () => {
    const records = [
      { type: 'invoice', number: 'IN7700201', ...invoiceBody() },
      { type: 'invoice', number: 'IN7700202', ...invoiceBody({ lines: [line(), line({ description: 'Second' })] }) },
      { type: 'payment', number: 'PAY-T-201', ...paymentBody({ amountCents: 25000, allocations: [{ invoiceNumber: 'IN7700201', amountCents: 25000 }] }) },
      // Its payment row is written before its allocation is refused: the savepoint takes it back.
      { type: 'payment', number: 'PAY-T-202', ...paymentBody({ amountCents: 100, allocations: [{ invoiceNumber: 'IN7700201', amountCents: 100 }] }) },
      { type: 'contact', accountId: 'R10042', email: 'AP2@MyCompany.com', name: null, sourceVersion: 1 },
    ];
    const results = await t.database.db.transaction().execute(async (trx) => {
      const out = [];
      for (const input of records) {
        const parsed = parseOpsRecord(input);
        if (!parsed.ok) throw new Error(`${parsed.field}: ${parsed.reason}`);
        out.push(await applyOpsRecord(trx, parsed.record));
      }
      return out;
    });
    expect(results).toStrictEqual([
      { ok: true, change: 'created' },
      { ok: false, field: 'lines[1].position', reason: 'position 1 is used by another line' },
      { ok: true, change: 'created' },
      { ok: false, field: 'allocations[0].amountCents', reason: 'exceeds the amount due on IN7700201 (0 cents)' },
      { ok: true, change: 'created' },
    ]);
    const numbers = await t.database.db.selectFrom('invoices').select('number').where('number', 'in', ['IN7700201', 'IN7700202']).execute();
    expect(numbers).toStrictEqual([{ number: 'IN7700201' }]);
    expect(await t.database.db.selectFrom('payments').select('number').where('number', 'like', 'PAY-T-20%').execute()).toStrictEqual([{ number: 'PAY-T-201' }]);
    expect(await t.database.db.selectFrom('billing_contacts').select('email').where('email', '=', 'ap2@mycompany.com').execute()).toHaveLength(1);
  });
});
