import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { DB, EmailSendStatus } from '../db/schema.js';
import type { Locale } from '../i18n/locales.js';
import type { MailTransportName } from './types.js';

/**
 * email_sends: every attempt to email an invoice, whatever came of it, is a row. The claim
 * (`claimSend`) decides duplicate / hourly limit / go under a per-account advisory lock and
 * commits a `sending` row before the PDF is rendered and the message sent, so two identical
 * requests at once produce one email.
 */

export interface EmailInvoiceRequest {
  accountId: string;
  userId: string;
  conversationId: string | null;
  /** Normalised (IN7654321). */
  invoiceNumber: string;
  /** As asked for; validated here. */
  to: string;
  /** The language of the email and its PDF: the requester's (en-CA when absent). Not part of the duplicate rule. */
  locale?: Locale;
}

export type Claim =
  | { kind: 'claimed'; id: string; idempotencyKey: string }
  | { kind: 'duplicate'; id: string; original: { id: string; status: EmailSendStatus; at: Date } }
  | { kind: 'limited'; id: string; retryAt: Date };

export interface ClaimRules {
  db: Kysely<DB>;
  now: () => Date;
  perHour: number;
  duplicateWindowMinutes: number;
  mailer: { readonly transport: MailTransportName };
}

const HOUR_MS = 60 * 60 * 1000;

function lockKey(accountId: string): string {
  return `email_sends:${accountId}`;
}

/** A finished row (refused, duplicate): recorded as it is decided. */
export async function recordSend(
  db: Kysely<DB>,
  row: { req: EmailInvoiceRequest; recipient: string; status: EmailSendStatus; reason?: string | null; error?: string | null; duplicateOf?: string | null; at: Date },
): Promise<string> {
  const id = randomUUID();
  await db
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

/** Closes a claimed row: sent or failed. Returns when. */
export async function finishSend(
  ctx: { db: Kysely<DB>; now: () => Date },
  id: string,
  set: { status: 'sent' | 'failed'; transportMessageId?: string; reason?: string; error?: string },
): Promise<Date> {
  const at = ctx.now();
  await ctx.db
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

/** The same invoice to the same recipient, sent or sending within the duplicate window. */
async function recentSame(trx: Kysely<DB>, rules: ClaimRules, req: EmailInvoiceRequest, recipient: string, at: Date) {
  return trx
    .selectFrom('email_sends')
    .select(['id', 'status', 'created_at', 'completed_at'])
    .where('account_id', '=', req.accountId)
    .where('invoice_number', '=', req.invoiceNumber)
    .where('recipient', '=', recipient)
    .where('status', 'in', ['sent', 'sending'])
    .where('created_at', '>', new Date(at.getTime() - rules.duplicateWindowMinutes * 60_000))
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** Decides duplicate / limit / go under the account's lock, and records the decision. */
export async function claimSend(rules: ClaimRules, req: EmailInvoiceRequest, recipient: string): Promise<Claim> {
  return rules.db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtextextended(${lockKey(req.accountId)}, 0))`.execute(trx);
    const at = rules.now();
    if (rules.duplicateWindowMinutes > 0) {
      const prev = await recentSame(trx, rules, req, recipient, at);
      if (prev) {
        const id = await recordSend(trx, { req, recipient, status: 'duplicate', reason: 'duplicate', duplicateOf: prev.id, at });
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
    if (Number(used.n) >= rules.perHour) {
      // The oldest send in the window leaves it an hour after it was made.
      const retryAt = new Date(new Date(used.oldest ?? at).getTime() + HOUR_MS);
      const id = await recordSend(trx, { req, recipient, status: 'refused', reason: 'rate_limited', error: `limit of ${rules.perHour} per hour reached`, at });
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
        transport: rules.mailer.transport,
        status: 'sending',
        idempotency_key: idempotencyKey,
        created_at: at,
      })
      .execute();
    return { kind: 'claimed', id, idempotencyKey };
  });
}
