import { sql, type Kysely, type Selectable } from 'kysely';
import type { DB, PaymentAlertsTable } from '../db/schema.js';
import { ConflictError, NotFoundError } from '../errors.js';

/**
 * Payment alerts: the processor events that did not match what we created (processing.ts raises
 * them; nothing was applied). An operator lists them and resolves each with a note
 * (GET /v1/ops/alerts, POST /v1/ops/alerts/:id/resolve).
 */

export type AlertStatusFilter = 'open' | 'resolved' | 'all';

export interface PaymentAlert {
  id: bigint;
  alert: string;
  status: 'open' | 'resolved';
  accountId: string | null;
  processorEventId: string | null;
  checkoutSessionId: string | null;
  details: Record<string, unknown>;
  createdAt: Date;
  resolvedAt: Date | null;
  resolvedBy: string | null;
  resolutionNote: string | null;
}

export interface AlertPage {
  items: PaymentAlert[];
  /** The id to pass as `before` for the next page; null on the last page. */
  next: bigint | null;
}

function alertOf(row: Selectable<PaymentAlertsTable>): PaymentAlert {
  return {
    id: row.id,
    alert: row.alert,
    status: row.resolved_at ? 'resolved' : 'open',
    accountId: row.account_id,
    processorEventId: row.event_id,
    checkoutSessionId: row.session_id,
    details: row.details,
    createdAt: row.created_at,
    resolvedAt: row.resolved_at,
    resolvedBy: row.resolved_by,
    resolutionNote: row.resolution_note,
  };
}

/** Alerts newest first, `limit` at a time; `before` is the previous page's `next`. */
export async function listAlerts(db: Kysely<DB>, opts: { status: AlertStatusFilter; limit: number; before?: bigint | undefined }): Promise<AlertPage> {
  let q = db.selectFrom('payment_alerts').selectAll().orderBy('id', 'desc').limit(opts.limit + 1);
  if (opts.status === 'open') q = q.where('resolved_at', 'is', null);
  if (opts.status === 'resolved') q = q.where('resolved_at', 'is not', null);
  if (opts.before !== undefined) q = q.where('id', '<', opts.before);
  const rows = await q.execute();
  const items = rows.slice(0, opts.limit).map(alertOf);
  return { items, next: rows.length > opts.limit ? (items.at(-1)?.id ?? null) : null };
}

/**
 * Marks an open alert resolved by `operatorId` with `note`, in one statement (two operators
 * resolving at once: one wins, the other gets 409). 404 for an unknown id, 409 when already resolved.
 */
export async function resolveAlert(db: Kysely<DB>, id: bigint, by: { operatorId: string; note: string }): Promise<PaymentAlert> {
  const row = await db
    .updateTable('payment_alerts')
    .set({ resolved_at: sql<Date>`now()`, resolved_by: by.operatorId, resolution_note: by.note })
    .where('id', '=', id)
    .where('resolved_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
  if (row) return alertOf(row);
  const existing = await db.selectFrom('payment_alerts').select(['resolved_at', 'resolved_by']).where('id', '=', id).executeTakeFirst();
  if (!existing) throw new NotFoundError(`No payment alert ${id}`);
  throw new ConflictError(`Payment alert ${id} is already resolved (by ${existing.resolved_by ?? 'unknown'} at ${existing.resolved_at?.toISOString() ?? 'an unknown time'})`);
}
