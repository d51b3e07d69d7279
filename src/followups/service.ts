import { sql, type Kysely } from 'kysely';
import { paged, type Page, type Paged } from '../billing/queries.js';
import { normalizeInvoiceNumber } from '../billing/invoice-number.js';
import type { DB, FollowUpsTable } from '../db/schema.js';
import { recordEvent } from '../eventlog/store.js';
import { AppError } from '../errors.js';
import { MailTransportError, type Mailer, type MailMessage } from '../mail/types.js';
import { html } from '../format/html.js';

/**
 * Hand-off to people: a request the assistant cannot handle (a dispute, a due-date extension, a
 * refund, "talk to a person") is stored as a follow_ups row with a human reference (FU-000042)
 * and emailed to the accounts-receivable team, who reply to the user by email.
 *
 * The team's address comes from configuration (AR_TEAM_EMAIL), so this mail does not go through
 * the invoice recipient policy. The row is the record: when the mail transport fails, the
 * follow-up is kept with notified_at null and the caller is told the team was not notified yet.
 * The user's words go into the row and the email, never into logs.
 *
 * Time is wall-clock time (`now`), not the billing clock (FIXED_TODAY pins dates, not instants).
 */

export type FollowUpTopic = FollowUpsTable['topic'];
export const FOLLOW_UP_TOPICS = ['dispute', 'extension', 'refund', 'other'] as const satisfies readonly FollowUpTopic[];
export type FollowUpStatus = 'open' | 'closed';

/** Longest user text kept with a follow-up; longer text is cut here. */
export const MAX_USER_WORDS = 2000;

export const TOPIC_LABELS: Readonly<Record<FollowUpTopic, string>> = {
  dispute: 'Dispute',
  extension: 'Due-date extension',
  refund: 'Refund',
  other: 'Other (talk to a person)',
};

/** Who asked and about what: the fields a request and a stored follow-up share. */
export interface FollowUpSubject {
  /** From the verified session. */
  accountId: string;
  userId: string;
  conversationId: string | null;
  topic: FollowUpTopic;
}

export interface FollowUpRequest extends FollowUpSubject {
  /** As given ("in 7654321" is fine); must be an invoice of this account. Null when none. */
  invoiceNumber: string | null;
  /** The user's own message; trimmed, capped at MAX_USER_WORDS, must not be empty. */
  userWords: string;
}

export interface FollowUpReceipt {
  /** FU-000042: what the user quotes to the team. */
  reference: string;
  topic: FollowUpTopic;
  invoiceNumber: string | null;
  /** ISO 8601. */
  createdAt: string;
  /** False when the email to the team could not be sent (the follow-up is stored anyway). */
  notified: boolean;
}

export interface FollowUp extends FollowUpSubject {
  reference: string;
  /** Canonical (IN7654321), an invoice of the account. */
  invoiceNumber: string | null;
  /** Trimmed and capped. */
  userWords: string;
  status: FollowUpStatus;
  createdAt: Date;
  notifiedAt: Date | null;
}

export type FollowUpRefusal = 'empty_request' | 'invalid_invoice_number' | 'invoice_not_found' | 'account_not_found';

/** A request the service will not store; `code` says why, `message` is for people. */
export class FollowUpRefusedError extends AppError {
  constructor(
    readonly reason: FollowUpRefusal,
    message: string,
  ) {
    super(reason === 'invoice_not_found' || reason === 'account_not_found' ? 404 : 400, reason, message);
  }
}

/** The capability the requestBillingFollowUp tool needs (reached through ToolContext.extras['followUps']). */
export interface FollowUpRequester {
  request(req: FollowUpRequest): Promise<FollowUpReceipt>;
}

