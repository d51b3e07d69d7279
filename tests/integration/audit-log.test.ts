import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordAudit } from '../../src/audit/log.js';
import { migrateDown, migrateToLatest, type Database } from '../../src/db/index.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { freshDatabase } from '../helpers/db.js';

/**
 * One audit table (audit_log) and one writer (src/audit/log.ts) for every audited action: the
 * assistant's tool calls (still readable through the tool_call_audit view) and billing-contact
 * changes through the REST API, each with the user and account of the token.
 */

const CLERK = 'clerk@mycompany.com';

describe('audit_log', () => {
  let t: TestApp;
  let headers: { authorization: string };

  beforeAll(async () => {
    t = await createTestApp();
    headers = { authorization: `Bearer ${await t.token('R10042', CLERK)}` };
  });
  afterAll(async () => t?.close());

  const auditLog = () => t.app.services.db.selectFrom('audit_log').selectAll();

  it("a tool call lands in audit_log as 'tool_call', by the session's user, and shows through the tool_call_audit view", async () => {
    const conv = (await t.app.inject({ method: 'POST', url: '/v1/chat/conversations', headers })).json<{ id: string }>().id;
    const res = await t.app.inject({ method: 'POST', url: `/v1/chat/conversations/${conv}/messages`, headers, payload: { text: 'What is my current account balance?' } });
    expect(res.statusCode, res.body).toBe(200);
    const reply = res.json<{ id: string }>();

    const rows = await auditLog().where('message_id', '=', reply.id).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      actor_type: 'user',
      actor_id: CLERK,
      account_id: 'R10042',
      action: 'tool_call',
      outcome: 'ok',
      conversation_id: conv,
      message_id: reply.id,
      name: 'getBalance',
      arguments: {},
      error: null,
      details: null,
    });
    expect(typeof rows[0]!.latency_ms).toBe('number');

    const view = await t.app.services.db.selectFrom('tool_call_audit').selectAll().where('message_id', '=', reply.id).execute();
    expect(view).toStrictEqual([
      {
        id: rows[0]!.id,
        message_id: reply.id,
        conversation_id: conv,
        account_id: 'R10042',
        call_id: rows[0]!.call_id,
        name: 'getBalance',
        arguments: {},
        outcome: 'ok',
        error: null,
        latency_ms: rows[0]!.latency_ms,
        created_at: rows[0]!.created_at,
      },
    ]);
  });

  it('card data in a message never reaches the audit (the pay link the server mints is audited, redacted)', async () => {
    const conv = (await t.app.inject({ method: 'POST', url: '/v1/chat/conversations', headers })).json<{ id: string }>().id;
    const res = await t.app.inject({ method: 'POST', url: `/v1/chat/conversations/${conv}/messages`, headers, payload: { text: 'Pay IN7654321 with 4111 1111 1111 1111 exp 12/29' } });
    expect(res.statusCode, res.body).toBe(200);
    const rows = await auditLog().where('conversation_id', '=', conv).execute();
    expect(rows.map((r) => [r.action, r.name, r.outcome])).toStrictEqual([['tool_call', 'createPaymentLink', 'ok']]);
    expect(JSON.stringify(rows, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).not.toMatch(/4111/);
  });

  it('adding and removing a billing contact through the REST API are audited with the user and account of the token', async () => {
    const add = await t.app.inject({ method: 'POST', url: '/v1/billing/contacts', headers, payload: { email: ' Payables@Outsourced-Books.example ', name: 'Outsourced books' } });
    expect(add.statusCode, add.body).toBe(201);
    const created = add.json<{ id: string }>();
    const dup = await t.app.inject({ method: 'POST', url: '/v1/billing/contacts', headers, payload: { email: 'payables@outsourced-books.example' } });
    expect(dup.statusCode).toBe(409);
    const steal = await t.app.inject({ method: 'DELETE', url: `/v1/billing/contacts/${created.id}`, headers: await t.auth('R20077') });
    expect(steal.statusCode).toBe(404);
    const del = await t.app.inject({ method: 'DELETE', url: `/v1/billing/contacts/${created.id}`, headers });
    expect(del.statusCode).toBe(204);

    const rows = await auditLog().where('action', 'like', 'contact.%').orderBy('id').execute();
    expect(rows.map((r) => ({ actor: [r.actor_type, r.actor_id], account: r.account_id, action: r.action, outcome: r.outcome, details: r.details }))).toStrictEqual([
      { actor: ['user', CLERK], account: 'R10042', action: 'contact.add', outcome: 'ok', details: { email: 'payables@outsourced-books.example', contactId: created.id } },
      { actor: ['user', CLERK], account: 'R10042', action: 'contact.add', outcome: 'exists', details: { email: 'payables@outsourced-books.example' } },
      // Another account's contact is not found for that account: nothing of the contact is recorded there.
      { actor: ['user', 'user@r20077.test'], account: 'R20077', action: 'contact.remove', outcome: 'not_found', details: null },
      { actor: ['user', CLERK], account: 'R10042', action: 'contact.remove', outcome: 'ok', details: { contactId: created.id, email: 'payables@outsourced-books.example' } },
    ]);
    for (const r of rows) expect([r.conversation_id, r.message_id, r.call_id, r.name, r.arguments]).toStrictEqual([null, null, null, null, null]);
    // The view shows tool calls only.
    const view = await t.app.services.db.selectFrom('tool_call_audit').select('id').where('id', 'in', rows.map((r) => r.id)).execute();
    expect(view).toStrictEqual([]);
  });
});

