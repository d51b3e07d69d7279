import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from '../db/schema.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { addDays } from './dates.js';

/** The one-time account opening fee, charged on an account's first invoice. */
export const OPENING_FEE_CENTS = 5000n;
export const OPENING_FEE_DESCRIPTION = 'Account opening fee';
/** Net terms for invoices raised by the system. */
export const NET_TERMS_DAYS = 30;

export interface NewLine {
  kind: 'opening_fee' | 'order' | 'service' | 'adjustment';
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

/** Inserts an invoice with its lines; totals are computed from the lines. */
export async function createInvoice(trx: Transaction<DB>, accountId: string, input: NewInvoiceInput): Promise<{ id: bigint; number: string }> {
  if (input.lines.length === 0) throw new ValidationError('An invoice needs at least one line');
  const account = await trx.selectFrom('accounts').select(['currency']).where('id', '=', accountId).executeTakeFirst();
  if (!account) throw new NotFoundError(`Account ${accountId} not found`);
  const lines = input.lines.map((l, i) => {
    const quantity = l.quantity ?? 1;
    return { ...l, position: i + 1, quantity, amountCents: l.unitCents * BigInt(quantity) };
  });
  const total = lines.reduce((s, l) => s + l.amountCents, 0n);
  const number = input.number ?? (await nextInvoiceNumber(trx));
  const inv = await trx
    .insertInto('invoices')
    .values({
      account_id: accountId,
      number,
      issued_on: input.issuedOn,
      due_on: input.dueOn ?? addDays(input.issuedOn, NET_TERMS_DAYS),
      currency: input.currency ?? account.currency.trim(),
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

async function lockInvoice(trx: Transaction<DB>, accountId: string, invoiceNumber: string) {
  const inv = await trx
    .selectFrom('invoices')
    .select(['id', 'currency', 'amount_due_cents', 'voided_at'])
    .where('account_id', '=', accountId)
    .where('number', '=', invoiceNumber)
    .forUpdate()
    .executeTakeFirst();
  if (!inv) throw new NotFoundError(`Invoice ${invoiceNumber} not found`);
  if (inv.voided_at) throw new ConflictError(`Invoice ${invoiceNumber} is void`);
  return inv;
}

export interface RecordPaymentInput {
  number?: string;
  receivedOn: string;
  amountCents: bigint;
  currency: string;
  method: string;
  processorRef?: string | null;
  allocations: Array<{ invoiceNumber: string; amountCents: bigint }>;
}

/**
 * Records a payment and allocates it to invoices, in the caller's transaction (rows are locked).
 * Allocations may not exceed an invoice's amount due nor the payment.
 */
export async function recordPayment(trx: Transaction<DB>, accountId: string, input: RecordPaymentInput): Promise<{ id: bigint; number: string }> {
  if (input.amountCents <= 0n) throw new ValidationError('A payment must be positive');
  const allocated = input.allocations.reduce((s, a) => s + a.amountCents, 0n);
  if (allocated > input.amountCents) throw new ValidationError('Allocations exceed the payment');
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
  for (const a of input.allocations) {
    const inv = await lockInvoice(trx, accountId, a.invoiceNumber);
    if (inv.currency.trim() !== input.currency) throw new ValidationError(`Currency mismatch on ${a.invoiceNumber}`);
    if (a.amountCents <= 0n || a.amountCents > inv.amount_due_cents) {
      throw new ValidationError(`Allocation to ${a.invoiceNumber} exceeds its amount due`);
    }
    await trx.insertInto('payment_allocations').values({ payment_id: pay.id, invoice_id: inv.id, amount_cents: a.amountCents }).execute();
    await trx
      .updateTable('invoices')
      .set((eb) => ({ paid_cents: eb('paid_cents', '+', a.amountCents) }))
      .where('id', '=', inv.id)
      .execute();
  }
  return pay;
}

export async function createCreditMemo(
  trx: Transaction<DB>,
  accountId: string,
  input: { number?: string; issuedOn: string; amountCents: bigint; currency: string; reason: string },
): Promise<{ id: bigint; number: string }> {
  if (input.amountCents <= 0n) throw new ValidationError('A credit memo must be positive');
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

/** Applies (part of) a credit memo to an invoice, in the caller's transaction. */
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
  if (!memo) throw new NotFoundError(`Credit memo ${input.creditNumber} not found`);
  const inv = await lockInvoice(trx, accountId, input.invoiceNumber);
  if (input.amountCents <= 0n || input.amountCents > memo.amount_cents - memo.applied_cents) {
    throw new ValidationError(`Credit ${input.creditNumber} has not that much available`);
  }
  if (input.amountCents > inv.amount_due_cents) throw new ValidationError(`Credit exceeds the amount due on ${input.invoiceNumber}`);
  if (memo.currency.trim() !== inv.currency.trim()) throw new ValidationError('Currency mismatch');
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
