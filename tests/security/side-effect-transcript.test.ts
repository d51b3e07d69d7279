import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { StoredMessage } from '../../src/agent/chat-service.js';
import { fixedClock } from '../../src/billing/dates.js';
import { testConfig } from '../../src/config.js';
import type { Database } from '../../src/db/index.js';
import type { Session } from '../../src/identity/session.js';
import { createOutboxMailer } from '../../src/mail/outbox.js';
import { createServices, type Services } from '../../src/services.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { describeWithBrowser } from '../helpers/browser.js';
import { TEST_TODAY } from '../helpers/constants.js';
import { freshDatabase } from '../helpers/db.js';
import { stubRenderer, toolAudit } from '../helpers/mail.js';
import { call, fail, ScriptedModel, text, tools } from '../helpers/scripted-model.js';

/**
 * Issue #11, defect 3 (second half): "Email a PDF copy of … \u0000" sent the email, then answered
 * 500 and stored nothing. A side effect and its transcript are recorded together: when a turn
 * fails after a side effect ran (the model fails in the next round, or storing the turn fails),
 * the stored history still holds the user's message, the executed calls with their audit rows,
 * and an answer (status 'error') that says what was done; the history and email_sends agree.
 */

const SESSION: Session = { accountId: 'R10042', userId: 'jordan@mycompany.com', userName: 'Jordan Lee' };
const TO = 'ap@mycompany.com';
const ASK = `Email a PDF copy of IN7654321 to ${TO}`;

/** A failure that is not a model outage (a bug, a crashed engine): the loop does not turn it into an answer. */
class EngineCrash extends Error {}

let database: Database;
let outboxDir: string;

beforeAll(() => {
  outboxDir = fs.mkdtempSync(path.join(os.tmpdir(), 'transcript-outbox-'));
});
afterAll(() => fs.rmSync(outboxDir, { recursive: true, force: true }));
// A database per test: each sends the same email, which the mail service would otherwise suppress as a duplicate.
beforeEach(async () => {
  database = await freshDatabase();
  failingStore.failNext = false;
  failingStore.failed = 0;
});
afterEach(async () => database?.close());

/**
 * A failing step to inject: with `failNext`, the next statement that stores chat messages fails
 * (as a dropped connection or a constraint would), once.
 */
const failingStore = {
  failNext: false,
  failed: 0,
  plugin: {
    transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
      const node = args.node as RootOperationNode & { sqlFragments?: readonly string[] };
      if (failingStore.failNext && node.kind === 'RawNode' && node.sqlFragments?.some((f) => f.includes('insert into chat_messages'))) {
        failingStore.failNext = false;
        failingStore.failed++;
        throw new Error('injected: storing the turn failed');
      }
      return args.node;
    },
    transformResult: async (args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> => args.result,
  } satisfies KyselyPlugin,
};

function services(model: ScriptedModel, store?: typeof failingStore): Services {
  return createServices({
    config: testConfig({ FIXED_TODAY: TEST_TODAY }),
    database: store ? { ...database, db: database.db.withPlugin(store.plugin) } : database,
    clock: fixedClock(TEST_TODAY),
    model,
    pdf: stubRenderer(),
    mailer: createOutboxMailer({ db: database.db, dir: outboxDir }),
  });
}

/** The conversation's sends, as email_sends recorded them. */
async function sends(conversationId: string) {
  return database.db.selectFrom('email_sends').select(['invoice_number', 'recipient', 'status']).where('conversation_id', '=', conversationId).execute();
}

/** The history shows the user's message and an error-status answer that says the email went, with its receipt and audit. */
async function expectTranscript(s: Services, conversationId: string, userText: string): Promise<StoredMessage> {
  const history = await s.chat.listMessages(SESSION, conversationId);
  expect(history.map((m) => [m.role, m.status])).toEqual([
    ['user', 'complete'],
    ['assistant', 'error'],
  ]);
  expect(history[0]!.text).toBe(userText);
  const answer = history[1]!;
  expect(answer.text).toContain(`Emailed a PDF copy of IN7654321 to ${TO}`);
  expect(answer.cards).toEqual([expect.objectContaining({ type: 'email_receipt', invoiceNumber: 'IN7654321', to: TO, status: 'sent' })]);
  const audit = await toolAudit(database.db, answer.id);
  expect(audit.map((a) => [a.name, a.outcome])).toEqual([['emailInvoicePdf', 'ok']]);
  expect(audit[0]!.arguments).toMatchObject({ invoiceNumber: 'IN7654321', to: TO });
  // The history and the sends agree: one email, the one the answer states.
  expect(await sends(conversationId)).toEqual([{ invoice_number: 'IN7654321', recipient: TO, status: 'sent' }]);
  return answer;
}

