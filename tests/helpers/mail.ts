import type { Kysely } from 'kysely';
import { expect } from 'vitest';
import type { Card } from '../../src/agent/types.js';
import { fixedClock } from '../../src/billing/dates.js';
import { createBillingService } from '../../src/billing/service.js';
import { testConfig } from '../../src/config.js';
import type { DB } from '../../src/db/schema.js';
import { createInvoiceDocuments } from '../../src/documents/invoice-pdf.js';
import type { PdfRenderer } from '../../src/documents/pdf-pool.js';
import { createOutboxMailer } from '../../src/mail/outbox.js';
import { createMailService } from '../../src/mail/service.js';
import type { Mailer } from '../../src/mail/types.js';
import { createLinkSigner } from '../../src/links/signer.js';
import type { ToolContext } from '../../tools/types.js';
import type { TestApp } from './app.js';
import { TEST_TODAY } from './constants.js';

/** Chat and mail helpers for the documents/mail suites. */

export interface ReplyJson {
  id: string;
  text: string;
  cards: Card[];
}

export async function conversation(t: TestApp, accountId = 'R10042'): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: '/v1/chat/conversations', headers: await t.auth(accountId) });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<{ id: string }>().id;
}

export async function say(t: TestApp, conv: string, text: string, accountId = 'R10042'): Promise<ReplyJson> {
  const res = await t.app.inject({ method: 'POST', url: `/v1/chat/conversations/${conv}/messages`, headers: await t.auth(accountId), payload: { text } });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<ReplyJson>();
}

export async function emailSends(db: Kysely<DB>) {
  return db
    .selectFrom('email_sends')
    .select(['id', 'account_id', 'invoice_number', 'recipient', 'transport', 'transport_message_id', 'status', 'reason', 'error', 'duplicate_of', 'idempotency_key', 'created_at'])
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

export async function outboxRows(db: Kysely<DB>) {
  return db.selectFrom('outbox').select(['id', 'email_send_id', 'to_address', 'subject', 'text_body', 'disk_path']).orderBy('created_at').execute();
}

export async function outboxAttachments(db: Kysely<DB>) {
  return db.selectFrom('outbox_attachments').select(['outbox_id', 'position', 'filename', 'content_type', 'size_bytes', 'content']).execute();
}

/** Tool calls of one assistant message, as the audit recorded them. */
export async function toolAudit(db: Kysely<DB>, messageId: string) {
  const rows = await db.selectFrom('tool_call_audit').select(['name', 'arguments', 'outcome', 'error']).where('message_id', '=', messageId).orderBy('id').execute();
  return rows;
}


/** A tiny valid-looking PDF for suites that test mail rules, not rendering (no browser needed). */
export const STUB_PDF = Buffer.from('%PDF-1.4\n% stub invoice\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n', 'latin1');

export function stubRenderer(): PdfRenderer & { calls: number } {
  const r = {
    calls: 0,
    render: async () => {
      r.calls++;
      return STUB_PDF;
    },
    stats: () => ({ size: 1, queueMax: 0, launches: 0, browsers: 0, renders: r.calls, failures: 0, disconnects: 0, retries: 0, busy: 0, queued: 0, blockedRequests: 0, rejected: 0, pageRecycles: 0 }),
    browserPids: () => [],
    close: async () => undefined,
  };
  return r;
}

/** A controllable wall clock for the hourly limit and the duplicate window. */
export class TestWallClock {
  constructor(public t: number = Date.parse(`${TEST_TODAY}T15:00:00Z`)) {}
  now = (): Date => new Date(this.t);
  advanceMinutes(m: number): void {
    this.t += m * 60_000;
  }
}

/**
 * The mail service wired as the app wires it, over a given database, with a stub PDF renderer,
 * the local outbox (or a given mailer) and a controllable wall clock.
 */
export function mailHarness(
  db: Kysely<DB>,
  opts: { perHour?: number; windowMinutes?: number; mailer?: Mailer; pdf?: PdfRenderer; outboxDir: string; clock?: TestWallClock },
) {
  const config = testConfig({ FIXED_TODAY: TEST_TODAY });
  const clock = fixedClock(TEST_TODAY);
  const wall = opts.clock ?? new TestWallClock();
  const billing = createBillingService({ db, clock });
  const links = createLinkSigner({ keys: config.linkKeys, ttlSeconds: config.LINK_TTL_SECONDS, baseUrl: config.publicBaseUrl, now: () => clock.now() });
  const pdf = opts.pdf ?? stubRenderer();
  const documents = createInvoiceDocuments({ billing, links, pdf, linkTtlSeconds: config.LINK_TTL_SECONDS, timeZone: config.BILLING_TIME_ZONE, now: () => clock.now() });
  const mailer = opts.mailer ?? createOutboxMailer({ db, dir: opts.outboxDir, now: wall.now });
  const mail = createMailService({
    db,
    mailer,
    billing,
    documents,
    links,
    from: config.MAIL_FROM,
    perHour: opts.perHour ?? 20,
    duplicateWindowMinutes: opts.windowMinutes ?? 10,
    timeZone: config.BILLING_TIME_ZONE,
    operatorHints: true,
    now: wall.now,
  });
  const ctx = (accountId = 'R10042', userId = 'jordan@mycompany.com'): ToolContext => ({
    session: { accountId, userId, userName: null },
    conversationId: null,
    clock,
    billing,
    links,
    extras: {},
    mail: mail.emailer,
  });
  return { mail, ctx, wall, pdf, mailer };
}
