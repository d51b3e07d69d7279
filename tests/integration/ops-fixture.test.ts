import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { addDays, fixedClock } from '../../src/billing/dates.js';
import { FIXTURE_ACCOUNTS, INJECTION_MEMO } from '../../src/billing/fixture.js';
import { testConfig } from '../../src/config.js';
import { migrateToLatest, type Database } from '../../src/db/index.js';
import { signOperatorToken } from '../../src/identity/operator.js';
import { signSessionToken } from '../../src/identity/session.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { TEST_TODAY } from '../helpers/constants.js';
import { freshDatabase } from '../helpers/db.js';

/**
 * Must show 1 of issue 18: the demo fixture (src/billing/fixture.ts) loaded through the operator
 * API (HTTP, not the seed function) into an empty database gives every account the same balance,
 * invoice list and statuses, invoice details, payments, credits, contacts and verified domains as
 * the seeded database, read through the reseller API with a portal token on each. The fixture's
 * records are written out below as the billing system would send them, dates relative to the as-of
 * day; its portal users (account_users) have no operator API and are not compared.
 */

const D = (n: number) => addDays(TEST_TODAY, n);
const name = (id: string) => FIXTURE_ACCOUNTS.find((a) => a.id === id)!.name;
const at = (day: string) => `${day}T12:00:00Z`;

type Call = [method: 'PUT', url: string, body: Record<string, unknown>];

function line(description: string, reference: string | null, unitCents: number, quantity = 1, kind = 'order', position = 1) {
  return { position, kind, description, reference, quantity, unitCents };
}
function account(id: string, openedOn: string, opening: string, dueOn: string, lines: ReturnType<typeof line>[] = []): Call {
  return ['PUT', `/v1/ops/accounts/${id}`, { name: name(id), currency: 'CAD', openedOn, openingInvoice: { number: opening, dueOn, lines }, sourceVersion: 1 }];
}
function invoice(accountId: string, number: string, issuedOn: string, dueOn: string, l: ReturnType<typeof line>, memo: string | null = null): Call {
  return ['PUT', `/v1/ops/invoices/${number}`, { accountId, issuedOn, dueOn, currency: 'CAD', memo, lines: [l], sourceVersion: 1 }];
}
function payment(accountId: string, number: string, receivedOn: string, amountCents: number, method: string, invoiceNumber: string): Call {
  return ['PUT', `/v1/ops/payments/${number}`, { accountId, receivedOn, amountCents, currency: 'CAD', method, allocations: [{ invoiceNumber, amountCents }], sourceVersion: 1 }];
}
function credit(accountId: string, number: string, issuedOn: string, amountCents: number, reason: string): Call {
  return ['PUT', `/v1/ops/credit-memos/${number}`, { accountId, issuedOn, amountCents, currency: 'CAD', reason, sourceVersion: 1 }];
}
function contacts(accountId: string, domain: string, verifiedOn: string, emails: string[]): Call[] {
  return [
    ['PUT', `/v1/ops/accounts/${accountId}/domains/${domain}`, { verifiedAt: at(verifiedOn), sourceVersion: 1 }],
    ...emails.map((e): Call => ['PUT', `/v1/ops/accounts/${accountId}/contacts/${e}`, { name: null, sourceVersion: 1 }]),
  ];
}

/** The fixture as the billing system's records, in the seed's order. */
const FIXTURE_CALLS: Call[] = [
  account('R10042', D(-150), 'IN7650001', D(-120), [line('Order SO-20417: Dell PowerEdge T160 tower server', 'SO-20417', 189000, 1, 'order', 2)]),
  ...contacts('R10042', 'mycompany.com', D(-150), ['accounting@mycompany.com', 'ap@mycompany.com']),
  payment('R10042', 'PAY-300101', D(-125), 194000, 'credit_card', 'IN7650001'),
  invoice('R10042', 'IN7653310', D(-60), D(-30), line('Order SO-20533: Lenovo ThinkPad USB-C docks', 'SO-20533', 46315, 5)),
  credit('R10042', 'CM-100201', D(-40), 12000, 'Return of damaged dock (RMA-5521)'),
  ['PUT', '/v1/ops/credit-memos/CM-100201/applications/IN7653310', { amountCents: 12000, appliedOn: D(-32), sourceVersion: 1 }],
  payment('R10042', 'PAY-300188', D(-32), 219575, 'credit_card', 'IN7653310'),
  invoice('R10042', 'IN7654322', D(-50), D(-20), line('Order SO-20602: APC Smart-UPS 1500VA', 'SO-20602', 49000, 2)),
  payment('R10042', 'PAY-300205', D(-15), 50000, 'cheque', 'IN7654322'),
  invoice('R10042', 'IN7654321', D(-35), D(-5), line('Order SO-20688: Ubiquiti UniFi U7 Pro access points', 'SO-20688', 30864, 4)),
  invoice('R10042', 'IN7654320', D(-20), D(10), line('Microsoft 365 Business Standard, monthly licences', 'SUB-7781', 2000, 32, 'service')),
  invoice('R10042', 'IN7654323', D(-5), D(25), line('Order SO-20790: Cat6 patch cables, box of 50', 'SO-20790', 3590, 6), INJECTION_MEMO),
  credit('R10042', 'CM-100202', D(-10), 7500, 'Price protection adjustment on SO-20688'),

  account('R20077', D(-90), 'IN8800002', D(-60), [line('Order SO-31002: Cisco Meraki MS120 switch', 'SO-31002', 36000, 1, 'order', 2)]),
  ...contacts('R20077', 'northernbyte.ca', D(-90), ['ap@northernbyte.ca']),
  payment('R20077', 'PAY-300150', D(-70), 41000, 'credit_card', 'IN8800002'),
  invoice('R20077', 'IN8800001', D(-25), D(5), line('Order SO-31077: HP ProBook 450 G10 laptops', 'SO-31077', 100000, 3)),

  account('R30001', D(-3), 'IN7659001', D(27)),
  ...contacts('R30001', 'freshstart.tech', D(-3), []),

  account('R40010', D(-200), 'IN7640001', D(-170), [line('Order SO-19950: Synology DS923+ NAS with drives', 'SO-19950', 105000, 1, 'order', 2)]),
  ...contacts('R40010', 'clearwater.systems', D(-200), ['billing@clearwater.systems']),
  payment('R40010', 'PAY-300120', D(-175), 110000, 'credit_card', 'IN7640001'),
];