describe('a turn that fails after a side effect still stores what was done', () => {
  it('the model fails in the round after the email was sent', async () => {
    const model = new ScriptedModel([tools(call('emailInvoicePdf', { invoiceNumber: 'IN7654321', to: TO })), fail(new EngineCrash('engine crashed'))]);
    const s = services(model);
    const conv = await s.chat.createConversation(SESSION);
    const reply = await s.chat.sendMessage(SESSION, conv.id, ASK);
    expect(reply.text).toContain(`Emailed a PDF copy of IN7654321 to ${TO}`);
    const answer = await expectTranscript(s, conv.id, ASK);
    expect(answer.id).toBe(reply.id);
    model.assertComplete();
  });

  it('storing the turn fails after the email was sent (a NUL in the message)', async () => {
    const model = new ScriptedModel([tools(call('emailInvoicePdf', { invoiceNumber: 'IN7654321', to: TO })), text(`Done: emailed IN7654321 to ${TO}.`)]);
    const s = services(model);
    const conv = await s.chat.createConversation(SESSION);
    const events: string[] = [];
    await s.chat.sendMessage(SESSION, conv.id, `${ASK}\u0000`, (e) => events.push(e.type));
    await expectTranscript(s, conv.id, ASK);
    expect(events.at(-1)).toBe('completed');
  });

  it('storing fails with a lone surrogate in the message', async () => {
    const model = new ScriptedModel([tools(call('emailInvoicePdf', { invoiceNumber: 'IN7654321', to: TO })), text('Sent.')]);
    const s = services(model);
    const conv = await s.chat.createConversation(SESSION);
    await s.chat.sendMessage(SESSION, conv.id, `${ASK} \ud800`);
    const history = await s.chat.listMessages(SESSION, conv.id);
    expect(history[0]!.text).toBe(`${ASK} \ufffd`);
    expect(history[1]!.status).toBe('error');
    expect(await sends(conv.id)).toHaveLength(1);
  });

  it('approving a confirm card: storing the answer fails once (an injected failure), the email it sent is still recorded', async () => {
    // The model emails an address the message did not type: a confirm card, approved with the button.
    const model = new ScriptedModel([tools(call('emailInvoicePdf', { invoiceNumber: 'IN7654321', to: TO })), text('Please confirm below.')]);
    const s = services(model, failingStore);
    const conv = await s.chat.createConversation(SESSION);
    const proposed = await s.chat.sendMessage(SESSION, conv.id, 'email IN7654321 to our AP inbox');
    const card = proposed.cards.find((c) => c.type === 'confirm');
    expect(card?.type).toBe('confirm');
    failingStore.failNext = true;
    const reply = await s.chat.decideProposal(SESSION, conv.id, card?.type === 'confirm' ? card.proposalId : '', 'approve');
    expect(failingStore.failed).toBe(1);
    const history = await s.chat.listMessages(SESSION, conv.id);
    expect(history.map((m) => [m.role, m.status])).toEqual([
      ['user', 'complete'],
      ['assistant', 'complete'],
      ['assistant', 'error'],
    ]);
    expect(history[2]!.id).toBe(reply.id);
    expect(history[2]!.text).toContain(`Emailed a PDF copy of IN7654321 to ${TO}`);
    expect(history[2]!.cards.map((c) => c.type)).toEqual(['email_receipt']);
    expect((await toolAudit(database.db, reply.id)).map((a) => [a.name, a.outcome])).toEqual([
      ['emailInvoicePdf', 'approved'],
      ['emailInvoicePdf', 'ok'],
    ]);
    expect(await sends(conv.id)).toEqual([{ invoice_number: 'IN7654321', recipient: TO, status: 'sent' }]);
  });

  it('the model answered, but storing its turn fails once (an injected failure): the answer says what was done', async () => {
    const model = new ScriptedModel([tools(call('emailInvoicePdf', { invoiceNumber: 'IN7654321', to: TO })), text('All done.')]);
    const s = services(model, failingStore);
    const conv = await s.chat.createConversation(SESSION);
    failingStore.failNext = true;
    await s.chat.sendMessage(SESSION, conv.id, ASK);
    expect(failingStore.failed).toBe(1);
    await expectTranscript(s, conv.id, ASK);
  });

  it('a failure before any side effect still fails the turn, and stores nothing', async () => {
    const model = new ScriptedModel([tools(call('getInvoice', { invoiceNumber: 'IN7654321' })), fail(new EngineCrash('engine crashed'))]);
    const s = services(model);
    const conv = await s.chat.createConversation(SESSION);
    await expect(s.chat.sendMessage(SESSION, conv.id, 'show me IN7654321')).rejects.toThrow('engine crashed');
    expect(await s.chat.listMessages(SESSION, conv.id)).toEqual([]);
  });
});

describeWithBrowser('through the chat API: 200 and a transcript instead of a 500 and nothing', () => {
  let t: TestApp;
  const model = new ScriptedModel([tools(call('emailInvoicePdf', { invoiceNumber: 'IN7654321', to: TO })), fail(new EngineCrash('engine crashed'))]);
  beforeAll(async () => {
    t = await createTestApp({ OUTBOX_DIR: outboxDir }, { model });
  });
  afterAll(async () => t?.close());

  it('the email is sent once, the answer says so, and GET history shows it', async () => {
    const headers = await t.auth('R10042');
    const conv = (await t.app.inject({ method: 'POST', url: '/v1/chat/conversations', headers })).json<{ id: string }>().id;
    const res = await t.app.inject({ method: 'POST', url: `/v1/chat/conversations/${conv}/messages`, headers, payload: { text: ASK } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<{ text: string }>().text).toContain(`Emailed a PDF copy of IN7654321 to ${TO}`);
    const history = (await t.app.inject({ method: 'GET', url: `/v1/chat/conversations/${conv}/messages`, headers })).json<{ messages: StoredMessage[] }>().messages;
    expect(history.map((m) => [m.role, m.status])).toEqual([
      ['user', 'complete'],
      ['assistant', 'error'],
    ]);
    expect(history[1]!.text).toContain(`Emailed a PDF copy of IN7654321 to ${TO}`);
    const rows = await t.app.services.db.selectFrom('email_sends').select(['invoice_number', 'recipient', 'status']).where('conversation_id', '=', conv).execute();
    expect(rows).toEqual([{ invoice_number: 'IN7654321', recipient: TO, status: 'sent' }]);
  });
});
