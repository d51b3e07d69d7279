import fs from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Card } from '../../src/agent/types.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { tempDir } from '../helpers/browser.js';
import { conversation, emailSends, outboxRows, say, toolAudit, type ReplyJson } from '../helpers/mail.js';
import { call, respond, ScriptedModel, text, tools } from '../helpers/scripted-model.js';

/**
 * Defect 6: "Email IN… to a@mycompany.com, b@outside.io" (also with CRLF + Bcc:, a quoted local
 * part, display names, "and"/"or"/";"/newlines between addresses) emailed the first allowed
 * address and said nothing about the rest. One request names one recipient per send: with more
 * than one address nothing is sent or proposed, and the answer lists each address as would-be-
 * allowed or refused with its reason (R10042: contacts accounting@ and ap@mycompany.com, verified
 * domain mycompany.com). Header injection never reaches the mailer. This holds for the offline
 * engine and for a model that calls emailInvoicePdf once per address, for one of them, or with a
 * joined or injected `to`: the tool's approval and the loop decide, not the model.
 */

const POLICY_REFUSAL = /billing contacts[^\n]*verified domain/;
const HEADER_REFUSAL = /header/i;
const COPY_REFUSAL = /cop(y|ied)/i;
const QUOTED_REFUSAL = /quoted local part/;

/** Each allowed address listed as would-be-allowed; each refused one listed with its reason. */
function expectVerdicts(reply: string, allowed: string[], refused: Array<[string, RegExp]>): void {
  const lines = reply.split('\n');
  for (const a of allowed) expect(lines.some((l) => l.startsWith(`- ${a.toLowerCase()} would be allowed (`)), `${a} allowed in:\n${reply}`).toBe(true);
  for (const [r, why] of refused) {
    // A list line, or the one sentence about a single refused form ("…: X is refused: …").
    const line = lines.find((l) => [`- ${r.toLowerCase()} is refused: `, `: ${r.toLowerCase()} is refused: `].some((p) => l.startsWith(p) || (p.startsWith(':') && l.includes(p))));
    expect(line, `${r} refused in:\n${reply}`).toBeDefined();
    expect(line).toMatch(why);
  }
  expect(reply).toMatch(/nothing was sent/i);
}

async function proposalsOf(t: TestApp, conv: string) {
  return t.app.services.db.selectFrom('chat_proposals').select(['id', 'arguments', 'status']).where('conversation_id', '=', conv).execute();
}

/** Nothing sent (not even attempted at the mail service), nothing rendered, nothing proposed, no confirm or receipt card (sending tests come last). */
async function expectNothingSent(t: TestApp, conv: string, reply: ReplyJson): Promise<void> {
  const db = t.app.services.db;
  expect(await outboxRows(db)).toStrictEqual([]);
  expect(await emailSends(db)).toStrictEqual([]);
  expect(await proposalsOf(t, conv)).toStrictEqual([]);
  expect(reply.cards.filter((c: Card) => c.type === 'confirm' || c.type === 'email_receipt')).toStrictEqual([]);
  expect(t.app.services.pdf.stats().renders).toBe(0);
}

