import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from '../db/schema.js';
import { AppError, NotFoundError } from '../errors.js';
import { addDays } from './dates.js';

/** The one-time account opening fee, charged on an account's first invoice. */
export const OPENING_FEE_CENTS = 5000n;
export const OPENING_FEE_DESCRIPTION = 'Account opening fee';
/** Net terms for invoices raised by the system. */
export const NET_TERMS_DAYS = 30;

/**
 * A rule broken by one field of the input: the message starts with the field's path in the
 * caller's input (`allocations[1].amountCents: …`), and `details` carries the field and the reason
 * apart (the operator API and the bulk importer report them).
 */
export class FieldError extends AppError {
  readonly field: string;
  readonly reason: string;
  constructor(status: 400 | 404 | 409, field: string, reason: string) {
    super(status, status === 409 ? 'conflict' : status === 404 ? 'not_found' : 'invalid_request', `${field}: ${reason}`, { details: { field, reason } });
    this.field = field;
    this.reason = reason;
  }
}

export const LINE_KINDS = ['opening_fee', 'order', 'service', 'adjustment'] as const;

export interface NewLine {
  kind: (typeof LINE_KINDS)[number];
  /** 1-based; defaults to the line's place in the list. Unique within the invoice. */
  position?: number;
  description: string;
  reference?: string | null;
  quantity?: number;
  unitCents: bigint;
}

export interface NewInvoiceInput {
  number?: string;
  issuedOn: string;
  dueOn?: string;
  currency?: string;
  memo?: string | null;
  lines: NewLine[];
  isOpening?: boolean;
}

async function nextInvoiceNumber(trx: Kysely<DB>): Promise<string> {
  const r = await sql<{ n: string }>`select nextval('invoice_number_seq')::text as n`.execute(trx);
  return `IN${r.rows[0]!.n}`;
}

/** An invoice falls due on or after the day it is issued (the CHECK invoices_due_after_issue, said with the field). */
export function checkDueDate(issuedOn: string, dueOn: string): void {
  if (dueOn < issuedOn) throw new FieldError(400, 'dueOn', `must not be before the issue date (${issuedOn})`);
}

/** The account's currency: every invoice, payment and credit of an account is in it (the balance adds them up). */
function checkAccountCurrency(account: { currency: string }, currency: string): void {
  if (currency !== account.currency.trim()) throw new FieldError(400, 'currency', `must be the account's currency (${account.currency.trim()})`);
}

/** Lines with their positions and amounts; positions unique, negative prices only on adjustments, a total of zero or more. */
function pricedLines(input: NewLine[]) {
  const seen = new Set<number>();
  const lines = input.map((l, i) => {
    const position = l.position ?? i + 1;
    if (seen.has(position)) throw new FieldError(400, `lines[${i}].position`, `position ${position} is used by another line`);
    seen.add(position);
    if (l.unitCents < 0n && l.kind !== 'adjustment') throw new FieldError(400, `lines[${i}].unitCents`, 'only an adjustment line may be negative');
    const quantity = l.quantity ?? 1;
    return { ...l, position, quantity, amountCents: l.unitCents * BigInt(quantity) };
  });
  const total = lines.reduce((s, l) => s + l.amountCents, 0n);
  if (total < 0n) throw new FieldError(400, 'lines', `the lines add up to ${total} cents; an invoice's total cannot be negative`);
  return { lines, total };
}

/**
 * Inserts an invoice with its lines; totals are computed from the lines. Refused: no lines, a due
 * date before the issue date, another currency than the account's, and a closed account (no
 * invoice issued on or after the day it closed).
 */
