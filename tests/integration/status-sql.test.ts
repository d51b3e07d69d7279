import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../../src/billing/dates.js';
import { getBalance, listInvoices, listOutstanding } from '../../src/billing/queries.js';
import { INVOICE_STATUS_FILTERS, INVOICE_STATUSES, invoiceStatus, type InvoiceStatusFilter } from '../../src/billing/status.js';
import type { Database } from '../../src/db/index.js';
import { TEST_TODAY } from '../helpers/constants.js';
import { freshDatabase } from '../helpers/db.js';

/**
 * Invoice statuses are computed in TypeScript (`invoiceStatus()`, src/billing/status.ts) and
 * filtered in SQL (`listInvoices`, `getBalance`, src/billing/queries.ts). Over a grid of invoices
 * (void, paid, open, partially paid; due in the past, today and in the future; zero amounts),
 * every SQL filter must return exactly the invoices the TypeScript definition puts there.
 */

const D = TEST_TODAY;
const ACCOUNT = 'R99017';
const ALL = { limit: 1000, offset: 0 };

type Status = ReturnType<typeof invoiceStatus>;

/**
 * What each filter means, stated over `invoiceStatus()`. Two filters are wider than the status of
 * the same name, as the listInvoices tool describes them: `due` is anything open not yet overdue
 * (a "Partially paid" invoice too), `partially_paid` anything open with something settled
 * ("Overdue (partially paid)" too).
 */
const FILTER_MEANS: Record<InvoiceStatusFilter, (s: Status) => boolean> = {
  paid: (s) => s.status === 'paid',
  due: (s) => s.status === 'due' || s.status === 'partially_paid',
  overdue: (s) => s.status === 'overdue',
  partially_paid: (s) => s.partiallyPaid,
  open: (s) => s.status !== 'paid' && s.status !== 'void',
  void: (s) => s.status === 'void',
};

/** Settlements, in cents: [total, paid, credited, voided]. */
const SETTLEMENTS: ReadonlyArray<readonly [number, number, number, boolean]> = [
  [0, 0, 0, false], // nothing to pay at all
  [0, 0, 0, true],
  [100_000, 0, 0, false], // open, untouched
  [100_000, 40_000, 0, false], // partly paid
  [100_000, 0, 40_000, false], // partly credited
  [100_000, 30_000, 20_000, false], // both
  [100_000, 99_999, 0, false], // one cent due
  [100_000, 100_000, 0, false], // paid
  [100_000, 0, 100_000, false], // credited in full
  [100_000, 60_000, 40_000, false], // settled by both
  [100_000, 0, 0, true], // void, unpaid
  [100_000, 40_000, 0, true], // void after a part payment
  [100_000, 100_000, 0, true], // void after payment
];
const DUE_OFFSETS = [-30, -1, 0, 1, 30];

describe('invoice status filters in SQL agree with invoiceStatus()', () => {
  let database: Database;

  beforeAll(async () => {
    database = await freshDatabase();
    const db = database.db;
    await db.insertInto('accounts').values({ id: ACCOUNT, name: 'Status Grid Ltd.', currency: 'CAD', opened_on: addDays(D, -90) }).execute();
    let n = 0;
    const rows = DUE_OFFSETS.flatMap((offset) =>
      SETTLEMENTS.map(([total, paid, credited, voided]) => ({
        account_id: ACCOUNT,
        number: `IN99${String(n++).padStart(5, '0')}`,
        issued_on: addDays(D, -60),
        due_on: addDays(D, offset),
        currency: 'CAD',
        total_cents: BigInt(total),
        paid_cents: BigInt(paid),
        credited_cents: BigInt(credited),
        voided_at: voided ? new Date(`${addDays(D, -10)}T12:00:00Z`) : null,
      })),
    );
    await db.insertInto('invoices').values(rows).execute();
  });
  afterAll(async () => database.close());

  /** The grid as stored (amount due is computed by the database). */
  async function grid() {
    return database.db
      .selectFrom('invoices')
      .select(['number', 'due_on', 'total_cents', 'paid_cents', 'credited_cents', 'amount_due_cents', 'voided_at'])
      .where('account_id', '=', ACCOUNT)
      .execute();
  }

  // The day before, of and after the grid's middle due dates: each boundary is crossed both ways.
  for (const today of [addDays(D, -1), D, addDays(D, 1)]) {
    describe(`today ${today}`, () => {
      it('the grid has every status, and a partially paid invoice both overdue and not', async () => {
        const statuses = (await grid()).map((r) => invoiceStatus(r, today));
        expect(new Set(statuses.map((s) => s.status))).toStrictEqual(new Set(INVOICE_STATUSES));
        expect(statuses.some((s) => s.partiallyPaid && s.status === 'overdue')).toBe(true);
        expect(statuses.some((s) => s.partiallyPaid && s.status === 'partially_paid')).toBe(true);
      });

      it.each(INVOICE_STATUS_FILTERS)('status filter %s', async (filter) => {
        const expected = (await grid()).filter((r) => FILTER_MEANS[filter](invoiceStatus(r, today))).map((r) => r.number);
        const got = (await listInvoices(database.db, ACCOUNT, { status: filter }, ALL, today)).items;
        expect(expected.length).toBeGreaterThan(0);
        expect(got.map((i) => i.number).sort()).toStrictEqual(expected.sort());
      });

      it('no filter lists every invoice; outstanding lists the open ones', async () => {
        const all = (await grid()).map((r) => r.number).sort();
        expect((await listInvoices(database.db, ACCOUNT, {}, ALL, today)).items.map((i) => i.number).sort()).toStrictEqual(all);
        const open = (await listInvoices(database.db, ACCOUNT, { status: 'open' }, ALL, today)).items;
        expect((await listOutstanding(database.db, ACCOUNT, ALL, today)).items).toStrictEqual(open);
      });

      it('the balance counts and sums what invoiceStatus() calls open and overdue', async () => {
        const rows = (await grid()).map((r) => ({ ...r, s: invoiceStatus(r, today) }));
        const open = rows.filter((r) => FILTER_MEANS.open(r.s));
        const overdue = rows.filter((r) => r.s.status === 'overdue');
        const sum = (xs: typeof rows) => xs.reduce((t, r) => t + r.amount_due_cents, 0n);
        const notYetDue = open.filter((r) => r.s.status !== 'overdue').map((r) => r.due_on);
        const b = await getBalance(database.db, ACCOUNT, today);
        expect(b).toMatchObject({
          openCount: open.length,
          outstandingCents: sum(open),
          overdueCount: overdue.length,
          overdueCents: sum(overdue),
          unappliedCreditsCents: 0n,
          balanceCents: sum(open),
          nextDueOn: notYetDue.sort()[0] ?? null,
        });
      });
    });
  }
});