const AUDIT_LOG_MIGRATION = '20261201020000_audit_log';

/** Reverts migrations down to and including the audit_log one; the names reverted, the audit_log one last. */
async function migrateDownThroughAuditLog(db: Database['db']): Promise<string[]> {
  const reverted: string[] = [];
  while (!reverted.includes(AUDIT_LOG_MIGRATION)) {
    const step = await migrateDown(db);
    if (step.length === 0) throw new Error('the audit_log migration was never reverted');
    reverted.push(...step);
  }
  return reverted;
}

describe('the audit_log migration', () => {
  let database: Database;
  beforeAll(async () => {
    database = await freshDatabase();
  });
  afterAll(async () => database?.close());

  it('moves the tool_call_audit rows into audit_log (same ids, the conversation user as actor), and back down', async () => {
    expect((await migrateDownThroughAuditLog(database.db)).at(-1)).toBe(AUDIT_LOG_MIGRATION);
    const conv = randomUUID();
    const msg = randomUUID();
    await sql`insert into conversations (id, account_id, user_id) values (${conv}, 'R10042', 'old@mycompany.com')`.execute(database.db);
    await sql`insert into chat_messages (id, conversation_id, seq, role, text) values (${msg}, ${conv}, 1, 'assistant', 'Your balance')`.execute(database.db);
    await sql`
      insert into tool_call_audit (id, message_id, conversation_id, account_id, call_id, name, arguments, outcome, error, latency_ms)
      values (41, ${msg}, ${conv}, 'R10042', 'c1', 'getBalance', '{}'::jsonb, 'ok', null, 1.25),
             (42, ${msg}, ${conv}, 'R10042', 'c2', 'getInvoice', 'null'::jsonb, 'error', 'boom', 0)`.execute(database.db);
    const before = (await sql<Record<string, unknown>>`select * from tool_call_audit order by id`.execute(database.db)).rows;

    expect((await migrateToLatest(database.db))[0]).toBe(AUDIT_LOG_MIGRATION);
    const moved = await database.db.selectFrom('audit_log').select(['id', 'actor_type', 'actor_id', 'action', 'name', 'arguments']).orderBy('id').execute();
    expect(moved).toStrictEqual([
      { id: 41n, actor_type: 'user', actor_id: 'old@mycompany.com', action: 'tool_call', name: 'getBalance', arguments: {} },
      { id: 42n, actor_type: 'user', actor_id: 'old@mycompany.com', action: 'tool_call', name: 'getInvoice', arguments: null },
    ]);
    // The view reads exactly as the table did.
    expect((await sql<Record<string, unknown>>`select * from tool_call_audit order by id`.execute(database.db)).rows).toStrictEqual(before);

    // New entries continue after the copied ids; other actions do not go down with the view.
    await recordAudit(database.db, { actor: { type: 'system', id: null }, action: 'contact.add', outcome: 'ok', accountId: 'R10042' });
    const last = await database.db.selectFrom('audit_log').select('id').orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(last.id).toBe(43n);

    expect((await migrateDownThroughAuditLog(database.db)).at(-1)).toBe(AUDIT_LOG_MIGRATION);
    expect((await sql<Record<string, unknown>>`select * from tool_call_audit order by id`.execute(database.db)).rows).toStrictEqual(before);
    expect((await migrateToLatest(database.db))[0]).toBe(AUDIT_LOG_MIGRATION);
  });
});
