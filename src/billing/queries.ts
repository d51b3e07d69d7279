import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import type { DB } from '../db/schema.js';
import { invoiceStatus, type InvoiceStatus, type InvoiceStatusFilter } from './status.js';
import { normalizeInvoiceNumber } from './invoice-number.js';
import { executeNamed } from './named-statement.js';

/**
 * Read side of billing. Every function takes the database, then the account id (from the
 * verified session), then its arguments. An invoice of another account is indistinguishable
 * from one that does not exist: lookups always filter by account.
 */

export interface Page {
  limit: number;
  offset: number;
}
export interface Paged<T> {
  items: T[];
  limit: number;
  offset: number;
  /** Offset of the next page, or null on the last page. */
  nextOffset: number | null;
}

export interface Balance {
  accountId: string;
  currency: string;
  asOf: string;
  outstandingCents: bigint;
  overdueCents: bigint;
  overdueCount: number;
  openCount: number;
  unappliedCreditsCents: bigint;
  /** Outstanding minus unapplied credits. */
  balanceCents: bigint;
  /** Earliest due date among open invoices that are not yet overdue. */
  nextDueOn: string | null;
}

export interface InvoiceSummary {
  number: string;
  issuedOn: string;
  dueOn: string;
  currency: string;
  totalCents: bigint;
  paidCents: bigint;
  creditedCents: bigint;
  amountDueCents: bigint;
  status: InvoiceStatus;
  statusLabel: string;
  partiallyPaid: boolean;
  isOpening: boolean;
}

export interface InvoiceLine {
  position: number;
  kind: string;
  description: string;
  reference: string | null;
  quantity: number;
  unitCents: bigint;
  amountCents: bigint;
}

export interface InvoiceDetail extends InvoiceSummary {
  accountId: string;
  accountName: string;
  memo: string | null;
  lines: InvoiceLine[];
  payments: Array<{ number: string; receivedOn: string; method: string; amountCents: bigint }>;
  credits: Array<{ number: string; appliedOn: string; reason: string; amountCents: bigint }>;
}

export interface PaymentItem {
  number: string;
  receivedOn: string;
  currency: string;
  amountCents: bigint;
  method: string;
  allocations: Array<{ invoiceNumber: string; amountCents: bigint }>;
}

export interface CreditItem {
  number: string;
  issuedOn: string;
  currency: string;
  amountCents: bigint;
  appliedCents: bigint;
  availableCents: bigint;
  reason: string;
  applications: Array<{ invoiceNumber: string; amountCents: bigint; appliedOn: string }>;
}

export interface InvoiceFilter {
  status?: InvoiceStatusFilter | undefined;
  /** Issued on or after (inclusive). */
  from?: string | undefined;
  /** Which date `from`/`to` bound: the issue date (default) or the due date. */
  dateField?: 'issued' | 'due' | undefined;
  /** Invoice total strictly above / below, in cents. */
  overCents?: number | undefined;
  underCents?: number | undefined;
  /** Issued on or before (inclusive). */
  to?: string | undefined;
}

const summaryColumns = [
  'invoices.number',
  'invoices.issued_on',
  'invoices.due_on',
  'invoices.currency',
  'invoices.total_cents',
  'invoices.paid_cents',
  'invoices.credited_cents',
  'invoices.amount_due_cents',
  'invoices.voided_at',
  'invoices.is_opening',
] as const;

interface SummaryRow {
  number: string;
  issued_on: string;
  due_on: string;
  currency: string;
  total_cents: bigint;
  paid_cents: bigint;
  credited_cents: bigint;
  amount_due_cents: bigint;
  voided_at: Date | null;
  is_opening: boolean;
}

function toSummary(r: SummaryRow, today: string): InvoiceSummary {
  const s = invoiceStatus(r, today);
  return {
    number: r.number,
    issuedOn: r.issued_on,
    dueOn: r.due_on,
    currency: r.currency.trim(),
    totalCents: r.total_cents,
    paidCents: r.paid_cents,
    creditedCents: r.credited_cents,
    amountDueCents: r.amount_due_cents,
    status: s.status,
    statusLabel: s.label,
    partiallyPaid: s.partiallyPaid,
    isOpening: r.is_opening,
  };
}

