import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARD_REDACTION, CVC_REDACTION, EXPIRY_REDACTION, luhnValid, redactCardData, scrubCardNumbers } from '../../src/redaction/card-data.js';
import { CARD_POLICY_TEXT } from '../../src/agent/chat-service.js';
import { createOfflineModel } from '../../src/agent/offline/engine.js';
import type { Card, ChatModel } from '../../src/agent/types.js';
import { CARD_CASES, LOOKALIKES, TEST_CARDS, grouped, type CardCase } from '../fixtures/card-corpus.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { TEST_TODAY } from '../helpers/constants.js';

/** Digit runs as the guard sees them (groups joined by single spaces or dashes), separators removed. */
function digitRuns(text: string): string[] {
  return [...text.matchAll(/\d+(?:[ -]\d+)*/g)].map((m) => m[0].replace(/[ -]/g, ''));
}

/** Every 4-digit window of a card number. */
function windows(number: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 4 <= number.length; i++) out.push(number.slice(i, i + 4));
  return out;
}

/** What survives of a card number in `text`: any 4 consecutive digits of it, ignoring the `keep` substrings. */
function cardLeftovers(text: string, c: Pick<CardCase, 'cards' | 'keep'>): string[] {
  let rest = text;
  for (const k of c.keep) rest = rest.split(k).join(' ');
  const runs = digitRuns(rest);
  const found: string[] = [];
  for (const n of c.cards) for (const w of windows(n)) if (runs.some((r) => r.includes(w))) found.push(`${n}~${w}`);
  return found;
}

function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

describe('card guard: corpus sanity', () => {
  it('every test number is Luhn-valid and 13-19 digits', () => {
    for (const c of TEST_CARDS) {
      expect(luhnValid(c.number), c.number).toBe(true);
      expect(c.number.length).toBeGreaterThanOrEqual(13);
      expect(c.number.length).toBeLessThanOrEqual(19);
    }
    expect(TEST_CARDS.some((c) => c.number.length === 19)).toBe(true);
    expect(TEST_CARDS.some((c) => c.number.length === 13)).toBe(true);
    expect(grouped('378282246310005', ' ')).toBe('3782 822463 10005');
    expect(grouped('6205500000000000004', '-')).toBe('6205-5000-0000-0000-004');
  });

  it('the leftover check detects a card that was not redacted', () => {
    // Guards the assertion below against passing vacuously.
    const c = { cards: ['4111111111111111'], keep: [] };
    expect(cardLeftovers('card 4111 1111 1111 1111', c)).not.toEqual([]);
    expect(cardLeftovers('card 4111-1111-xxxx', c)).not.toEqual([]);
    expect(cardLeftovers(`card ${CARD_REDACTION}`, c)).toEqual([]);
  });

  it('luhnValid rejects a wrong check digit and non-digits', () => {
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(luhnValid('4111-1111')).toBe(false);
    expect(luhnValid('79927398713')).toBe(true);
  });
});

describe('card guard: real card numbers are redacted', () => {
  it.each(CARD_CASES.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    const out = redactCardData(c.text);
    expect(out.found).toBe(true);
    expect(cardLeftovers(out.text, c), out.text).toEqual([]);
    expect(count(out.text, CARD_REDACTION), out.text).toBe(c.cards.length);
    let rest = out.text;
    for (const k of c.keep) {
      expect(out.text, `kept "${k}"`).toContain(k);
      rest = rest.split(k).join(' ');
    }
    for (const s of c.secrets) expect(rest, `secret "${s}"`).not.toContain(s);
    // scrubCardNumbers is the same redaction, text only.
    expect(scrubCardNumbers(c.text)).toBe(out.text);
  });

  it('keeps the words around the card and marks expiry and security code', () => {
    expect(redactCardData('Pay IN7654321 with 4111 1111 1111 1111 exp 12/29 cvc 123').text).toBe(
      `Pay IN7654321 with ${CARD_REDACTION} exp ${EXPIRY_REDACTION} cvc ${CVC_REDACTION}`,
    );
    expect(redactCardData('4242424242424242 12/2029 CVV: 4567').text).toBe(`${CARD_REDACTION} ${EXPIRY_REDACTION} CVV: ${CVC_REDACTION}`);
    expect(redactCardData('My card number is 378282246310005.').text).toBe(`My card number is ${CARD_REDACTION}.`);
  });
});

