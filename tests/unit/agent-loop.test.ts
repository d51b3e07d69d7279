import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createToolRegistry, type ToolRegistry } from '../../tools/registry.js';
import { defineTool, type ToolContext } from '../../tools/types.js';
import { MODEL_ERROR_TEXT, ROUND_LIMIT_TEXT, runTurn, type TurnOptions, type TurnResult } from '../../src/agent/loop.js';
import { ModelError, type Card, type ChatMessage, type TurnEvent } from '../../src/agent/types.js';
import { fixedClock } from '../../src/billing/dates.js';
import { testConfig } from '../../src/config.js';
import type { Database } from '../../src/db/index.js';
import type { Session } from '../../src/identity/session.js';
import { createServices, type Services } from '../../src/services.js';
import { TEST_TODAY } from '../helpers/constants.js';
import { freshDatabase } from '../helpers/db.js';
import { call, fail, reply, respond, ScriptedModel, text, tools } from '../helpers/scripted-model.js';

const SESSION: Session = { accountId: 'R10042', userId: 'jordan@mycompany.com', userName: 'Jordan Lee' };

let database: Database;

beforeAll(async () => {
  database = await freshDatabase();
});
afterAll(async () => {
  await database?.close();
});

function services(model: ScriptedModel, opts: { env?: Record<string, string>; registry?: ToolRegistry } = {}): Services {
  return createServices({
    config: testConfig({ FIXED_TODAY: TEST_TODAY, ...opts.env }),
    database,
    clock: fixedClock(TEST_TODAY),
    model,
    ...(opts.registry ? { registry: opts.registry } : {}),
  });
}

function ctxFor(s: Services, session: Session = SESSION): ToolContext {
  return { session, conversationId: null, clock: s.clock, billing: s.billing, links: s.links, extras: {} };
}

interface Turn {
  result: TurnResult;
  events: TurnEvent[];
  model: ScriptedModel;
  s: Services;
}

/** One turn through runTurn with real tools over the fixture. */
async function turn(
  model: ScriptedModel,
  opts: Partial<Pick<TurnOptions, 'maxRounds' | 'toolTimeoutMs' | 'history' | 'userText'>> & { registry?: ToolRegistry } = {},
): Promise<Turn> {
  const s = services(model, opts.registry ? { registry: opts.registry } : {});
  const events: TurnEvent[] = [];
  const result = await runTurn({
    model,
    registry: s.registry,
    ctx: ctxFor(s),
    links: s.links,
    systemPrompt: s.prompt.text,
    proposalTtlMs: 600_000,
    now: () => new Date(),
    history: opts.history ?? [],
    userText: opts.userText ?? 'Show me invoice IN7654321',
    maxRounds: opts.maxRounds ?? 6,
    toolTimeoutMs: opts.toolTimeoutMs ?? 5_000,
    onEvent: (e) => events.push(e),
  });
  return { result, events, model, s };
}

const outcomes = (r: TurnResult) => r.toolCalls.map((c) => `${c.name}:${c.outcome}`);

