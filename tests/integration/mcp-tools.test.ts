import { SignJWT } from 'jose';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { discoverOAuthProtectedResourceMetadata, extractResourceMetadataUrl } from '@modelcontextprotocol/sdk/client/auth.js';
import { OAuthProtectedResourceMetadataSchema } from '@modelcontextprotocol/sdk/shared/auth.js';
import { LATEST_PROTOCOL_VERSION, type CallToolResult, type ElicitRequest } from '@modelcontextprotocol/sdk/types.js';
import { createToolRegistry } from '../../tools/registry.js';
import { defineTool } from '../../tools/types.js';
import { signOperatorToken, OPS_SCOPES } from '../../src/identity/operator.js';
import { rawPost, startMcp, type McpHarness } from './mcp-harness.js';

// The catalogue's mcp area (src/i18n/catalogue/mcp.ts), registered here until catalogue/index.ts lists it.
/**
 * Must show 1 of the MCP issue: the SDK's own client over Streamable HTTP against the app on a
 * port. The registry's tools listed once each (no account parameter anywhere), every read tool for
 * R10042 with the fixture's figures, another account's invoice answered like a made-up one,
 * missing/expired/forged tokens 401 with a WWW-Authenticate naming the protected-resource
 * metadata, and that document valid. Plus the edge: Origin, 405s, card data in arguments,
 * invalid arguments, timeouts, the audit rows.
 */

const AUTH_SERVER = 'https://portal.randmar.example';
const PARTNER_ORIGIN = 'https://assistant.partner.example';

type Structured = Record<string, unknown> & { cards: Array<Record<string, unknown>> };

function structured(result: unknown): Structured {
  const r = result as CallToolResult;
  expect(r.isError, JSON.stringify(r.content)).toBeFalsy();
  // The same JSON as text, for clients that read only text.
  const text = r.content.find((c) => c.type === 'text');
  expect(text && 'text' in text ? JSON.parse(text.text) : null).toStrictEqual(r.structuredContent);
  return r.structuredContent as Structured;
}

function errorText(result: unknown): string {
  const r = result as CallToolResult;
  expect(r.isError).toBe(true);
  expect(r.structuredContent).toBeUndefined();
  const text = r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
  // A sentence, never a stack.
  expect(text).not.toMatch(/\n\s+at |Error:|\.ts:\d+/);
  return text;
}

// A tool slower than the timeout, to show the chat's tool timeout holds over MCP too.
const slowTool = defineTool({
  name: 'slowLookup',
  description: 'A lookup that takes too long (test only).',
  parameters: z.object({}).strict(),
  result: z.object({ done: z.boolean() }),
  effect: 'read-only',
  annotations: { readOnlyHint: true, openWorldHint: false },
  label: () => 'Looking slowly',
  async execute() {
    await new Promise((r) => setTimeout(r, 2000));
    return { result: { done: true } };
  },
});

