import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { offlineStep } from '../../src/agent/offline/engine.js';
import type { ChatMessage } from '../../src/agent/types.js';
import { formatDate } from '../../src/format/dates.js';
import { formatMoney } from '../../src/format/money.js';
import { BASE_TOOLS, toolSpec } from '../../tools/registry.js';
import { ToolFailure, type ToolContext } from '../../tools/types.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

/**
 * French messages through the whole offline engine (language/message.ts reads them, the composer
 * answers): the replies are French, with fr-CA amounts and dates computed from the fixture, and an
 * English message in the same conversation is answered in English.
 */

const NBSP = '\u00a0';
const specs = BASE_TOOLS.map(toolSpec);
const tools = new Map(BASE_TOOLS.map((x) => [x.name, x]));
let app: TestApp;

beforeAll(async () => {
  app = await createTestApp();
});
afterAll(async () => app.close());

function ctx(): ToolContext {
  const s = app.app.services;
  return { session: { accountId: 'R10042', userId: 'user@r10042.test', userName: null }, conversationId: null, clock: s.clock, billing: s.billing, links: s.links, extras: {} };
}

/** One user turn: offlineStep plans, the real tools run, offlineStep answers. */
async function turn(history: ChatMessage[], text: string): Promise<{ messages: ChatMessage[]; reply: string }> {
  const messages: ChatMessage[] = [...history, { role: 'user', content: text }];
  for (let round = 0; round < 4; round++) {
    const step = offlineStep({ messages, tools: specs }, '2026-11-25');
    if (step.calls.length === 0) {
      messages.push({ role: 'assistant', content: step.text, context: null });
      return { messages, reply: step.text };
    }
    messages.push({ role: 'assistant', content: '', toolCalls: step.calls });
    for (const c of step.calls) {
      let content: unknown;
      try {
        content = (await tools.get(c.name)!.execute(ctx(), tools.get(c.name)!.parameters.parse(JSON.parse(c.arguments)) as never)).result;
      } catch (err) {
        if (!(err instanceof ToolFailure)) throw err;
        content = { error: { code: err.code, message: err.message } };
      }
      messages.push({ role: 'tool', toolCallId: c.id, name: c.name, content: JSON.stringify(content) });
    }
  }
  throw new Error('too many rounds');
}

const money = (cents: bigint) => formatMoney(cents, 'CAD', 'fr-CA');

describe('French messages through the offline engine', () => {
  it('answers "Quel est mon solde ?" with 2 494,96 $ and the French summary', async () => {
    const b = (await app.app.services.billing.balance('R10042'))!;
    const { reply } = await turn([], 'Quel est mon solde ?');
    expect(money(b.balanceCents)).toBe(`2${NBSP}494,96${NBSP}$`);
    expect(reply).toBe(
      `Votre solde actuel est de 2${NBSP}494,96${NBSP}$${NBSP}: ${money(b.outstandingCents)} à payer sur ${b.openCount} factures ouvertes, moins ${money(b.unappliedCreditsCents)} de crédit non appliqué. ` +
        `De ce montant, ${money(b.overdueCents)} est en retard (${b.overdueCount} factures). La prochaine échéance est le ${formatDate(b.nextDueOn, 'fr-CA')}. ` +
        `Souhaitez-vous des liens de paiement sécurisés pour vos factures en retard${NBSP}?`,
    );
  });

  it('shows an invoice in French, then answers English in English and a bare number in the language of the message before', async () => {
    const inv = (await app.app.services.billing.invoice('R10042', 'IN7654321'))!;
    const fr = await turn([], 'Montrez-moi la facture IN7654321');
    expect(fr.reply).toContain(`La facture IN7654321 (émise le ${formatDate(inv.issuedOn, 'fr-CA')}, échéance le 20 nov. 2026) s'élève à ${money(inv.totalCents)}.`);
    const bare = await turn(fr.messages, 'IN7654320');
    expect(bare.reply).toMatch(/^La facture IN7654320 \(émise le /);
    const en = await turn(bare.messages, 'what is my balance?');
    expect(en.reply).toMatch(/^Your current balance is \$2,494\.96: /);
  });

  it('lists paid invoices with French words and a plural', async () => {
    const { reply } = await turn([], 'Montrez-moi mes factures payées');
    expect(reply).toBe(`Vous avez 2 factures payées${NBSP}: IN7653310 et IN7650001.`);
  });
});
