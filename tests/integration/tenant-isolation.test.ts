import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BASE_TOOLS, type AnyTool } from '../../tools/registry.js';
import { ToolFailure, type ToolContext, type ToolOutput } from '../../tools/types.js';
import type { Card } from '../../src/agent/types.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

/**
 * Tenant isolation: every tool, called with one account's session, sees only that account. Another
 * account's invoice numbers are indistinguishable from made-up ones; lists never show another
 * account's invoices, payments or credits; no tool takes an account as a parameter.
 */

/** Who owns what in the fixture (shared/DESIGN.md). */
const FIXTURE = {
  R10042: {
    invoices: ['IN7650001', 'IN7653310', 'IN7654320', 'IN7654321', 'IN7654322', 'IN7654323'],
    payments: ['PAY-300101', 'PAY-300188', 'PAY-300205'],
    credits: ['CM-100201', 'CM-100202'],
    balance: '$2,494.96',
    contact: 'ap@mycompany.com',
  },
  R20077: { invoices: ['IN8800001', 'IN8800002'], payments: ['PAY-300150'], credits: [], balance: '$3,000.00', contact: 'ap@northernbyte.ca' },
  R30001: { invoices: ['IN7659001'], payments: [], credits: [], balance: '$50.00', contact: 'alex@freshstart.tech' },
  R40010: { invoices: ['IN7640001'], payments: ['PAY-300120'], credits: [], balance: '$0.00', contact: 'billing@clearwater.systems' },
} as const;
type AccountId = keyof typeof FIXTURE;
const ACCOUNTS = Object.keys(FIXTURE) as AccountId[];
const MADE_UP = ['IN1234567', 'IN7654399', 'IN9999999'];

const FORBIDDEN_NAME = /account|acct|customer|tenant|user/i;