/** A page from `limit + 1` rows: the extra row only says that a next page exists. */
export function paged<T>(rows: T[], page: Page): Paged<T> {
  const more = rows.length > page.limit;
  return {
    items: more ? rows.slice(0, page.limit) : rows,
    limit: page.limit,
    offset: page.offset,
    nextOffset: more ? page.offset + page.limit : null,
  };
}

export async function getAccount(db: Kysely<DB>, accountId: string) {
  return db.selectFrom('accounts').select(['id', 'name', 'currency', 'opened_on']).where('id', '=', accountId).executeTakeFirst();
}

export async function getBalance(db: Kysely<DB>, accountId: string, today: string): Promise<Balance | null> {
  // One round trip; the open-invoice aggregate reads only the partial index of open invoices.
  const r = await sql<{
    currency: string;
    outstanding: bigint;
    overdue: bigint;
    overdue_count: number;
    open_count: number;
    next_due_on: string | null;
    unapplied: bigint;
  }>`
    select a.currency, o.outstanding, o.overdue, o.overdue_count, o.open_count, o.next_due_on, c.unapplied
    from accounts a
    cross join lateral (
      select coalesce(sum(i.amount_due_cents), 0)::bigint as outstanding,
             coalesce(sum(i.amount_due_cents) filter (where i.due_on < ${today}::date), 0)::bigint as overdue,
             (count(*) filter (where i.due_on < ${today}::date))::int as overdue_count,
             count(*)::int as open_count,
             min(i.due_on) filter (where i.due_on >= ${today}::date) as next_due_on
      from invoices i
      where i.account_id = a.id and i.amount_due_cents > 0 and i.voided_at is null
    ) o
    cross join lateral (
      select coalesce(sum(m.amount_cents - m.applied_cents), 0)::bigint as unapplied
      from credit_memos m
      where m.account_id = a.id and m.amount_cents > m.applied_cents
    ) c
    where a.id = ${accountId}`.execute(db);
  const row = r.rows[0];
  if (!row) return null;
  return {
    accountId,
    currency: row.currency.trim(),
    asOf: today,
    outstandingCents: row.outstanding,
    overdueCents: row.overdue,
    overdueCount: row.overdue_count,
    openCount: row.open_count,
    unappliedCreditsCents: row.unapplied,
    balanceCents: row.outstanding - row.unapplied,
    nextDueOn: row.next_due_on,
  };
}

interface DetailJson {
  lines: Array<{ position: number; kind: string; description: string; reference: string | null; quantity: number; unit: string; amount: string }>;
  payments: Array<{ number: string; received_on: string; method: string; amount: string }>;
  credits: Array<{ number: string; applied_on: string; reason: string; amount: string }>;
}

type DetailRow = SummaryRow & { memo: string | null; account_id: string; account_name: string; detail: DetailJson };

/**
 * One invoice with its lines, payments and credits applied, in one statement (one round trip).
 * Cents travel as text inside the JSON so they come back as exact bigints.
 */
function invoiceDetailQuery(accountId: string, normalized: string) {
  return sql<DetailRow>`
    select i.number, i.issued_on, i.due_on, i.currency, i.total_cents, i.paid_cents, i.credited_cents,
           i.amount_due_cents, i.voided_at, i.is_opening, i.memo, a.id as account_id, a.name as account_name,
           json_build_object(
             'lines', coalesce((
               select json_agg(json_build_object('position', l.position, 'kind', l.kind, 'description', l.description,
                 'reference', l.reference, 'quantity', l.quantity, 'unit', l.unit_cents::text, 'amount', l.amount_cents::text)
                 order by l.position)
               from invoice_lines l where l.invoice_id = i.id), '[]'::json),
             'payments', coalesce((
               select json_agg(json_build_object('number', p.number, 'received_on', p.received_on, 'method', p.method,
                 'amount', pa.amount_cents::text) order by p.received_on, p.id)
               from payment_allocations pa join payments p on p.id = pa.payment_id where pa.invoice_id = i.id), '[]'::json),
             'credits', coalesce((
               select json_agg(json_build_object('number', c.number, 'applied_on', ca.applied_on, 'reason', c.reason,
                 'amount', ca.amount_cents::text) order by ca.applied_on, c.id)
               from credit_applications ca join credit_memos c on c.id = ca.credit_memo_id where ca.invoice_id = i.id), '[]'::json)
           ) as detail
    from invoices i join accounts a on a.id = i.account_id
    where i.number = ${normalized} and i.account_id = ${accountId}`;
}

