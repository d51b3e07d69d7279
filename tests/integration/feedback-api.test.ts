import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARD_REDACTION } from '../../src/redaction/card-data.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

/**
 * Feedback on answers: POST /v1/chat/conversations/:id/messages/:messageId/feedback (the widget's
 * thumbs-down, the conversation's own user only, card numbers removed from the comment) and
 * GET /v1/ops/feedback (QA: operator scope 'feedback', never a reseller token), against the real
 * chat API and the offline engine.
 */

interface FlaggedJson {
  id: string;
  conversationId: string;
  messageId: string;
  accountId: string;
  comment: string | null;
  commentRedacted: boolean;
  flaggedAt: string;
  updatedAt: string;
  question: string | null;
  answer: { text: string; createdAt: string; status: string; model: string | null; promptVersion: string | null };
}

const USER = 'user@r10042.test';

describe('feedback on answers', () => {
  let t: TestApp;
  /** R10042's conversation: [user, assistant, user, assistant]. */
  let conv = '';
  let answers: string[] = [];
  let question = '';
  let otherConv = '';
  let otherAnswer = '';

  const userHeaders = async (accountId = 'R10042', userId?: string) => ({ authorization: `Bearer ${await t.token(accountId, userId)}` });
  const flag = async (c: string, m: string, payload: unknown = {}, headers?: Record<string, string>) =>
    t.app.inject({ method: 'POST', url: `/v1/chat/conversations/${c}/messages/${m}/feedback`, headers: headers ?? (await userHeaders()), payload: payload as object });
  const list = async (query = '', headers?: Record<string, string>) => t.app.inject({ url: `/v1/ops/feedback${query}`, headers: headers ?? (await t.opsAuth(['feedback'])) });

  async function conversation(accountId: string, texts: string[]): Promise<{ id: string; messages: Array<{ id: string; role: string; text: string }> }> {
    const headers = await userHeaders(accountId);
    const created = await t.app.inject({ method: 'POST', url: '/v1/chat/conversations', headers });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json<{ id: string }>().id;
    for (const text of texts) {
      const res = await t.app.inject({ method: 'POST', url: `/v1/chat/conversations/${id}/messages`, headers, payload: { text } });
      expect(res.statusCode, res.body).toBe(200);
    }
    const msgs = await t.app.inject({ url: `/v1/chat/conversations/${id}/messages`, headers });
    return { id, messages: msgs.json<{ messages: Array<{ id: string; role: string; text: string }> }>().messages };
  }

  beforeAll(async () => {
    t = await createTestApp();
    const mine = await conversation('R10042', ['what is my balance?', 'show me IN7654321']);
    conv = mine.id;
    answers = mine.messages.filter((m) => m.role === 'assistant').map((m) => m.id);
    question = mine.messages[2]!.text;
    expect(answers).toHaveLength(2);
    const theirs = await conversation('R20077', ['what is my balance?']);
    otherConv = theirs.id;
    otherAnswer = theirs.messages.find((m) => m.role === 'assistant')!.id;
  });
  afterAll(async () => t?.close());

  it('a thumbs-down without a comment is stored on the answer; flagging again replaces the comment, keeping one row', async () => {
    const first = await flag(conv, answers[0]!);
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toMatchObject({ messageId: answers[0], conversationId: conv, comment: null, commentRedacted: false });

    const again = await flag(conv, answers[0]!, { comment: '  It left out the credit memo.  ' });
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toMatchObject({ comment: 'It left out the credit memo.', createdAt: first.json().createdAt });

    const rows = await t.database.db.selectFrom('chat_feedback').selectAll().where('message_id', '=', answers[0]!).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ conversation_id: conv, account_id: 'R10042', user_id: USER, comment: 'It left out the credit memo.', comment_redacted: false });
  });

  it('card data in the comment is removed before it is stored, and said so', async () => {
    const res = await flag(conv, answers[1]!, { comment: 'I paid with 4111 1111 1111 1111 exp 12/29 and it still says unpaid' });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<{ comment: string; commentRedacted: boolean }>();
    expect(body.commentRedacted).toBe(true);
    expect(body.comment).toContain(CARD_REDACTION);
    expect(body.comment).not.toMatch(/4111/);
    const row = await t.database.db.selectFrom('chat_feedback').select(['comment', 'comment_redacted']).where('message_id', '=', answers[1]!).executeTakeFirstOrThrow();
    expect(row.comment).not.toMatch(/4111|1111 1111/);
    expect(row.comment_redacted).toBe(true);
  });

  it("404 for another account's answer, another user's, a user message, a message of another conversation, or none; nothing is written", async () => {
    const before = await t.database.db.selectFrom('chat_feedback').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    const userMessage = (await t.database.db.selectFrom('chat_messages').select('id').where('conversation_id', '=', conv).where('role', '=', 'user').executeTakeFirstOrThrow()).id;
    const cases: Array<[string, string, Record<string, string>]> = [
      // R20077's answer in R20077's conversation, asked by R10042.
      [otherConv, otherAnswer, await userHeaders()],
      // R10042's answer, asked by R20077 (the account is never taken from the URL).
      [conv, answers[0]!, await userHeaders('R20077')],
      // The same account, another of its users.
      [conv, answers[0]!, await userHeaders('R10042', 'someone-else@r10042.test')],
      [conv, userMessage, await userHeaders()],
      // Its own conversation, another conversation's message.
      [conv, otherAnswer, await userHeaders()],
      [conv, '00000000-0000-4000-8000-000000000000', await userHeaders()],
    ];
    for (const [c, m, headers] of cases) {
      const res = await flag(c, m, { comment: 'wrong' }, headers);
      expect(res.statusCode, `${c} ${m}: ${res.body}`).toBe(404);
      expect(res.json().error.code).toBe('not_found');
    }
    const after = await t.database.db.selectFrom('chat_feedback').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });

  it('400 for a comment over 2000 characters or an unknown field; 401 without a token; 403 for an operator token', async () => {
    expect((await flag(conv, answers[0]!, { comment: 'x'.repeat(2001) })).statusCode).toBe(400);
    expect((await flag(conv, answers[0]!, { rating: 'up' })).statusCode).toBe(400);
    expect((await flag(conv, 'not-a-uuid')).statusCode).toBe(400);
    expect((await flag(conv, answers[0]!, {}, {})).statusCode).toBe(401);
    const asOperator = await flag(conv, answers[0]!, {}, await t.opsAuth(['feedback']));
    expect(asOperator.statusCode).toBe(403);
  });

  it('GET /v1/ops/feedback lists the flagged answers newest first, with the conversation id, the question and the answer, paged', async () => {
    // R20077 flags its answer too.
    expect((await flag(otherConv, otherAnswer, { comment: 'Not my balance' }, await userHeaders('R20077'))).statusCode).toBe(200);

    const res = await list();
    expect(res.statusCode, res.body).toBe(200);
    const page = res.json<{ items: FlaggedJson[]; nextCursor: string | null }>();
    expect(page.nextCursor).toBeNull();
    expect(page.items.map((i) => i.messageId)).toEqual([otherAnswer, answers[1], answers[0]]);
    const second = page.items[1]!;
    expect(second).toMatchObject({ conversationId: conv, accountId: 'R10042', question, commentRedacted: true, answer: { status: 'complete', model: 'offline' } });
    expect(second.answer.text).toContain('IN7654321');
    expect(second.comment).not.toMatch(/4111/);
    expect(page.items[2]!.comment).toBe('It left out the credit memo.');
    // The user's id stays out of the list: the conversation id is what capture needs.
    expect(JSON.stringify(page)).not.toContain(USER);

    const p1 = (await list('?limit=2')).json<{ items: FlaggedJson[]; nextCursor: string | null }>();
    expect(p1.items.map((i) => i.messageId)).toEqual([otherAnswer, answers[1]]);
    expect(p1.nextCursor).not.toBeNull();
    const p2 = (await list(`?limit=2&cursor=${p1.nextCursor}`)).json<{ items: FlaggedJson[]; nextCursor: string | null }>();
    expect(p2.items.map((i) => i.messageId)).toEqual([answers[0]]);
    expect(p2.nextCursor).toBeNull();

    const r20077 = (await list('?accountId=R20077')).json<{ items: FlaggedJson[] }>();
    expect(r20077.items.map((i) => i.conversationId)).toEqual([otherConv]);
    expect((await list('?accountId=nope')).statusCode).toBe(400);
  });

  it("GET /v1/ops/feedback: 403 without the 'feedback' scope, 403 for a reseller's token, 401 without a token; every operator call audited", async () => {
    const noScope = await list('', await t.opsAuth(['billing:read', 'alerts']));
    expect(noScope.statusCode).toBe(403);
    expect(noScope.json().error.message).toContain("'feedback'");
    expect(noScope.headers['www-authenticate']).toContain('scope="feedback"');

    const reseller = await list('', await userHeaders());
    expect(reseller.statusCode).toBe(403);
    expect(reseller.json().error.message).toMatch(/reseller portal token/);
    expect((await list('', {})).statusCode).toBe(401);

    const audited = await t.database.db
      .selectFrom('audit_log')
      .select(['actor_id', 'outcome'])
      .where('action', '=', 'ops.feedback.list')
      .orderBy('id')
      .execute();
    expect(audited.length).toBeGreaterThanOrEqual(5);
    expect(audited.at(-1)).toEqual({ actor_id: 'test-operator', outcome: 'rejected' });
    expect(audited.some((a) => a.outcome === 'ok')).toBe(true);
  });
});
