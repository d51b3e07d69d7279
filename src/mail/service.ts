import type { Kysely } from 'kysely';
import type { InvoiceDetail } from '../billing/queries.js';
import type { BillingService } from '../billing/service.js';
import type { DB } from '../db/schema.js';
import type { InvoiceDocuments } from '../documents/invoice-pdf.js';
import { PdfUnavailableError } from '../documents/pdf-errors.js';
import { dateTimeFormatter } from '../format/dates.js';
import type { LinkSigner } from '../links/signer.js';
import { composeInvoiceMessage } from './invoice-message.js';
import { checkRecipient, type RecipientDecision } from './policy.js';
import { claimSend, finishSend, recordSend, type Claim, type EmailInvoiceRequest } from './send-log.js';
import { MailTransportError, type Mailer } from './types.js';

/**
 * Emailing an invoice PDF, with every rule in code:
 * 1. the recipient policy (billing contacts or verified domains only);
 * 2. the invoice must be the account's;
 * 3. the same invoice to the same recipient within the duplicate window is not sent again;
 * 4. at most `perHour` sends per account per rolling hour;
 * 5. one send per claim: 3 and 4 are decided under a per-account advisory lock, and the claim
 *    (a `sending` row) is committed before the PDF is rendered and the message sent, so two
 *    identical requests at once produce one email.
 * Every attempt, whatever came of it, is a row in email_sends (send-log.ts); the message itself is
 * composed in invoice-message.ts, in the request's locale (email and PDF alike). The outcome
 * messages below are for the model and the record, in English.
 *
 * Time here is wall-clock time (`now`), not the billing clock: FIXED_TODAY pins dates for the
 * demo, and a pinned "now" would make the hourly limit and the duplicate window never expire.
 */

export type { EmailInvoiceRequest } from './send-log.js';

export type EmailInvoiceOutcome =
  | { status: 'sent'; sendId: string; invoiceNumber: string; to: string; sentAt: Date; transport: Mailer['transport']; messageId: string }
  | { status: 'duplicate'; sendId: string; invoiceNumber: string; to: string; sentAt: Date; originalSendId: string; inFlight: boolean }
  | {
      status: 'refused';
      reason: 'invalid_recipient' | 'recipient_not_allowed' | 'rate_limited' | 'invoice_not_found';
      message: string;
      retryAt?: Date;
      sendId: string;
    }
  | { status: 'failed'; reason: 'pdf_unavailable' | 'transport_error'; message: string; sendId: string };

/** The capability a tool needs (ToolContext.mail). */
export interface InvoiceEmailer {
  emailInvoice(req: EmailInvoiceRequest): Promise<EmailInvoiceOutcome>;
  /** The recipient policy alone (no send): used before proposing a send, so a refused one is never proposed. */
  checkRecipient(accountId: string, to: string): Promise<RecipientDecision>;
  /** "Nov 25, 2026, 2:03 p.m. EST" in the billing time zone. */
  formatTime(d: Date): string;
  /** The billing time zone (so a sentence in another locale can print a send time). */
  readonly timeZone: string;
}

export interface MailServiceLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface MailServiceDeps {
  db: Kysely<DB>;
  mailer: Mailer;
  billing: BillingService;
  documents: InvoiceDocuments;
  links: LinkSigner;
  from: string;
  perHour: number;
  duplicateWindowMinutes: number;
  timeZone: string;
  /** Adds the server-setup hint to PDF failures (not in production, where people read them). */
  operatorHints: boolean;
  now?: () => Date;
  logger?: MailServiceLog;
}

/** What the functions below share: the deps with the clock and time formatter settled. */
interface MailContext extends MailServiceDeps {
  now: () => Date;
  formatTime: (d: Date) => string;
}

export type MailService = ReturnType<typeof createMailService>;

export function createMailService(deps: MailServiceDeps) {
  const ctx: MailContext = { ...deps, now: deps.now ?? (() => new Date()), formatTime: dateTimeFormatter(deps.timeZone) };
  const emailer: InvoiceEmailer = {
    emailInvoice: (req) => emailInvoice(ctx, req),
    formatTime: ctx.formatTime,
    timeZone: deps.timeZone,
    checkRecipient: (accountId, to) => checkRecipient(ctx.db, accountId, to),
  };
  return { ...emailer, emailer, mailer: deps.mailer };
}

