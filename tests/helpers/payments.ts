import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import Stripe from 'stripe';
import { expect } from 'vitest';
import { luhnValid } from '../../src/redaction/card-data.js';
import type { ChatModel } from '../../src/agent/types.js';
import { buildApp } from '../../src/app.js';
import { fixedClock } from '../../src/billing/dates.js';
import { createInvoice } from '../../src/billing/ledger.js';
import { testConfig, type Config } from '../../src/config.js';
import type { Database } from '../../src/db/index.js';
import { signSessionToken } from '../../src/identity/session.js';
import type { PaymentsOptions } from '../../src/payments/service.js';
import { TEST_TODAY } from './constants.js';
import { freshDatabase } from './db.js';
import { letters, type MockSession } from './stripe-msw.js';

export const WEBHOOK_SECRET = 'whsec_test_payments_0123456789abcdefghij';
export const STRIPE_ENV: Record<string, string> = {
  STRIPE_SECRET_KEY: 'sk_test_paymentsSuite',
  STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
  STRIPE_MAX_NETWORK_RETRIES: '0',
};

export interface PaymentsTestApp {
  app: FastifyInstance;
  database: Database;
  config: Config;
  /** Every log line the app wrote (debug level and up), as JSON text. */
  logs: string[];
  auth(accountId: string, userId?: string): Promise<{ authorization: string }>;
  close(): Promise<void>;
}

/** An app over a fresh fixture database, with the payments overrides and its logs captured. */
export async function createPaymentsTestApp(opts: { env?: Record<string, string>; payments?: PaymentsOptions; model?: ChatModel } = {}): Promise<PaymentsTestApp> {
  const config = testConfig({ FIXED_TODAY: TEST_TODAY, LOG_LEVEL: 'debug', ...opts.env });
  const database = await freshDatabase();
  const logs: string[] = [];
  const app = await buildApp({
    config,
    database,
    clock: fixedClock(TEST_TODAY),
    ...(opts.payments ? { payments: opts.payments } : {}),
    ...(opts.model ? { model: opts.model } : {}),
    logStream: { write: (line: string) => void logs.push(line) },
  });
  await app.ready();
  return {
    app,
    database,
    config,
    logs,
    auth: async (accountId, userId = `user@${accountId.toLowerCase()}.test`) => ({
      authorization: `Bearer ${await signSessionToken(config, { accountId, userId })}`,
    }),
    close: async () => {
      await app.close();
      await database.close();
    },
  };
}

export const payToken = (t: PaymentsTestApp, invoiceNumber: string, accountId = 'R10042', ttl?: number) =>
  t.app.services.links.mint({ purpose: 'pay', accountId, invoiceNumber }, ttl);

/** Presses the Pay button of a signed link (the browser's form post). */
export function pressPay(t: PaymentsTestApp, token: string): Promise<LightMyRequestResponse> {
  return t.app.inject({ method: 'POST', url: `/pay/${token}/checkout`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: '' });
}

/** A new unpaid invoice for a test of its own (numbers come from the sequence). */
export async function newInvoice(t: PaymentsTestApp, accountId: string, cents: bigint, opts: { dueInDays?: number } = {}): Promise<string> {
  const due = new Date(`${TEST_TODAY}T00:00:00Z`);
  due.setUTCDate(due.getUTCDate() + (opts.dueInDays ?? 20));
  const inv = await t.database.db.transaction().execute((trx) =>
    createInvoice(trx, accountId, {
      issuedOn: TEST_TODAY,
      dueOn: due.toISOString().slice(0, 10),
      lines: [{ kind: 'service', description: 'Test service', unitCents: cents }],
    }),
  );
  return inv.number;
}

/** Our checkout session rows for an invoice, newest first. */
export async function sessionsOf(t: PaymentsTestApp, invoiceNumber: string) {
  return t.database.db.selectFrom('checkout_sessions').selectAll().where('invoice_number', '=', invoiceNumber).orderBy('created_at', 'desc').execute();
}

export async function paymentsFor(t: PaymentsTestApp, invoiceNumber: string) {
  return t.database.db
    .selectFrom('payment_allocations as pa')
    .innerJoin('payments as p', 'p.id', 'pa.payment_id')
    .innerJoin('invoices as i', 'i.id', 'pa.invoice_id')
    .where('i.number', '=', invoiceNumber)
    .select(['p.number', 'p.amount_cents', 'p.processor_ref', 'pa.amount_cents as allocated'])
    .execute();
}

export async function invoiceRow(t: PaymentsTestApp, invoiceNumber: string) {
  return t.database.db
    .selectFrom('invoices')
    .select(['total_cents', 'paid_cents', 'credited_cents', 'amount_due_cents'])
    .where('number', '=', invoiceNumber)
    .executeTakeFirstOrThrow();
}