describe('card guard: look-alikes are left alone', () => {
  it.each(LOOKALIKES.map((l) => [l.id, l.text] as const))('%s', (_id, text) => {
    const out = redactCardData(text);
    expect(out.text).toBe(text);
    expect(out.found).toBe(false);
  });

  // Look-alikes in a message that does hold a card: the card goes, the look-alike stays. (Excluded:
  // the ones that are themselves a labelled security code or an expiry-like date beside the card.)
  const besideACard = LOOKALIKES.filter((l) => !/cvc words|expiry words|month\/year/.test(l.id));
  it.each(besideACard.map((l) => [l.id, l.text] as const))('%s, in a message with a card', (_id, text) => {
    const message = `Card 4111 1111 1111 1111 exp 12/29 cvc 123. Also: ${text}`;
    const out = redactCardData(message);
    expect(out.found).toBe(true);
    expect(out.text).toBe(`Card ${CARD_REDACTION} exp ${EXPIRY_REDACTION} cvc ${CVC_REDACTION}. Also: ${text}`);
  });

  it('a date beside a card is not taken for an expiry', () => {
    const out = redactCardData('Charge 4242 4242 4242 4242 for the invoice due 2026-11-20 (IN7654321)');
    expect(out.text).toBe(`Charge ${CARD_REDACTION} for the invoice due 2026-11-20 (IN7654321)`);
  });
});

describe('card guard: how runs of digits are split', () => {
  const cases: Array<[string, string, string]> = [
    ['a date right after a spaced card stays', '4242 4242 4242 4242 2026-11-20', `${CARD_REDACTION} 2026-11-20`],
    ['an invoice number right before a spaced card stays', '7654321 4111 1111 1111 1111', `7654321 ${CARD_REDACTION}`],
    ['MM-YY typed as groups after a dashed card', '4111-1111-1111-1111 01-27', `${CARD_REDACTION} ${EXPIRY_REDACTION}`],
    ['expiry before the card', '12/29 4111 1111 1111 1111', `${EXPIRY_REDACTION} ${CARD_REDACTION}`],
    ['spaced slash expiry and a code', '4111 1111 1111 1111 12 / 2029 123', `${CARD_REDACTION} ${EXPIRY_REDACTION} ${CVC_REDACTION}`],
    ['Amex with its 4-digit code', '3782 822463 10005 4567', `${CARD_REDACTION} ${CVC_REDACTION}`],
    ['Amex with MMYY and its 4-digit code', '3782 822463 10005 1229 4567', `${CARD_REDACTION} ${EXPIRY_REDACTION} ${CVC_REDACTION}`],
    ['a bare code after a comma', '4111111111111111, 123', `${CARD_REDACTION}, ${CVC_REDACTION}`],
    ['the last group glued to a word is an identifier', 'ref 1234 4111111111111111abc', 'ref 1234 4111111111111111abc'],
    ['a 4-digit code is not a Visa CVC: the run is a longer number', 'ref 4111 1111 1111 1111 0000', 'ref 4111 1111 1111 1111 0000'],
  ];
  it.each(cases)('%s', (_name, input, expected) => {
    expect(redactCardData(input).text).toBe(expected);
  });

  it('stays fast on long messages made of digit groups', () => {
    for (const text of ['1 '.repeat(2000), '4111 '.repeat(800), '4111111111111111 '.repeat(230), '12/29 '.repeat(600)]) {
      const started = performance.now();
      redactCardData(text);
      expect(performance.now() - started).toBeLessThan(500);
    }
  });
});

/**
 * End to end through the chat API: every corpus message goes in; the stored transcript (API and
 * database), the logs (debug level, prompts logged) and every request the model receives hold no
 * card number. (Kept in this file with the corpus; it needs the test database.)
 */