export async function createInvoice(trx: Transaction<DB>, accountId: string, input: NewInvoiceInput): Promise<{ id: bigint; number: string }> {
  if (input.lines.length === 0) throw new FieldError(400, 'lines', 'an invoice needs at least one line');
  // Shared lock: closing the account (setAccountClosed) waits for this invoice, and this invoice for a closing.
  const account = await trx.selectFrom('accounts').select(['currency', 'closed_on']).where('id', '=', accountId).forShare().executeTakeFirst();
  if (!account) throw new NotFoundError(`Account ${accountId} not found`);
  if (account.closed_on !== null && input.issuedOn >= account.closed_on) {
    throw new FieldError(409, 'issuedOn', `account ${accountId} closed on ${account.closed_on}: it takes no invoice issued on or after that day`);
  }
  const dueOn = input.dueOn ?? addDays(input.issuedOn, NET_TERMS_DAYS);
  checkDueDate(input.issuedOn, dueOn);
  if (input.currency !== undefined) checkAccountCurrency(account, input.currency);
  const { lines, total } = pricedLines(input.lines);
  const number = input.number ?? (await nextInvoiceNumber(trx));
  const inv = await trx
    .insertInto('invoices')
    .values({
      account_id: accountId,
      number,
      issued_on: input.issuedOn,
      due_on: dueOn,
      currency: account.currency.trim(),
      total_cents: total,
      memo: input.memo ?? null,
      is_opening: input.isOpening ?? false,
      voided_at: null,
    })
    .returning(['id', 'number'])
    .executeTakeFirstOrThrow();
  await trx
    .insertInto('invoice_lines')
    .values(
      lines.map((l) => ({
        invoice_id: inv.id,
        position: l.position,
        kind: l.kind,
        description: l.description,
        reference: l.reference ?? null,
        quantity: l.quantity,
        unit_cents: l.unitCents,
        amount_cents: l.amountCents,
      })),
    )
    .execute();
  return inv;
}

export interface OpenAccountInput {
  id: string;
  name: string;
  currency?: string;
  openedOn: string;
  /** Lines billed on the first invoice beside the opening fee (e.g. the first order). */
  firstInvoiceLines?: NewLine[];
  firstInvoiceNumber?: string;
  firstInvoiceDueOn?: string;
}

/**
 * Opens an account and raises its first invoice with the one-time $50.00 opening fee.
 * Idempotent and safe under concurrency: the account insert is `on conflict do nothing` and a
 * unique partial index allows one opening invoice per account, so the fee is charged once.
 */
export async function openAccount(db: Kysely<DB>, input: OpenAccountInput): Promise<{ created: boolean; openingInvoice: string }> {
  return db.transaction().execute((trx) => openAccountIn(trx, input));
}

/** `openAccount` inside the caller's transaction. */
export async function openAccountIn(trx: Transaction<DB>, input: OpenAccountInput): Promise<{ created: boolean; openingInvoice: string }> {
  {
    const inserted = await trx
      .insertInto('accounts')
      .values({ id: input.id, name: input.name, currency: input.currency ?? 'CAD', opened_on: input.openedOn })
      .onConflict((oc) => oc.column('id').doNothing())
      .returning('id')
      .executeTakeFirst();
    // Lock the account row: concurrent openers queue here, then see the first one's invoice.
    await trx.selectFrom('accounts').select('id').where('id', '=', input.id).forUpdate().executeTakeFirstOrThrow();
    const existing = await trx
      .selectFrom('invoices')
      .select('number')
      .where('account_id', '=', input.id)
      .where('is_opening', '=', true)
      .executeTakeFirst();
    if (existing) return { created: false, openingInvoice: existing.number };
    // An account that existed without an opening invoice (e.g. imported) is still charged once, here.
    const inv = await createInvoice(trx, input.id, {
      ...(input.firstInvoiceNumber ? { number: input.firstInvoiceNumber } : {}),
      issuedOn: input.openedOn,
      ...(input.firstInvoiceDueOn ? { dueOn: input.firstInvoiceDueOn } : {}),
      isOpening: true,
      lines: [{ kind: 'opening_fee', description: OPENING_FEE_DESCRIPTION, unitCents: OPENING_FEE_CENTS }, ...(input.firstInvoiceLines ?? [])],
    });
    return { created: inserted !== undefined, openingInvoice: inv.number };
  }
}

