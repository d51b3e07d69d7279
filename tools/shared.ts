import { z } from 'zod';
import type { InvoiceCardItem } from '../src/agent/types.js';
import { normalizeInvoiceNumber, type InvoiceSummary } from '../src/billing/queries.js';
import { toInvoiceSummaryView } from '../src/billing/views.js';
import type { ToolContext } from './types.js';
import { ToolFailure } from './types.js';

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

export function invoiceItem(ctx: ToolContext, i: InvoiceSummary): InvoiceCardItem {
  const url = ctx.links.url({ purpose: 'pay', accountId: ctx.session.accountId, invoiceNumber: i.number });
  const { partiallyPaid: _partiallyPaid, ...view } = toInvoiceSummaryView(i);
  return { ...view, url, payUrl: i.amountDueCents > 0n && i.status !== 'void' ? url : null };
}

/** The compact line a model reads for one invoice. */
export function invoiceBrief(item: InvoiceCardItem) {
  return {
    invoiceNumber: item.invoiceNumber,
    issued: item.issuedOn,
    due: item.dueOn,
    total: item.total.display,
    amountDue: item.amountDue.display,
    status: item.statusLabel,
  };
}

/** Optional limit, nullable for OpenAI strict mode. */
export const limitParam = (max: number, dflt: number) =>
  z.number().int().min(1).max(max).nullable().describe(`How many to return (1-${max}); null for ${dflt}`);

export const dateParam = (what: string) =>
  z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD')
    .nullable()
    .describe(`${what} (YYYY-MM-DD), or null`);