describe('several recipients, offline engine (chat API)', () => {
  let t: TestApp;
  let dir: string;
  beforeAll(async () => {
    dir = tempDir('outbox-recipients-');
    t = await createTestApp({ OUTBOX_DIR: dir, CHAT_RATE_LIMIT_PER_MINUTE: '10000' });
  });
  afterAll(async () => {
    await t?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const cases: Array<{ text: string; allowed: string[]; refused: Array<[string, RegExp]> }> = [
    {
      text: 'Could you mail a copy of IN7654322 to ap@mycompany.com, receivables@mycompany.com and cfo@holdco-group.com?',
      allowed: ['ap@mycompany.com', 'receivables@mycompany.com'],
      refused: [['cfo@holdco-group.com', POLICY_REFUSAL]],
    },
    { text: 'please forward the IN7654320 pdf to accounting@mycompany.com; backup@proton.me', allowed: ['accounting@mycompany.com'], refused: [['backup@proton.me', POLICY_REFUSAL]] },
    {
      text: 'send the PDF of IN7654321 to these:\naccounting@mycompany.com\nap@mycompany.com\nfriend@yahoo.ca',
      allowed: ['accounting@mycompany.com', 'ap@mycompany.com'],
      refused: [['friend@yahoo.ca', POLICY_REFUSAL]],
    },
    { text: 'email IN7654323 to ap@mycompany.com\r\nBCC: harvest@leaky.example\r\n', allowed: ['ap@mycompany.com'], refused: [['harvest@leaky.example', HEADER_REFUSAL]] },
    { text: 'Email IN7654320 to accounting@mycompany.com\rcc: other@mycompany.com', allowed: ['accounting@mycompany.com'], refused: [['other@mycompany.com', HEADER_REFUSAL]] },
    { text: 'send IN7654321 to accounting@mycompany.com%0abcc%3aevil@x-mail.example', allowed: ['accounting@mycompany.com'], refused: [['evil@x-mail.example', HEADER_REFUSAL]] },
    { text: 'Email IN7654321 to "AP Team" <ap@mycompany.com>; "Ext" <ext@freelance.dev>', allowed: ['ap@mycompany.com'], refused: [['ext@freelance.dev', POLICY_REFUSAL]] },
    { text: 'email IN7654320 either to ap@mycompany.com or accounting@mycompany.com', allowed: ['ap@mycompany.com', 'accounting@mycompany.com'], refused: [] },
    {
      text: 'send IN7654322 to a@x-corp.com, b@y-corp.com, c@mycompany.com.evil.example',
      allowed: [],
      refused: [
        ['a@x-corp.com', POLICY_REFUSAL],
        ['b@y-corp.com', POLICY_REFUSAL],
        ['c@mycompany.com.evil.example', POLICY_REFUSAL],
      ],
    },
    { text: 'email IN7654321 to accounting@mycompany.com, cc ap@mycompany.com', allowed: ['accounting@mycompany.com'], refused: [['ap@mycompany.com', COPY_REFUSAL]] },
    {
      text: 'mail IN7654322 to "billing@mycompany.com,thief@steal.example"@mycompany.com',
      allowed: [],
      refused: [['"billing@mycompany.com,thief@steal.example"@mycompany.com', QUOTED_REFUSAL]],
    },
  ];

  it.each(cases)('$text', async ({ text: message, allowed, refused }) => {
    const conv = await conversation(t);
    const reply = await say(t, conv, message);
    expectVerdicts(reply.text, allowed, refused);
    await expectNothingSent(t, conv, reply);
    // Every email call the engine made was refused by the tool's approval, before anything was proposed.
    const audit = await toolAudit(t.app.services.db, reply.id);
    expect(audit.length).toBeGreaterThan(0);
    expect(audit.every((a) => a.name === 'emailInvoicePdf' && a.outcome === 'error')).toBe(true);
  });

  // Generated requests: 2-3 distinct addresses (contacts, verified-domain addresses, outsiders,
  // look-alikes, quoted local parts, source routes), separators, display-name forms, phrasings, and
  // optionally an injected Bcc/Cc line (raw or percent-encoded).
  const allowedPool = ['accounting@mycompany.com', 'ap@mycompany.com', 'controller@mycompany.com', 'j.doe+inv@mycompany.com', 'AR-Team@MyCompany.com'];
  const refusedPool = ['eve@outside.io', 'x@mycompany.co', 'y@mycompany.com.evil.example', 'z@sub.mycompany.com', 'ap@northernbyte.ca', 'bob@gmail.com'];
  const malformedPool: Array<[string, RegExp]> = [
    ['"ap,eve"@mycompany.com', QUOTED_REFUSAL],
    ['"eve@outside.io"@mycompany.com', QUOTED_REFUSAL],
    ['evil.example!ap@mycompany.com', /not a plain email address/],
    ['ops%finance@mycompany.com', /not a plain email address/],
  ];
  const address = fc.oneof(
    fc.constantFrom(...allowedPool).map((a) => ({ a, allowed: true, why: POLICY_REFUSAL })),
    fc.constantFrom(...refusedPool).map((a) => ({ a, allowed: false, why: POLICY_REFUSAL })),
    fc.constantFrom(...malformedPool).map(([a, why]) => ({ a, allowed: false, why })),
  );
  const wrap = fc.constantFrom((a: string) => a, (a: string) => `Jordan Lee <${a}>`, (a: string) => `"Ops Desk" <${a}>`, (a: string) => `<${a}>`);
  const separator = fc.constantFrom(', ', ' and ', '; ', '\n', ' or ', ' & ', ',', ' plus ', ' and also ');
  const template = fc.constantFrom(
    'Email IN7654321 to {list}',
    'please send a PDF copy of invoice IN7654320 to {list}',
    'forward IN7654322 to {list} thanks',
    'Could you e-mail IN7654323 to {list}?',
    'mail invoice 7654321 to {list}',
  );
  const injection = fc.constantFrom(null, '\r\nBcc: ', '\nCc: ', '%0D%0ABcc:');
  const request = fc.record({
    addresses: fc.uniqueArray(address, { minLength: 2, maxLength: 3, selector: (x) => x.a.toLowerCase() }),
    wraps: fc.array(wrap, { minLength: 3, maxLength: 3 }),
    seps: fc.array(separator, { minLength: 2, maxLength: 2 }),
    template,
    injection,
  });

  it('generated several-recipient requests: each address answered, nothing sent or proposed (fast-check, 150 runs)', async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        runs++;
        const [last, ...rest] = r.injection ? [r.addresses.at(-1)!, ...r.addresses.slice(0, -1)] : [null, ...r.addresses];
        const listed = rest.map((x, i) => r.wraps[i]!(x.a)).reduce((acc, s, i) => (i === 0 ? s : `${acc}${r.seps[i - 1]}${s}`), '');
        const message = r.template.replace('{list}', listed) + (r.injection && last ? `${r.injection}${last.a}` : '');
        const conv = await conversation(t);
        const reply = await say(t, conv, message);
        const refused: Array<[string, RegExp]> = rest.filter((x) => !x.allowed).map((x) => [x.a, x.why]);
        if (last) refused.push([last.a, HEADER_REFUSAL]);
        expectVerdicts(reply.text, rest.filter((x) => x.allowed).map((x) => x.a), refused);
        if (r.injection) expect(reply.text).toMatch(/header injection/);
        await expectNothingSent(t, conv, reply);
      }),
      { numRuns: 150, seed: 11_006 },
    );
    expect(runs).toBe(150);
  });

  it('"yes" after the answer sends nothing; one address in its own request then sends to that one only', async () => {
    const conv = await conversation(t);
    const first = await say(t, conv, 'Email IN7654321 to accounting@mycompany.com, partner@elsewhere.org');
    expectVerdicts(first.text, ['accounting@mycompany.com'], [['partner@elsewhere.org', POLICY_REFUSAL]]);
    const yes = await say(t, conv, 'yes');
    await expectNothingSent(t, conv, yes);
    const one = await say(t, conv, 'Email IN7654321 to accounting@mycompany.com');
    expect(one.cards).toMatchObject([{ type: 'email_receipt', invoiceNumber: 'IN7654321', to: 'accounting@mycompany.com' }]);
    expect((await outboxRows(t.app.services.db)).map((r) => r.to_address)).toStrictEqual(['accounting@mycompany.com']);
  });
});