/** An invoice of the account, locked for the change; `field` names where the caller gave its number. */
async function lockInvoice(trx: Transaction<DB>, accountId: string, invoiceNumber: string, field: string) {
  const inv = await trx
    .selectFrom('invoices')
    .select(['id', 'currency', 'amount_due_cents', 'voided_at'])
    .where('account_id', '=', accountId)
    .where('number', '=', invoiceNumber)
    .forUpdate()
    .executeTakeFirst();
  if (!inv) throw new FieldError(400, field, `no invoice ${invoiceNumber} on account ${accountId}`);
  if (inv.voided_at) throw new FieldError(409, field, `invoice ${invoiceNumber} is void`);
  return inv;
}

async function accountOf(trx: Transaction<DB>, accountId: string): Promise<{ currency: string }> {
  const account = await trx.selectFrom('accounts').select(['currency']).where('id', '=', accountId).executeTakeFirst();
  if (!account) throw new NotFoundError(`Account ${accountId} not found`);
  return account;
}

export interface PaymentAllocation {
  invoiceNumber: string;
  amountCents: bigint;
}

export interface RecordPaymentInput {
  number?: string;
  receivedOn: string;
  amountCents: bigint;
  currency: string;
  method: string;
  processorRef?: string | null;
  allocations: PaymentAllocation[];
}

/**
 * Records a payment and allocates it to invoices, in the caller's transaction (rows are locked).
 * Allocations may not exceed an invoice's amount due nor, together, the payment.
 */
export async function recordPayment(trx: Transaction<DB>, accountId: string, input: RecordPaymentInput): Promise<{ id: bigint; number: string }> {
  if (input.amountCents <= 0n) throw new FieldError(400, 'amountCents', 'a payment must be positive');
  checkAccountCurrency(await accountOf(trx, accountId), input.currency);
  let number = input.number;
  if (!number) {
    const r = await sql<{ n: string }>`select nextval('payment_number_seq')::text as n`.execute(trx);
    number = `PAY-${r.rows[0]!.n}`;
  }
  const pay = await trx
    .insertInto('payments')
    .values({
      account_id: accountId,
      number,
      received_on: input.receivedOn,
      amount_cents: input.amountCents,
      currency: input.currency,
      method: input.method,
      processor_ref: input.processorRef ?? null,
    })
    .returning(['id', 'number'])
    .executeTakeFirstOrThrow();
  await allocatePayment(trx, accountId, { id: pay.id, amountCents: input.amountCents, currency: input.currency }, input.allocations);
  return pay;
}

/** The allocations a payment already has, refused when the new list drops or changes one. */
async function keptAllocations(trx: Transaction<DB>, paymentId: bigint, listed: Map<string, number>, allocations: readonly PaymentAllocation[]): Promise<Set<string>> {
  const recorded = await trx
    .selectFrom('payment_allocations as pa')
    .innerJoin('invoices as i', 'i.id', 'pa.invoice_id')
    .select(['i.number', 'pa.amount_cents'])
    .where('pa.payment_id', '=', paymentId)
    .execute();
  for (const r of recorded) {
    const i = listed.get(r.number);
    if (i === undefined) throw new FieldError(409, 'allocations', `the allocation of ${r.amount_cents} cents to ${r.number} is recorded and cannot be removed`);
    if (allocations[i]!.amountCents !== r.amount_cents) {
      throw new FieldError(409, `allocations[${i}].amountCents`, `the allocation to ${r.number} is recorded as ${r.amount_cents} cents and cannot change`);
    }
  }
  return new Set(recorded.map((r) => r.number));
}

/**
 * Allocates a payment to invoices, in the caller's transaction. `allocations` is the payment's
 * whole list: the allocations it already has must be in it unchanged (they stay as they are), the
 * others are applied, each to an open invoice of the account in the payment's currency and within
 * its amount due, all of them within the payment's amount. What is left of the payment stays
 * unallocated (no invoice and no balance counts it) until a later call allocates it. Returns the
 * number of allocations added.
 */