/**
 * The invoice as a named statement: planning seven tables was about three quarters of its server
 * time; with a generic plan per connection the call pays execution only (BENCHMARKS.md).
 */
export async function getInvoice(db: Kysely<DB>, accountId: string, number: string, today: string): Promise<InvoiceDetail | null> {
  const normalized = normalizeInvoiceNumber(number);
  if (!normalized) return null;
  const r = await executeNamed(db, 'get_invoice', invoiceDetailQuery(accountId, normalized));
  const head = r.rows[0];
  return head ? toDetail(head, today) : null;
}

/**
 * The same statement sent unnamed, so PostgreSQL plans it on every call (how getInvoice ran
 * before): bench/db.ts measures both in one run. Not used by the service.
 */
export async function getInvoicePlannedEachCall(db: Kysely<DB>, accountId: string, number: string, today: string): Promise<InvoiceDetail | null> {
  const normalized = normalizeInvoiceNumber(number);
  if (!normalized) return null;
  const r = await invoiceDetailQuery(accountId, normalized).execute(db);
  const head = r.rows[0];
  return head ? toDetail(head, today) : null;
}

function toDetail(head: DetailRow, today: string): InvoiceDetail {
  const d = head.detail;
  return {
    ...toSummary(head, today),
    accountId: head.account_id,
    accountName: head.account_name,
    memo: head.memo,
    lines: d.lines.map((l) => ({
      position: l.position,
      kind: l.kind,
      description: l.description,
      reference: l.reference,
      quantity: l.quantity,
      unitCents: BigInt(l.unit),
      amountCents: BigInt(l.amount),
    })),
    payments: d.payments.map((p) => ({ number: p.number, receivedOn: p.received_on, method: p.method, amountCents: BigInt(p.amount) })),
    credits: d.credits.map((c) => ({ number: c.number, appliedOn: c.applied_on, reason: c.reason, amountCents: BigInt(c.amount) })),
  };
}

/** Open invoices (amount due > 0, not void), most recently issued first. */
export async function listOutstanding(db: Kysely<DB>, accountId: string, page: Page, today: string): Promise<Paged<InvoiceSummary>> {
  return listInvoices(db, accountId, { status: 'open' }, page, today);
}

type InvoiceQuery<O> = SelectQueryBuilder<DB, 'invoices', O>;

/** Open: not void and something still due (the partial indexes of open invoices have this predicate). */
function whereOpen<O>(q: InvoiceQuery<O>): InvoiceQuery<O> {
  return q.where('voided_at', 'is', null).where('amount_due_cents', '>', 0n);
}

/**
 * The SQL twin of `invoiceStatus()` (status.ts), one predicate per filter. `due` is anything open
 * not yet overdue ("Partially paid" too) and `partially_paid` anything open with something
 * settled ("Overdue (partially paid)" too). tests/integration/status-sql.test.ts checks every
 * filter, and the balance, against `invoiceStatus()`.
 */
function applyStatusFilter<O>(q: InvoiceQuery<O>, status: InvoiceFilter['status'], today: string): InvoiceQuery<O> {
  switch (status) {
    case undefined:
      return q;
    case 'void':
      return q.where('voided_at', 'is not', null);
    case 'paid':
      return q.where('voided_at', 'is', null).where('amount_due_cents', '<=', 0n);
    case 'open':
      return whereOpen(q);
    case 'overdue':
      return whereOpen(q).where('due_on', '<', today);
    case 'due':
      return whereOpen(q).where('due_on', '>=', today);
    case 'partially_paid':
      return whereOpen(q).where(sql<boolean>`paid_cents + credited_cents > 0`);
  }
}

/**
 * Invoice history, newest first. Status filters: paid, due (open, not overdue), overdue,
 * partially_paid (open with something settled, overdue or not), open, void.
 */