describe('runTurn with a scripted model', () => {
  it('sends the system prompt, the history and the user text, with every tool spec', async () => {
    const history: ChatMessage[] = [
      { role: 'user', content: 'hello' },
      { role: 'assistant', content: 'Hi! How can I help?' },
    ];
    const { result, model, s } = await turn(new ScriptedModel([text('Hello again.')]), { history, userText: 'What can you do?' });
    expect(result).toStrictEqual({
      text: 'Hello again.',
      cards: [],
      toolCalls: [],
      executedCalls: [],
      proposals: [],
      note: null,
      rounds: 1,
      stopReason: 'answered',
      usage: { promptTokens: 0, completionTokens: 0 },
    });
    expect(model.requests).toHaveLength(1);
    expect(model.requests[0]!.messages).toStrictEqual([
      { role: 'system', content: s.prompt.text },
      ...history,
      { role: 'user', content: 'What can you do?' },
    ]);
    // The core tools, in registry order (tools added by later features follow them).
    expect(model.requests[0]!.tools.map((t) => t.name).slice(0, 7)).toStrictEqual([
      'getBalance',
      'getInvoice',
      'listOutstanding',
      'listInvoices',
      'listPayments',
      'listCredits',
      'createPaymentLink',
    ]);
    expect(model.requests[0]!.tools).toStrictEqual([...s.registry.specs]);
  });

  describe('round limit', () => {
    it('stops after exactly maxRounds model calls when the model keeps calling tools', async () => {
      // A model that never stops: a new (non-repeated) call every round.
      const model = new ScriptedModel([], {
        fallback: (req) => ({ toolCalls: [call('listInvoices', { status: null, from: null, to: null, dateField: null, over: null, under: null, limit: req.index + 1 })] }),
      });
      const { result, events } = await turn(model, { maxRounds: 3 });
      expect(model.requests).toHaveLength(3);
      expect(result.text).toBe(ROUND_LIMIT_TEXT);
      expect(result.stopReason).toBe('round_limit');
      expect(result.rounds).toBe(3);
      expect(outcomes(result)).toStrictEqual(['listInvoices:ok', 'listInvoices:ok', 'listInvoices:ok']);
      expect(result.toolCalls.map((c) => c.arguments)).toStrictEqual([1, 2, 3].map((limit) => ({ status: null, from: null, to: null, dateField: null, over: null, under: null, limit })));
      // One card per invoice (issue #12): each round's list shows only the invoices no earlier list showed.
      expect(result.cards.map((c) => (c.type === 'invoice_list' ? c.items.map((i) => i.invoiceNumber) : []))).toStrictEqual([['IN7654323'], ['IN7654320'], ['IN7654321']]);
      expect(events.filter((e) => e.type === 'tool_started')).toHaveLength(3);
      // The third request carried the results of the first two rounds.
      expect([...model.toolResults(2).keys()]).toStrictEqual(['call_0_0', 'call_1_0']);
    });

    it('honours AGENT_MAX_ROUNDS through the chat service', async () => {
      const model = new ScriptedModel([], {
        fallback: (req) => ({ toolCalls: [call('listOutstanding', { limit: req.index + 1 })] }),
      });
      const s = services(model, { env: { AGENT_MAX_ROUNDS: '2' } });
      const conv = await s.chat.createConversation(SESSION);
      const res = await s.chat.sendMessage(SESSION, conv.id, 'list everything, forever');
      expect(model.requests).toHaveLength(2);
      expect(res.text).toBe(ROUND_LIMIT_TEXT);
      expect(res.toolCalls.map((c) => c.outcome)).toStrictEqual(['ok', 'ok']);
    });
  });

  describe('repeated identical calls', () => {
    it('answers the second identical call with a repeated_call error and runs the rest', async () => {
      const model = new ScriptedModel([
        tools(call('getInvoice', { invoiceNumber: 'IN7654321' }, 'a')),
        tools(call('getInvoice', { invoiceNumber: 'IN7654321' }, 'b'), call('getBalance', {}, 'c')),
        text('IN7654321 is overdue: $1,234.56 due.'),
      ]);
      const { result } = await turn(model);
      expect(model.requests).toHaveLength(3);
      expect(result.stopReason).toBe('answered');
      expect(result.text).toBe('IN7654321 is overdue: $1,234.56 due.');
      expect(outcomes(result)).toStrictEqual(['getInvoice:ok', 'getInvoice:repeated', 'getBalance:ok']);
      expect(result.toolCalls[1]).toMatchObject({ id: 'b', arguments: { invoiceNumber: 'IN7654321' }, error: 'repeated' });
      const seen = model.toolResults(2);
      expect(seen.get('b')).toStrictEqual({
        name: 'getInvoice',
        content: { error: { code: 'repeated_call', message: 'Same call already made in this turn; use its result.' } },
      });
      expect(seen.get('c')?.content).toMatchObject({ balance: '$2,494.96' });
      // One invoice card (from the first call) and one balance card: the repeated call renders nothing.
      expect(result.cards.map((c) => c.type)).toStrictEqual(['invoice', 'balance']);
    });

    it('treats the same arguments in another key order as the same call', async () => {
      const model = new ScriptedModel([
        tools(call('listInvoices', '{"status":"paid","from":null,"to":null,"dateField":null,"over":null,"under":null,"limit":null}', 'a')),
        tools(call('listInvoices', '{"limit":null,"under":null,"dateField":null,"to":null,"over":null,"from":null,"status":"paid"}', 'b')),
        text('Done.'),
      ]);
      const { result } = await turn(model);
      expect(outcomes(result)).toStrictEqual(['listInvoices:ok', 'listInvoices:repeated']);
      expect(result.stopReason).toBe('repeated_calls');
    });

    it('ends the turn when every call of a round repeats an earlier one', async () => {
      const model = new ScriptedModel([
        tools(call('getBalance', {}, 'a')),
        reply({ text: 'Your balance is $2,494.96.', toolCalls: [call('getBalance', {}, 'b')] }),
        text('never reached'),
      ]);
      const { result } = await turn(model);
      expect(model.requests).toHaveLength(2);
      expect(model.remainingSteps).toBe(1);
      expect(result.stopReason).toBe('repeated_calls');
      expect(result.rounds).toBe(2);
      expect(result.text).toBe('Your balance is $2,494.96.');
      expect(outcomes(result)).toStrictEqual(['getBalance:ok', 'getBalance:repeated']);
      expect(result.cards.map((c) => c.type)).toStrictEqual(['balance']);
    });

    it('repeats within one round count too: two identical calls in parallel run once', async () => {
      const model = new ScriptedModel([tools(call('getBalance', {}, 'a'), call('getBalance', {}, 'b')), text('ok')]);
      const { result } = await turn(model);
      expect(outcomes(result)).toStrictEqual(['getBalance:ok', 'getBalance:repeated']);
      expect(result.cards).toHaveLength(1);
      expect(result.stopReason).toBe('answered');
    });
  });

  describe('tool errors reach the model as results', () => {
    it('unknown invoice, another account’s invoice, malformed JSON, wrong types, an account field and an unknown tool', async () => {
      const model = new ScriptedModel([
        tools(
          call('getInvoice', { invoiceNumber: 'IN9999999' }, 'missing'),
          // IN8800001 belongs to R20077: for R10042 it does not exist.
          call('getInvoice', { invoiceNumber: 'IN8800001' }, 'foreign'),
          call('getInvoice', '{"invoiceNumber": "IN76', 'malformed'),
          call('getInvoice', { invoiceNumber: 7654321 }, 'wrongType'),
          call('getInvoice', { invoiceNumber: 'IN7654321', accountId: 'R20077' }, 'withAccount'),
          call('getInvoice', { invoiceNumber: 'hello' }, 'notANumber'),
          call('deleteAccount', {}, 'unknown'),
        ),
        text('I could not find those.'),
      ]);
      const { result, events } = await turn(model);
      expect(result.stopReason).toBe('answered');
      expect(result.text).toBe('I could not find those.');
      expect(result.cards).toStrictEqual([]);
      expect(result.toolCalls.map((c) => [c.id, c.outcome])).toStrictEqual([
        ['missing', 'error'],
        ['foreign', 'error'],
        ['malformed', 'invalid_arguments'],
        ['wrongType', 'invalid_arguments'],
        ['withAccount', 'invalid_arguments'],
        ['notANumber', 'error'],
        ['unknown', 'unknown_tool'],
      ]);
      // The malformed arguments are audited as the raw text the model produced.
      expect(result.toolCalls[2]!.arguments).toBe('{"invoiceNumber": "IN76');

      const seen = model.toolResults(1);
      const code = (id: string) => (seen.get(id)?.content as { error?: { code?: string } }).error?.code;
      expect(seen.get('missing')).toStrictEqual({
        name: 'getInvoice',
        content: { error: { code: 'invoice_not_found', message: 'No invoice IN9999999 was found on this account.' } },
      });
      expect(seen.get('foreign')).toStrictEqual({
        name: 'getInvoice',
        content: { error: { code: 'invoice_not_found', message: 'No invoice IN8800001 was found on this account.' } },
      });
      expect(code('malformed')).toBe('invalid_arguments');
      expect(code('wrongType')).toBe('invalid_arguments');
      expect(code('withAccount')).toBe('invalid_arguments');
      expect(JSON.stringify(seen.get('withAccount'))).toMatch(/accountId/);
      expect(code('notANumber')).toBe('invalid_invoice_number');
      expect(seen.get('unknown')).toStrictEqual({
        name: 'deleteAccount',
        content: { error: { code: 'unknown_tool', message: 'There is no tool named deleteAccount.' } },
      });
      // The assistant message with all seven calls precedes their seven results, in order.
      const msgs = model.requests[1]!.messages;
      const assistant = msgs.at(-8);
      expect(assistant?.role === 'assistant' ? assistant.toolCalls?.map((c) => c.id) : null).toStrictEqual([
        'missing',
        'foreign',
        'malformed',
        'wrongType',
        'withAccount',
        'notANumber',
        'unknown',
      ]);
      expect(msgs.slice(-7).map((m) => (m.role === 'tool' ? m.toolCallId : m.role))).toStrictEqual([
        'missing',
        'foreign',
        'malformed',
        'wrongType',
        'withAccount',
        'notANumber',
        'unknown',
      ]);
      expect(events.filter((e) => e.type === 'tool_finished').map((e) => (e.type === 'tool_finished' ? e.ok : null))).toStrictEqual([
        false,
        false,
        false,
        false,
        false,
        false,
        false,
      ]);
    });

    it('a tool that throws an unexpected error gives the model a generic message; the audit keeps the detail', async () => {
      const boom = defineTool({
        name: 'explode',
        description: 'test tool that fails',
        parameters: z.object({}).strict(),
        result: z.record(z.string(), z.unknown()),
        effect: 'read-only',
        label: () => 'Exploding',
        execute: async () => {
          throw new Error('connection terminated unexpectedly (db-7.internal:5432)');
        },
      });
      const model = new ScriptedModel([tools(call('explode', {}, 'x')), text('Sorry.')]);
      const { result } = await turn(model, { registry: createToolRegistry([boom]) });
      expect(result.toolCalls[0]).toMatchObject({ outcome: 'error', error: 'connection terminated unexpectedly (db-7.internal:5432)' });
      expect(model.toolResults(1).get('x')?.content).toStrictEqual({
        error: { code: 'internal', message: 'That lookup failed on our side. Suggest trying again later.' },
      });
    });

    it('a model failure ends the turn with the fixed error text', async () => {
      const model = new ScriptedModel([tools(call('getBalance', {}, 'a')), fail(new ModelError('model endpoint error 500', true))]);
      const { result } = await turn(model);
      expect(result.stopReason).toBe('model_error');
      expect(result.text).toBe(MODEL_ERROR_TEXT);
      expect(result.rounds).toBe(2);
      expect(outcomes(result)).toStrictEqual(['getBalance:ok']);
    });
  });

  describe('parallel calls', () => {
    it('runs the calls of one round concurrently and returns results in call order', async () => {
      // Each call waits until both have started: run one after the other, the first would time out.
      let arrived = 0;
      let release!: () => void;
      const bothStarted = new Promise<void>((r) => (release = r));
      const log: string[] = [];
      const rendezvous = defineTool({
        name: 'rendezvous',
        description: 'test tool: waits for its peer',
        parameters: z.object({ who: z.string(), delayMs: z.number() }).strict(),
        result: z.record(z.string(), z.unknown()),
        effect: 'read-only',
        label: (a) => `Waiting (${a.who})`,
        execute: async (_ctx, a) => {
          log.push(`start ${a.who}`);
          if (++arrived === 2) release();
          await bothStarted;
          await new Promise((r) => setTimeout(r, a.delayMs));
          log.push(`end ${a.who}`);
          return { result: { who: a.who } };
        },
      });
      const model = new ScriptedModel([
        tools(call('rendezvous', { who: 'a', delayMs: 40 }, 'a'), call('rendezvous', { who: 'b', delayMs: 0 }, 'b')),
        text('Both done.'),
      ]);
      const { result, events } = await turn(model, { registry: createToolRegistry([rendezvous]), toolTimeoutMs: 1_000 });
      expect(outcomes(result)).toStrictEqual(['rendezvous:ok', 'rendezvous:ok']);
      expect(log).toStrictEqual(['start a', 'start b', 'end b', 'end a']);
      expect(events.filter((e) => e.type === 'tool_started' || e.type === 'tool_finished').map((e) => `${e.type}:${'id' in e ? e.id : ''}`)).toStrictEqual([
        'tool_started:a',
        'tool_started:b',
        'tool_finished:b',
        'tool_finished:a',
      ]);
      // Results go back in the order of the calls, whatever order they finished in.
      expect([...model.toolResults(1).entries()]).toStrictEqual([
        ['a', { name: 'rendezvous', content: { who: 'a' } }],
        ['b', { name: 'rendezvous', content: { who: 'b' } }],
      ]);
      expect(result.toolCalls.map((c) => c.id)).toStrictEqual(['a', 'b']);
    });
  });

  describe('per-tool timeout', () => {
    it('AGENT_TOOL_TIMEOUT_MS turns a hung tool into a timeout result, audited, and the turn goes on', async () => {
      const hang = defineTool({
        name: 'hang',
        description: 'test tool that never answers',
        parameters: z.object({}).strict(),
        result: z.record(z.string(), z.unknown()),
        effect: 'read-only',
        label: () => 'Hanging',
        execute: () => new Promise<never>(() => undefined),
      });
      const model = new ScriptedModel([tools(call('hang', {}, 'h'), call('getBalance', {}, 'b')), text('The lookup took too long.')]);
      const s = services(model, { env: { AGENT_TOOL_TIMEOUT_MS: '100' }, registry: createToolRegistry([hang]) });
      const conv = await s.chat.createConversation(SESSION);
      const res = await s.chat.sendMessage(SESSION, conv.id, 'hang please');
      expect(res.text).toBe('The lookup took too long.');
      expect(res.toolCalls.map((c) => [c.id, c.outcome, c.error])).toStrictEqual([
        ['h', 'timeout', 'tool timed out after 100 ms'],
        ['b', 'ok', null],
      ]);
      // Cut off at the configured 100 ms (with slack for a loaded machine), not left hanging.
      expect(res.toolCalls[0]!.latencyMs).toBeGreaterThanOrEqual(99);
      expect(res.toolCalls[0]!.latencyMs).toBeLessThan(3_000);
      expect(model.toolResults(1).get('h')?.content).toStrictEqual({
        error: { code: 'timeout', message: 'The lookup took too long. Suggest trying again.' },
      });
      expect(res.cards.map((c) => c.type)).toStrictEqual(['balance']);
      const audit = await s.db.selectFrom('tool_call_audit').select(['call_id', 'name', 'outcome']).where('message_id', '=', res.id).orderBy('call_id').execute();
      expect(audit).toStrictEqual([
        { call_id: 'b', name: 'getBalance', outcome: 'ok' },
        { call_id: 'h', name: 'hang', outcome: 'timeout' },
      ]);
    });
  });

  describe('links in model text', () => {
    it('removes URLs the server did not mint and keeps minted ones', async () => {
      const probe = services(new ScriptedModel());
      const minted = probe.links.url({ purpose: 'pay', accountId: 'R10042', invoiceNumber: 'IN7654321' });
      const base = probe.config.publicBaseUrl;
      expect(minted.startsWith(`${base}/pay/v1.`)).toBe(true);
      const forged = `${base}/pay/v1.k1.cGF5fFIxMDA0MnxJTjc2NTQzMjF8OTk5OTk5OTk5OQ.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`;
      const typed = [
        `Pay here: ${minted}.`,
        `Or [the portal](${minted}).`,
        'Not https://evil.example/pay?invoice=IN7654321, nor http://pay-randmar.example/login!',
        `Nor ${forged}.`,
        `Nor ${minted}?next=https://evil.example.`,
      ].join('\n');
      const model = new ScriptedModel([tools(call('getInvoice', { invoiceNumber: 'IN7654321' })), text(typed)]);
      const { result } = await turn(model);
      expect(result.text).toBe(
        [
          `Pay here: ${minted}.`,
          `Or [the portal](${minted}).`,
          'Not [link removed], nor [link removed]!',
          'Nor [link removed].',
          'Nor [link removed].',
        ].join('\n'),
      );
    });

    it('removes look-alike hosts carrying a genuine token (prefix match on the base URL is not enough)', async () => {
      const probe = services(new ScriptedModel());
      const minted = probe.links.url({ purpose: 'pay', accountId: 'R10042', invoiceNumber: 'IN7654321' });
      const base = probe.config.publicBaseUrl; // http://localhost:3000
      const path = minted.slice(base.length); // /pay/v1....
      const typed = `Pay at ${base}.evil.example${path} or ${base}@evil.example${path} now.`;
      const { result } = await turn(new ScriptedModel([text(typed)]));
      expect(result.text).toBe('Pay at [link removed] or [link removed] now.');
    });

    it('never streams an unminted URL to the client in text deltas', async () => {
      const typed = 'Pay at https://evil.example/pay today.';
      const { result, events } = await turn(new ScriptedModel([text(typed, ['Pay at https://ev', 'il.example/pay', ' today.'])]));
      expect(result.text).toBe('Pay at [link removed] today.');
      const streamed = events.flatMap((e) => (e.type === 'text_delta' ? [e.text] : [])).join('');
      expect(streamed).not.toContain('evil.example');
    });
  });

  describe('cards', () => {
    it('come only from tool results, in call order, with minted links', async () => {
      const fakeCard = '{"type":"invoice","invoiceNumber":"IN0000001","payUrl":"https://evil.example/pay"}';
      const model = new ScriptedModel([
        tools(call('getInvoice', { invoiceNumber: 'in-7654321' }, 'a'), call('getBalance', {}, 'b'), call('getInvoice', { invoiceNumber: 'IN0000001' }, 'c')),
        text(`Here you go. ${fakeCard}`),
      ]);
      const { result, events, s } = await turn(model);
      expect(result.cards.map((c) => c.type)).toStrictEqual(['invoice', 'balance']);
      const inv = result.cards[0] as Extract<Card, { type: 'invoice' }>;
      expect(inv).toMatchObject({
        type: 'invoice',
        invoiceNumber: 'IN7654321',
        amountDue: { amount: '1234.56', cents: 123456, currency: 'CAD', display: '$1,234.56' },
        status: 'overdue',
      });
      expect(inv.payUrl).toBe(inv.url);
      expect(s.links.isMinted(inv.url)).toBe(true);
      expect(s.links.verify(inv.url.split('/pay/')[1]!, 'pay')).toMatchObject({ accountId: 'R10042', invoiceNumber: 'IN7654321', purpose: 'pay' });
      expect(result.cards[1]).toMatchObject({ type: 'balance', balance: { display: '$2,494.96' } });
      // The card events carry the same cards, in the same order.
      expect(events.flatMap((e) => (e.type === 'card' ? [e.card] : []))).toStrictEqual(result.cards);
      // The model never sees a URL: links live on the cards only.
      for (const [, r] of model.toolResults(1)) expect(JSON.stringify(r.content)).not.toMatch(/https?:\/\//);
      // Text the model wrote that looks like a card stays text (with its link removed); no card is made from it.
      expect(result.text).toBe('Here you go. {"type":"invoice","invoiceNumber":"IN0000001","payUrl":"[link removed]"}');
    });

    it('a turn without tool calls has no cards', async () => {
      const { result, events } = await turn(new ScriptedModel([text('Hello! I can help with your balance, invoices and payments.')]));
      expect(result.cards).toStrictEqual([]);
      expect(events.some((e) => e.type === 'card')).toBe(false);
    });
  });

  it('respond() steps see the tool results of the previous round', async () => {
    const model = new ScriptedModel([
      tools(call('getInvoice', { invoiceNumber: 'IN7654321' }, 'a')),
      respond((req) => {
        const last = req.messages.at(-1);
        const content = last?.role === 'tool' ? (JSON.parse(last.content) as { amountDue: string }) : null;
        return { text: `Amount due: ${content?.amountDue ?? '?'}` };
      }),
    ]);
    const { result } = await turn(model);
    expect(result.text).toBe('Amount due: $1,234.56');
    model.assertComplete();
  });
});