export async function allocatePayment(
  trx: Transaction<DB>,
  accountId: string,
  payment: { id: bigint; amountCents: bigint; currency: string },
  allocations: readonly PaymentAllocation[],
): Promise<number> {
  const listed = new Map<string, number>();
  for (const [i, a] of allocations.entries()) {
    if (listed.has(a.invoiceNumber)) throw new FieldError(400, `allocations[${i}].invoiceNumber`, `${a.invoiceNumber} is listed twice`);
    listed.set(a.invoiceNumber, i);
    if (a.amountCents <= 0n) throw new FieldError(400, `allocations[${i}].amountCents`, 'must be positive');
  }
  const total = allocations.reduce((s, a) => s + a.amountCents, 0n);
  if (total > payment.amountCents) throw new FieldError(400, 'allocations', `they add up to ${total} cents, more than the payment's ${payment.amountCents}`);
  const kept = await keptAllocations(trx, payment.id, listed, allocations);
  let added = 0;
  for (const [i, a] of allocations.entries()) {
    if (kept.has(a.invoiceNumber)) continue;
    const inv = await lockInvoice(trx, accountId, a.invoiceNumber, `allocations[${i}].invoiceNumber`);
    if (inv.currency.trim() !== payment.currency) {
      throw new FieldError(400, `allocations[${i}].invoiceNumber`, `invoice ${a.invoiceNumber} is in ${inv.currency.trim()}, the payment in ${payment.currency}`);
    }
    if (a.amountCents > inv.amount_due_cents) {
      throw new FieldError(400, `allocations[${i}].amountCents`, `exceeds the amount due on ${a.invoiceNumber} (${inv.amount_due_cents} cents)`);
    }
    await trx.insertInto('payment_allocations').values({ payment_id: payment.id, invoice_id: inv.id, amount_cents: a.amountCents }).execute();
    await trx
      .updateTable('invoices')
      .set((eb) => ({ paid_cents: eb('paid_cents', '+', a.amountCents) }))
      .where('id', '=', inv.id)
      .execute();
    added += 1;
  }
  return added;
}

export async function createCreditMemo(
  trx: Transaction<DB>,
  accountId: string,
  input: { number?: string; issuedOn: string; amountCents: bigint; currency: string; reason: string },
): Promise<{ id: bigint; number: string }> {
  if (input.amountCents <= 0n) throw new FieldError(400, 'amountCents', 'a credit memo must be positive');
  checkAccountCurrency(await accountOf(trx, accountId), input.currency);
  let number = input.number;
  if (!number) {
    const r = await sql<{ n: string }>`select nextval('credit_memo_number_seq')::text as n`.execute(trx);
    number = `CM-${r.rows[0]!.n}`;
  }
  return trx
    .insertInto('credit_memos')
    .values({ account_id: accountId, number, issued_on: input.issuedOn, amount_cents: input.amountCents, currency: input.currency, reason: input.reason })
    .returning(['id', 'number'])
    .executeTakeFirstOrThrow();
}