export interface FollowUpLog {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export type FollowUpService = ReturnType<typeof createFollowUpService>;

/** FU- and at least 6 digits of the row id: unique (the id is) and stable (it never changes). */
export function followUpReference(id: string | bigint): string {
  return `FU-${String(id).padStart(6, '0')}`;
}

/** Trims and caps the user's words without splitting a surrogate pair. */
export function capUserWords(text: string, max = MAX_USER_WORDS): string {
  const t = text.replace(/\r\n?/g, '\n').trim();
  if (t.length <= max) return t;
  let cut = t.slice(0, max);
  const last = cut.charCodeAt(cut.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut = cut.slice(0, -1);
  return cut.trimEnd();
}

export interface FollowUpDeps {
  db: Kysely<DB>;
  mailer: Mailer;
  /** The accounts-receivable team's address (AR_TEAM_EMAIL). */
  arTeamEmail: string;
  /** The sender (MAIL_FROM). */
  mailFrom: string;
  now: () => Date;
  logger?: FollowUpLog | undefined;
}

/** The email to the team: the facts, then the user's words quoted. */
export function followUpMessage(f: FollowUp, accountName: string | null, addresses: { from: string; to: string }): MailMessage {
  const topic = TOPIC_LABELS[f.topic];
  const facts: Array<[string, string]> = [
    ['Reference', f.reference],
    ['Topic', topic],
    ['Account', accountName ? `${f.accountId} (${accountName})` : f.accountId],
    ['User', f.userId],
    ['Invoice', f.invoiceNumber ?? 'none'],
    ['Conversation', f.conversationId ?? 'none'],
    ['Requested at', f.createdAt.toISOString()],
  ];
  const text = [
    `A reseller asked the Billing Assistant for a person to follow up (${topic.toLowerCase()}).`,
    '',
    ...facts.map(([k, v]) => `${k}: ${v}`),
    '',
    "The user's words:",
    '',
    ...f.userWords.split('\n').map((l) => `> ${l}`),
    '',
    `Please reply to the user by email and quote ${f.reference}.`,
  ].join('\n');
  const body = html`<!doctype html><html><body style="font-family:Arial,Helvetica,sans-serif;color:#1b2430">
<p>A reseller asked the Billing Assistant for a person to follow up (${topic.toLowerCase()}).</p>
<table style="border-collapse:collapse">${facts.map(([k, v]) => html`<tr><th style="text-align:left;padding:2px 12px 2px 0">${k}</th><td>${v}</td></tr>`)}</table>
<p><strong>The user's words:</strong></p>
<blockquote style="white-space:pre-wrap;border-left:3px solid #d9dee4;margin:0;padding-left:12px">${f.userWords}</blockquote>
<p>Please reply to the user by email and quote <strong>${f.reference}</strong>.</p>
</body></html>`.html;
  return {
    from: addresses.from,
    to: addresses.to,
    subject: `[${f.reference}] ${topic} request from ${f.accountId}${f.invoiceNumber ? ` about ${f.invoiceNumber}` : ''}`,
    text,
    html: body,
    attachments: [],
    // One notification per follow-up, even if the send is retried.
    idempotencyKey: `follow-up/${f.reference}/${f.createdAt.getTime()}`,
  };
}

/** The user's words (trimmed, capped) and the invoice number made canonical, or a refusal. */
function checkRequest(req: FollowUpRequest): { userWords: string; invoiceNumber: string | null } {
  const userWords = capUserWords(req.userWords);
  if (!userWords) throw new FollowUpRefusedError('empty_request', 'A follow-up needs the request in your own words.');
  let invoiceNumber: string | null = null;
  if (req.invoiceNumber !== null && req.invoiceNumber.trim() !== '') {
    invoiceNumber = normalizeInvoiceNumber(req.invoiceNumber);
    if (!invoiceNumber) {
      throw new FollowUpRefusedError('invalid_invoice_number', `"${req.invoiceNumber.slice(0, 32)}" is not an invoice number; they look like IN7654321.`);
    }
  }
  return { userWords, invoiceNumber };
}

/** The account's name, after checking in one lookup that the account exists and (when given) holds the invoice. */
async function accountHolding(db: Kysely<DB>, accountId: string, invoiceNumber: string | null): Promise<string> {
  const account = await db
    .selectFrom('accounts as a')
    .leftJoin('invoices as i', (j) => j.onRef('i.account_id', '=', 'a.id').on('i.number', '=', invoiceNumber ?? ''))
    .select(['a.id', 'a.name', 'i.number as invoice'])
    .where('a.id', '=', accountId)
    .executeTakeFirst();
  if (!account) throw new FollowUpRefusedError('account_not_found', 'Account not found.');
  // Another account's invoice and a made-up number get the same answer.
  if (invoiceNumber && !account.invoice) throw new FollowUpRefusedError('invoice_not_found', `No invoice ${invoiceNumber} was found on this account.`);
  return account.name;
}

/** Stores an open follow-up; its reference derives from the id, so the id is drawn first and both are inserted together. */
async function storeFollowUp(db: Kysely<DB>, f: Omit<FollowUp, 'reference' | 'status' | 'notifiedAt'>): Promise<{ id: string; followUp: FollowUp }> {
  const { rows } = await sql<{ id: string }>`select nextval(pg_get_serial_sequence('follow_ups', 'id'))::text as id`.execute(db);
  const id = rows[0]?.id;
  if (!id) throw new Error('follow_ups: no id from the sequence');
  const reference = followUpReference(id);
  // The row and its followup.requested event commit together (the event carries no user words).
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('follow_ups')
      .values({
        id: BigInt(id),
        reference,
        account_id: f.accountId,
        user_id: f.userId,
        conversation_id: f.conversationId,
        invoice_number: f.invoiceNumber,
        topic: f.topic,
        user_words: f.userWords,
        created_at: f.createdAt,
      })
      .execute();
    await recordEvent(trx, { type: 'followup.requested', accountId: f.accountId, payload: { reference, topic: f.topic, invoiceNumber: f.invoiceNumber } });
  });
  return { id, followUp: { reference, ...f, status: 'open', notifiedAt: null } };
}