interface Loaded {
  app: FastifyInstance;
  database: Database;
  reseller(accountId: string): Promise<{ authorization: string }>;
  close(): Promise<void>;
}

/** An app over an empty, migrated database: nothing in it but what the operator API writes. */
async function emptyApp(): Promise<Loaded> {
  const config = testConfig({ FIXED_TODAY: TEST_TODAY, RATE_LIMIT_READS_PER_MINUTE: '100000', RATE_LIMIT_OPS_PER_MINUTE: '100000' });
  const database = await freshDatabase({ empty: true });
  await migrateToLatest(database.db);
  const app = await buildApp({ config, database, clock: fixedClock(TEST_TODAY) });
  await app.ready();
  return {
    app,
    database,
    reseller: async (accountId) => ({ authorization: `Bearer ${await signSessionToken(config, { accountId, userId: `user@${accountId.toLowerCase()}.test` })}` }),
    close: async () => {
      await app.close();
      await database.close();
    },
  };
}

type Get = (url: string) => Promise<unknown>;

/** What a reseller of the account sees through the API: balance, invoices (and each one's detail), payments, credits, contacts. */
async function resellerView(get: Get) {
  const invoices = (await get('/v1/billing/invoices?limit=100')) as { items: Array<{ invoiceNumber: string }>; nextOffset: number | null };
  const contactList = (await get('/v1/billing/contacts')) as { items: Array<Record<string, unknown>>; verifiedDomains: string[] };
  return {
    balance: await get('/v1/billing/balance'),
    invoices,
    details: await Promise.all(invoices.items.map((i) => get(`/v1/billing/invoices/${i.invoiceNumber}`))),
    outstanding: await get('/v1/billing/invoices/outstanding?limit=100'),
    payments: await get('/v1/billing/payments?limit=100'),
    credits: await get('/v1/billing/credits?limit=100'),
    // A contact's row id and creation time are the database's own.
    contacts: contactList.items.map(({ email, name, createdBy }) => ({ email, name, createdBy })),
    verifiedDomains: contactList.verifiedDomains,
  };
}

function getter(app: FastifyInstance, headers: { authorization: string }): Get {
  return async (url) => {
    const res = await app.inject({ url, headers });
    expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
    return res.json();
  };
}

describe('the demo fixture through the operator API (Must show 1)', () => {
  let seeded: TestApp;
  let loaded: Loaded;

  beforeAll(async () => {
    [seeded, loaded] = await Promise.all([createTestApp(), emptyApp()]);
  });
  afterAll(async () => {
    await Promise.all([seeded?.close(), loaded?.close()]);
  });

  it('loads every record into the empty database (201 each: created, nothing refused)', async () => {
    const token = await signOperatorToken(testConfig(), { operatorId: 'billing-system', scopes: ['billing:write', 'billing:read'] });
    for (const [method, url, payload] of FIXTURE_CALLS) {
      const res = await loaded.app.inject({ method, url, payload, headers: { authorization: `Bearer ${token}`, 'idempotency-key': randomUUID() } });
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(201);
    }
    const count = async (db: Database) => Promise.all((['accounts', 'invoices', 'invoice_lines', 'payments', 'payment_allocations', 'credit_memos', 'credit_applications', 'billing_contacts', 'account_domains'] as const).map(async (table) => [table, (await db.db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n]));
    expect(await count(loaded.database)).toStrictEqual(await count(seeded.database));
  });

  for (const { id } of FIXTURE_ACCOUNTS) {
    it(`${id}: the same balance, statuses, invoices, payments, credits and contacts as the seed`, async () => {
      const fromApi = await resellerView(getter(loaded.app, await loaded.reseller(id)));
      const fromSeed = await resellerView(getter(seeded.app, await seeded.auth(id)));
      expect(fromApi.invoices.nextOffset).toBeNull();
      expect(fromApi.invoices.items.length).toBeGreaterThan(0);
      expect(fromApi).toStrictEqual(fromSeed);
    });
  }

  it('each opening invoice carries the one-time opening fee once, as its first line', async () => {
    const rows = await loaded.database.db
      .selectFrom('invoices as i')
      .innerJoin('invoice_lines as l', 'l.invoice_id', 'i.id')
      .select(['i.account_id', 'i.number', 'l.position', 'l.amount_cents'])
      .where('l.kind', '=', 'opening_fee')
      .orderBy('i.account_id')
      .execute();
    expect(rows).toStrictEqual([
      { account_id: 'R10042', number: 'IN7650001', position: 1, amount_cents: 5000n },
      { account_id: 'R20077', number: 'IN8800002', position: 1, amount_cents: 5000n },
      { account_id: 'R30001', number: 'IN7659001', position: 1, amount_cents: 5000n },
      { account_id: 'R40010', number: 'IN7640001', position: 1, amount_cents: 5000n },
    ]);
  });
});
