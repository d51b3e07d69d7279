import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { composeIntent, type ComposeOptions } from '../../src/agent/offline/compose.js';
import { sayIn } from '../../src/agent/offline/compose-common.js';
import { describePeriod } from '../../src/agent/offline/dates.js';
import { offlineStep } from '../../src/agent/offline/engine.js';
import type { CallOutcome } from '../../src/agent/offline/outcomes.js';
import type { Intent } from '../../src/agent/offline/resolve.js';
import type { ChatMessage } from '../../src/agent/types.js';
import { formatDate } from '../../src/format/dates.js';
import { formatMoney } from '../../src/format/money.js';
import { AREAS } from '../../src/i18n/catalogue/index.js';
import type { Messages } from '../../src/i18n/catalogue/types.js';
import { t, type Locale } from '../../src/i18n/index.js';
import { BASE_TOOLS, toolSpec, type AnyTool } from '../../tools/registry.js';
import { ToolFailure, type ToolContext } from '../../tools/types.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

/**
 * The offline engine's replies in French (issue 13): composed from the real tools' results over
 * the fixture (R10042 as of 2026-11-25), amounts and dates from their cents and ISO dates in the
 * reply's locale, whatever locale the cards (the tool context) use.
 */

// The engine's reading of a message is language/message.ts's job; here it is a small table, so
// these tests check how the engine uses it (the reply's language, the text it resolves).
vi.mock('../../src/agent/language/message.js', () => {
  const FRENCH: Record<string, string> = {
    'Quel est mon solde ?': 'what is my balance',
    'Montrez-moi la facture IN7654321': 'show me invoice IN7654321',
  };
  // A bare invoice number says nothing about the language: it takes the conversation's.
  const tells = (text: string) => !/^IN\d{7}$/.test(text);
  return {
    readMessage: (text: string, fallback = 'en') =>
      text in FRENCH ? { language: 'fr', engineText: FRENCH[text] } : { language: tells(text) ? 'en' : fallback, engineText: text },
    conversationLanguage: (earlier: readonly string[]) => {
      const last = [...earlier].reverse().find(tells);
      return last !== undefined && last in FRENCH ? 'fr' : 'en';
    },
  };
});

const NBSP = '\u00a0';
const fr = sayIn('fr-CA');
const en = sayIn('en-CA');
const opts: ComposeOptions = { canEmail: true };

let app: TestApp;
let tools: Map<string, AnyTool>;

beforeAll(async () => {
  app = await createTestApp();
  tools = new Map(BASE_TOOLS.map((x) => [x.name, x]));
});
afterAll(async () => app.close());

function ctx(accountId: string, locale: Locale): ToolContext {
  const s = app.app.services;
  return {
    session: { accountId, userId: `user@${accountId.toLowerCase()}.test`, userName: null },
    conversationId: null,
    clock: s.clock,
    billing: s.billing,
    links: s.links,
    extras: {},
    locale,
  };
}

/** A real tool call, as the engine reads it back (JSON content, or the tool's error). */
async function call(name: string, args: Record<string, unknown>, accountId = 'R10042', locale: Locale = 'en-CA'): Promise<CallOutcome> {
  const tool = tools.get(name)!;
  const parsed = tool.parameters.parse(args) as never;
  try {
    const out = await tool.execute(ctx(accountId, locale), parsed);
    return { name, args, content: JSON.parse(JSON.stringify(out.result)) };
  } catch (err) {
    if (!(err instanceof ToolFailure)) throw err;
    return { name, args, content: { error: { code: err.code, message: err.message } } };
  }
}

const money = (cents: bigint | number, locale: Locale = 'fr-CA') => formatMoney(BigInt(cents), 'CAD', locale);

