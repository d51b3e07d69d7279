import type { Kysely, Transaction } from 'kysely';
import { z } from 'zod';
import type { DB } from '../../db/schema.js';
import { INVOICE_STATUSES, invoiceStatus } from '../status.js';
import { PAYMENT_METHODS, type PaymentMethod } from './schemas.js';

/**
 * The operator API's views of what the billing system wrote (GET, and the answer to every write):
 * the records with their ids, integer cents as JSON numbers, and the stored sourceVersion.
 */

type Db = Kysely<DB> | Transaction<DB>;
const cents = z.number().int().describe('integer cents');
const version = z.number().int().nullable().describe('the stored sourceVersion; null when the record was not written by the billing system');

export const opsAccountView = z
  .object({
    accountId: z.string(),
    name: z.string(),
    currency: z.string(),
    openedOn: z.string(),
    closedOn: z.string().nullable(),
    openingInvoiceNumber: z.string().nullable(),
    contacts: z.array(z.object({ email: z.string(), name: z.string().nullable(), sourceVersion: version })),
    verifiedDomains: z.array(z.object({ domain: z.string(), verifiedAt: z.string(), sourceVersion: version })),
    sourceVersion: version,
  })
  .describe('OpsAccount');

export const opsInvoiceView = z
  .object({
    number: z.string(),
    accountId: z.string(),
    issuedOn: z.string(),
    dueOn: z.string(),
    currency: z.string(),
    memo: z.string().nullable(),
    isOpening: z.boolean(),
    lines: z.array(
      z.object({ position: z.number().int(), kind: z.string(), description: z.string(), reference: z.string().nullable(), quantity: z.number().int(), unitCents: cents, amountCents: cents }),
    ),
    totalCents: cents,
    paidCents: cents,
    creditedCents: cents,
    amountDueCents: cents,
    status: z.enum(INVOICE_STATUSES),
    voidedAt: z.string().nullable(),
    sourceVersion: version,
  })
  .describe('OpsInvoice');

export const opsPaymentView = z
  .object({
    number: z.string(),
    accountId: z.string(),
    receivedOn: z.string(),
    amountCents: cents,
    currency: z.string(),
    method: z.string().nullable().describe('credit_card, cheque, wire or eft; null for a payment taken through the portal'),
    methodLabel: z.string().describe('as resellers see it'),
    allocations: z.array(z.object({ invoiceNumber: z.string(), amountCents: cents })),
    unallocatedCents: cents.describe('what no invoice has yet: not deducted from any invoice or balance until allocated'),
    sourceVersion: version,
  })
  .describe('OpsPayment');

export const opsCreditMemoView = z
  .object({
    number: z.string(),
    accountId: z.string(),
    issuedOn: z.string(),
    amountCents: cents,
    currency: z.string(),
    reason: z.string(),
    appliedCents: cents,
    availableCents: cents,
    applications: z.array(z.object({ invoiceNumber: z.string(), amountCents: cents, appliedOn: z.string(), sourceVersion: version })),
    sourceVersion: version,
  })
  .describe('OpsCreditMemo');

export type OpsAccountView = z.infer<typeof opsAccountView>;
export type OpsInvoiceView = z.infer<typeof opsInvoiceView>;
export type OpsPaymentView = z.infer<typeof opsPaymentView>;
export type OpsCreditMemoView = z.infer<typeof opsCreditMemoView>;

const num = (v: bigint | null): number | null => (v === null ? null : Number(v));
const iso = (v: Date | string): string => new Date(v).toISOString();

export async function loadOpsAccount(db: Db, accountId: string): Promise<OpsAccountView | null> {
  const a = await db.selectFrom('accounts').selectAll().where('id', '=', accountId).executeTakeFirst();
  if (!a) return null;
  const [opening, contacts, domains] = await Promise.all([
    db.selectFrom('invoices').select('number').where('account_id', '=', accountId).where('is_opening', '=', true).executeTakeFirst(),
    db.selectFrom('billing_contacts').select(['email', 'name', 'source_version']).where('account_id', '=', accountId).orderBy('email').execute(),
    db.selectFrom('account_domains').select(['domain', 'verified_at', 'source_version']).where('account_id', '=', accountId).orderBy('domain').execute(),
  ]);
  return {
    accountId: a.id,
    name: a.name,
    currency: a.currency.trim(),
    openedOn: a.opened_on,
    closedOn: a.closed_on,
    openingInvoiceNumber: opening?.number ?? null,
    contacts: contacts.map((c) => ({ email: c.email, name: c.name, sourceVersion: num(c.source_version) })),
    verifiedDomains: domains.map((d) => ({ domain: d.domain, verifiedAt: iso(d.verified_at), sourceVersion: num(d.source_version) })),
    sourceVersion: num(a.source_version),
  };
}

