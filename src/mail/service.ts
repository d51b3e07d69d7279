import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { formatMoney } from '../format/money.js';
import type { InvoiceDetail } from '../billing/queries.js';
import type { BillingService } from '../billing/service.js';
import type { DB, EmailSendStatus } from '../db/schema.js';
import type { InvoiceDocuments } from '../documents/invoice-pdf.js';
import { dateTimeFormatter, formatDate } from '../format/dates.js';
import { PdfUnavailableError } from '../documents/pdf-pool.js';
import type { LinkSigner } from '../links/signer.js';
import { html } from '../format/html.js';
import { checkRecipient, type RecipientDecision } from './policy.js';
import { MailTransportError, type Mailer, type MailMessage } from './types.js';

/**
 * Emailing an invoice PDF, with every rule in code:
 * 1. the recipient policy (billing contacts or verified domains only);
 * 2. the invoice must be the account's;
 * 3. the same invoice to the same recipient within the duplicate window is not sent again;
 * 4. at most `perHour` sends per account per rolling hour;
 * 5. one send per claim: 3 and 4 are decided under a per-account advisory lock, and the claim
 *    (a `sending` row) is committed before the PDF is rendered and the message sent, so two
 *    identical requests at once produce one email.
 * Every attempt, whatever came of it, is a row in email_sends.
 *
 * Time here is wall-clock time (`now`), not the billing clock: FIXED_TODAY pins dates for the
 * demo, and a pinned "now" would make the hourly limit and the duplicate window never expire.
 */

export interface EmailInvoiceRequest {
  accountId: string;
  userId: string;
  conversationId: string | null;
  /** Normalised (IN7654321). */
  invoiceNumber: string;
  /** As asked for; validated here. */
  to: string;
}

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
}

export interface MailServiceLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export type MailService = ReturnType<typeof createMailService>;

const HOUR_MS = 60 * 60 * 1000;

function lockKey(accountId: string): string {
  return `email_sends:${accountId}`;
}

