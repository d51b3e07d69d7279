import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/agent/language/analyze.js';
import { frenchTokenizer } from '../../src/agent/language/fr.js';
import { readMessage } from '../../src/agent/language/message.js';
import { resolveMessage, type Intent } from '../../src/agent/offline/resolve.js';

const TODAY = '2026-11-25';
const engine = (text: string) => readMessage(text).engineText;
const intents = (text: string): Intent[] => resolveMessage(engine(text), TODAY, true, null);
const kinds = (text: string) => intents(text).map((i) => i.kind);
/** The tokens a negation's scope covers, as the French tokenizer marks them. */
const negated = (text: string) =>
  frenchTokenizer
    .tokenize(text)
    .filter((t) => t.negated)
    .map((t) => t.value);

describe('French negation is read from its structure', () => {
  it('ne … pas around the verb, with or without pronouns between', () => {
    expect(engine("N'envoyez pas IN7654321 à ap@mycompany.com")).toBe('do not send IN7654321 to ap@mycompany.com');
    expect(engine("Ne l'envoyez pas à accounting@mycompany.com")).toBe('do not send it to accounting@mycompany.com');
    expect(engine('Ne me donnez pas de lien de paiement pour IN7654320')).toBe('do not give me any payment link for IN7654320');
    expect(engine('ne le lui envoyez pas')).toBe('do not send it to him');
  });

  it('ne pas VERB, the spoken VERB pas, and the other particles', () => {
    expect(engine('Ne pas envoyer la facture IN7654320 à ap@mycompany.com')).toBe('do not send the invoice IN7654320 to ap@mycompany.com');
    expect(engine('envoie-la pas à ap@mycompany.com')).toBe('do not send it to ap@mycompany.com');
    expect(engine('je paie pas la IN7654320')).toBe('i do not pay the IN7654320');
    expect(engine("n'envoyez jamais de factures à ap@mycompany.com")).toBe('never send any invoices to ap@mycompany.com');
    expect(engine("n'envoyez plus rien à ap@mycompany.com")).toBe('do not send anything to ap@mycompany.com');
    expect(engine("n'envoyez IN7654321 à personne")).toBe('do not send IN7654321 to anyone');
    expect(engine("n'envoyez IN7654321 ni à ap@mycompany.com ni à accounting@mycompany.com")).toBe('do not send IN7654321 or to ap@mycompany.com or to accounting@mycompany.com');
    expect(engine('on ne paiera pas IN7654321')).toBe('we will not pay IN7654321');
    expect(engine('vous ne devriez pas envoyer IN7654323')).toBe('you should not send IN7654323');
    expect(engine("je n'ai pas encore payé IN7654321")).toBe('i have not yet paid IN7654321');
  });

  it('marks the verb and the rest of its clause, not what comes before or after', () => {
    expect(negated("N'envoyez pas IN7654321 à ap@mycompany.com")).toEqual(['envoyez', 'pas', 'IN7654321', 'à', 'ap@mycompany.com']);
    expect(negated("Montrez-moi IN7654321, mais ne l'envoyez pas")).toEqual(['envoyez', 'pas']);
    expect(negated('envoie-la pas')).toEqual(['envoie', 'la', 'pas']);
    expect(negated('Montrez-moi la facture IN7654321')).toEqual([]);
    // "ne … que" is "only", no negation.
    expect(negated("je n'ai que deux factures")).toEqual([]);
  });

  it('withholds the negated action and keeps the read next to it', () => {
    for (const m of [
      "N'envoyez pas IN7654321 à ap@mycompany.com",
      "n'envoie pas la 7654320 à ap@mycompany.com",
      'nenvoyez pas IN7654320 a accounting@mycompany.com',
      "Pas besoin d'envoyer IN7654321 à ap@mycompany.com",
      'Je préfère ne pas envoyer IN7654322 à accounting@mycompany.com',
      "Évitez d'envoyer IN7654321 à ap@mycompany.com",
      'attendez avant d’envoyer IN7654321 à ap@mycompany.com',
      'Je ne veux pas que vous envoyiez IN7654322 à ap@mycompany.com',
    ]) {
      expect(analyze(m).withholds('email'), m).toBe(true);
      expect(kinds(m), m).not.toContain('email');
    }
    expect(kinds("Montrez-moi IN7654321, mais ne l'envoyez pas")).toEqual(['show']);
    expect(kinds("Montrez-moi IN7654321 sans l'envoyer par courriel")).toEqual(['show', 'withheld']);
    expect(kinds('Je ne veux pas encore payer IN7654321')).toEqual(['withheld']);
    expect(kinds('Je ne veux pas parler à un agent')).toEqual(['withheld']);
  });

  it('reads negated "paid" as unpaid ("pas encore payées", "n\'ont pas été payées")', () => {
    for (const m of ['Quelles factures ne sont pas encore payées?', "Quelles factures n'ont pas été payées ?", 'les factures que je n\'ai pas encore réglées', 'factures non payées', 'factures jamais payées']) {
      expect(kinds(m), m).toEqual(['outstanding']);
    }
    expect(intents('les factures payées')).toEqual([{ kind: 'invoices', status: 'paid', period: null, limit: null, dateField: null, amount: null }]);
  });

  it('a second thought cancels what came before it', () => {
    for (const m of ['Envoyez IN7654321 à ap@mycompany.com. En fait, laissez tomber.', 'envoie IN7654322 à ap@mycompany.com... non attends, annule', 'payer IN7654321 - finalement non, pas aujourd’hui']) {
      expect(kinds(m), m).toEqual(['withheld']);
    }
  });

  it('a hypothesis or a question about how it works asks for nothing', () => {
    expect(analyze("Si j'envoyais IN7654321 à ap@mycompany.com, qu'est-ce qui se passerait ?").withholds('email')).toBe(true);
    expect(analyze('Comment envoyer une facture par courriel ?').withholds('email')).toBe(true);
    expect(analyze("Qu'est-ce qui se passerait si je contestais IN7654321 ?").withholds('followup')).toBe(true);
  });
});