async function emailInvoice(ctx: MailContext, req: EmailInvoiceRequest): Promise<EmailInvoiceOutcome> {
  const decision = await checkRecipient(ctx.db, req.accountId, req.to);
  if (!decision.allowed) {
    const sendId = await recordSend(ctx.db, { req, recipient: decision.address ?? req.to, status: 'refused', reason: decision.code, error: decision.message, at: ctx.now() });
    ctx.logger?.info({ sendId, accountId: req.accountId, reason: decision.code }, 'invoice email refused');
    return { status: 'refused', reason: decision.code, message: decision.message, sendId };
  }
  const to = decision.address;
  const invoice = await ctx.billing.invoice(req.accountId, req.invoiceNumber);
  if (!invoice) {
    const message = `No invoice ${req.invoiceNumber} was found on this account.`;
    const sendId = await recordSend(ctx.db, { req, recipient: to, status: 'refused', reason: 'invoice_not_found', error: message, at: ctx.now() });
    return { status: 'refused', reason: 'invoice_not_found', message, sendId };
  }
  const claim = await claimSend(ctx, req, to);
  if (claim.kind === 'duplicate') {
    return {
      status: 'duplicate',
      sendId: claim.id,
      invoiceNumber: invoice.number,
      to,
      sentAt: claim.original.at,
      originalSendId: claim.original.id,
      inFlight: claim.original.status === 'sending',
    };
  }
  if (claim.kind === 'limited') return rateLimited(ctx, invoice, claim);
  return renderAndSend(ctx, req, invoice, to, claim);
}

function rateLimited(ctx: MailContext, invoice: InvoiceDetail, claim: Extract<Claim, { kind: 'limited' }>): EmailInvoiceOutcome {
  const minutes = Math.max(1, Math.ceil((claim.retryAt.getTime() - ctx.now().getTime()) / 60_000));
  return {
    status: 'refused',
    reason: 'rate_limited',
    retryAt: claim.retryAt,
    sendId: claim.id,
    message: `This account has reached its limit of ${ctx.perHour} invoice emails per hour, so ${invoice.number} was not sent. You can send again after ${ctx.formatTime(claim.retryAt)} (in about ${minutes} minute${minutes === 1 ? '' : 's'}).`,
  };
}

/** The claimed send: render the PDF, hand the message to the transport, and close the row either way. */
async function renderAndSend(ctx: MailContext, req: EmailInvoiceRequest, invoice: InvoiceDetail, to: string, claim: Extract<Claim, { kind: 'claimed' }>): Promise<EmailInvoiceOutcome> {
  let pdf;
  try {
    pdf = await ctx.documents.pdfFor(invoice, req.locale);
  } catch (err) {
    return pdfFailed(ctx, invoice, claim.id, err);
  }
  const { mailer } = ctx;
  const payUrl = ctx.links.url({ purpose: 'pay', accountId: invoice.accountId, invoiceNumber: invoice.number });
  try {
    const sent = await mailer.send(
      composeInvoiceMessage(invoice, { from: ctx.from, to, requestedBy: req.userId, payUrl, pdf, sendId: claim.id, idempotencyKey: claim.idempotencyKey, ...(req.locale ? { locale: req.locale } : {}) }),
    );
    const sentAt = await finishSend(ctx, claim.id, { status: 'sent', transportMessageId: sent.id });
    ctx.logger?.info({ sendId: claim.id, accountId: req.accountId, transport: mailer.transport, messageId: sent.id }, 'invoice emailed');
    return { status: 'sent', sendId: claim.id, invoiceNumber: invoice.number, to, sentAt, transport: mailer.transport, messageId: sent.id };
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    await finishSend(ctx, claim.id, { status: 'failed', reason: 'transport_error', error: detail.slice(0, 1000) });
    ctx.logger?.error({ sendId: claim.id, transport: mailer.transport, err: detail, ...(err instanceof MailTransportError ? err.details : {}) }, 'invoice email failed');
    return {
      status: 'failed',
      reason: 'transport_error',
      sendId: claim.id,
      message: `The email service did not accept the message, so ${invoice.number} was not sent to ${to}. Please try again in a few minutes.`,
    };
  }
}

async function pdfFailed(ctx: MailContext, invoice: InvoiceDetail, sendId: string, err: unknown): Promise<EmailInvoiceOutcome> {
  const detail = err instanceof Error ? err.message : String(err);
  await finishSend(ctx, sendId, { status: 'failed', reason: 'pdf_unavailable', error: detail });
  ctx.logger?.error({ sendId, err: detail }, 'invoice email: PDF failed');
  const hint = ctx.operatorHints && err instanceof PdfUnavailableError && err.code === 'pdf_unavailable' ? ` (server setup: ${detail})` : '';
  return {
    status: 'failed',
    reason: 'pdf_unavailable',
    sendId,
    message: `The PDF of ${invoice.number} could not be created right now, so nothing was sent. Please try again in a few minutes.${hint}`,
  };
}