export async function countRows(t: PaymentsTestApp, table: 'payments' | 'stripe_events' | 'payment_alerts' | 'credit_memos' | 'checkout_sessions' | 'payment_allocations') {
  const r = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}`.execute(t.database.db);
  return r.rows[0]!.n;
}

/** A snapshot of everything a payment may write, to prove that nothing was. */
export async function ledgerSnapshot(t: PaymentsTestApp) {
  const r = await sql<{ payments: number; allocations: number; credits: number; paid: string; credited: string }>`
    select (select count(*)::int from payments) as payments,
           (select count(*)::int from payment_allocations) as allocations,
           (select count(*)::int from credit_memos) as credits,
           (select sum(paid_cents)::text from invoices) as paid,
           (select sum(credited_cents)::text from invoices) as credited`.execute(t.database.db);
  const sessions = await t.database.db.selectFrom('checkout_sessions').select(['id', 'state', 'payment_id']).orderBy('id').execute();
  return { ...r.rows[0]!, sessions };
}

// --- Stripe events ------------------------------------------------------------------------------

export type SessionEventType =
  | 'checkout.session.completed'
  | 'checkout.session.async_payment_succeeded'
  | 'checkout.session.async_payment_failed'
  | 'checkout.session.expired';

export function stripeEvent<T extends object>(type: SessionEventType | string, object: T, id = `evt_${letters(24)}`) {
  return {
    id,
    object: 'event',
    api_version: Stripe.API_VERSION,
    created: Math.floor(Date.now() / 1000),
    data: { object },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
  };
}

/** Posts a payload to the webhook, signed as Stripe signs (or not, or wrongly: see options). */
export function deliver(
  app: FastifyInstance,
  payload: string | object,
  opts: { secret?: string; timestamp?: number; signature?: string | null; tamper?: (body: string) => string } = {},
): Promise<LightMyRequestResponse> {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const header =
    opts.signature === null
      ? undefined
      : (opts.signature ?? Stripe.webhooks.generateTestHeaderString({ payload: body, secret: opts.secret ?? WEBHOOK_SECRET, ...(opts.timestamp ? { timestamp: opts.timestamp } : {}) }));
  return app.inject({
    method: 'POST',
    url: '/webhooks/stripe',
    headers: { 'content-type': 'application/json; charset=utf-8', ...(header ? { 'stripe-signature': header } : {}) },
    payload: opts.tamper ? opts.tamper(body) : body,
  });
}

export function expectOutcome(res: LightMyRequestResponse, outcome: string, reason?: string) {
  expect(res.statusCode, res.body).toBe(200);
  const body = res.json<{ received: boolean; outcome: string; reason?: string }>();
  expect(body.outcome, res.body).toBe(outcome);
  if (reason) expect(body.reason).toBe(reason);
}

/** A completed, paid Checkout Session as Stripe sends it (overridable, e.g. to forge a mismatch). */
export function paidSession(base: MockSession | Partial<MockSession> & { id: string }, overrides: Partial<MockSession> = {}): MockSession {
  return {
    object: 'checkout.session',
    amount_subtotal: 0,
    amount_total: 0,
    cancel_url: null,
    client_reference_id: null,
    created: Math.floor(Date.now() / 1000),
    currency: 'cad',
    customer: null,
    customer_email: null,
    expires_at: Math.floor(Date.now() / 1000) + 1800,
    livemode: false,
    metadata: {},
    mode: 'payment',
    payment_intent: `pi_${letters(24)}`,
    url: null,
    success_url: null,
    ...base,
    status: 'complete',
    payment_status: 'paid',
    ...overrides,
  };
}

// --- card data sweep ----------------------------------------------------------------------------

/** 13-19 digits, optionally grouped by single spaces or dashes, not part of a longer number. */
const CANDIDATE = /(?<![\dA-Za-z])\d(?:[ -]?\d){12,18}(?![\dA-Za-z])/g;
/** Ids (request ids, conversation ids) are hex, not typed text: their digit runs are not card numbers. */
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/** Every Luhn-valid card-length digit sequence in a text. */
export function findCardNumbers(text: string): string[] {
  const hits: string[] = [];
  for (const m of text.replace(UUID, '<uuid>').matchAll(CANDIDATE)) {
    const digits = m[0].replace(/[ -]/g, '');
    if (digits.length >= 13 && digits.length <= 19 && !/^(\d)\1+$/.test(digits) && luhnValid(digits)) hits.push(m[0]);
  }
  return hits;
}

/** Log fields that are numbers by nature (timestamps, durations), not text anyone typed. */
const NUMERIC_LOG_FIELDS = new Set(['time', 'responseTime', 'latencyMs', 'pid']);

function stringsOf(value: unknown, out: string[]): void {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) stringsOf(v, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (NUMERIC_LOG_FIELDS.has(k) && typeof v === 'number') continue;
      out.push(k);
      stringsOf(v, out);
    }
  } else if (typeof value === 'number') out.push(String(value));
}

/**
 * Sweeps every text-like column (text, varchar, char, json, jsonb) of every table in the public
 * schema, and every log line, for card numbers. Returns where each was found.
 */
export async function sweepForCardNumbers(db: Database['db'], logs: readonly string[]): Promise<{ found: string[]; columns: number; rows: number; logLines: number }> {
  const cols = await sql<{ table_name: string; column_name: string }>`
    select c.table_name, c.column_name from information_schema.columns c
    join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
    where c.table_schema = 'public' and t.table_type = 'BASE TABLE'
      and c.data_type in ('text', 'character varying', 'character', 'json', 'jsonb')
    order by c.table_name, c.column_name`.execute(db);
  const found: string[] = [];
  let rows = 0;
  for (const { table_name, column_name } of cols.rows) {
    const r = await sql<{ v: string }>`select ${sql.ref(column_name)}::text as v from ${sql.table(table_name)} where ${sql.ref(column_name)} is not null`.execute(db);
    rows += r.rows.length;
    for (const { v } of r.rows) for (const hit of findCardNumbers(v)) found.push(`${table_name}.${column_name}: ${hit}`);
  }
  for (const line of logs) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      parsed = line;
    }
    const texts: string[] = [];
    stringsOf(parsed, texts);
    for (const text of texts) for (const hit of findCardNumbers(text)) found.push(`log: ${hit}`);
  }
  return { found, columns: cols.rows.length, rows, logLines: logs.length };
}