export function createMailService(deps: {
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
}) {
  const { db, mailer } = deps;
  const now = deps.now ?? (() => new Date());
  const formatTime = dateTimeFormatter(deps.timeZone);

  async function record(row: {
    id?: string;
    req: EmailInvoiceRequest;
    recipient: string;
    status: EmailSendStatus;
    reason?: string | null;
    error?: string | null;
    duplicateOf?: string | null;
    at: Date;
    trx?: Kysely<DB>;
  }): Promise<string> {
    const id = row.id ?? randomUUID();
    await (row.trx ?? db)
      .insertInto('email_sends')
      .values({
        id,
        account_id: row.req.accountId,
        user_id: row.req.userId,
        conversation_id: row.req.conversationId,
        invoice_number: row.req.invoiceNumber.slice(0, 32),
        recipient: row.recipient.slice(0, 320),
        transport: null,
        status: row.status,
        reason: row.reason ?? null,
        error: row.error ?? null,
        duplicate_of: row.duplicateOf ?? null,
        created_at: row.at,
        completed_at: row.at,
      })
      .execute();
    return id;
  }

  async function finish(id: string, set: { status: 'sent' | 'failed'; transportMessageId?: string; reason?: string; error?: string }): Promise<Date> {
    const at = now();
    await db
      .updateTable('email_sends')
      .set({
        status: set.status,
        transport_message_id: set.transportMessageId ?? null,
        reason: set.reason ?? null,
        error: set.error ?? null,
        completed_at: at,
      })
      .where('id', '=', id)
      .execute();
    return at;
  }

  function message(inv: InvoiceDetail, to: string, requestedBy: string, pdf: { filename: string; pdf: Buffer }, sendId: string, idempotencyKey: string): MailMessage {
    const c = inv.currency;
    const payUrl = deps.links.url({ purpose: 'pay', accountId: inv.accountId, invoiceNumber: inv.number });
    const payable = inv.amountDueCents > 0n && inv.status !== 'void';
    const facts = [
      `Total: ${formatMoney(inv.totalCents, c)} ${c}`,
      `Amount due: ${formatMoney(inv.amountDueCents, c)} ${c}`,
      `Due date: ${formatDate(inv.dueOn)}`,
      `Status: ${inv.statusLabel}`,
    ];
    const text = [
      'Hello,',
      '',
      `Attached is a PDF copy of invoice ${inv.number} for ${inv.accountName} (account ${inv.accountId}).`,
      '',
      ...facts,
      '',
      payable ? 'View and pay this invoice on our secure payment page:' : 'View this invoice online:',
      payUrl,
      '',
      `Sent at the request of ${requestedBy} through the Randmar Billing Assistant.`,
      'Randmar never asks for card details by email.',
    ].join('\n');
    const body = html`<!doctype html><html><body style="font-family:Arial,Helvetica,sans-serif;color:#1b2430">
<p>Hello,</p>
<p>Attached is a PDF copy of invoice <strong>${inv.number}</strong> for ${inv.accountName} (account ${inv.accountId}).</p>
<ul>${facts.map((f) => html`<li>${f}</li>`)}</ul>
<p><a href="${payUrl}">${payable ? 'View and pay this invoice on our secure payment page' : 'View this invoice online'}</a></p>
<p style="color:#5b6673;font-size:12px">Sent at the request of ${requestedBy} through the Randmar Billing Assistant. Randmar never asks for card details by email.</p>
</body></html>`.html;
    return {
      from: deps.from,
      to,
      subject: payable
        ? `Randmar invoice ${inv.number}: ${formatMoney(inv.amountDueCents, c)} due ${formatDate(inv.dueOn)}`
        : `Randmar invoice ${inv.number} (${inv.statusLabel.toLowerCase()})`,
      text,
      html: body,
      attachments: [{ filename: pdf.filename, contentType: 'application/pdf', content: pdf.pdf }],
      idempotencyKey,
      sendId,
    };
  }

  type Claim =
    | { kind: 'claimed'; id: string; idempotencyKey: string }
    | { kind: 'duplicate'; id: string; original: { id: string; status: EmailSendStatus; at: Date } }
    | { kind: 'limited'; id: string; retryAt: Date };

  /** Decides duplicate / limit / go under the account's lock, and records the decision. */
  async function claim(req: EmailInvoiceRequest, recipient: string): Promise<Claim> {
    return db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(hashtextextended(${lockKey(req.accountId)}, 0))`.execute(trx);
      const at = now();
      if (deps.duplicateWindowMinutes > 0) {
        const prev = await trx
          .selectFrom('email_sends')
          .select(['id', 'status', 'created_at', 'completed_at'])
          .where('account_id', '=', req.accountId)
          .where('invoice_number', '=', req.invoiceNumber)
          .where('recipient', '=', recipient)
          .where('status', 'in', ['sent', 'sending'])
          .where('created_at', '>', new Date(at.getTime() - deps.duplicateWindowMinutes * 60_000))
          .orderBy('created_at', 'desc')
          .limit(1)
          .executeTakeFirst();
        if (prev) {
          const id = await record({ req, recipient, status: 'duplicate', reason: 'duplicate', duplicateOf: prev.id, at, trx });
          return { kind: 'duplicate', id, original: { id: prev.id, status: prev.status, at: new Date(prev.completed_at ?? prev.created_at) } };
        }
      }
      const used = await trx
        .selectFrom('email_sends')
        .select((eb) => [eb.fn.countAll<string>().as('n'), eb.fn.min('created_at').as('oldest')])
        .where('account_id', '=', req.accountId)
        .where('status', 'in', ['sending', 'sent', 'failed'])
        .where('created_at', '>', new Date(at.getTime() - HOUR_MS))
        .executeTakeFirstOrThrow();
      if (Number(used.n) >= deps.perHour) {
        // The oldest send in the window leaves it an hour after it was made.
        const retryAt = new Date(new Date(used.oldest ?? at).getTime() + HOUR_MS);
        const id = await record({ req, recipient, status: 'refused', reason: 'rate_limited', error: `limit of ${deps.perHour} per hour reached`, at, trx });
        return { kind: 'limited', id, retryAt };
      }
      const id = randomUUID();
      const idempotencyKey = `invoice-email/${id}`;
      await trx
        .insertInto('email_sends')
        .values({
          id,
          account_id: req.accountId,
          user_id: req.userId,
          conversation_id: req.conversationId,
          invoice_number: req.invoiceNumber,
          recipient,
          transport: mailer.transport,
          status: 'sending',
          idempotency_key: idempotencyKey,
          created_at: at,
        })
        .execute();
      return { kind: 'claimed', id, idempotencyKey };
    });
  }

  async function emailInvoice(req: EmailInvoiceRequest): Promise<EmailInvoiceOutcome> {
    const decision = await checkRecipient(db, req.accountId, req.to);
    if (!decision.allowed) {
      const sendId = await record({ req, recipient: decision.address ?? req.to, status: 'refused', reason: decision.code, error: decision.message, at: now() });
      deps.logger?.info({ sendId, accountId: req.accountId, reason: decision.code }, 'invoice email refused');
      return { status: 'refused', reason: decision.code, message: decision.message, sendId };
    }
    const to = decision.address;
    const invoice = await deps.billing.invoice(req.accountId, req.invoiceNumber);
    if (!invoice) {
      const message = `No invoice ${req.invoiceNumber} was found on this account.`;
      const sendId = await record({ req, recipient: to, status: 'refused', reason: 'invoice_not_found', error: message, at: now() });
      return { status: 'refused', reason: 'invoice_not_found', message, sendId };
    }

    const c = await claim(req, to);
    if (c.kind === 'duplicate') {
      return {
        status: 'duplicate',
        sendId: c.id,
        invoiceNumber: invoice.number,
        to,
        sentAt: c.original.at,
        originalSendId: c.original.id,
        inFlight: c.original.status === 'sending',
      };
    }
    if (c.kind === 'limited') {
      const minutes = Math.max(1, Math.ceil((c.retryAt.getTime() - now().getTime()) / 60_000));
      return {
        status: 'refused',
        reason: 'rate_limited',
        retryAt: c.retryAt,
        sendId: c.id,
        message: `This account has reached its limit of ${deps.perHour} invoice emails per hour, so ${invoice.number} was not sent. You can send again after ${formatTime(c.retryAt)} (in about ${minutes} minute${minutes === 1 ? '' : 's'}).`,
      };
    }

    let pdf;
    try {
      pdf = await deps.documents.pdfFor(invoice);
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      await finish(c.id, { status: 'failed', reason: 'pdf_unavailable', error: detail });
      deps.logger?.error({ sendId: c.id, err: detail }, 'invoice email: PDF failed');
      const hint = deps.operatorHints && err instanceof PdfUnavailableError && err.code === 'pdf_unavailable' ? ` (server setup: ${detail})` : '';
      return {
        status: 'failed',
        reason: 'pdf_unavailable',
        sendId: c.id,
        message: `The PDF of ${invoice.number} could not be created right now, so nothing was sent. Please try again in a few minutes.${hint}`,
      };
    }

    try {
      const sent = await mailer.send(message(invoice, to, req.userId, pdf, c.id, c.idempotencyKey));
      const sentAt = await finish(c.id, { status: 'sent', transportMessageId: sent.id });
      deps.logger?.info({ sendId: c.id, accountId: req.accountId, transport: mailer.transport, messageId: sent.id }, 'invoice emailed');
      return { status: 'sent', sendId: c.id, invoiceNumber: invoice.number, to, sentAt, transport: mailer.transport, messageId: sent.id };
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      await finish(c.id, { status: 'failed', reason: 'transport_error', error: detail.slice(0, 1000) });
      deps.logger?.error({ sendId: c.id, transport: mailer.transport, err: detail, ...(err instanceof MailTransportError ? err.details : {}) }, 'invoice email failed');
      return {
        status: 'failed',
        reason: 'transport_error',
        sendId: c.id,
        message: `The email service did not accept the message, so ${invoice.number} was not sent to ${to}. Please try again in a few minutes.`,
      };
    }
  }

  const emailer: InvoiceEmailer = { emailInvoice, formatTime, checkRecipient: (accountId, to) => checkRecipient(db, accountId, to) };
  return { ...emailer, emailer, mailer };
}
