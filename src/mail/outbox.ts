import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import { headerSafe, type Mailer, type MailMessage } from './types.js';

/**
 * The local outbox: the default transport, so the demo emails with no account anywhere. Each
 * message and its attachments are kept in the database (outbox, outbox_attachments) and written
 * to disk under `dir/<message id>/` (message.json, the attachments), listed per account at
 * /portal/dev/outbox.
 * Idempotent like Resend: the same idempotency key returns the message already stored.
 */

export interface OutboxLog {
  warn(obj: object, msg: string): void;
}

/** A file name safe on any disk: the base name, [A-Za-z0-9._-] only. */
export function safeFilename(name: string): string {
  const base = path.basename(name).replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '');
  return base.slice(0, 100) || 'attachment';
}

export function createOutboxMailer(deps: { db: Kysely<DB>; dir: string; now?: () => Date; logger?: OutboxLog }): Mailer {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());
  const root = path.resolve(deps.dir);

  return {
    transport: 'outbox',
    async send(msg: MailMessage) {
      const existing = await db.selectFrom('outbox').select('id').where('idempotency_key', '=', msg.idempotencyKey).executeTakeFirst();
      if (existing) return { id: existing.id };
      const id = randomUUID();
      const diskPath = path.join(root, id);
      const createdAt = now();
      const inserted = await db.transaction().execute(async (trx) => {
        const row = await trx
          .insertInto('outbox')
          .values({
            id,
            email_send_id: msg.sendId ?? null,
            idempotency_key: msg.idempotencyKey,
            from_address: msg.from,
            to_address: msg.to,
            subject: headerSafe(msg.subject),
            text_body: msg.text,
            html_body: msg.html,
            disk_path: diskPath,
            created_at: createdAt,
          })
          .onConflict((oc) => oc.column('idempotency_key').doNothing())
          .returning('id')
          .executeTakeFirst();
        if (!row) return false;
        if (msg.attachments.length > 0) {
          await trx
            .insertInto('outbox_attachments')
            .values(
              msg.attachments.map((a, position) => ({
                outbox_id: id,
                position,
                filename: safeFilename(a.filename),
                content_type: a.contentType,
                size_bytes: a.content.length,
                content: a.content,
              })),
            )
            .execute();
        }
        return true;
      });
      if (!inserted) {
        // A concurrent send with the same key won the insert.
        const row = await db.selectFrom('outbox').select('id').where('idempotency_key', '=', msg.idempotencyKey).executeTakeFirstOrThrow();
        return { id: row.id };
      }
      try {
        await fs.mkdir(diskPath, { recursive: true });
        const meta = {
          id,
          createdAt: createdAt.toISOString(),
          from: msg.from,
          to: msg.to,
          subject: headerSafe(msg.subject),
          idempotencyKey: msg.idempotencyKey,
          text: msg.text,
          html: msg.html,
          attachments: msg.attachments.map((a) => ({ filename: safeFilename(a.filename), contentType: a.contentType, size: a.content.length })),
        };
        await fs.writeFile(path.join(diskPath, 'message.json'), `${JSON.stringify(meta, null, 2)}\n`);
        for (const a of msg.attachments) await fs.writeFile(path.join(diskPath, safeFilename(a.filename)), a.content);
      } catch (err) {
        // The database copy is the record; the disk copy is a convenience.
        deps.logger?.warn({ err: err instanceof Error ? err.message : String(err), id }, 'outbox: could not write the message to disk');
        await db.updateTable('outbox').set({ disk_path: null }).where('id', '=', id).execute();
      }
      return { id };
    },
  };
}

export interface OutboxEntry {
  id: string;
  sendId: string;
  from: string;
  to: string;
  subject: string;
  text: string;
  createdAt: Date;
  attachments: Array<{ position: number; filename: string; contentType: string; sizeBytes: number }>;
}

/**
 * One account's newest messages in the outbox, with their attachments' metadata (not the bytes).
 * A message belongs to the account of its email_sends row; the filter is in the query, so another
 * account's mail (and a message with no send row) is never read. No disk paths: they are the
 * server's business.
 */
export async function listOutbox(db: Kysely<DB>, accountId: string, limit = 100): Promise<OutboxEntry[]> {
  const rows = await db
    .selectFrom('outbox')
    .innerJoin('email_sends', 'email_sends.id', 'outbox.email_send_id')
    .where('email_sends.account_id', '=', accountId)
    .select(['outbox.id', 'email_sends.id as send_id', 'outbox.from_address', 'outbox.to_address', 'outbox.subject', 'outbox.text_body', 'outbox.created_at'])
    .orderBy('outbox.created_at', 'desc')
    .orderBy('outbox.id')
    .limit(limit)
    .execute();
  const ids = rows.map((r) => r.id);
  const atts =
    ids.length === 0
      ? []
      : await db
          .selectFrom('outbox_attachments')
          .select(['outbox_id', 'position', 'filename', 'content_type', 'size_bytes'])
          .where('outbox_id', 'in', ids)
          .orderBy('position')
          .execute();
  return rows.map((r) => ({
    id: r.id,
    sendId: r.send_id,
    from: r.from_address,
    to: r.to_address,
    subject: r.subject,
    text: r.text_body,
    createdAt: new Date(r.created_at),
    attachments: atts
      .filter((a) => a.outbox_id === r.id)
      .map((a) => ({ position: a.position, filename: a.filename, contentType: a.content_type, sizeBytes: a.size_bytes })),
  }));
}

/** One attachment of one of the account's messages, or null (unknown, or another account's). */
export async function getOutboxAttachment(
  db: Kysely<DB>,
  key: { accountId: string; outboxId: string; position: number },
): Promise<{ filename: string; contentType: string; content: Buffer } | null> {
  const row = await db
    .selectFrom('outbox_attachments')
    .innerJoin('outbox', 'outbox.id', 'outbox_attachments.outbox_id')
    .innerJoin('email_sends', 'email_sends.id', 'outbox.email_send_id')
    .where('email_sends.account_id', '=', key.accountId)
    .where('outbox_attachments.outbox_id', '=', key.outboxId)
    .where('outbox_attachments.position', '=', key.position)
    .select(['outbox_attachments.filename', 'outbox_attachments.content_type', 'outbox_attachments.content'])
    .executeTakeFirst();
  return row ? { filename: row.filename, contentType: row.content_type, content: Buffer.from(row.content) } : null;
}
