import { z } from 'zod';
import { money as moneyIn } from '../format/money.js';
import { DEFAULT_LOCALE, statusLabel, type Locale } from '../i18n/index.js';
import type { Balance, CreditItem, InvoiceDetail, InvoiceSummary, Paged, PaymentItem } from './queries.js';
import { INVOICE_STATUSES } from './status.js';

/**
 * JSON views of the billing domain: one shape for the REST API, the tools and the cards.
 * Money is { amount: "1234.56", cents, currency, display: "$1,234.56" }; `display` and
 * `statusLabel` are in the locale given (the REST API's follows Accept-Language, en-CA by default).
 */

export const moneyView = z
  .object({
    amount: z.string().describe('decimal amount, e.g. "1234.56"'),
    cents: z.number().int(),
    currency: z.string().length(3),
    display: z.string().describe('formatted for people, e.g. "$1,234.56"'),
  })
  .describe('Money');

export const balanceView = z
  .object({
    accountId: z.string(),
    asOf: z.string(),
    currency: z.string(),
    outstanding: moneyView,
    overdue: moneyView,
    overdueCount: z.number().int(),
    openCount: z.number().int(),
    unappliedCredits: moneyView,
    balance: moneyView.describe('outstanding minus unapplied credits'),
    nextDueOn: z.string().nullable(),
  })
  .describe('Balance');

export const invoiceSummaryView = z
  .object({
    invoiceNumber: z.string(),
    issuedOn: z.string(),
    dueOn: z.string(),
    total: moneyView,
    amountDue: moneyView,
    status: z.enum(INVOICE_STATUSES),
    statusLabel: z.string(),
    partiallyPaid: z.boolean(),
  })
  .describe('InvoiceSummary');

export const invoiceDetailView = invoiceSummaryView
  .extend({
    accountId: z.string(),
    accountName: z.string(),
    memo: z.string().nullable(),
    paid: moneyView,
    credited: moneyView,
    lines: z.array(
      z.object({
        description: z.string(),
        reference: z.string().nullable(),
        quantity: z.number().int(),
        unitPrice: moneyView,
        amount: moneyView,
        kind: z.string(),
      }),
    ),
    payments: z.array(z.object({ paymentNumber: z.string(), receivedOn: z.string(), method: z.string(), amount: moneyView })),
    credits: z.array(z.object({ creditNumber: z.string(), appliedOn: z.string(), reason: z.string(), amount: moneyView })),
  })
  .describe('InvoiceDetail');

export const paymentView = z
  .object({
    paymentNumber: z.string(),
    receivedOn: z.string(),
    amount: moneyView,
    method: z.string(),
    allocations: z.array(z.object({ invoiceNumber: z.string(), amount: moneyView })),
  })
  .describe('Payment');

export const creditView = z
  .object({
    creditNumber: z.string(),
    issuedOn: z.string(),
    amount: moneyView,
    applied: moneyView,
    available: moneyView,
    reason: z.string(),
    applications: z.array(z.object({ invoiceNumber: z.string(), amount: moneyView, appliedOn: z.string() })),
  })
  .describe('CreditMemo');

export function pageView<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    limit: z.number().int(),
    offset: z.number().int(),
    nextOffset: z.number().int().nullable(),
  });
}

export type BalanceView = z.infer<typeof balanceView>;
export type InvoiceSummaryView = z.infer<typeof invoiceSummaryView>;
export type InvoiceDetailView = z.infer<typeof invoiceDetailView>;
export type PaymentView = z.infer<typeof paymentView>;
export type CreditView = z.infer<typeof creditView>;

export function toBalanceView(b: Balance, locale: Locale = DEFAULT_LOCALE): BalanceView {
  const c = b.currency;
  const money = (cents: bigint, currency: string) => moneyIn(cents, currency, locale);
  return {
    accountId: b.accountId,
    asOf: b.asOf,
    currency: c,
    outstanding: money(b.outstandingCents, c),
    overdue: money(b.overdueCents, c),
    overdueCount: b.overdueCount,
    openCount: b.openCount,
    unappliedCredits: money(b.unappliedCreditsCents, c),
    balance: money(b.balanceCents, c),
    nextDueOn: b.nextDueOn,
  };
}

export function toInvoiceSummaryView(i: InvoiceSummary, locale: Locale = DEFAULT_LOCALE): InvoiceSummaryView {
  const money = (cents: bigint, currency: string) => moneyIn(cents, currency, locale);
  return {
    invoiceNumber: i.number,
    issuedOn: i.issuedOn,
    dueOn: i.dueOn,
    total: money(i.totalCents, i.currency),
    amountDue: money(i.amountDueCents, i.currency),
    status: i.status,
    statusLabel: statusLabel(locale, i.status, i.partiallyPaid),
    partiallyPaid: i.partiallyPaid,
  };
}

export function toInvoiceDetailView(i: InvoiceDetail, locale: Locale = DEFAULT_LOCALE): InvoiceDetailView {
  const c = i.currency;
  const money = (cents: bigint, currency: string) => moneyIn(cents, currency, locale);
  return {
    ...toInvoiceSummaryView(i, locale),
    accountId: i.accountId,
    accountName: i.accountName,
    memo: i.memo,
    paid: money(i.paidCents, c),
    credited: money(i.creditedCents, c),
    lines: i.lines.map((l) => ({
      description: l.description,
      reference: l.reference,
      quantity: l.quantity,
      unitPrice: money(l.unitCents, c),
      amount: money(l.amountCents, c),
      kind: l.kind,
    })),
    payments: i.payments.map((p) => ({ paymentNumber: p.number, receivedOn: p.receivedOn, method: p.method, amount: money(p.amountCents, c) })),
    credits: i.credits.map((x) => ({ creditNumber: x.number, appliedOn: x.appliedOn, reason: x.reason, amount: money(x.amountCents, c) })),
  };
}

export function toPaymentView(p: PaymentItem, locale: Locale = DEFAULT_LOCALE): PaymentView {
  const money = (cents: bigint, currency: string) => moneyIn(cents, currency, locale);
  return {
    paymentNumber: p.number,
    receivedOn: p.receivedOn,
    amount: money(p.amountCents, p.currency),
    method: p.method,
    allocations: p.allocations.map((a) => ({ invoiceNumber: a.invoiceNumber, amount: money(a.amountCents, p.currency) })),
  };
}

export function toCreditView(c: CreditItem, locale: Locale = DEFAULT_LOCALE): CreditView {
  const money = (cents: bigint, currency: string) => moneyIn(cents, currency, locale);
  return {
    creditNumber: c.number,
    issuedOn: c.issuedOn,
    amount: money(c.amountCents, c.currency),
    applied: money(c.appliedCents, c.currency),
    available: money(c.availableCents, c.currency),
    reason: c.reason,
    applications: c.applications.map((a) => ({ invoiceNumber: a.invoiceNumber, amount: money(a.amountCents, c.currency), appliedOn: a.appliedOn })),
  };
}

export function mapPage<A, B>(p: Paged<A>, f: (a: A) => B): Paged<B> {
  return { ...p, items: p.items.map(f) };
}
