import { z } from 'zod';
import type { InvoiceCardItem } from './cards.js';
import { type InvoiceSummary } from '../src/billing/queries.js';
import { normalizeInvoiceNumber } from '../src/billing/invoice-number.js';
import { toInvoiceSummaryView } from '../src/billing/views.js';
import type { ToolContext } from './types.js';
import { ToolFailure } from './types.js';
import { INVOICE_STATUSES } from '../src/billing/status.js';
import { DEFAULT_LOCALE, type Locale } from '../src/i18n/locales.js';

/** An invoice number parameter; normalised and validated in code ("in 7654321" → IN7654321). */
export const invoiceNumberParam = z
  .string()
  .max(32)
  .describe('Invoice number as the user wrote it, e.g. IN7654321 (spaces, dashes and a missing "IN" are fine)');

export function requireInvoiceNumber(raw: string): string {
  const n = normalizeInvoiceNumber(raw);
  if (!n) throw new ToolFailure('invalid_invoice_number', `"${raw}" is not an invoice number; they look like IN7654321.`);
  return n;
}

export const NOT_FOUND_MESSAGE = (n: string) => `No invoice ${n} was found on this account.`;

/** The locale of a turn's cards and labels (en-CA when the turn has none). */
export function cardLocale(ctx: ToolContext): Locale {
  return ctx.locale ?? DEFAULT_LOCALE;
}

/** One invoice on a card, its display strings in the turn's locale. */
export function invoiceItem(ctx: ToolContext, i: InvoiceSummary): InvoiceCardItem {
  const url = ctx.links.url({ purpose: 'pay', accountId: ctx.session.accountId, invoiceNumber: i.number });
  const { partiallyPaid: _partiallyPaid, ...view } = toInvoiceSummaryView(i, cardLocale(ctx));
  return { ...view, url, payUrl: i.amountDueCents > 0n && i.status !== 'void' ? url : null };
}

/** Result schemas shared by the tools: what a model reads, and what the server's dialogue state and the offline engine parse. */
export const invoiceBriefResult = z.object({
  invoiceNumber: z.string(),
  issued: z.string(),
  due: z.string(),
  total: z.string(),
  totalCents: z.number().int(),
  amountDue: z.string(),
  amountDueCents: z.number().int(),
  /** Status code (paid, due, overdue, partially_paid, void); `status` is its label. */
  state: z.enum(INVOICE_STATUSES),
  status: z.string(),
});
export type InvoiceBriefResult = z.infer<typeof invoiceBriefResult>;

/**
 * The compact line a model reads for one invoice. Tool results are for the model and the engine,
 * always en-CA (stable figures and labels); the reply's language is theirs to choose.
 */
export function invoiceBrief(i: InvoiceSummary): InvoiceBriefResult {
  const v = toInvoiceSummaryView(i);
  return {
    invoiceNumber: v.invoiceNumber,
    issued: v.issuedOn,
    due: v.dueOn,
    total: v.total.display,
    totalCents: v.total.cents,
    amountDue: v.amountDue.display,
    amountDueCents: v.amountDue.cents,
    state: v.status,
    status: v.statusLabel,
  };
}

/** A tool's error as the loop hands it to the model. */
export const toolErrorResult = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

/** Optional limit, nullable for OpenAI strict mode. */
export const limitParam = (max: number, dflt: number) =>
  z.number().int().min(1).max(max).nullable().describe(`How many to return (1-${max}); null for ${dflt}`);

/** A date parameter; its format is checked in the tool (isIsoDate), not with a schema pattern every turn pays for. */
export const dateParam = (what: string) => z.string().max(10).nullable().describe(`${what} (YYYY-MM-DD), or null`);