describe('MCP: tools over Streamable HTTP with the SDK client', () => {
  let h: McpHarness;

  beforeAll(async () => {
    h = await startMcp(
      { MCP_AUTHORIZATION_SERVER: AUTH_SERVER, MCP_ALLOWED_ORIGINS: PARTNER_ORIGIN, AGENT_TOOL_TIMEOUT_MS: '300' },
      { registry: createToolRegistry([slowTool]) },
    );
  });
  afterAll(async () => h?.close());

  const call = async (name: string, args: Record<string, unknown>, accountId = 'R10042') => (await (await h.client({ accountId })).callTool({ name, arguments: args })) as CallToolResult;

  describe('the protocol', () => {
    it('serves revision 2025-11-25, stateless: no Mcp-Session-Id, and GET/DELETE answer 405', async () => {
      expect(LATEST_PROTOCOL_VERSION).toBe('2025-11-25');
      const auth = { authorization: `Bearer ${await h.token()}` };
      const res = await rawPost(h.url, auth);
      expect(res.status).toBe(200);
      expect(res.headers.get('mcp-session-id')).toBeNull();
      const body = await res.text();
      expect(body).toContain('"protocolVersion":"2025-11-25"');
      expect(body).toContain('"name":"billing-assistant"');

      const client = await h.client();
      expect(client.getServerVersion()).toMatchObject({ name: 'billing-assistant' });
      expect(client.getServerCapabilities()).toMatchObject({ tools: {} });

      for (const method of ['GET', 'DELETE']) {
        const r = await fetch(h.url, { method, headers: { ...auth, accept: 'text/event-stream' } });
        expect(r.status, method).toBe(405);
        expect(r.headers.get('allow')).toBe('POST');
      }
    });
  });

  describe('tools/list', () => {
    it("lists the registry's tools, one definition each: name, description, the same zod as input, annotations, an output schema", async () => {
      const { tools } = await (await h.client()).listTools();
      const registry = h.app.services.registry;
      expect(tools.map((t) => t.name)).toStrictEqual(registry.tools.map((t) => t.name));
      for (const t of tools) {
        const tool = registry.get(t.name)!;
        expect(t.description!.startsWith(tool.description), t.name).toBe(true);
        expect(t.inputSchema, t.name).toStrictEqual(z.toJSONSchema(tool.parameters, { target: 'draft-7', io: 'input' }));
        expect(t.outputSchema?.type, t.name).toBe('object');
        expect(t.annotations, t.name).toStrictEqual(tool.annotations);
      }
      const byName = new Map(tools.map((t) => [t.name, t]));
      for (const read of ['getBalance', 'getInvoice', 'listOutstanding', 'listInvoices', 'listPayments', 'listCredits', 'createPaymentLink']) {
        expect(byName.get(read)!.annotations, read).toMatchObject({ readOnlyHint: true, openWorldHint: false });
      }
      expect(byName.get('emailInvoicePdf')!.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true });
      expect(byName.get('requestBillingFollowUp')!.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: false });
      // Side effects say they are proposals.
      expect(byName.get('emailInvoicePdf')!.description).toMatch(/runs only once the signed-in user approves it/);
    });

    it('has no account parameter anywhere (the account comes from the token)', async () => {
      const { tools } = await (await h.client()).listTools();
      const keys: string[] = [];
      const walk = (v: unknown) => {
        if (v && typeof v === 'object') {
          for (const [k, x] of Object.entries(v)) {
            if (k === 'properties' && x && typeof x === 'object') keys.push(...Object.keys(x));
            walk(x);
          }
        }
      };
      for (const t of tools) walk(t.inputSchema);
      expect(keys.length).toBeGreaterThan(5);
      expect(keys.filter((k) => /account|acct|tenant|customer|user/i.test(k))).toStrictEqual([]);
      expect(JSON.stringify(tools.map((t) => t.inputSchema))).not.toMatch(/R\d{5}/);
    });

    it("refuses an account argument: the tool's own strict schema", async () => {
      const r = await call('getBalance', { accountId: 'R20077' });
      expect(errorText(r)).toMatch(/^Invalid arguments: .*accountId/);
    });
  });

  describe('reads for R10042, with the fixture figures', () => {
    it('getBalance: balance $2,494.96 (outstanding $2,569.96 on 4, overdue $1,714.56 on 2, credits $75.00)', async () => {
      const s = structured(await call('getBalance', {}));
      expect(s).toMatchObject({
        asOf: '2026-11-25',
        currency: 'CAD',
        balance: '$2,494.96',
        balanceCents: 249496,
        outstanding: '$2,569.96',
        outstandingCents: 256996,
        openInvoices: 4,
        overdue: '$1,714.56',
        overdueCents: 171456,
        overdueInvoices: 2,
        unappliedCredits: '$75.00',
        nextDueOn: '2026-12-05',
      });
      expect(s.cards).toHaveLength(1);
      expect(s.cards[0]).toMatchObject({ type: 'balance', balance: { display: '$2,494.96', cents: 249496 } });
    });

    it('getInvoice IN7653310: paid, PAY-300188 and CM-100201, with its signed link as on the card', async () => {
      const r = await call('getInvoice', { invoiceNumber: 'in 7653310' });
      const s = structured(r);
      expect(s).toMatchObject({
        invoiceNumber: 'IN7653310',
        issued: '2026-09-26',
        due: '2026-10-26',
        total: '$2,315.75',
        amountDue: '$0.00',
        state: 'paid',
        status: 'Paid',
        paid: '$2,195.75',
        credited: '$120.00',
        payments: [{ payment: 'PAY-300188', date: '2026-10-24', amount: '$2,195.75' }],
        credits: [{ credit: 'CM-100201', date: '2026-10-24', amount: '$120.00' }],
        memo: null,
      });
      const card = s.cards[0] as { type: string; url: string; payUrl: string | null };
      expect(card.type).toBe('invoice');
      expect(card.payUrl).toBeNull();
      expect(card.url.startsWith(`${h.base}/pay/`)).toBe(true);
      expect(h.app.services.links.verify(card.url.slice(`${h.base}/pay/`.length), 'pay')).toMatchObject({ accountId: 'R10042', invoiceNumber: 'IN7653310' });
      // The link as a resource link too.
      expect(r.content).toContainEqual(expect.objectContaining({ type: 'resource_link', uri: card.url, name: 'IN7653310' }));
      // The link opens the invoice page.
      const page = await fetch(card.url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('IN7653310');
    });

    it('listOutstanding: IN7654323, IN7654320, IN7654321, IN7654322 ($2,569.96 due)', async () => {
      const r = await call('listOutstanding', { limit: null });
      const s = structured(r);
      expect((s['invoices'] as Array<{ invoiceNumber: string; amountDue: string }>).map((i) => [i.invoiceNumber, i.amountDue])).toStrictEqual([
        ['IN7654323', '$215.40'],
        ['IN7654320', '$640.00'],
        ['IN7654321', '$1,234.56'],
        ['IN7654322', '$480.00'],
      ]);
      expect(s).toMatchObject({ count: 4, more: false, totalDueShown: '$2,569.96' });
      const list = s.cards[0] as { type: string; items: Array<{ invoiceNumber: string; payUrl: string }> };
      expect(list.type).toBe('invoice_list');
      for (const i of list.items) expect(h.app.services.links.isMinted(i.payUrl), i.invoiceNumber).toBe(true);
      expect(r.content.filter((c) => c.type === 'resource_link').map((c) => (c.type === 'resource_link' ? c.name : ''))).toStrictEqual(['IN7654323', 'IN7654320', 'IN7654321', 'IN7654322']);
    });

    it('listInvoices: six invoices newest first; filtered by status', async () => {
      const all = structured(await call('listInvoices', { status: null, from: null, to: null, dateField: null, over: null, under: null, limit: null }));
      expect((all['invoices'] as Array<{ invoiceNumber: string; status: string }>).map((i) => [i.invoiceNumber, i.status])).toStrictEqual([
        ['IN7654323', 'Due'],
        ['IN7654320', 'Due'],
        ['IN7654321', 'Overdue'],
        ['IN7654322', 'Overdue (partially paid)'],
        ['IN7653310', 'Paid'],
        ['IN7650001', 'Paid'],
      ]);
      const overdue = structured(await call('listInvoices', { status: 'overdue', from: null, to: null, dateField: null, over: null, under: null, limit: null }));
      expect((overdue['invoices'] as Array<{ invoiceNumber: string }>).map((i) => i.invoiceNumber)).toStrictEqual(['IN7654321', 'IN7654322']);
    });

    it('listPayments: PAY-300205 $500.00, PAY-300188 $2,195.75, PAY-300101 $1,940.00', async () => {
      const s = structured(await call('listPayments', { from: null, to: null, limit: null }));
      expect((s['payments'] as Array<{ payment: string; amount: string; method: string; invoices: string[] }>).map((p) => [p.payment, p.amount, p.method, p.invoices])).toStrictEqual([
        ['PAY-300205', '$500.00', 'Cheque', ['IN7654322']],
        ['PAY-300188', '$2,195.75', 'Credit card', ['IN7653310']],
        ['PAY-300101', '$1,940.00', 'Credit card', ['IN7650001']],
      ]);
    });

    it('listCredits: CM-100202 with $75.00 available, CM-100201 fully applied', async () => {
      const s = structured(await call('listCredits', {}));
      expect(s['totalAvailable']).toBe('$75.00');
      expect((s['credits'] as Array<{ credit: string; available: string; appliedTo: string[] }>).map((c) => [c.credit, c.available, c.appliedTo])).toStrictEqual([
        ['CM-100202', '$75.00', []],
        ['CM-100201', '$0.00', ['IN7653310']],
      ]);
    });

    it('createPaymentLink IN7654321: payable $1,234.56, the signed pay link on the card, nothing changed', async () => {
      const before = await h.database.db.selectFrom('checkout_sessions').select('id').execute();
      const r = await call('createPaymentLink', { invoiceNumber: 'IN7654321' });
      const s = structured(r);
      expect(s).toMatchObject({ invoiceNumber: 'IN7654321', amountDue: '$1,234.56', payable: true });
      expect(s['payPage']).toBeUndefined();
      const card = s.cards[0] as { payUrl: string };
      expect(h.app.services.links.verify(card.payUrl.slice(`${h.base}/pay/`.length), 'pay')).toMatchObject({ accountId: 'R10042', invoiceNumber: 'IN7654321' });
      expect(r.content).toContainEqual(expect.objectContaining({ type: 'resource_link', uri: card.payUrl }));
      expect(await h.database.db.selectFrom('checkout_sessions').select('id').execute()).toStrictEqual(before);
    });
  });

  describe('paying: URL-mode elicitation to the signed pay page when the client can', () => {
    it('offers the pay page in the client; the answer is in payPage', async () => {
      for (const action of ['accept', 'decline'] as const) {
        const asked: ElicitRequest[] = [];
        const client = await h.client({ capabilities: { elicitation: { url: {} } }, onElicit: (req) => (asked.push(req), { action }) });
        const s = structured(await client.callTool({ name: 'createPaymentLink', arguments: { invoiceNumber: 'IN7654321' } }));
        const payUrl = (s.cards[0] as { payUrl: string }).payUrl;
        expect(asked).toHaveLength(1);
        expect(asked[0]!.params).toMatchObject({ mode: 'url', url: payUrl, elicitationId: expect.stringMatching(/^elicit_/) });
        expect(asked[0]!.params.message).toContain('IN7654321');
        expect(asked[0]!.params.message).toContain('$1,234.56');
        expect(s['payPage']).toStrictEqual({ url: payUrl, action });
      }
    });

    it('asks nothing for an invoice with nothing due', async () => {
      const asked: ElicitRequest[] = [];
      const client = await h.client({ capabilities: { elicitation: { url: {} } }, onElicit: (req) => (asked.push(req), { action: 'accept' }) });
      const s = structured(await client.callTool({ name: 'createPaymentLink', arguments: { invoiceNumber: 'IN7653310' } }));
      expect(s).toMatchObject({ payable: false, reason: 'Nothing is due on this invoice.' });
      expect(asked).toStrictEqual([]);
    });
  });

  describe('isolation', () => {
    it("another account's invoice answers exactly like a made-up number", async () => {
      const foreign = errorText(await call('getInvoice', { invoiceNumber: 'IN8800001' }));
      const madeUp = errorText(await call('getInvoice', { invoiceNumber: 'IN0000000' }));
      expect(foreign).toBe('No invoice IN8800001 was found on this account.');
      expect(madeUp).toBe('No invoice IN0000000 was found on this account.');
      expect(foreign.replace('8800001', '0000000')).toBe(madeUp);
      expect(errorText(await call('createPaymentLink', { invoiceNumber: 'IN8800001' }))).toBe(foreign);
      // The other way round.
      const back = await call('getInvoice', { invoiceNumber: 'IN7654321' }, 'R20077');
      expect(errorText(back)).toBe('No invoice IN7654321 was found on this account.');
      expect(JSON.stringify(back)).not.toMatch(/1,234\.56|Maple Leaf/);
      expect(structured(await call('getBalance', {}, 'R20077'))).toMatchObject({ balance: '$3,000.00' });
    });
  });

  describe('auth: the portal token, verified as the REST API does', () => {
    const metadataUrl = () => `${h.base}/.well-known/oauth-protected-resource`;

    async function expect401(authorization: string | undefined, description?: string) {
      const res = await rawPost(h.url, authorization ? { authorization } : {});
      expect(res.status, authorization).toBe(401);
      const header = res.headers.get('www-authenticate')!;
      expect(header).toContain(`resource_metadata="${metadataUrl()}"`);
      expect(header.startsWith('Bearer ')).toBe(true);
      expect(extractResourceMetadataUrl(res)?.href).toBe(metadataUrl());
      if (description) expect(header).toContain(`error="invalid_token", error_description="${description}"`);
      else expect(header).toBe(`Bearer resource_metadata="${metadataUrl()}"`);
      const body = (await res.json()) as { error: { code: string } };
      expect(body.error.code).toBe('unauthorized');
      return res;
    }

    it('missing token: 401 naming the metadata', async () => {
      await expect401(undefined);
      await expect(h.client({ token: '' })).rejects.toThrow();
    });

    it('expired token: 401 invalid_token', async () => {
      const expired = await h.token('R10042', { expiresIn: Math.floor(Date.now() / 1000) - 60 });
      await expect401(`Bearer ${expired}`, 'Token expired');
      await expect(h.client({ token: expired })).rejects.toThrow();
    });

    it('forged tokens: 401 invalid_token', async () => {
      const good = await h.token();
      const [hd, pl, sig] = good.split('.') as [string, string, string];
      const flipped = `${hd}.${pl}.${sig.slice(0, 10)}${sig[10] === 'A' ? 'B' : 'A'}${sig.slice(11)}`;
      const otherSecret = await new SignJWT({ acct: 'R10042' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('mallory@evil.example')
        .setIssuer(h.config.AUTH_JWT_ISSUER)
        .setAudience(h.config.AUTH_JWT_AUDIENCE)
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode('not-the-portal-secret-but-long-enough-0123456789'));
      const otherAccount = `${hd}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(pl, 'base64url').toString()), acct: 'R20077' })).toString('base64url')}.${sig}`;
      for (const forged of [flipped, otherSecret, otherAccount, 'not-a-jwt']) await expect401(`Bearer ${forged}`, 'Invalid token');
      await expect(h.client({ token: otherSecret })).rejects.toThrow();
    });

    it('an operator token is refused with 403, as on the REST API', async () => {
      const ops = await signOperatorToken(h.config, { operatorId: 'ops-1', scopes: OPS_SCOPES });
      const res = await rawPost(h.url, { authorization: `Bearer ${ops}` });
      expect(res.status).toBe(403);
    });

    it('the protected-resource metadata document validates (RFC 9728), at the root and for /mcp', async () => {
      for (const url of [metadataUrl(), `${metadataUrl()}/mcp`]) {
        const res = await fetch(url);
        expect(res.status, url).toBe(200);
        const doc = OAuthProtectedResourceMetadataSchema.parse(await res.json());
        expect(doc).toMatchObject({ resource: `${h.base}/mcp`, authorization_servers: [AUTH_SERVER], bearer_methods_supported: ['header'] });
      }
      // The SDK's own discovery, from the 401's header and from the server URL.
      const viaHeader = await discoverOAuthProtectedResourceMetadata(h.url, { resourceMetadataUrl: metadataUrl() });
      expect(viaHeader.authorization_servers).toStrictEqual([AUTH_SERVER]);
      const viaUrl = await discoverOAuthProtectedResourceMetadata(h.url);
      expect(viaUrl.resource).toBe(`${h.base}/mcp`);
    });
  });

  describe('Origin (DNS rebinding)', () => {
    it('refuses an Origin that is neither ours nor listed with 403, before anything else', async () => {
      const auth = { authorization: `Bearer ${await h.token()}` };
      for (const origin of ['https://evil.example', 'null', 'http://127.0.0.1:1']) {
        const res = await rawPost(h.url, { ...auth, origin });
        expect(res.status, origin).toBe(403);
        const noToken = await rawPost(h.url, { origin });
        expect(noToken.status, origin).toBe(403);
      }
      for (const origin of [PARTNER_ORIGIN, h.base]) expect((await rawPost(h.url, { ...auth, origin })).status, origin).toBe(200);
      // Clients that send no Origin (not a browser) are not concerned.
      expect((await rawPost(h.url, auth)).status).toBe(200);
    });
  });

  describe('the same protections as the chat', () => {
    const auditRows = () =>
      sql<{ name: string; outcome: string; channel: string; arguments: unknown; error: string | null; conversation_id: string | null; message_id: string | null; actor_id: string; account_id: string }>`
        select name, outcome, channel, arguments, error, conversation_id, message_id, actor_id, account_id from audit_log
        where action = 'tool_call' and channel = 'mcp' order by id`.execute(h.database.db).then((r) => r.rows);

    it('card numbers in any argument: removed before anything, and the call refused', async () => {
      const r = await call('getInvoice', { invoiceNumber: '4111 1111 1111 1111' });
      expect(errorText(r)).toMatch(/Card details were found in the arguments and removed/);
      const r2 = await call('emailInvoicePdf', { invoiceNumber: 'IN7654321', to: 'ap@mycompany.com 5555-5555-5555-4444 exp 12/29' });
      expect(errorText(r2)).toMatch(/Card details/);
      const rows = await auditRows();
      const text = JSON.stringify(rows);
      expect(text).not.toMatch(/4111|5555.?5555|4444/);
      expect(text).toContain('[card number removed]');
      expect(await h.database.db.selectFrom('email_sends').select('id').execute()).toStrictEqual([]);
    });

    it('invalid arguments and unknown tools: a clear error, audited', async () => {
      expect(errorText(await call('getInvoice', { invoiceNumber: 7 }))).toMatch(/^Invalid arguments: invoiceNumber: /);
      await expect(call('noSuchTool', {})).rejects.toThrow(/Unknown tool: noSuchTool/);
      const rows = await auditRows();
      expect(rows.some((r) => r.name === 'getInvoice' && r.outcome === 'invalid_arguments')).toBe(true);
      expect(rows.some((r) => r.name === 'noSuchTool' && r.outcome === 'unknown_tool')).toBe(true);
    });

    it('tool timeouts: a slow tool is cut off with a plain message, audited as a timeout', async () => {
      const started = Date.now();
      const r = await call('slowLookup', {});
      expect(errorText(r)).toBe('The tool took too long to answer. Try again in a moment.');
      expect(Date.now() - started).toBeLessThan(1900);
      expect((await auditRows()).some((x) => x.name === 'slowLookup' && x.outcome === 'timeout')).toBe(true);
    });

    it('audit rows: channel mcp, the token\'s user and account, no conversation or message; tool_call_audit keeps the chat\'s rows only', async () => {
      await call('getBalance', {});
      const rows = await auditRows();
      const balance = rows.filter((r) => r.name === 'getBalance' && r.outcome === 'ok' && r.account_id === 'R10042');
      expect(balance.length).toBeGreaterThan(0);
      for (const r of balance) expect(r).toMatchObject({ channel: 'mcp', conversation_id: null, message_id: null, actor_id: 'user@r10042.test', account_id: 'R10042', arguments: {} });
      const view = await h.database.db.selectFrom('tool_call_audit').select('id').execute();
      expect(view).toStrictEqual([]);
    });
  });
});