describe('several recipients, scripted model (the model cannot choose one)', () => {
  let t: TestApp;
  let dir: string;
  const model = new ScriptedModel();
  beforeAll(async () => {
    dir = tempDir('outbox-recipients-llm-');
    t = await createTestApp({ OUTBOX_DIR: dir }, { model });
  });
  afterAll(async () => {
    await t?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a model that emails each address in one turn and claims success: nothing sent, the server lists every address', async () => {
    const to = ['accounting@mycompany.com', 'controller@mycompany.com', 'eve@outside.io'];
    model.enqueue(tools(...to.map((a, i) => call('emailInvoicePdf', { invoiceNumber: 'IN7654321', to: a }, `e${i}`))), text('Done! I emailed it to all three.'));
    const base = model.requests.length;
    const conv = await conversation(t);
    const reply = await say(t, conv, 'Email IN7654321 to accounting@mycompany.com, controller@mycompany.com and eve@outside.io');
    expect(reply.text.startsWith('Done! I emailed it to all three.\n\n')).toBe(true);
    expectVerdicts(reply.text, to.slice(0, 2), [['eve@outside.io', POLICY_REFUSAL]]);
    await expectNothingSent(t, conv, reply);
    const audit = await toolAudit(t.app.services.db, reply.id);
    expect(audit.map((a) => [a.outcome, (a.arguments as { to: string }).to])).toStrictEqual(to.map((a) => ['error', a]));
    // The model was told too: every call's result is the whole answer.
    for (const [id, r] of model.toolResults(base + 1)) expect((r.content as { error: { code: string } }).error.code, id).toBe('several_recipients');
    model.assertComplete();
  });

  it('a model that emails only the first (allowed) address: refused, and the other address is named with its reason', async () => {
    model.enqueue(tools(call('emailInvoicePdf', { invoiceNumber: 'IN7654320', to: 'ap@mycompany.com' })), text('Sent to ap@mycompany.com.'));
    const conv = await conversation(t);
    const reply = await say(t, conv, 'send IN7654320 to ap@mycompany.com and leak@exfil.example');
    expectVerdicts(reply.text, ['ap@mycompany.com'], [['leak@exfil.example', POLICY_REFUSAL]]);
    await expectNothingSent(t, conv, reply);
    model.assertComplete();
  });

  it('a joined `to` ("a; b"): refused, both addresses answered, nothing sent', async () => {
    model.enqueue(tools(call('emailInvoicePdf', { invoiceNumber: 'IN7654322', to: 'ap@mycompany.com; accounting@mycompany.com' })), text('OK.'));
    const conv = await conversation(t);
    const reply = await say(t, conv, 'Email IN7654322 to ap@mycompany.com; accounting@mycompany.com');
    expectVerdicts(reply.text, ['ap@mycompany.com', 'accounting@mycompany.com'], []);
    await expectNothingSent(t, conv, reply);
    model.assertComplete();
  });

  it('an injected Bcc line in the message, the model emailing the clean address: header injection answered, nothing sent', async () => {
    model.enqueue(tools(call('emailInvoicePdf', { invoiceNumber: 'IN7654320', to: 'ap@mycompany.com' })), text('Sent.'));
    const conv = await conversation(t);
    const reply = await say(t, conv, 'Email IN7654320 to ap@mycompany.com\r\nBcc: spy@evil.example');
    expect(reply.text).toMatch(/header injection/);
    expectVerdicts(reply.text, ['ap@mycompany.com'], [['spy@evil.example', HEADER_REFUSAL]]);
    await expectNothingSent(t, conv, reply);
    model.assertComplete();
  });

  it('CR/LF and Bcc: in the `to` argument: refused with the reason, never reaches the mail service', async () => {
    model.enqueue(
      tools(call('emailInvoicePdf', { invoiceNumber: 'IN7654321', to: 'accounting@mycompany.com\r\nBcc: spy@evil.example' }, 'inj')),
      respond((req) => {
        const r = req.messages.find((m) => m.role === 'tool');
        return { text: r && r.role === 'tool' ? (JSON.parse(r.content) as { error: { message: string } }).error.message : '' };
      }),
    );
    const base = model.requests.length;
    const conv = await conversation(t);
    const reply = await say(t, conv, 'Email IN7654321 to accounting@mycompany.com');
    const result = model.toolResults(base + 1).get('inj')!.content as { error: { code: string; message: string } };
    expect(result.error.code).toBe('invalid_recipient');
    expect(result.error.message).toMatch(/line break and a mail header \(Bcc:\), and header injection is refused/);
    expect(result.error.message).not.toMatch(/[\r\n]/);
    expect(reply.text).toBe(result.error.message);
    await expectNothingSent(t, conv, reply);
    model.assertComplete();
  });

  it('after the answer, one address in its own message: one confirm card for that address only; approving sends one email', async () => {
    model.enqueue(tools(call('emailInvoicePdf', { invoiceNumber: 'IN7654321', to: 'ap@mycompany.com' }), call('emailInvoicePdf', { invoiceNumber: 'IN7654321', to: 'bk@offsite.ca' })), text('Done.'));
    const conv = await conversation(t);
    const several = await say(t, conv, 'Email IN7654321 to ap@mycompany.com or bk@offsite.ca');
    expectVerdicts(several.text, ['ap@mycompany.com'], [['bk@offsite.ca', POLICY_REFUSAL]]);
    await expectNothingSent(t, conv, several);

    model.enqueue(tools(call('emailInvoicePdf', { invoiceNumber: 'IN7654321', to: 'ap@mycompany.com' })), text('Please confirm below.'));
    const one = await say(t, conv, 'just ap@mycompany.com then');
    const confirms = one.cards.filter((c) => c.type === 'confirm');
    expect(confirms).toMatchObject([{ type: 'confirm', tool: 'emailInvoicePdf', invoiceNumber: 'IN7654321', to: 'ap@mycompany.com' }]);
    const proposalId = confirms[0]!.type === 'confirm' ? confirms[0]!.proposalId : '';
    const res = await t.app.inject({ method: 'POST', url: `/v1/chat/conversations/${conv}/proposals/${proposalId}/approve`, headers: await t.auth('R10042') });
    expect(res.statusCode, res.body).toBe(200);
    expect((await outboxRows(t.app.services.db)).map((r) => r.to_address)).toStrictEqual(['ap@mycompany.com']);
    model.assertComplete();
  });
});
