import fs from 'node:fs';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { CallToolResult, ElicitRequest } from '@modelcontextprotocol/sdk/types.js';
import { PORTAL_COOKIE } from '../../src/web/portal/session.js';
import { describeWithBrowser, tempDir } from '../helpers/browser.js';
import { emailSends, outboxRows } from '../helpers/mail.js';
import { startMcp, type McpHarness } from './mcp-harness.js';

// The catalogue's mcp area (src/i18n/catalogue/mcp.ts), registered here until catalogue/index.ts lists it.
/**
 * Must show 2 of the MCP issue: emailInvoicePdf over MCP. An allowed recipient is sent once (the
 * outbox), an outsider is refused and nothing is proposed; a client that can elicit is asked in
 * the client (accept → sent once, decline → nothing), with its answer reaching another replica
 * than the one holding the call; a client that cannot gets the signed approval link, confirmed on
 * the portal page by the signed-in user (CSRF-checked), once.
 */

interface Proposal {
  status: string;
  message: string;
  result: Record<string, unknown> | null;
  cards: Array<Record<string, unknown>>;
  approval: { id: string; summary: string; expiresAt: string; via: string; url: string | null };
}

function proposalOf(result: unknown): Proposal {
  const r = result as CallToolResult;
  expect(r.isError, JSON.stringify(r.content)).toBeFalsy();
  return r.structuredContent as unknown as Proposal;
}

