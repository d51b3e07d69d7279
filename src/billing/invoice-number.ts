/**
 * Invoice numbers: `IN` and seven digits (the database's CHECK constraint, `^IN[0-9]{7}$`, which
 * tests/integration/schema-columns.test.ts compares with this pattern). The one owner of the
 * pattern: every parser, guard and schema imports it from here.
 */

/** A canonical invoice number, whole string. */
export const INVOICE_NUMBER_RE = /^IN[0-9]{7}$/;

/** The pattern as the database writes it (for the CHECK constraint comparison). */
export const INVOICE_NUMBER_SQL_PATTERN = '^IN[0-9]{7}$';

/** Canonical invoice numbers inside text ("IN7654321"), every occurrence. */
export function invoiceNumbersIn(text: string): string[] {
  return [...text.matchAll(/\bIN[0-9]{7}\b/g)].map((m) => m[0]);
}

/** Invoice numbers as people type them in text ("IN 7654321", "in-7654321"), normalised. */
export function typedInvoiceNumbersIn(text: string): string[] {
  return [...text.matchAll(/\bIN[\s-]?[0-9]{7}\b/gi)].map((m) => normalizeInvoiceNumber(m[0])).filter((n): n is string => n !== null);
}

/** Invoice numbers are normalised: "in 7654321", "IN-7654321", "7654321" all mean IN7654321. */
export function normalizeInvoiceNumber(input: string): string | null {
  const m = /^\s*(?:in)?[\s#:-]*([0-9]{7})\s*$/i.exec(input);
  return m ? `IN${m[1]}` : null;
}