describe('French replies from the fixture', () => {
  it('states the balance as Intl writes it in fr-CA: 2 494,96 $ with no-break spaces', async () => {
    const b = (await app.app.services.billing.balance('R10042'))!;
    expect(money(b.balanceCents)).toBe(`2${NBSP}494,96${NBSP}$`);
    const reply = composeIntent(fr, { kind: 'balance', focus: 'balance' }, [[await call('getBalance', {})]], opts);
    expect(reply).toContain(`Votre solde actuel est de 2${NBSP}494,96${NBSP}$${NBSP}:`);
    expect(reply).toContain(`${money(b.outstandingCents)} à payer sur ${b.openCount} factures ouvertes, moins ${money(b.unappliedCreditsCents)} de crédit non appliqué`);
    expect(reply).toContain(`De ce montant, ${money(b.overdueCents)} est en retard (${b.overdueCount} factures).`);
    expect(reply).toContain(`La prochaine échéance est le ${formatDate(b.nextDueOn, 'fr-CA')}.`);
    expect(reply).toMatch(/Souhaitez-vous des liens de paiement sécurisés pour vos factures en retard\u00a0\?$/);
    expect(reply).not.toMatch(/[A-Za-z]+ (?:is|are|the|your)\b|\$\d/);
  });

  it('does not depend on the cards locale: the same French (and English) reply from en-CA and fr-CA tool results', async () => {
    for (const [name, args, intent] of [
      ['getBalance', {}, { kind: 'balance', focus: 'balance' }],
      ['listOutstanding', { limit: null }, { kind: 'outstanding', limit: null }],
      ['listPayments', { from: null, to: null, limit: null }, { kind: 'payments', period: null, limit: null }],
      ['listCredits', {}, { kind: 'credits' }],
      ['getInvoice', { invoiceNumber: 'IN7654322' }, { kind: 'show', numbers: ['IN7654322'] }],
    ] as Array<[string, Record<string, unknown>, Intent]>) {
      const fromEn = await call(name, args, 'R10042', 'en-CA');
      const fromFr = await call(name, args, 'R10042', 'fr-CA');
      for (const say of [fr, en]) expect(composeIntent(say, intent, [[fromFr]], opts), `${name} in ${say.locale}`).toBe(composeIntent(say, intent, [[fromEn]], opts));
    }
  });

  it('describes one invoice with French status, dates like "20 nov. 2026" and amounts', async () => {
    const inv = (await app.app.services.billing.invoice('R10042', 'IN7654321'))!;
    expect(formatDate(inv.dueOn, 'fr-CA')).toBe('20 nov. 2026');
    const reply = composeIntent(fr, { kind: 'show', numbers: ['IN7654321'] }, [[await call('getInvoice', { invoiceNumber: 'IN7654321' })]], opts);
    expect(reply).toContain(
      `La facture IN7654321 (émise le ${formatDate(inv.issuedOn, 'fr-CA')}, échéance le 20 nov. 2026) s'élève à ${money(inv.totalCents)}. Statut${NBSP}: En retard.`,
    );
    expect(reply).toContain(`Montant dû${NBSP}: ${money(inv.amountDueCents)}.`);
    expect(reply).toContain(`Ubiquiti UniFi U7 Pro access points (${money(inv.lines[0]!.amountCents)})`);
  });

  it('says what was applied to a partially paid invoice, and its combined status', async () => {
    const inv = (await app.app.services.billing.invoice('R10042', 'IN7654322'))!;
    const pay = inv.payments[0]!;
    const shown = composeIntent(fr, { kind: 'show', numbers: ['IN7654322'] }, [[await call('getInvoice', { invoiceNumber: 'IN7654322' })]], opts);
    expect(shown).toContain(`Statut${NBSP}: En retard (partiellement payée).`);
    expect(shown).toContain(
      `Montant déjà appliqué${NBSP}: paiement ${pay.number} (${money(pay.amountCents)}, ${formatDate(pay.receivedOn, 'fr-CA')})${NBSP}; il reste donc ${money(inv.amountDueCents)} à payer.`,
    );
    const link = composeIntent(fr, { kind: 'pay', numbers: ['IN7654322'], cardNote: false }, [[await call('createPaymentLink', { invoiceNumber: 'IN7654322' })]], opts);
    expect(link).toContain(`Voici un lien de paiement sécurisé pour IN7654322 (En retard, partiellement payée, ${money(inv.amountDueCents)} à payer)${NBSP}:`);
  });

  it('lists invoices with French statuses, agreement and "et"', async () => {
    const all = await call('listInvoices', { status: null, from: null, to: null, dateField: null, over: null, under: null, limit: null });
    expect(composeIntent(fr, { kind: 'invoices', status: null, period: null, limit: null, dateField: null }, [[all]], opts)).toBe(
      'Vous avez 6 factures. 2 sont à payer, 2 en retard et 2 payées.',
    );
    const paid = await call('listInvoices', { status: 'paid', from: null, to: null, dateField: null, over: null, under: null, limit: null });
    expect(composeIntent(fr, { kind: 'invoices', status: 'paid', period: null, limit: null, dateField: null }, [[paid]], opts)).toBe(
      `Vous avez 2 factures payées${NBSP}: IN7653310 et IN7650001.`,
    );
    const overdue = await call('listInvoices', { status: 'overdue', from: null, to: null, dateField: null, over: null, under: null, limit: 1 });
    const inv = (await app.app.services.billing.invoice('R10042', 'IN7654321'))!;
    expect(composeIntent(fr, { kind: 'invoices', status: 'overdue', period: null, limit: 1, dateField: null }, [[overdue]], opts)).toBe(
      `Votre facture en retard la plus récente est IN7654321 (En retard), émise le ${formatDate(inv.issuedOn, 'fr-CA')}, ${money(inv.amountDueCents)} à payer, échéance le 20 nov. 2026.`,
    );
  });

  it('names the period in French, with the participle agreeing with the count', async () => {
    const october = { from: '2026-10-01', to: '2026-10-31' };
    expect(describePeriod({ from: '2026-03-01', to: '2026-03-31' }, 'fr-CA')).toBe('en mars 2026');
    expect(describePeriod({ from: '2026-03-01', to: '2026-03-31' })).toBe('in March 2026');
    expect(describePeriod({ from: '2026-09-01', to: '2026-10-15' }, 'fr-CA')).toBe('du 1 sept. 2026 au 15 oct. 2026');
    expect(describePeriod({ from: '2026-09-01', to: null }, 'fr-CA')).toBe('depuis le 1 sept. 2026');
    const listed = await call('listInvoices', { status: null, ...october, dateField: null, over: null, under: null, limit: null });
    expect(composeIntent(fr, { kind: 'invoices', status: null, period: october, limit: null, dateField: null }, [[listed]], opts)).toMatch(
      /^Vous avez 2 factures émises en octobre 2026\u00a0: IN7654321 et IN7654322\. /,
    );
    const none = await call('listInvoices', { status: 'paid', from: '2026-03-01', to: '2026-03-31', dateField: null, over: null, under: null, limit: null });
    expect(composeIntent(fr, { kind: 'invoices', status: 'paid', period: { from: '2026-03-01', to: '2026-03-31' }, limit: null, dateField: null }, [[none]], opts)).toBe(
      "Je n'ai trouvé aucune facture payée émise en mars 2026.",
    );
  });

  it('uses French plural forms (one for 0 and 1, other above) through i18next count', async () => {
    const r20077 = composeIntent(fr, { kind: 'outstanding', limit: null }, [[await call('listOutstanding', { limit: null }, 'R20077')]], opts);
    expect(r20077).toMatch(/^Vous avez 1 facture impayée, soit [\d\u00a0,]+\u00a0\$ à payer au total\u00a0: IN8800001\. Aucune n'est encore en retard\u00a0; pour la payer, /);
    const r10042 = composeIntent(fr, { kind: 'outstanding', limit: null }, [[await call('listOutstanding', { limit: null })]], opts);
    expect(r10042).toMatch(/^Vous avez 4 factures impayées, soit /);
    expect(r10042).toContain(`IN7654321 et IN7654322 sont en retard${NBSP}; pour en payer une, `);
    expect(t('fr-CA', 'engine.invoices.kind.paid', { count: 0 })).toBe('facture payée');
    expect(t('en-CA', 'engine.invoices.kind.paid', { count: 0 })).toBe('paid invoices');
    expect(t('fr-CA', 'engine.invoices.kind.paid', { count: 1_000_000 })).toBe('factures payées');
    const credits = composeIntent(fr, { kind: 'credits' }, [[await call('listCredits', {})]], opts);
    expect(credits).toContain(`Vos 2 notes de crédit${NBSP}: CM-100202 (disponible${NBSP}: ${money(7500)}) et CM-100201 (appliquée à IN7653310).`);
  });

  it('writes payments with French methods, dates and totals', async () => {
    const payments = (await app.app.services.billing.payments('R10042', {}, { limit: 20, offset: 0 })).items;
    const total = payments.reduce((s, p) => s + p.amountCents, 0n);
    const reply = composeIntent(fr, { kind: 'payments', period: null, limit: null }, [[await call('listPayments', { from: null, to: null, limit: null })]], opts);
    expect(reply).toBe(`Vous avez effectué 3 paiements, soit ${money(total)} au total${NBSP}: ${payments.map((p) => p.number).join(', ').replace(/, (?=[^,]*$)/, ' et ')}.`);
    const cheque = payments.find((p) => p.method === 'Cheque')!;
    const one = composeIntent(fr, { kind: 'payments', period: null, limit: 1, refs: [] }, [[await call('listPayments', { from: null, to: null, limit: 1 })]], opts);
    expect(one).toBe(`Votre paiement le plus récent est ${cheque.number} du ${formatDate(cheque.receivedOn, 'fr-CA')}, ${money(cheque.amountCents)} par chèque, pour IN7654322.`);
  });

  it('answers errors, questions and fixed texts in French', async () => {
    const missing = await call('getInvoice', { invoiceNumber: 'IN1234567' });
    expect(composeIntent(fr, { kind: 'show', numbers: ['IN1234567'] }, [[missing]], opts)).toMatch(/^Je n'ai pas trouvé la facture IN1234567 dans votre compte\./);
    expect(composeIntent(fr, { kind: 'ask', action: 'pay', options: ['IN7654321', 'IN7654322'], to: null }, [], opts)).toBe(
      `Quelle facture souhaitez-vous payer${NBSP}: IN7654321 ou IN7654322${NBSP}?`,
    );
    expect(composeIntent(fr, { kind: 'policy', topic: 'fee' }, [], opts)).toContain(`Les frais de 50,00${NBSP}$ sont les frais d'ouverture de compte uniques.`);
    const help = composeIntent(fr, { kind: 'help' }, [], opts);
    expect(help).toContain(`Je peux${NBSP}:\n- vérifier votre solde`);
    expect(help).toContain("- envoyer par courriel une copie PDF d'une facture");
    expect(composeIntent(fr, { kind: 'help' }, [], { canEmail: false })).not.toContain('courriel');
  });

  it('says when an email was sent in the billing time zone the result names, in the reply language', () => {
    const result = { invoiceNumber: 'IN7654321', to: 'ap@mycompany.com', status: 'sent', duplicate: false, sentAt: '2026-11-25T14:30:00.000Z', sentAtText: 'Nov 25, 2026, 9:30 a.m. EST', message: 'Emailed.' };
    const sent = (extra: object): CallOutcome => ({ name: 'emailInvoicePdf', args: { invoiceNumber: 'IN7654321', to: 'ap@mycompany.com' }, content: { ...result, ...extra } });
    const intent: Intent = { kind: 'email', number: 'IN7654321', to: 'ap@mycompany.com' };
    const zoned = sent({ timeZone: 'America/Toronto' });
    expect(composeIntent(en, intent, [[zoned]], opts)).toBe("Done: I've emailed a PDF copy of IN7654321 to ap@mycompany.com at Nov 25, 2026, 9:30 a.m. EST.");
    expect(composeIntent(fr, intent, [[zoned]], opts)).toMatch(/^C'est fait\u00a0: j'ai envoyé une copie PDF de IN7654321 par courriel à ap@mycompany\.com le 25 nov\. 2026, 0?9\s?h\s?30\s?HNE\.$/);
    // Without a zone only the tool's English text can say when.
    expect(composeIntent(en, intent, [[sent({})]], opts)).toBe("Done: I've emailed a PDF copy of IN7654321 to ap@mycompany.com at Nov 25, 2026, 9:30 a.m. EST.");
    expect(composeIntent(fr, intent, [[sent({})]], opts)).toBe(`C'est fait${NBSP}: j'ai envoyé une copie PDF de IN7654321 par courriel à ap@mycompany.com.`);
  });
});

describe('the engine answers in the language of each message', () => {
  const specs = BASE_TOOLS.map(toolSpec);

  /** One user turn through offlineStep, its tool calls run for real. */
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
        const o = await call(c.name, JSON.parse(c.arguments) as Record<string, unknown>);
        messages.push({ role: 'tool', toolCallId: c.id, name: c.name, content: JSON.stringify(o.content) });
      }
    }
    throw new Error('too many rounds');
  }

  it('answers a French question in French after English ones, then English again; a bare number in the conversation\'s language', async () => {
    const first = await turn([], 'What is my balance?');
    expect(first.reply).toMatch(/^Your current balance is \$2,494\.96: /);
    const second = await turn(first.messages, 'Quel est mon solde ?');
    expect(second.reply).toMatch(new RegExp(`^Votre solde actuel est de 2${NBSP}494,96${NBSP}\\$${NBSP}: `));
    const third = await turn(second.messages, 'Montrez-moi la facture IN7654321');
    expect(third.reply).toContain('échéance le 20 nov. 2026');
    const fourth = await turn(third.messages, 'IN7654323');
    expect(fourth.reply).toMatch(/^La facture IN7654323 \(émise le /);
    const fifth = await turn(fourth.messages, 'show me invoice IN7654322');
    expect(fifth.reply).toMatch(/^Invoice IN7654322 \(issued /);
    const sixth = await turn(fifth.messages, 'IN7654320');
    expect(sixth.reply).toMatch(/^Invoice IN7654320 \(issued /);
  });

  it('gives the first-turn help in English when there is no message', () => {
    expect(offlineStep({ messages: [], tools: specs }, '2026-11-25').text).toMatch(/^I'm your Billing Assistant for the Reseller Portal\./);
  });
});

describe('the engine catalogue', () => {
  function flatten(m: Messages, prefix: string, out: Array<[string, string]> = []): Array<[string, string]> {
    for (const [k, v] of Object.entries(m)) {
      if (typeof v === 'string') out.push([`${prefix}.${k}`, v]);
      else flatten(v, `${prefix}.${k}`, out);
    }
    return out;
  }

  it('writes French with a no-break space before : ; ! ? » and after «', () => {
    const problems = flatten(AREAS.engine['fr-CA'], 'engine').filter(([, v]) => /[^\u00a0\u202f][:;!?»]|«[^\u00a0\u202f]|^[:;!?»]/.test(v.replace(/\{\{[^}]*\}\}/g, 'x')));
    expect(problems).toEqual([]);
  });

  it('uses vouvoiement and Canadian French words', () => {
    const text = flatten(AREAS.engine['fr-CA'], 'engine').map(([, v]) => v).join('\n');
    expect(text).not.toMatch(/(?<!\p{L})(?:tu|te|ton|ta|tes|toi|e-?mail|chat)(?!\p{L})/iu);
  });
});