export async function listInvoices(
  db: Kysely<DB>,
  accountId: string,
  filter: InvoiceFilter,
  page: Page,
  today: string,
): Promise<Paged<InvoiceSummary>> {
  let q = db.selectFrom('invoices').where('account_id', '=', accountId);
  const dateColumn = filter.dateField === 'due' ? 'due_on' : 'issued_on';
  if (filter.from) q = q.where(dateColumn, '>=', filter.from);
  if (filter.to) q = q.where(dateColumn, '<=', filter.to);
  if (filter.overCents !== undefined) q = q.where('total_cents', '>', BigInt(filter.overCents));
  if (filter.underCents !== undefined) q = q.where('total_cents', '<', BigInt(filter.underCents));
  q = applyStatusFilter(q, filter.status, today);
  const rows = await q
    .orderBy('issued_on', 'desc')
    .orderBy('id', 'desc')
    .limit(page.limit + 1)
    .offset(page.offset)
    .select(summaryColumns)
    .execute();
  return paged(
    rows.map((r) => toSummary(r, today)),
    page,
  );
}

/**
 * The rows that belong to a page of parents (a payment's allocations, a credit's applications):
 * one query for the whole page, none for an empty one; returns each parent's rows in query order.
 */
async function childrenOf<C>(parents: ReadonlyArray<{ id: bigint }>, load: (ids: bigint[]) => Promise<C[]>, parentOf: (c: C) => bigint): Promise<(id: bigint) => C[]> {
  const children = parents.length === 0 ? [] : await load(parents.map((p) => p.id));
  return (id) => children.filter((c) => parentOf(c) === id);
}

export async function listPayments(
  db: Kysely<DB>,
  accountId: string,
  filter: { from?: string | undefined; to?: string | undefined },
  page: Page,
): Promise<Paged<PaymentItem>> {
  let q = db.selectFrom('payments').where('account_id', '=', accountId);
  if (filter.from) q = q.where('received_on', '>=', filter.from);
  if (filter.to) q = q.where('received_on', '<=', filter.to);
  const rows = await q
    .orderBy('received_on', 'desc')
    .orderBy('id', 'desc')
    .limit(page.limit + 1)
    .offset(page.offset)
    .select(['id', 'number', 'received_on', 'currency', 'amount_cents', 'method'])
    .execute();
  const allocs = await childrenOf(
    rows,
    (ids) =>
      db
        .selectFrom('payment_allocations as pa')
        .innerJoin('invoices as i', 'i.id', 'pa.invoice_id')
        .where('pa.payment_id', 'in', ids)
        .orderBy('i.number')
        .select(['pa.payment_id', 'i.number', 'pa.amount_cents'])
        .execute(),
    (a) => a.payment_id,
  );
  return paged(
    rows.map((r) => ({
      number: r.number,
      receivedOn: r.received_on,
      currency: r.currency.trim(),
      amountCents: r.amount_cents,
      method: r.method,
      allocations: allocs(r.id).map((a) => ({ invoiceNumber: a.number, amountCents: a.amount_cents })),
    })),
    page,
  );
}

export async function listCredits(db: Kysely<DB>, accountId: string, page: Page): Promise<Paged<CreditItem>> {
  const rows = await db
    .selectFrom('credit_memos')
    .where('account_id', '=', accountId)
    .orderBy('issued_on', 'desc')
    .orderBy('id', 'desc')
    .limit(page.limit + 1)
    .offset(page.offset)
    .select(['id', 'number', 'issued_on', 'currency', 'amount_cents', 'applied_cents', 'reason'])
    .execute();
  const apps = await childrenOf(
    rows,
    (ids) =>
      db
        .selectFrom('credit_applications as ca')
        .innerJoin('invoices as i', 'i.id', 'ca.invoice_id')
        .where('ca.credit_memo_id', 'in', ids)
        .orderBy('ca.applied_on')
        .select(['ca.credit_memo_id', 'i.number', 'ca.amount_cents', 'ca.applied_on'])
        .execute(),
    (a) => a.credit_memo_id,
  );
  return paged(
    rows.map((r) => ({
      number: r.number,
      issuedOn: r.issued_on,
      currency: r.currency.trim(),
      amountCents: r.amount_cents,
      appliedCents: r.applied_cents,
      availableCents: r.amount_cents - r.applied_cents,
      reason: r.reason,
      applications: apps(r.id).map((a) => ({ invoiceNumber: a.number, amountCents: a.amount_cents, appliedOn: a.applied_on })),
    })),
    page,
  );
}
