import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { PORTAL_COOKIE } from '../../src/web/portal/session.js';
import { rawPost, startMcp, type McpHarness } from './mcp-harness.js';

// The catalogue's mcp area (src/i18n/catalogue/mcp.ts), registered here until catalogue/index.ts lists it.
/**
 * The approval page beyond emailing (mcp-email.test.ts): a request to the accounts-receivable team
 * approved with the person's own words (required, card numbers removed), the page in the user's
 * language, expiry, links of the wrong purpose, and answers to elicitations nobody is waiting for.
 */

interface Proposal {
  status: string;
  approval: { id: string; url: string | null; summary: string };
}

const proposalOf = (result: unknown) => {
  const r = result as CallToolResult;
  expect(r.isError, JSON.stringify(r.content)).toBeFalsy();
  return r.structuredContent as unknown as Proposal;
};

describe('MCP approval page', () => {
  let h: McpHarness;
  beforeAll(async () => {
    h = await startMcp();
  });
  afterAll(async () => h?.close());

  const followUp = async (locale?: 'fr-CA') => {
    const client = await h.client({ token: await h.token('R10042', locale ? { locale } : {}) });
    return proposalOf(await client.callTool({ name: 'requestBillingFollowUp', arguments: { topic: 'extension', invoiceNumber: 'IN7654321' } }));
  };
  const cookie = async (locale?: 'fr-CA') => ({ cookie: `${PORTAL_COOKIE}=${await h.token('R10042', locale ? { locale } : {})}` });
  const formOf = async (url: string, headers: Record<string, string>) => {
    const res = await fetch(url, { headers });
    const html = await res.text();
    return { status: res.status, html, csrf: /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '' };
  };
  const post = (url: string, headers: Record<string, string>, form: Record<string, string>) =>
    fetch(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
  const followUps = () => h.database.db.selectFrom('follow_ups').select(['reference', 'user_words', 'topic', 'invoice_number']).orderBy('id').execute();

  it('a request to the team: the person writes it on the page (required; card numbers removed), then it is passed on once', async () => {
    const p = await followUp();
    expect(p).toMatchObject({ status: 'needs_approval', approval: { summary: 'Pass your due-date extension request about IN7654321 to the accounts-receivable team, who will reply by email.' } });
    const mine = await cookie();
    const form = await formOf(p.approval.url!, mine);
    expect(form.status).toBe(200);
    expect(form.html).toContain('What should the accounts-receivable team look into?');
    expect(form.html).toContain('<textarea id="words" name="words"');

    const empty = await post(p.approval.url!, mine, { csrf: form.csrf, decision: 'approve', words: '   ' });
    expect(empty.status).toBe(400);
    expect(await empty.text()).toContain('Write what the team should look into, then approve.');
    expect(await followUps()).toStrictEqual([]);

    const done = await post(p.approval.url!, mine, { csrf: form.csrf, decision: 'approve', words: 'Two more weeks please; paying by card 4111 1111 1111 1111 then.' });
    expect(done.status).toBe(200);
    const html = await done.text();
    expect(html).toContain('Approved and done');
    const rows = await followUps();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ topic: 'extension', invoice_number: 'IN7654321' });
    expect(rows[0]!.user_words).toContain('Two more weeks please');
    expect(rows[0]!.user_words).not.toMatch(/4111/);
    expect(html).toContain(rows[0]!.reference);
  });

  it('decline on the page: nothing passed on, audited as declined', async () => {
    const p = await followUp();
    const mine = await cookie();
    const form = await formOf(p.approval.url!, mine);
    const res = await post(p.approval.url!, mine, { csrf: form.csrf, decision: 'decline' });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Nothing was done.');
    expect(await followUps()).toHaveLength(1);
    const audit = await sql<{ outcome: string; details: unknown }>`select outcome, details from audit_log where call_id = ${p.approval.id} order by id`.execute(h.database.db);
    expect(audit.rows).toStrictEqual([
      { outcome: 'needs_approval', details: null },
      { outcome: 'declined', details: { via: 'page' } },
    ]);
  });

  it("in the user's language (the token's locale claim)", async () => {
    const p = await followUp('fr-CA');
    const form = await formOf(p.approval.url!, await cookie('fr-CA'));
    expect(form.html).toContain('<html lang="fr-CA">');
    expect(form.html).toContain('Approuver une demande de votre assistant IA');
    expect(form.html).toContain('Transmettre votre');
    expect(form.html).toContain('>Approuver</button>');
    // The model's summary stays English.
    expect(p.approval.summary).toMatch(/^Pass your/);
  });

  it('an expired request: shown as expired, and approving it does nothing', async () => {
    const p = await followUp();
    await sql`update mcp_proposals set expires_at = now() - interval '1 minute' where id = ${p.approval.id}`.execute(h.database.db);
    const mine = await cookie();
    const page = await formOf(p.approval.url!, mine);
    expect(page.html).toContain('This request has expired');
    expect(page.csrf).toBe('');
    // Even a post with a valid form token (from another page of the session).
    const fresh = await formOf((await followUp()).approval.url!, mine);
    const res = await post(p.approval.url!, mine, { csrf: fresh.csrf, decision: 'approve', words: 'Please' });
    expect(res.status).toBe(409);
    expect(await followUps()).toHaveLength(1);
    const row = await sql<{ status: string }>`select status from mcp_proposals where id = ${p.approval.id}`.execute(h.database.db);
    expect(row.rows[0]!.status).toBe('expired');
  });

  it('links of another purpose do not open the page, and an approval link is no pay link', async () => {
    const payToken = h.app.services.links.mint({ purpose: 'pay', accountId: 'R10042', invoiceNumber: 'IN7654321' });
    expect((await fetch(`${h.base}/portal/mcp/approvals/${payToken}`, { headers: await cookie() })).status).toBe(403);
    const p = await followUp();
    const approvalToken = p.approval.url!.split('/').at(-1)!;
    expect((await fetch(`${h.base}/pay/${approvalToken}`)).status).toBe(403);
  });

  it('answers to elicitations nobody is waiting for (unknown, or another account\'s) are refused with 400', async () => {
    const answer = { jsonrpc: '2.0', id: 'elicit_00000000-0000-0000-0000-000000000000', result: { action: 'accept' } };
    const res = await rawPost(h.url, { authorization: `Bearer ${await h.token()}` }, answer);
    expect(res.status).toBe(400);
  });
});