/** Every identifier of the billing domain mentioned anywhere in a tool's output. */
function identifiers(out: ToolOutput) {
  const text = JSON.stringify({ result: out.result, cards: out.cards ?? [] });
  const all = (re: RegExp) => [...new Set([...text.matchAll(re)].map((m) => m[0]))];
  return {
    invoices: all(/\bIN\d{7}\b/g),
    payments: all(/\bPAY-\d+\b/g),
    credits: all(/\bCM-\d+\b/g),
    accounts: all(/\bR\d{5}\b/g),
    urls: all(/https?:\/\/[^"\s]+/g),
  };
}

function invoiceNumberVariants(n: string): string[] {
  const digits = n.slice(2);
  return [n, n.toLowerCase(), `IN-${digits}`, `in ${digits}`, digits];
}

describe('tenant isolation', () => {
  let t: TestApp;
  let tools: AnyTool[];

  beforeAll(async () => {
    t = await createTestApp();
    // BASE_TOOLS plus whatever the app registers (later features add tools to the registry).
    const byName = new Map<string, AnyTool>();
    for (const tool of [...BASE_TOOLS, ...t.app.services.registry.tools]) byName.set(tool.name, tool);
    tools = [...byName.values()];
  });
  afterAll(async () => t.close());

  function ctx(accountId: AccountId): ToolContext {
    const s = t.app.services;
    return {
      session: { accountId, userId: `user@${accountId.toLowerCase()}.test`, userName: null },
      conversationId: null,
      clock: s.clock,
      billing: s.billing,
      links: s.links,
      // The same capabilities the chat service hands its tools (follow-ups, and the user's message).
      extras: { followUps: s.followUps.requester, userText: 'Please have someone look into this invoice.' },
      mail: s.mail.emailer,
    };
  }

  const shapeOf = (tool: AnyTool): Record<string, z.ZodType> => (tool.parameters as z.ZodObject).shape;
  const takesInvoice = (tool: AnyTool) => 'invoiceNumber' in shapeOf(tool);

  /**
   * Arguments for a tool: the invoice number given, null for optional (nullable) parameters, a
   * recipient the session's account may use for a required `to`, and a topic for a follow-up
   * request (requestBillingFollowUp). A new required parameter fails here
   * until this test knows how to fill it, so no tool escapes the suite.
   */
  function argsFor(tool: AnyTool, accountId: AccountId, invoiceNumber?: string): Record<string, unknown> {
    const args: Record<string, unknown> = {};
    for (const [key, schema] of Object.entries(shapeOf(tool))) {
      if (key === 'invoiceNumber') args[key] = invoiceNumber;
      else if (schema.safeParse(null).success) args[key] = null;
      else if (key === 'to') args[key] = FIXTURE[accountId].contact;
      else if (key === 'topic' && tool.name === 'requestBillingFollowUp') args[key] = 'dispute';
      else throw new Error(`tenant-isolation test: no argument for ${tool.name}.${key}; teach argsFor about it`);
    }
    const parsed = tool.parameters.safeParse(args);
    if (!parsed.success) throw new Error(`tenant-isolation test: arguments for ${tool.name} do not parse: ${parsed.error.message}`);
    return parsed.data as Record<string, unknown>;
  }

  /** Variants for list tools: defaults, every value of each enum filter, a wide date range, the maximum limit. */
  function listVariants(tool: AnyTool, accountId: AccountId): Array<Record<string, unknown>> {
    const base = argsFor(tool, accountId);
    const variants: Array<Record<string, unknown>> = [base];
    for (const [key, schema] of Object.entries(shapeOf(tool))) {
      const inner = schema instanceof z.ZodNullable ? schema.unwrap() : schema;
      if (inner instanceof z.ZodEnum) for (const option of inner.options) variants.push({ ...base, [key]: option });
      if (key === 'from') variants.push({ ...base, from: '2000-01-01' });
      if (key === 'to' && base[key] === null) variants.push({ ...base, to: '2100-12-31' });
      if (key === 'limit') {
        for (const n of [50, 100, 1]) if (schema.safeParse(n).success) {
          variants.push({ ...base, limit: n });
          break;
        }
      }
    }
    return variants.filter((v) => tool.parameters.safeParse(v).success);
  }

  async function failureOf(p: Promise<unknown>): Promise<ToolFailure> {
    try {
      await p;
    } catch (err) {
      expect(err).toBeInstanceOf(ToolFailure);
      return err as ToolFailure;
    }
    throw new Error('expected the tool to fail');
  }

  it('covers every tool of the registry', () => {
    const names = tools.map((x) => x.name);
    for (const expected of ['getBalance', 'getInvoice', 'listOutstanding', 'listInvoices', 'listPayments', 'listCredits', 'createPaymentLink']) {
      expect(names).toContain(expected);
    }
    expect(names.length).toBeGreaterThanOrEqual(BASE_TOOLS.length);
  });

  describe('no tool takes an account', () => {
    function propertyNames(schema: unknown, out: string[] = []): string[] {
      if (Array.isArray(schema)) for (const s of schema) propertyNames(s, out);
      else if (schema && typeof schema === 'object') {
        for (const [k, v] of Object.entries(schema)) {
          if (k === 'properties' && v && typeof v === 'object') out.push(...Object.keys(v));
          propertyNames(v, out);
        }
      }
      return out;
    }

    it('zod parameters have no account-like property', () => {
      for (const tool of tools) {
        const names = Object.keys(shapeOf(tool));
        expect(names.filter((n) => FORBIDDEN_NAME.test(n)), tool.name).toEqual([]);
      }
    });

    it('strict JSON specs have no account-like property, at any depth, and allow no extra properties', () => {
      const specs = t.app.services.registry.specs;
      expect(specs.map((s) => s.name).sort()).toEqual(t.app.services.registry.tools.map((x) => x.name).sort());
      for (const spec of specs) {
        const names = propertyNames(spec.parameters);
        expect(names.filter((n) => FORBIDDEN_NAME.test(n)), spec.name).toEqual([]);
        expect(spec.parameters['additionalProperties'], spec.name).toBe(false);
      }
      // The check itself finds such a property when there is one.
      expect(propertyNames({ type: 'object', properties: { x: { type: 'object', properties: { accountId: {} } } } })).toContain('accountId');
    });

    it('zod parameters refuse an account smuggled in as an extra argument', () => {
      for (const tool of tools) {
        const args = argsFor(tool, 'R10042', 'IN7654321');
        for (const extra of [{ accountId: 'R20077' }, { account: 'R20077' }, { customerId: 'R20077' }, { tenant: 'R20077' }]) {
          expect(tool.parameters.safeParse({ ...args, ...extra }).success, `${tool.name} ${JSON.stringify(extra)}`).toBe(false);
        }
      }
    });
  });

  describe('lookups of another account’s invoice fail exactly like a made-up number', () => {
    it.each(ACCOUNTS)('session %s', async (session) => {
      const lookups = tools.filter(takesInvoice);
      expect(lookups.map((x) => x.name)).toEqual(expect.arrayContaining(['getInvoice', 'createPaymentLink']));
      const foreign = ACCOUNTS.filter((a) => a !== session).flatMap((a) => FIXTURE[a].invoices);
      /** What a side-effecting tool's preflight (run by the loop before proposing) says: null when it passes. */
      const preflight = async (tool: AnyTool, written: string) => {
        try {
          await tool.approval!.preflight!(ctx(session), argsFor(tool, session, written));
          return null;
        } catch (err) {
          expect(err).toBeInstanceOf(ToolFailure);
          return { code: (err as ToolFailure).code, message: (err as ToolFailure).message };
        }
      };
      for (const tool of lookups) {
        if (tool.approval?.preflight) {
          // Before proposing, the loop asks the preflight: another account's invoice gets what a made-up number gets.
          const madeUp = await preflight(tool, MADE_UP[0]!);
          for (const number of [...MADE_UP.slice(1), ...foreign]) {
            for (const written of invoiceNumberVariants(number)) {
              const p = await preflight(tool, written);
              expect(p, `${session} ${tool.name} preflight(${written})`).toEqual(
                madeUp && { code: madeUp.code, message: madeUp.message.replace(MADE_UP[0]!, number) },
              );
            }
          }
        }
        // What a made-up number gets.
        const madeUp = await failureOf(tool.execute(ctx(session), argsFor(tool, session, MADE_UP[0])));
        expect(madeUp.code).toBe('invoice_not_found');
        for (const other of MADE_UP.slice(1)) {
          const f = await failureOf(tool.execute(ctx(session), argsFor(tool, session, other)));
          expect({ code: f.code, message: f.message }).toEqual({ code: madeUp.code, message: madeUp.message.replace(MADE_UP[0]!, other) });
        }
        for (const number of foreign) {
          for (const written of invoiceNumberVariants(number)) {
            const f = await failureOf(tool.execute(ctx(session), argsFor(tool, session, written)));
            expect({ code: f.code, message: f.message }, `${session} ${tool.name}(${written})`).toEqual({
              code: 'invoice_not_found',
              message: madeUp.message.replace(MADE_UP[0]!, number),
            });
          }
        }
      }
    });

    it('no side-effecting lookup did anything: nothing was emailed', async () => {
      // Runs after the lookups above (vitest runs a file's tests in order).
      const outbox = await t.app.services.db.selectFrom('outbox').select(['to_address', 'subject']).execute();
      expect(outbox).toEqual([]);
      const sends = await t.app.services.db.selectFrom('email_sends').select(['status', 'reason', 'invoice_number']).where('status', '!=', 'refused').execute();
      expect(sends).toEqual([]);
      const followUps = await t.app.services.db.selectFrom('follow_ups').select(['reference', 'invoice_number']).execute();
      expect(followUps).toEqual([]);
    });

    it.each(ACCOUNTS)('session %s still finds its own invoices (read-only lookups)', async (session) => {
      for (const tool of tools.filter((x) => takesInvoice(x) && x.effect === 'read-only')) {
        for (const number of FIXTURE[session].invoices) {
          const out = await tool.execute(ctx(session), argsFor(tool, session, number.slice(2)));
          const ids = identifiers(out);
          expect(ids.invoices, `${tool.name}(${number})`).toEqual([number]);
          expect(ids.accounts.filter((a) => a !== session)).toEqual([]);
          for (const p of ids.payments) expect(FIXTURE[session].payments as readonly string[]).toContain(p);
          for (const c of ids.credits) expect(FIXTURE[session].credits as readonly string[]).toContain(c);
        }
      }
    });
  });

  describe('lists never show another account’s data', () => {
    it.each(ACCOUNTS)('session %s', async (session) => {
      const own = FIXTURE[session];
      const lists = tools.filter((x) => !takesInvoice(x) && x.effect === 'read-only');
      expect(lists.map((x) => x.name)).toEqual(expect.arrayContaining(['getBalance', 'listOutstanding', 'listInvoices', 'listPayments', 'listCredits']));
      const seen = { invoices: new Set<string>(), payments: new Set<string>(), credits: new Set<string>() };
      for (const tool of lists) {
        for (const args of listVariants(tool, session)) {
          const label = `${session} ${tool.name}(${JSON.stringify(args)})`;
          const out = await tool.execute(ctx(session), args);
          const ids = identifiers(out);
          expect(ids.invoices.filter((n) => !(own.invoices as readonly string[]).includes(n)), label).toEqual([]);
          expect(ids.payments.filter((n) => !(own.payments as readonly string[]).includes(n)), label).toEqual([]);
          expect(ids.credits.filter((n) => !(own.credits as readonly string[]).includes(n)), label).toEqual([]);
          expect(ids.accounts.filter((a) => a !== session), label).toEqual([]);
          ids.invoices.forEach((n) => seen.invoices.add(n));
          ids.payments.forEach((n) => seen.payments.add(n));
          ids.credits.forEach((n) => seen.credits.add(n));
          // Every link on a card opens this account's invoice and nothing else.
          for (const url of ids.urls) {
            const m = /\/(pay|doc)\/([^/?#]+)$/.exec(url);
            expect(m, url).not.toBeNull();
            const claims = t.app.services.links.verify(m![2]!, m![1] === 'pay' ? 'pay' : 'pdf');
            expect(claims.accountId, label).toBe(session);
            expect(own.invoices as readonly string[], label).toContain(claims.invoiceNumber);
          }
        }
      }
      // Not vacuous: the lists do show everything the account has.
      expect([...seen.invoices].sort()).toEqual([...own.invoices].sort());
      expect([...seen.payments].sort()).toEqual([...own.payments].sort());
      expect([...seen.credits].sort()).toEqual([...own.credits].sort());
    });

    it.each(ACCOUNTS)('getBalance for %s is that account’s balance', async (session) => {
      const tool = tools.find((x) => x.name === 'getBalance')!;
      const out = await tool.execute(ctx(session), {});
      expect(out.result['balance']).toBe(FIXTURE[session].balance);
      const card = (out.cards ?? []).find((c: Card) => c.type === 'balance');
      expect(card?.type === 'balance' && card.balance.display).toBe(FIXTURE[session].balance);
    });

    it('an account that does not exist sees nothing', async () => {
      const nobody: ToolContext = { ...ctx('R10042'), session: { accountId: 'R99999', userId: 'x@y.test', userName: null } };
      for (const tool of tools.filter((x) => x.effect === 'read-only')) {
        const args = takesInvoice(tool) ? argsFor(tool, 'R10042', 'IN7654321') : argsFor(tool, 'R10042');
        let out: ToolOutput | null = null;
        try {
          out = await tool.execute(nobody, args);
        } catch (err) {
          expect(err, tool.name).toBeInstanceOf(ToolFailure);
        }
        if (out) {
          const ids = identifiers(out);
          expect([...ids.invoices, ...ids.payments, ...ids.credits], tool.name).toEqual([]);
        }
      }
    });
  });

  describe('through the chat API', () => {
    interface ErrorJson {
      error: { code: string; message: string };
    }
    interface ReplyJson {
      text: string;
      cards: Card[];
    }

    async function conversation(headers: { authorization: string }): Promise<string> {
      const res = await t.app.inject({ method: 'POST', url: '/v1/chat/conversations', headers });
      expect(res.statusCode, res.body).toBe(201);
      return res.json<{ id: string }>().id;
    }
    const send = (id: string, headers: { authorization: string }, text: string) =>
      t.app.inject({ method: 'POST', url: `/v1/chat/conversations/${id}/messages`, headers, payload: { text } });
    const history = (id: string, headers: { authorization: string }) => t.app.inject({ method: 'GET', url: `/v1/chat/conversations/${id}/messages`, headers });

    it("another account (or another user of the same account) cannot read or write R10042's conversation", async () => {
      const owner = await t.auth('R10042');
      const id = await conversation(owner);
      const first = await send(id, owner, 'Show me invoice IN7654321');
      expect(first.statusCode, first.body).toBe(200);

      const missing = await history('00000000-0000-4000-8000-000000000000', owner);
      expect(missing.statusCode).toBe(404);
      const notFound = missing.json<ErrorJson>().error;

      const intruders = [await t.auth('R20077'), { authorization: `Bearer ${await t.token('R10042', 'someone.else@mycompany.com')}` }];
      for (const intruder of intruders) {
        const read = await history(id, intruder);
        expect(read.statusCode).toBe(404);
        expect(read.json<ErrorJson>().error).toEqual(notFound);
        expect(read.body).not.toContain('IN7654321');
        const write = await send(id, intruder, 'Show me invoice IN7654321');
        expect(write.statusCode).toBe(404);
        expect(write.json<ErrorJson>().error).toEqual(notFound);
      }

      // The owner still sees exactly the two messages of the first turn.
      const mine = await history(id, owner);
      expect(mine.statusCode).toBe(200);
      expect(mine.json<{ messages: unknown[] }>().messages).toHaveLength(2);
      const rows = await t.app.services.db.selectFrom('chat_messages').select('id').where('conversation_id', '=', id).execute();
      expect(rows).toHaveLength(2);
    });

    it("asking for another account's invoice answers like a made-up number and shows none of its data", async () => {
      const cases: Array<{ session: AccountId; foreign: string; secret: RegExp }> = [
        { session: 'R20077', foreign: 'IN7654321', secret: /1,234\.56|Maple Leaf|SO-20688/ },
        { session: 'R10042', foreign: 'IN8800001', secret: /3,000\.00|Northern Byte|SO-31077/ },
        { session: 'R40010', foreign: 'IN7659001', secret: /Fresh Start/ },
        { session: 'R30001', foreign: 'IN7640001', secret: /1,100\.00|Clearwater|SO-19950/ },
      ];
      for (const c of cases) {
        const headers = await t.auth(c.session);
        const id = await conversation(headers);
        for (const [ask, madeUp] of [
          [`Show me invoice ${c.foreign}`, 'Show me invoice IN1234567'],
          [`Pay ${c.foreign}`, 'Pay IN1234567'],
        ] as const) {
          const res = await send(id, headers, ask);
          expect(res.statusCode, res.body).toBe(200);
          const reply = res.json<ReplyJson>();
          const control = (await send(id, headers, madeUp)).json<ReplyJson>();
          expect(reply.text.replaceAll(c.foreign, 'IN#'), ask).toBe(control.text.replaceAll('IN1234567', 'IN#'));
          expect(JSON.stringify(reply), ask).not.toMatch(c.secret);
          const invoices = [...JSON.stringify(reply.cards).matchAll(/\bIN\d{7}\b/g)].map((m) => m[0]);
          expect(invoices.filter((n) => !(FIXTURE[c.session].invoices as readonly string[]).includes(n)), ask).toEqual([]);
        }
        const audit = await t.app.services.db
          .selectFrom('tool_call_audit')
          .select(['name', 'outcome', 'account_id'])
          .where('conversation_id', '=', id)
          .execute();
        expect(audit.length).toBeGreaterThan(0);
        for (const row of audit) expect(row.account_id).toBe(c.session);
        expect(audit.filter((r) => r.outcome === 'ok' && /getInvoice|createPaymentLink/.test(r.name))).toEqual([]);
      }
    });
  });
});
