import { describe, expect, it } from 'vitest';
import { recipientSpans } from '../../src/mail/recipients.js';
import { entryAt, frenchTypo, tokenizeFr } from '../../src/agent/language/fr.js';
import { readFrench } from '../../src/agent/language/fr-read.js';

/** The French reader: French in, the engine's concept vocabulary out. */
describe('the French reader', () => {
  it('splits elisions and hyphenated words with the library tokenizer, and keeps what the engine reads as typed', () => {
    const text = "qu'est-ce que j'ai payé ? Envoyez-la à ap@mycompany.com";
    const toks = tokenizeFr(text, recipientSpans(text));
    expect(toks.map((t) => t.value)).toEqual(['qu', 'est', 'ce', 'que', 'j', 'ai', 'payé', '?', 'Envoyez', 'la', 'à', 'ap@mycompany.com']);
    expect(toks.filter((t) => t.elided).map((t) => t.value)).toEqual(['qu', 'j']);
    expect(toks.filter((t) => t.hyphen).map((t) => t.value)).toEqual(['ce', 'la']);
    expect(toks.at(-1)).toMatchObject({ kind: 'kept', keep: 'email' });
    expect(readFrench('montrez IN-7654321, no 7654320 et #7654322 pour R20077')).toBe('show IN-7654321, 7654320 and #7654322 for R20077');
  });

  it('writes amounts and dates the way the engine reads them', () => {
    expect(readFrench('plus de 2 494,96 $')).toBe('over $2,494.96');
    expect(readFrench('moins de 1000$')).toBe('under $1,000');
    expect(readFrench('plus de 500 dollars')).toBe('over $500');
    expect(readFrench('depuis le 01/10/2026')).toBe('since 2026-10-01');
  });

  it('reads words typed without accents, run together, or with a typo', () => {
    expect(readFrench('factures impayees')).toBe('unpaid invoices');
    expect(readFrench('echeance de la IN7654320')).toBe('due date of the IN7654320');
    expect(readFrench('mes factur impayé')).toBe('my unpaid invoices');
    expect(readFrench('mes paiments svp')).toBe('my payments please');
    expect(readFrench('quel est mon sole')).toBe('what is my balance');
    expect(readFrench('jai des factures en retard ?')).toBe('do i have any overdue invoices?');
    expect(readFrench('nenvoi pas la IN7654321')).toBe('do not send the IN7654321');
    expect(frenchTypo('facure')).toBe('facture');
    expect(frenchTypo('montreal')).toBeNull();
  });

  it('prefers the word whose accents were typed ("dû" is not "du", "où" not "ou", "payé" not "paye")', () => {
    expect(readFrench("qu'est-ce qui est dû le mois prochain ?")).toBe('what is due next month?');
    expect(readFrench('factures du mois dernier')).toBe('invoices from last month');
    expect(readFrench('mes crédits et où ils ont été appliqués')).toBe('my credits and where they have been applied');
    expect(readFrench("Qu'est-ce que j'ai payé ?")).toBe('what have i paid?');
    const toks = tokenizeFr('il a payé', []);
    expect(entryAt(toks, 2)?.form).toBe('pp');
  });

  it('puts pronouns after their verb and reads questions in English order', () => {
    expect(readFrench('je vous dois combien ?')).toBe('do i owe you how much?');
    expect(readFrench("pouvez-vous me l'envoyer ?")).toBe('can you send it to me?');
    expect(readFrench('envoyez-la à ap@mycompany.com')).toBe('send it to ap@mycompany.com');
    expect(readFrench('Est-ce que je peux payer par carte ?')).toBe('can i pay by card?');
    expect(readFrench('Comment je paie ?')).toBe('how do i pay?');
    expect(readFrench('Ai-je des crédits ?')).toBe('do i have any credits?');
    expect(readFrench('dois-je encore payer IN7654321 ?')).toBe('do i still have to pay IN7654321?');
    expect(readFrench("j'ai-tu payé la IN7654322 ?")).toBe('have i paid the IN7654322?');
    expect(readFrench('je suis en retard ?')).toBe('am i overdue?');
  });

  it('puts adjectives, counts and amounts where English puts them', () => {
    expect(readFrench('Quelles sont mes factures impayées ?')).toBe('what are my unpaid invoices?');
    expect(readFrench('payer la facture en retard la plus élevée')).toBe('pay the largest overdue invoice');
    expect(readFrench('et celles en retard ?')).toBe('and the overdue ones?');
    expect(readFrench('payez celles qui sont en retard')).toBe('pay the overdue ones');
    expect(readFrench('montrez-moi celle de 640 $')).toBe('show me the $640 one');
    expect(readFrench('la première')).toBe('the first one');
    expect(readFrench('et les payées ?')).toBe('and the paid ones?');
    expect(readFrench('mes 3 dernières factures')).toBe('my last 3 invoices');
    expect(readFrench('ma dernière facture')).toBe('my latest invoice');
    expect(readFrench('paiements faits il y a 2 mois')).toBe('payments 2 months ago');
  });

  it('tells "a" (has) from "à" typed without its accent', () => {
    expect(readFrench('courriel IN7654321 a ap@mycompany.com')).toBe('email IN7654321 to ap@mycompany.com');
    expect(readFrench("elle n'a pas été payée")).toBe('it has not been paid');
    expect(readFrench('le paiement PAY-300205 a servi à payer quoi ?')).toBe('the payment PAY-300205 has used to pay what?');
  });
});