describeWithBrowser('MCP: emailInvoicePdf, approved in the client or on the approval page', () => {
  let h: McpHarness;
  let outboxDir: string;
  /** POSTs that carried an answer to an elicitation, by the replica that received them. */
  const answers: Array<{ replica: number; status: number }> = [];

  beforeAll(async () => {
    outboxDir = tempDir('outbox-mcp-');
    h = await startMcp({ OUTBOX_DIR: outboxDir }, { replicas: 2 });
  });
  afterAll(async () => {
    await h?.close();
    fs.rmSync(outboxDir, { recursive: true, force: true });
  });

  const db = () => h.database.db;
  const cookie = async (accountId = 'R10042', userId?: string) => ({ cookie: `${PORTAL_COOKIE}=${await h.token(accountId, userId ? { userId } : {})}` });
  const sent = async () => (await emailSends(db())).filter((s) => s.status === 'sent').map((s) => [s.invoice_number, s.recipient]);
  const mcpAudit = async () =>
    (
      await sql<{ call_id: string; name: string; outcome: string; channel: string; details: Record<string, unknown> | null }>`
        select call_id, name, outcome, channel, details from audit_log where action = 'tool_call' and channel = 'mcp' order by id`.execute(db())
    ).rows;

  /** Answers to our elicitations go to the second replica; everything else to the first. */
  const answersViaSecondReplica: FetchLike = async (url, init) => {
    const body = typeof init?.body === 'string' ? init.body : '';
    const isAnswer = init?.method === 'POST' && !body.includes('"method"') && /"(result|error)"/.test(body);
    const res = await fetch(isAnswer ? h.replicas[1]!.url : url, init);
    if (isAnswer) answers.push({ replica: 2, status: res.status });
    return res;
  };

  const email = (invoiceNumber: string, to: string) => ({ name: 'emailInvoicePdf', arguments: { invoiceNumber, to } });

  it('an outsider is refused: nothing proposed, nothing sent', async () => {
    const client = await h.client({ capabilities: { elicitation: { form: {} } }, onElicit: () => ({ action: 'accept' }) });
    const r = (await client.callTool(email('IN7654321', 'billing-archive@evil.example'))) as CallToolResult;
    expect(r.isError).toBe(true);
    const text = r.content.map((c) => (c.type === 'text' ? c.text : '')).join(' ');
    expect(text).toMatch(/billing-archive@evil\.example/);
    expect(text).toMatch(/not (a billing contact|allowed)|isn't|is not/i);
    expect(await db().selectFrom('email_sends').select('id').execute()).toStrictEqual([]);
    expect((await sql<{ n: number }>`select count(*)::int as n from mcp_proposals`.execute(db())).rows[0]!.n).toBe(0);
    expect((await mcpAudit()).map((a) => [a.name, a.outcome])).toStrictEqual([['emailInvoicePdf', 'error']]);
  });

  it('a client without elicitation gets the approval link; the signed-in user approves on the page; sent once', async () => {
    const client = await h.client();
    const p = proposalOf(await client.callTool(email('IN7654321', 'accounting@mycompany.com')));
    expect(p).toMatchObject({ status: 'needs_approval', result: null, approval: { via: 'page', summary: 'Email a PDF copy of IN7654321 to accounting@mycompany.com.' } });
    const url = p.approval.url!;
    expect(url.startsWith(`${h.base}/portal/mcp/approvals/v1.`)).toBe(true);
    expect(await sent()).toStrictEqual([]);

    // The link alone decides nothing: without the portal session, sign in first; as someone else, nothing is shown.
    const anonymous = await fetch(url, { redirect: 'manual' });
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('location')).toBe(`/portal/sign-in?next=${encodeURIComponent(new URL(url).pathname)}`);
    for (const [who, headers] of [
      ['another user of the account', await cookie('R10042', 'someone.else@mycompany.com')],
      ['another account', await cookie('R20077')],
    ] as const) {
      const page = await fetch(url, { headers });
      expect(page.status, who).toBe(404);
      const html = await page.text();
      expect(html, who).toContain('Request not found');
      expect(html, who).not.toContain('accounting@mycompany.com');
    }
    const tampered = url.slice(0, -3) + (url.endsWith('AAA') ? 'BBB' : 'AAA');
    expect((await fetch(tampered, { headers: await cookie() })).status).toBe(403);

    // The signed-in user sees what would be done.
    const mine = await cookie();
    const page = await fetch(url, { headers: mine });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Approve a request from your AI assistant');
    expect(html).toContain('Email a PDF copy of IN7654321 to accounting@mycompany.com.');
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
    expect(csrf).toBeTruthy();
    const post = (form: Record<string, string>, headers: Record<string, string> = {}) =>
      fetch(url, { method: 'POST', headers: { ...mine, 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(form).toString() });

    // Cross-site posts are refused: no form token, another session's token, a foreign origin.
    expect((await post({ decision: 'approve' })).status).toBe(403);
    expect((await post({ decision: 'approve', csrf: 'x'.repeat(43) })).status).toBe(403);
    expect((await post({ decision: 'approve', csrf: csrf! }, { origin: 'https://evil.example' })).status).toBe(403);
    expect((await post({ decision: 'approve', csrf: csrf! }, { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect(await sent()).toStrictEqual([]);

    const approved = await post({ decision: 'approve', csrf: csrf! });
    expect(approved.status).toBe(200);
    const done = await approved.text();
    expect(done).toContain('Approved and done');
    expect(done).toContain('Emailed a PDF copy of IN7654321 to accounting@mycompany.com');
    expect(await sent()).toStrictEqual([['IN7654321', 'accounting@mycompany.com']]);
    const outbox = await outboxRows(db());
    expect(outbox).toHaveLength(1);
    expect(outbox[0]).toMatchObject({ to_address: 'accounting@mycompany.com' });
    expect(outbox[0]!.subject).toContain('IN7654321');

    // Once: a second approval (a refresh, another tab) does nothing more.
    const again = await post({ decision: 'approve', csrf: csrf! });
    expect(again.status).toBe(409);
    expect(await again.text()).toContain('already approved');
    expect((await fetch(url, { headers: mine }).then((r) => r.text()))).toContain('already approved');
    expect(await outboxRows(db())).toHaveLength(1);

    const audit = (await mcpAudit()).filter((a) => a.call_id.endsWith(p.approval.id));
    expect(audit.map((a) => [a.call_id === p.approval.id ? 'proposal' : 'run', a.outcome, a.channel])).toStrictEqual([
      ['proposal', 'needs_approval', 'mcp'],
      ['proposal', 'approved', 'mcp'],
      ['run', 'ok', 'mcp'],
    ]);
    expect(audit[1]!.details).toStrictEqual({ via: 'page' });
  });

  it('a client with form elicitation is asked in the client; accept: sent once, the answer reaching another replica', async () => {
    const asked: ElicitRequest[] = [];
    const client = await h.client({
      capabilities: { elicitation: { form: {} } },
      onElicit: (req) => (asked.push(req), { action: 'accept', content: {} }),
      fetch: answersViaSecondReplica,
    });
    const before = answers.length;
    const p = proposalOf(await client.callTool(email('IN7654320', 'ap@mycompany.com')));
    expect(asked).toHaveLength(1);
    expect(asked[0]!.params).toMatchObject({ mode: 'form', requestedSchema: { type: 'object', properties: {} } });
    expect(asked[0]!.params.message).toContain('Email a PDF copy of IN7654320 to ap@mycompany.com.');
    // The answer went to the other replica, which stored it (202) for the one holding the call.
    expect(answers.slice(before)).toStrictEqual([{ replica: 2, status: 202 }]);
    expect(p).toMatchObject({ status: 'done', approval: { via: 'elicitation', url: null }, result: { invoiceNumber: 'IN7654320', to: 'ap@mycompany.com', status: 'sent', duplicate: false } });
    expect(p.cards).toStrictEqual([expect.objectContaining({ type: 'email_receipt', invoiceNumber: 'IN7654320', to: 'ap@mycompany.com', status: 'sent' })]);
    expect((await sent()).filter(([n]) => n === 'IN7654320')).toStrictEqual([['IN7654320', 'ap@mycompany.com']]);
    expect(await outboxRows(db())).toHaveLength(2);

    // The same request again within the duplicate window: approved, but not sent a second time.
    const dup = proposalOf(await client.callTool(email('IN7654320', 'ap@mycompany.com')));
    expect(dup).toMatchObject({ status: 'done', result: { duplicate: true } });
    expect(await outboxRows(db())).toHaveLength(2);
  });

  it('decline (or closing the prompt): nothing sent', async () => {
    for (const action of ['decline', 'cancel'] as const) {
      const client = await h.client({ capabilities: { elicitation: {} }, onElicit: () => ({ action }) });
      const p = proposalOf(await client.callTool(email('IN7654323', 'accounting@mycompany.com')));
      expect(p).toMatchObject({ status: action === 'decline' ? 'declined' : 'cancelled', result: null, cards: [], approval: { via: 'elicitation', url: null } });
      const row = await sql<{ status: string; decided_via: string }>`select status, decided_via from mcp_proposals where id = ${p.approval.id}`.execute(db());
      expect(row.rows[0]).toStrictEqual({ status: action === 'decline' ? 'declined' : 'cancelled', decided_via: 'elicitation' });
    }
    expect((await sent()).filter(([n]) => n === 'IN7654323')).toStrictEqual([]);
  });

  it('a client that declares elicitation but cannot answer it gets the approval link instead', async () => {
    // Declared, but no handler: the SDK client answers the request with an error.
    const client = await h.client({ capabilities: { elicitation: { form: {} } } });
    const p = proposalOf(await client.callTool(email('IN7654322', 'accounting@mycompany.com')));
    expect(p).toMatchObject({ status: 'needs_approval', approval: { via: 'page' } });
    expect(p.approval.url).toMatch(/\/portal\/mcp\/approvals\/v1\./);
    expect((await sent()).filter(([n]) => n === 'IN7654322')).toStrictEqual([]);
  });

  it('a request to the team is approved with the person\'s own words (card numbers removed), never the model\'s', async () => {
    const client = await h.client({
      capabilities: { elicitation: { form: {} } },
      onElicit: (req) => {
        expect(req.params).toMatchObject({ mode: 'form', requestedSchema: { required: ['request'] } });
        return { action: 'accept', content: { request: 'Could we have two more weeks on this one? My card is 4111 1111 1111 1111.' } };
      },
    });
    const p = proposalOf(await client.callTool({ name: 'requestBillingFollowUp', arguments: { topic: 'extension', invoiceNumber: 'IN7654321' } }));
    expect(p).toMatchObject({ status: 'done', result: { topic: 'extension', invoiceNumber: 'IN7654321' } });
    const row = await db().selectFrom('follow_ups').select(['user_words', 'conversation_id', 'account_id']).orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(row).toMatchObject({ conversation_id: null, account_id: 'R10042' });
    expect(row.user_words).toContain('two more weeks');
    expect(row.user_words).not.toMatch(/4111/);
    const stored = JSON.stringify((await sql`select answer from mcp_elicitations`.execute(db())).rows);
    expect(stored).not.toMatch(/4111/);
  });
});