describe('card guard end to end: chat API, storage, logs, model requests', () => {
  let t: TestApp;
  const requests: string[] = [];
  const logs: string[] = [];
  const ALL_CARDS = TEST_CARDS.map((c) => c.number);

  /** Any 8 consecutive digits of any test card, in any digit run (separators ignored) of `text`. */
  function cardDigitsIn(text: string): string[] {
    const runs = digitRuns(text);
    const hits: string[] = [];
    for (const n of ALL_CARDS) {
      for (let i = 0; i + 8 <= n.length; i++) {
        const w = n.slice(i, i + 8);
        if (runs.some((r) => r.includes(w))) {
          hits.push(`${n}~${w}`);
          break;
        }
      }
    }
    return hits;
  }

  /** The strings in a JSON value (keys included): user text lives there; numbers such as timings do not. */
  function strings(value: unknown, out: string[] = []): string[] {
    if (typeof value === 'string') out.push(value);
    else if (Array.isArray(value)) for (const v of value) strings(v, out);
    else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        out.push(k);
        strings(v, out);
      }
    }
    return out;
  }

  beforeAll(async () => {
    const offline = createOfflineModel({ today: () => TEST_TODAY });
    // The default offline engine, recording every request it receives.
    const model: ChatModel = {
      id: 'offline-recording',
      respond(req, onTextDelta) {
        requests.push(JSON.stringify({ messages: req.messages, tools: req.tools }));
        return offline.respond(req, onTextDelta);
      },
    };
    t = await createTestApp({ LOG_LEVEL: 'debug', LOG_PROMPTS: 'true', CHAT_RATE_LIMIT_PER_MINUTE: '10000' }, { model });
    // Capture everything the app's pino logger (and its request/child loggers) writes.
    const stream = (t.app.log as unknown as Record<symbol, { write: (line: string) => boolean } | undefined>)[pino.symbols.streamSym];
    if (!stream) throw new Error('no pino stream on app.log');
    stream.write = (line: string) => {
      logs.push(line);
      return true;
    };
  });
  afterAll(async () => t?.close());

  it('the checks below detect a card number', () => {
    expect(cardDigitsIn('x 4111 1111 1111 1111 x')).not.toEqual([]);
    expect(cardDigitsIn('{"text":"3782-822463-10005"}')).not.toEqual([]);
    expect(cardDigitsIn(`${CARD_REDACTION} IN7654321 $1,234.56 2026-11-25 R10042`)).toEqual([]);
  });

  it(
    'every corpus message is answered by policy, stored, logged and sent to the model without its card data',
    async () => {
      const headers = await t.auth('R10042');
      const conversations: string[] = [];
      const newConversation = async () => {
        const res = await t.app.inject({ method: 'POST', url: '/v1/chat/conversations', headers });
        expect(res.statusCode, res.body).toBe(201);
        const id = res.json<{ id: string }>().id;
        conversations.push(id);
        return id;
      };
      const send = (id: string, text: string) => t.app.inject({ method: 'POST', url: `/v1/chat/conversations/${id}/messages`, headers, payload: { text } });

      // One conversation per card (and one for the multi-card messages); after every 3 card messages a
      // normal question goes to the model, whose request then carries the redacted history.
      const groups = new Map<string, CardCase[]>();
      for (const c of CARD_CASES) {
        const key = c.cards.length === 1 ? c.cards[0]! : 'multi';
        groups.set(key, [...(groups.get(key) ?? []), c]);
      }
      let policyAnswers = 0;
      let followUps = 0;
      for (const cases of groups.values()) {
        const id = await newConversation();
        for (const [i, c] of cases.entries()) {
          const before = requests.length;
          const res = await send(id, c.text);
          expect(res.statusCode, `${c.id}: ${res.body}`).toBe(200);
          const reply = res.json<{ text: string; cards: Card[]; model: string }>();
          expect(reply.model, c.id).toBe('policy');
          expect(reply.text.startsWith(CARD_POLICY_TEXT), c.id).toBe(true);
          expect(cardDigitsIn(res.body), c.id).toEqual([]);
          // The policy path never calls the model.
          expect(requests.length, c.id).toBe(before);
          // With IN7654321 in the message, the answer carries its secure payment link.
          if (/IN7654321/.test(c.text)) {
            const card = reply.cards.find((x) => x.type === 'invoice');
            expect(card?.type === 'invoice' && card.invoiceNumber, c.id).toBe('IN7654321');
            expect(card?.type === 'invoice' && card.payUrl && t.app.services.links.isMinted(card.payUrl), c.id).toBe(true);
          }
          policyAnswers++;
          if (i % 3 === 2 || i === cases.length - 1) {
            const follow = await send(id, 'Show me invoice IN7654321');
            expect(follow.statusCode, follow.body).toBe(200);
            expect(follow.json<{ model: string }>().model).toBe('offline-recording');
            expect(requests.length).toBeGreaterThan(before);
            followUps++;
          }
        }
      }
      expect(policyAnswers).toBe(CARD_CASES.length);

      // One message over server-sent events too.
      const sseConversation = await newConversation();
      const sse = await t.app.inject({
        method: 'POST',
        url: `/v1/chat/conversations/${sseConversation}/messages`,
        headers: { ...headers, accept: 'text/event-stream' },
        payload: { text: 'Pay IN7654321 with 4111 1111 1111 1111 exp 12/29 cvc 123' },
      });
      expect(sse.statusCode).toBe(200);
      expect(sse.body).toContain('event: completed');
      expect(cardDigitsIn(sse.body)).toEqual([]);
      expect(sse.body).not.toMatch(/12\/29|cvc 123/);

      // The model was asked, and saw the redacted messages (so the check below is not vacuous).
      expect(requests.length).toBeGreaterThanOrEqual(followUps);
      expect(requests.some((r) => r.includes(CARD_REDACTION))).toBe(true);
      for (const r of requests) expect(cardDigitsIn(r)).toEqual([]);

      // The transcript through the API.
      for (const id of conversations) {
        const res = await t.app.inject({ method: 'GET', url: `/v1/chat/conversations/${id}/messages`, headers });
        expect(res.statusCode).toBe(200);
        expect(cardDigitsIn(res.body), id).toEqual([]);
        const messages = res.json<{ messages: Array<{ role: string; text: string }> }>().messages;
        expect(messages.filter((m) => m.role === 'user' && m.text.includes(CARD_REDACTION)).length).toBeGreaterThan(0);
      }

      // The database, directly: messages, tool-call audit, anything stored per conversation.
      const rows = await t.app.services.db.selectFrom('chat_messages').select(['text', 'cards', 'role', 'redacted']).execute();
      expect(rows.length).toBeGreaterThanOrEqual(2 * (CARD_CASES.length + followUps));
      for (const row of rows) expect(cardDigitsIn(`${row.text} ${JSON.stringify(row.cards)}`)).toEqual([]);
      expect(rows.filter((r) => r.role === 'user' && r.redacted).length).toBe(CARD_CASES.length + 1);
      const storedUserTexts = new Set(rows.filter((r) => r.role === 'user').map((r) => r.text));
      for (const c of CARD_CASES) expect(storedUserTexts.has(redactCardData(c.text).text), c.id).toBe(true);
      const audit = await t.app.services.db.selectFrom('tool_call_audit').selectAll().execute();
      expect(audit.length).toBeGreaterThan(0);
      for (const row of audit) expect(cardDigitsIn(strings(row).join('\n'))).toEqual([]);

      // The logs: debug level with prompts logged, so every user message was logged (redacted).
      expect(logs.length).toBeGreaterThan(0);
      const chatLines = logs.filter((l) => l.includes('"msg":"chat message"'));
      expect(chatLines.length).toBe(CARD_CASES.length + followUps + 1);
      expect(chatLines.filter((l) => l.includes(CARD_REDACTION)).length).toBe(CARD_CASES.length + 1);
      for (const line of logs) {
        // Every line is JSON; its strings hold whatever text was logged (numbers are timings and ids).
        expect(cardDigitsIn(strings(JSON.parse(line) as unknown).join('\n')), line).toEqual([]);
        // And the raw line never holds a card number as typed.
        for (const n of ALL_CARDS) for (const form of [n, grouped(n, ' '), grouped(n, '-')]) expect(line).not.toContain(form);
      }
    },
    300_000,
  );
});