/** Applies (part of) a credit memo to an invoice, in the caller's transaction; once per memo and invoice. */
export async function applyCredit(
  trx: Transaction<DB>,
  accountId: string,
  input: { creditNumber: string; invoiceNumber: string; amountCents: bigint; appliedOn: string },
): Promise<void> {
  const memo = await trx
    .selectFrom('credit_memos')
    .select(['id', 'amount_cents', 'applied_cents', 'currency'])
    .where('account_id', '=', accountId)
    .where('number', '=', input.creditNumber)
    .forUpdate()
    .executeTakeFirst();
  if (!memo) throw new FieldError(400, 'creditNumber', `no credit memo ${input.creditNumber} on account ${accountId}`);
  const inv = await lockInvoice(trx, accountId, input.invoiceNumber, 'invoiceNumber');
  if (input.amountCents <= 0n) throw new FieldError(400, 'amountCents', 'must be positive');
  const available = memo.amount_cents - memo.applied_cents;
  if (input.amountCents > available) throw new FieldError(400, 'amountCents', `exceeds what credit ${input.creditNumber} has available (${available} cents)`);
  if (input.amountCents > inv.amount_due_cents) throw new FieldError(400, 'amountCents', `exceeds the amount due on ${input.invoiceNumber} (${inv.amount_due_cents} cents)`);
  if (memo.currency.trim() !== inv.currency.trim()) {
    throw new FieldError(400, 'invoiceNumber', `invoice ${input.invoiceNumber} is in ${inv.currency.trim()}, the credit in ${memo.currency.trim()}`);
  }
  const applied = await trx.selectFrom('credit_applications').select('amount_cents').where('credit_memo_id', '=', memo.id).where('invoice_id', '=', inv.id).executeTakeFirst();
  if (applied) throw new FieldError(409, 'invoiceNumber', `credit ${input.creditNumber} is already applied to ${input.invoiceNumber}`);
  await trx
    .insertInto('credit_applications')
    .values({ credit_memo_id: memo.id, invoice_id: inv.id, amount_cents: input.amountCents, applied_on: input.appliedOn })
    .execute();
  await trx
    .updateTable('credit_memos')
    .set((eb) => ({ applied_cents: eb('applied_cents', '+', input.amountCents) }))
    .where('id', '=', memo.id)
    .execute();
  await trx
    .updateTable('invoices')
    .set((eb) => ({ credited_cents: eb('credited_cents', '+', input.amountCents) }))
    .where('id', '=', inv.id)
    .execute();
}

/**
 * Voids an invoice: it leaves the balance and shows as Void. A paid or partly paid (or credited)
 * invoice cannot be voided: the money applied to it would stay allocated to an invoice that no
 * longer counts and drop out of the account's books; a credit memo undoes what should not be owed.
 * Voiding a void invoice changes nothing (false).
 */
export async function voidInvoice(trx: Transaction<DB>, invoiceNumber: string, voidedAt?: string): Promise<boolean> {
  const inv = await trx
    .selectFrom('invoices')
    .select(['id', 'paid_cents', 'credited_cents', 'voided_at'])
    .where('number', '=', invoiceNumber)
    .forUpdate()
    .executeTakeFirst();
  if (!inv) throw new FieldError(404, 'number', `no invoice ${invoiceNumber}`);
  if (inv.voided_at) return false;
  const settled = inv.paid_cents + inv.credited_cents;
  if (settled > 0n) {
    throw new FieldError(
      409,
      'number',
      `invoice ${invoiceNumber} has ${settled} cents paid or credited and cannot be voided: that money would stay allocated to an invoice that no longer counts. Issue a credit memo instead`,
    );
  }
  await trx
    .updateTable('invoices')
    .set({ voided_at: voidedAt ?? sql<Date>`now()` })
    .where('id', '=', inv.id)
    .execute();
  return true;
}

/**
 * Closes an account from a day on, or reopens it (null). A closed account takes no invoice issued
 * on or after that day (createInvoice); payments and credits still apply to what it owes.
 * Refused: a day before the account opened, or one with an invoice (not void) issued on or after it.
 */
export async function setAccountClosed(trx: Transaction<DB>, accountId: string, closedOn: string | null): Promise<void> {
  const account = await trx.selectFrom('accounts').select(['opened_on']).where('id', '=', accountId).forUpdate().executeTakeFirst();
  if (!account) throw new NotFoundError(`Account ${accountId} not found`);
  if (closedOn !== null) {
    if (closedOn < account.opened_on) throw new FieldError(400, 'closedOn', `must not be before the account opened (${account.opened_on})`);
    const later = await trx
      .selectFrom('invoices')
      .select(['number', 'issued_on'])
      .where('account_id', '=', accountId)
      .where('issued_on', '>=', closedOn)
      .where('voided_at', 'is', null)
      .orderBy('issued_on')
      .limit(1)
      .executeTakeFirst();
    if (later) throw new FieldError(409, 'closedOn', `invoice ${later.number} was issued on ${later.issued_on}, on or after that day`);
  }
  await trx.updateTable('accounts').set({ closed_on: closedOn }).where('id', '=', accountId).execute();
}
