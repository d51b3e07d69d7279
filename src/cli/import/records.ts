import { accountBody, invoiceLine, opsRecord, paymentAllocation } from '../../billing/ops/schemas.js';

/**
 * The record fields as the importer names them: the CSV columns (derived from the shared zod
 * schemas, so a field added there is a column here) and a record's id for the reject report.
 */

/** The fields that repeat within one record: invoice lines, payment allocations (CSV: one per row). */
const NESTED = new Set(['lines', 'allocations', 'openingInvoice']);

/** Every record-level column: the union of the record types' fields, and the opening invoice's as `openingInvoice.<field>`. */
export const RECORD_COLUMNS: readonly string[] = [
  ...new Set([
    'type',
    ...opsRecord.options.flatMap((o) => Object.keys(o.shape)).filter((k) => !NESTED.has(k)),
    ...Object.keys(accountBody.shape.openingInvoice.unwrap().shape)
      .filter((k) => !NESTED.has(k))
      .map((k) => `openingInvoice.${k}`),
  ]),
];

/** One invoice line per row: `line.<field>` (an account row's line goes on its opening invoice). */
export const LINE_COLUMNS: readonly string[] = Object.keys(invoiceLine.shape).map((k) => `line.${k}`);

/** One payment allocation per row: `allocation.<field>`. */
export const ALLOCATION_COLUMNS: readonly string[] = Object.keys(paymentAllocation.shape).map((k) => `allocation.${k}`);

/** Columns whose integer cells are numbers (cents, positions, quantities, versions); every other cell stays text. */
export const NUMERIC_COLUMNS: ReadonlySet<string> = new Set(['amountCents', 'sourceVersion', 'line.position', 'line.quantity', 'line.unitCents', 'allocation.amountCents']);

/** The record types whose rows may repeat for their lines or allocations. */
export const MULTI_ROW_TYPES: ReadonlySet<string> = new Set(['account', 'invoice', 'payment']);

const text = (v: unknown): string | null => (typeof v === 'string' || typeof v === 'number' ? String(v) : null);

/** A record's id as the billing system knows it (for the reject report), read from whatever could be read of it. */
export function recordIdOf(raw: Record<string, unknown> | undefined): string | null {
  if (!raw) return null;
  const joined = (a: unknown, b: unknown) => (text(a) !== null && text(b) !== null ? `${text(a)}/${text(b)}` : (text(a) ?? text(b)));
  switch (raw['type']) {
    case 'account':
      return text(raw['accountId']);
    case 'credit_application':
      return joined(raw['creditNumber'], raw['invoiceNumber']);
    case 'contact':
    case 'contact_removal':
      return joined(raw['accountId'], raw['email']);
    case 'domain':
    case 'domain_removal':
      return joined(raw['accountId'], raw['domain']);
    default:
      return text(raw['number']) ?? text(raw['accountId']);
  }
}