export async function loadOpsInvoice(db: Db, number: string, today: string): Promise<OpsInvoiceView | null> {
  const i = await db.selectFrom('invoices').selectAll().where('number', '=', number).executeTakeFirst();
  if (!i) return null;
  const lines = await db.selectFrom('invoice_lines').selectAll().where('invoice_id', '=', i.id).orderBy('position').execute();
  return {
    number: i.number,
    accountId: i.account_id,
    issuedOn: i.issued_on,
    dueOn: i.due_on,
    currency: i.currency.trim(),
    memo: i.memo,
    isOpening: i.is_opening,
    lines: lines.map((l) => ({
      position: l.position,
      kind: l.kind,
      description: l.description,
      reference: l.reference,
      quantity: l.quantity,
      unitCents: Number(l.unit_cents),
      amountCents: Number(l.amount_cents),
    })),
    totalCents: Number(i.total_cents),
    paidCents: Number(i.paid_cents),
    creditedCents: Number(i.credited_cents),
    amountDueCents: Number(i.amount_due_cents),
    status: invoiceStatus(i, today).status,
    voidedAt: i.voided_at ? iso(i.voided_at) : null,
    sourceVersion: num(i.source_version),
  };
}

const METHOD_CODES = new Map(Object.entries(PAYMENT_METHODS).map(([code, label]) => [label as string, code as PaymentMethod]));

export async function loadOpsPayment(db: Db, number: string): Promise<OpsPaymentView | null> {
  const p = await db.selectFrom('payments').selectAll().where('number', '=', number).executeTakeFirst();
  if (!p) return null;
  const allocations = await db
    .selectFrom('payment_allocations as pa')
    .innerJoin('invoices as i', 'i.id', 'pa.invoice_id')
    .select(['i.number', 'pa.amount_cents'])
    .where('pa.payment_id', '=', p.id)
    .orderBy('i.number')
    .execute();
  const allocated = allocations.reduce((s, a) => s + a.amount_cents, 0n);
  return {
    number: p.number,
    accountId: p.account_id,
    receivedOn: p.received_on,
    amountCents: Number(p.amount_cents),
    currency: p.currency.trim(),
    method: METHOD_CODES.get(p.method) ?? null,
    methodLabel: p.method,
    allocations: allocations.map((a) => ({ invoiceNumber: a.number, amountCents: Number(a.amount_cents) })),
    unallocatedCents: Number(p.amount_cents - allocated),
    sourceVersion: num(p.source_version),
  };
}

export async function loadOpsCreditMemo(db: Db, number: string): Promise<OpsCreditMemoView | null> {
  const m = await db.selectFrom('credit_memos').selectAll().where('number', '=', number).executeTakeFirst();
  if (!m) return null;
  const applications = await db
    .selectFrom('credit_applications as ca')
    .innerJoin('invoices as i', 'i.id', 'ca.invoice_id')
    .select(['i.number', 'ca.amount_cents', 'ca.applied_on', 'ca.source_version'])
    .where('ca.credit_memo_id', '=', m.id)
    .orderBy('ca.applied_on')
    .orderBy('i.number')
    .execute();
  return {
    number: m.number,
    accountId: m.account_id,
    issuedOn: m.issued_on,
    amountCents: Number(m.amount_cents),
    currency: m.currency.trim(),
    reason: m.reason,
    appliedCents: Number(m.applied_cents),
    availableCents: Number(m.amount_cents - m.applied_cents),
    applications: applications.map((a) => ({ invoiceNumber: a.number, amountCents: Number(a.amount_cents), appliedOn: a.applied_on, sourceVersion: num(a.source_version) })),
    sourceVersion: num(m.source_version),
  };
}