/** Emails the team; false when the transport failed (the row keeps notified_at null). */
async function notifyTeam(deps: FollowUpDeps, id: string, f: FollowUp, accountName: string): Promise<boolean> {
  const { db, mailer } = deps;
  const fields = { reference: f.reference, accountId: f.accountId, topic: f.topic, transport: mailer.transport };
  try {
    const sent = await mailer.send(followUpMessage(f, accountName, { from: deps.mailFrom, to: deps.arTeamEmail }));
    await db.updateTable('follow_ups').set({ notified_at: deps.now() }).where('id', '=', BigInt(id)).execute();
    deps.logger?.info({ ...fields, messageId: sent.id }, 'follow-up requested');
    return true;
  } catch (err) {
    // Stored, not yet notified: the row (notified_at null) is what an operator or a retry picks up.
    deps.logger?.error(
      { ...fields, err: err instanceof Error ? err.message : String(err), ...(err instanceof MailTransportError ? err.details : {}) },
      'follow-up stored; the team was not notified',
    );
    return false;
  }
}

/** Stores the request as a follow-up and emails the team. */
export async function requestFollowUp(deps: FollowUpDeps, req: FollowUpRequest): Promise<FollowUpReceipt> {
  const { userWords, invoiceNumber } = checkRequest(req);
  const accountName = await accountHolding(deps.db, req.accountId, invoiceNumber);
  const createdAt = deps.now();
  const { id, followUp } = await storeFollowUp(deps.db, {
    accountId: req.accountId,
    userId: req.userId,
    conversationId: req.conversationId,
    invoiceNumber,
    topic: req.topic,
    userWords,
    createdAt,
  });
  const notified = await notifyTeam(deps, id, followUp, accountName);
  return { reference: followUp.reference, topic: req.topic, invoiceNumber, createdAt: createdAt.toISOString(), notified };
}

/** The account's follow-ups, newest first. */
export async function listFollowUps(db: Kysely<DB>, accountId: string, page: Page): Promise<Paged<FollowUp>> {
  const rows = await db
    .selectFrom('follow_ups')
    .select(['reference', 'account_id', 'user_id', 'conversation_id', 'invoice_number', 'topic', 'user_words', 'status', 'created_at', 'notified_at'])
    .where('account_id', '=', accountId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(page.limit + 1)
    .offset(page.offset)
    .execute();
  return paged(
    rows.map((r) => ({
      reference: r.reference,
      accountId: r.account_id,
      userId: r.user_id,
      conversationId: r.conversation_id,
      invoiceNumber: r.invoice_number,
      topic: r.topic,
      userWords: r.user_words,
      status: r.status,
      createdAt: new Date(r.created_at),
      notifiedAt: r.notified_at === null ? null : new Date(r.notified_at),
    })),
    page,
  );
}

export function createFollowUpService(deps: Omit<FollowUpDeps, 'now'> & { now?: () => Date }) {
  const ctx: FollowUpDeps = { ...deps, now: deps.now ?? (() => new Date()) };
  const request = (req: FollowUpRequest): Promise<FollowUpReceipt> => requestFollowUp(ctx, req);
  const list = (accountId: string, page: Page): Promise<Paged<FollowUp>> => listFollowUps(ctx.db, accountId, page);
  const requester: FollowUpRequester = { request };
  return { request, list, requester };
}
