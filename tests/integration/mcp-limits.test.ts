import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { errorBody } from '../../src/http/errors.js';
import { rawPost, startMcp, type McpHarness } from './mcp-harness.js';

/**
 * Must show 3 of the MCP issue: one per-account budget for chat messages and MCP tool calls
 * (CHAT_RATE_LIMIT_PER_MINUTE, the 'chat' family), spent across both; and the audit rows of both
 * channels in one table.
 */

describe('MCP and chat share one budget and one audit', () => {
  let h: McpHarness;
  beforeAll(async () => {
    h = await startMcp({ CHAT_RATE_LIMIT_PER_MINUTE: '4' });
  });
  afterAll(async () => h?.close());

  const chat = async (accountId: string, conv: string, text: string) =>
    h.app.inject({ method: 'POST', url: `/v1/chat/conversations/${conv}/messages`, headers: { authorization: `Bearer ${await h.token(accountId)}` }, payload: { text } });
  const conversation = async (accountId: string) => {
    const res = await h.app.inject({ method: 'POST', url: '/v1/chat/conversations', headers: { authorization: `Bearer ${await h.token(accountId)}` } });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<{ id: string }>().id;
  };

  it('2 chat messages + 2 MCP tool calls use the budget of 4; the next of either is 429; other accounts and non-tool requests are unaffected', async () => {
    const conv = await conversation('R10042');
    const client = await h.client();

    expect((await chat('R10042', conv, 'What is my balance?')).statusCode).toBe(200);
    expect((await client.callTool({ name: 'getBalance', arguments: {} })).isError).toBeFalsy();
    expect((await chat('R10042', conv, 'What do I owe?')).statusCode).toBe(200);
    expect((await client.callTool({ name: 'listOutstanding', arguments: { limit: null } })).isError).toBeFalsy();

    // Over budget over MCP: the SDK client sees the HTTP 429.
    const refused = await client.callTool({ name: 'getBalance', arguments: {} }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(StreamableHTTPError);
    expect((refused as StreamableHTTPError).code).toBe(429);
    // The 429 itself: Retry-After and the API's error shape.
    const raw = await rawPost(h.url, { authorization: `Bearer ${await h.token()}` }, { jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'getBalance', arguments: {} } });
    expect(raw.status).toBe(429);
    const retryAfter = Number(raw.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    const body = errorBody.parse(await raw.json());
    expect(body.error).toMatchObject({ code: 'rate_limited', message: expect.stringMatching(/^Too many tool calls/) });

    // And over budget in the chat, spent by MCP calls.
    const limitedChat = await chat('R10042', conv, 'What is my balance?');
    expect(limitedChat.statusCode).toBe(429);

    // Requests that run no tool do not spend the tool budget.
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    // Another account has its own budget, on both doors.
    const other = await h.client({ accountId: 'R20077' });
    expect((await other.callTool({ name: 'getBalance', arguments: {} })).isError).toBeFalsy();
    expect((await chat('R20077', await conversation('R20077'), 'What is my balance?')).statusCode).toBe(200);
  });

  it("one audit table: the chat's tool calls on channel chat (with their message), MCP's on channel mcp (none); tool_call_audit shows the chat's", async () => {
    const rows = (
      await sql<{ name: string; outcome: string; channel: string; has_message: boolean }>`
        select name, outcome, channel, message_id is not null as has_message from audit_log
        where action = 'tool_call' and account_id = 'R10042' order by id`.execute(h.database.db)
    ).rows;
    const byChannel = (c: string) => rows.filter((r) => r.channel === c);
    expect(byChannel('mcp').map((r) => [r.name, r.outcome, r.has_message])).toStrictEqual([
      ['getBalance', 'ok', false],
      ['listOutstanding', 'ok', false],
    ]);
    expect(byChannel('chat').length).toBeGreaterThanOrEqual(2);
    expect(byChannel('chat').every((r) => r.has_message)).toBe(true);
    const view = await h.database.db.selectFrom('tool_call_audit').select('name').where('account_id', '=', 'R10042').execute();
    expect(view).toHaveLength(byChannel('chat').length);
  });
});
