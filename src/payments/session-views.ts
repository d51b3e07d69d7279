import type { Kysely } from 'kysely';
import type { InvoiceDetail } from '../billing/queries.js';
import type { CheckoutSessionState, DB } from '../db/schema.js';
import type { PaymentsContext } from './context.js';

/** What the return page and the sandbox checkout page show of a checkout session. */

export interface ReturnStatus {
  sessionId: string;
  accountId: string;
  invoiceNumber: string;
  /** The session's state, with an open session past its expiry shown as expired. */
  state: CheckoutSessionState;
  amountCents: bigint;
  currency: string;
  invoice: InvoiceDetail | null;
}

export interface SandboxSessionView {
  id: string;
  accountId: string;
  accountName: string;
  invoiceNumber: string;
  amountCents: bigint;
  currency: string;
  state: CheckoutSessionState;
  expiresAt: Date;
  createdAt: Date;
}

/** The return page's facts: the session and the invoice as they are in our database now. */
export async function returnStatus(ctx: Pick<PaymentsContext, 'db' | 'billing' | 'now'>, sessionId: string): Promise<ReturnStatus | null> {
  const row = await ctx.db
    .selectFrom('checkout_sessions')
    .select(['id', 'account_id', 'invoice_number', 'state', 'amount_cents', 'currency', 'expires_at'])
    .where('id', '=', sessionId)
    .executeTakeFirst();
  if (!row) return null;
  const expired = row.state === 'open' && new Date(row.expires_at).getTime() <= ctx.now().getTime();
  return {
    sessionId: row.id,
    accountId: row.account_id,
    invoiceNumber: row.invoice_number,
    state: expired ? 'expired' : row.state,
    amountCents: row.amount_cents,
    currency: row.currency.trim(),
    invoice: await ctx.billing.invoice(row.account_id, row.invoice_number),
  };
}

/** A session as the sandbox checkout page shows it (sandbox sessions only). */
export async function sandboxSession(db: Kysely<DB>, sessionId: string): Promise<SandboxSessionView | null> {
  const row = await db
    .selectFrom('checkout_sessions')
    .innerJoin('accounts', 'accounts.id', 'checkout_sessions.account_id')
    .select([
      'checkout_sessions.id',
      'checkout_sessions.account_id',
      'accounts.name as account_name',
      'checkout_sessions.invoice_number',
      'checkout_sessions.amount_cents',
      'checkout_sessions.currency',
      'checkout_sessions.state',
      'checkout_sessions.expires_at',
      'checkout_sessions.created_at',
    ])
    .where('checkout_sessions.id', '=', sessionId)
    .where('checkout_sessions.processor', '=', 'sandbox')
    .executeTakeFirst();
  if (!row) return null;
  return {
    id: row.id,
    accountId: row.account_id,
    accountName: row.account_name,
    invoiceNumber: row.invoice_number,
    amountCents: row.amount_cents,
    currency: row.currency.trim(),
    state: row.state,
    expiresAt: new Date(row.expires_at),
    createdAt: new Date(row.created_at),
  };
}
