import { z } from 'zod';
import { isAccountId } from '../../identity/session.js';
import { isIsoDate } from '../dates.js';
import { INVOICE_NUMBER_RE } from '../invoice-number.js';
import { LINE_KINDS } from '../ledger.js';

/**
 * What the billing system sends (README "Connecting your billing system", "Upserts"): one zod
 * schema per record type, the one owner of their fields. The operator API's bodies are these
 * records without `type` and without the ids its URL carries; the bulk importer reads whole records
 * (`opsRecord`). Shapes are checked here; the ledger's rules (src/billing/ledger.ts) are checked
 * when a record is applied.
 */

/** The largest amount in cents, $1,000,000,000.00: a line's quantity × price and an invoice's 500 lines stay far inside bigint. */
export const MAX_CENTS = 100_000_000_000;

export const accountIdField = z
  .string()
  .refine(isAccountId, 'must be R and 5 to 12 digits, e.g. R10042 (the billing system uses this form; ids are not mapped)')
  .describe('the account number, e.g. R10042');

export const invoiceNumberField = z
  .string()
  .regex(INVOICE_NUMBER_RE, 'must be IN and 7 digits, e.g. IN7654321 (the billing system uses this form; numbers are not mapped)')
  .describe('the invoice number, e.g. IN7654321');

/**
 * A payment's or credit memo's number as the billing system writes it (PAY-300101, CM-100201,
 * RCPT/2026/0042): up to 40 letters, digits and . _ / -, and never 13 digits in a row, which card
 * detection would take for a card number wherever the number is shown.
 */
export const externalNumberField = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,39}$/, 'must be 1 to 40 letters, digits, ".", "_", "/" or "-", starting with a letter or digit')
  .refine((s) => !/[0-9]{13}/.test(s), 'must not hold 13 digits in a row (they read as a card number)')
  .describe('the billing system’s number, e.g. PAY-300101 or CM-100201');

export const isoDateField = z.string().refine(isIsoDate, 'must be a calendar date YYYY-MM-DD');
const timestampField = z.iso.datetime({ offset: true }).describe('RFC 3339 timestamp, e.g. 2026-11-25T12:00:00Z');
const currencyField = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code in capitals, e.g. CAD').describe("ISO 4217; the account's currency");
const positiveCents = z.number().int().min(1).max(MAX_CENTS).transform(BigInt).describe('integer cents, more than zero');

/**
 * The billing system's version of the record: an integer (a row version, a sequence), or an RFC
 * 3339 timestamp taken as its epoch milliseconds. An update older than the stored version is refused.
 */
export const sourceVersionField = z
  .union([z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), timestampField])
  .transform((v) => BigInt(typeof v === 'number' ? v : Date.parse(v)))
  .describe('the billing system’s version of this record: an integer, or a timestamp (kept as epoch milliseconds); older than the stored one → 409');

export const emailField = z
  .email('must be one plain email address')
  .max(254)
  .transform((s) => s.toLowerCase())
  .describe('a billing contact’s address (kept in lower case)');

export const domainField = z
  .hostname('must be a domain name, e.g. mycompany.com')
  .max(253)
  .refine((d) => d.includes('.') && !d.endsWith('.'), 'must be a domain name with a dot and no trailing dot, e.g. mycompany.com')
  .transform((d) => d.toLowerCase())
  .describe('a verified email domain (kept in lower case)');

/** How the billing system says a payment was made, and how the portal shows it. */
export const PAYMENT_METHODS = { credit_card: 'Credit card', cheque: 'Cheque', wire: 'Wire transfer', eft: 'EFT' } as const;
export type PaymentMethod = keyof typeof PAYMENT_METHODS;
const paymentMethodField = z.enum(Object.keys(PAYMENT_METHODS) as [PaymentMethod, ...PaymentMethod[]]).describe('shown to resellers as Credit card, Cheque, Wire transfer, EFT');

