import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARD_POLICY_TEXT } from '../../src/agent/chat-service.js';
import { createOfflineModel } from '../../src/agent/offline/engine.js';
import type { ChatModel } from '../../src/agent/types.js';
import { CARD_REDACTION } from '../../src/redaction/card-data.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { TEST_TODAY } from '../helpers/constants.js';
import { readable } from './card-arbitraries.js';

/**
 * Issue #11: "Also catch a number split across two consecutive user messages that are mostly
 * digits: rewrite the earlier stored message too, and never send the joined number to a model."
 * Through the chat API: the second half gets the card policy answer, the stored history (API and
 * database rows, audit included) holds no digits of the card, and no model request ever held it.
 */

interface Split {
  name: string;
  card: string;
  messages: string[];
}

const SPLITS: Split[] = [
  { name: 'spaced, two halves', card: '5105105105105100', messages: ['5105 1051', '0510 5100'] },
  { name: 'dashed, trailing dash on the first half', card: '4000056655665556', messages: ['4000-0566-', '5566-5556'] },
  { name: 'unbroken halves', card: '3530111333300000', messages: ['3530111333', '300000'] },
  { name: 'second half with its expiry', card: '6011000990139424', messages: ['6011 0009 9013', '9424 exp 08/28'] },
  { name: 'three messages', card: '4012888888881881', messages: ['4012', '8888 8888', '1881'] },
  { name: 'fullwidth digits', card: '5555555555554444', messages: ['５５５５ ５５５５', '５５５５ ４４４４'] },
  { name: 'Amex over two lines', card: '378282246310005', messages: ['3782 822463', '10005'] },
];

/** Look-alike pairs: consecutive mostly-digit messages that are not a card; both stay as typed. */
const NOT_SPLIT_CARDS: Array<[string, string[]]> = [
  ['phone then date (Luhn-valid joined)', ['416-555-0199', '2026-11-19']],
  ['two invoice numbers', ['7654321', '7654322']],
  ['amounts', ['1,234.56', '2,494.96']],
  ['a 16-digit non-Luhn number in halves', ['4111 1111', '1111 1112']],
];

/** Digits of `text` (any script) by digit run, separators dropped. */
function digitRuns(text: string): string[] {
  return [...readable(text).matchAll(/\d+(?:[^\p{L}\d]{1,3}\d+)*/gu)].map((m) => m[0].replace(/\D/g, ''));
}

/** Any 6 consecutive digits of the card in `text`. */
function cardDigitsIn(text: string, card: string): string[] {
  const runs = digitRuns(text);
  const hits: string[] = [];
  for (let i = 0; i + 6 <= card.length; i++) if (runs.some((r) => r.includes(card.slice(i, i + 6)))) hits.push(card.slice(i, i + 6));
  return hits;
}

describe('a card number split across consecutive messages (chat API)', () => {
  let t: TestApp;
  let headers: { authorization: string };
  const requests: string[] = [];

  beforeAll(async () => {
    const offline = createOfflineModel({ today: () => TEST_TODAY });
    const model: ChatModel = {
      id: 'offline-recording',
      respond(req, onTextDelta) {
        requests.push(JSON.stringify(req.messages));
        return offline.respond(req, onTextDelta);
      },
    };
    t = await createTestApp({ CHAT_RATE_LIMIT_PER_MINUTE: '10000' }, { model });
    headers = await t.auth('R10042');
  });
  afterAll(async () => t?.close());

  const conversation = async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/chat/conversations', headers });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<{ id: string }>().id;
  };
  const send = async (id: string, text: string) => {
    const res = await t.app.inject({ method: 'POST', url: `/v1/chat/conversations/${id}/messages`, headers, payload: { text } });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ text: string; model: string }>();
  };
  const history = async (id: string) => {
    const res = await t.app.inject({ method: 'GET', url: `/v1/chat/conversations/${id}/messages`, headers });
    expect(res.statusCode).toBe(200);
    return res;
  };

  it('the check sees a half of a card (not vacuous)', () => {
    expect(cardDigitsIn('["5105 1051"]', '5105105105105100')).not.toEqual([]);
    expect(cardDigitsIn('５５５５ ５５５５', '5555555555554444')).not.toEqual([]);
    expect(cardDigitsIn(`${CARD_REDACTION} IN7654321 $1,234.56`, '5105105105105100')).toEqual([]);
  });

  it.each(SPLITS.map((s) => [s.name, s] as const))('%s', async (_name, s) => {
    const id = await conversation();
    const before = requests.length;
    for (const m of s.messages.slice(0, -1)) await send(id, m);
    const last = await send(id, s.messages.at(-1)!);
    expect(last.model).toBe('policy');
    expect(last.text.startsWith(CARD_POLICY_TEXT)).toBe(true);

    // The stored history: every part of the card is gone, the earlier messages rewritten.
    const res = await history(id);
    expect(cardDigitsIn(res.body, s.card), res.body).toEqual([]);
    const messages = res.json<{ messages: Array<{ role: string; text: string }> }>().messages;
    const users = messages.filter((m) => m.role === 'user');
    expect(users).toHaveLength(s.messages.length);
    for (const u of users) expect(u.text).toContain(CARD_REDACTION);

    // The database rows of this conversation: messages (and their redacted flag) and the audit log.
    const rows = await t.database.db.selectFrom('chat_messages').select(['text', 'cards', 'role', 'redacted']).where('conversation_id', '=', id).execute();
    for (const r of rows) expect(cardDigitsIn(`${r.text} ${JSON.stringify(r.cards)}`, s.card)).toEqual([]);
    expect(rows.filter((r) => r.role === 'user').every((r) => r.redacted)).toBe(true);
    const audit = await t.database.db.selectFrom('audit_log').selectAll().where('conversation_id', '=', id).execute();
    expect(cardDigitsIn(JSON.stringify(audit), s.card)).toEqual([]);

    // No model request ever held the joined number; the requests after the redaction hold no part of it.
    for (const r of requests.slice(before)) expect(digitRuns(r).some((d) => d.includes(s.card))).toBe(false);
    await send(id, 'What is my balance?');
    expect(cardDigitsIn(requests.at(-1)!, s.card)).toEqual([]);
  });

  it.each(NOT_SPLIT_CARDS)('not a card: %s', async (_name, parts) => {
    const id = await conversation();
    for (const p of parts) expect((await send(id, p)).model).not.toBe('policy');
    const users = (await history(id)).json<{ messages: Array<{ role: string; text: string }> }>().messages.filter((m) => m.role === 'user');
    expect(users.map((u) => u.text)).toEqual(parts);
  });

  it('a split card in another conversation, or before a normal message, is not joined', async () => {
    const a = await conversation();
    const b = await conversation();
    await send(a, '5105 1051');
    expect((await send(b, '0510 5100')).model).not.toBe('policy');
    await send(a, 'Show me invoice IN7654321');
    expect((await send(a, '0510 5100')).model).not.toBe('policy');
  });
});