export const invoiceLine = z
  .object({
    position: z.number().int().min(1).max(1000).describe('1-based, unique within the invoice'),
    kind: z.enum(LINE_KINDS).describe("'opening_fee' only on the account's opening invoice"),
    description: z.string().trim().min(1).max(500),
    reference: z.string().trim().min(1).max(100).nullable().default(null).describe('e.g. the sales order SO-20417'),
    quantity: z.number().int().min(1).max(100_000).default(1),
    unitCents: z.number().int().min(-MAX_CENTS).max(MAX_CENTS).transform(BigInt).describe('integer cents; negative only on an adjustment line'),
  })
  .strict();

export const accountBody = z
  .object({
    name: z.string().trim().min(1).max(200),
    currency: currencyField,
    openedOn: isoDateField,
    closedOn: isoDateField.nullable().default(null).describe('no invoice issued on or after this day; null or absent: open'),
    openingInvoice: z
      .object({
        number: invoiceNumberField,
        dueOn: isoDateField.optional().describe('default: 30 days after openedOn'),
        lines: z.array(invoiceLine).max(100).default([]).describe('billed beside the opening fee, e.g. the first order'),
      })
      .strict()
      .optional()
      .describe('required when the account is opened: its first invoice, which carries the one-time opening fee'),
    sourceVersion: sourceVersionField,
  })
  .strict();

export const invoiceBody = z
  .object({
    accountId: accountIdField,
    issuedOn: isoDateField,
    dueOn: isoDateField,
    currency: currencyField,
    memo: z.string().max(2000).nullable().default(null),
    lines: z.array(invoiceLine).min(1).max(500),
    sourceVersion: sourceVersionField,
  })
  .strict();

export const voidBody = z
  .object({ voidedAt: timestampField.optional().describe('default: now'), sourceVersion: sourceVersionField })
  .strict();

export const paymentAllocation = z.object({ invoiceNumber: invoiceNumberField, amountCents: positiveCents }).strict();

export const paymentBody = z
  .object({
    accountId: accountIdField,
    receivedOn: isoDateField,
    amountCents: positiveCents,
    currency: currencyField,
    method: paymentMethodField,
    allocations: z.array(paymentAllocation).max(200).default([]).describe('what is not allocated stays on the payment, unallocated'),
    sourceVersion: sourceVersionField,
  })
  .strict();

export const creditMemoBody = z
  .object({
    accountId: accountIdField,
    issuedOn: isoDateField,
    amountCents: positiveCents,
    currency: currencyField,
    reason: z.string().trim().min(1).max(500),
    sourceVersion: sourceVersionField,
  })
  .strict();

export const creditApplicationBody = z.object({ amountCents: positiveCents, appliedOn: isoDateField, sourceVersion: sourceVersionField }).strict();

export const contactBody = z.object({ name: z.string().trim().min(1).max(120).nullable().default(null), sourceVersion: sourceVersionField }).strict();

export const domainBody = z.object({ verifiedAt: timestampField, sourceVersion: sourceVersionField }).strict();

/** One record of the billing system: the API's body plus its ids, tagged with its type (the bulk importer's unit). */
export const opsRecord = z.discriminatedUnion('type', [
  accountBody.extend({ type: z.literal('account'), accountId: accountIdField }),
  invoiceBody.extend({ type: z.literal('invoice'), number: invoiceNumberField }),
  voidBody.extend({ type: z.literal('void'), number: invoiceNumberField }),
  paymentBody.extend({ type: z.literal('payment'), number: externalNumberField }),
  creditMemoBody.extend({ type: z.literal('credit_memo'), number: externalNumberField }),
  creditApplicationBody.extend({ type: z.literal('credit_application'), creditNumber: externalNumberField, invoiceNumber: invoiceNumberField }),
  contactBody.extend({ type: z.literal('contact'), accountId: accountIdField, email: emailField }),
  z.object({ type: z.literal('contact_removal'), accountId: accountIdField, email: emailField }).strict(),
  domainBody.extend({ type: z.literal('domain'), accountId: accountIdField, domain: domainField }),
  z.object({ type: z.literal('domain_removal'), accountId: accountIdField, domain: domainField }).strict(),
]);

export type OpsRecord = z.output<typeof opsRecord>;
export type OpsRecordOf<T extends OpsRecord['type']> = Extract<OpsRecord, { type: T }>;
export type OpsRecordInput = z.input<typeof opsRecord>;
