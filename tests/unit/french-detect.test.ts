import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCases } from '../../evals/lib.js';
import { detect, detectLanguage } from '../../src/agent/language/detect.js';
import { conversationLanguage, readMessage } from '../../src/agent/language/message.js';

const CASES = path.resolve(import.meta.dirname, '../../evals/cases');

function userMessages(files: string[]): string[] {
  const out: string[] = [];
  for (const f of files) {
    for (const c of loadCases(path.join(CASES, f))) for (const t of c.turns) if ('user' in t) out.push(t.user);
  }
  return out;
}

const all = fs.readdirSync(CASES).filter((f) => /\.ya?ml$/.test(f));
const englishFiles = all.filter((f) => !f.startsWith('fr-'));
const frenchFiles = all.filter((f) => f.startsWith('fr-'));

/** The English turns of the mixed conversations in the French files. */
const ENGLISH_IN_FRENCH_FILES = new Set([
  'List my outstanding invoices',
  "What's my balance?",
  'Show me invoice IN7654321',
  'pay it',
  'which invoices are overdue?',
  'invoices from October',
  'show my payments',
  'email IN7654321 to ap@mycompany.com',
  'send IN7654320 there too',
  'show IN7654320',
  'ok now email it to ap@mycompany.com',
  'can you email me the pdf of IN7654321',
  'What is my current account balance?',
  'pay the older one',
  'IN7654321 is wrong, we never ordered that',
  'show me the second one',
  'what do I owe',
]);

/** Turns with no word of either language: they take the conversation's language. */
const NEUTRAL = new Set(['IN7654321', 'accounting@mycompany.com', 'ok']);

describe('language detection', () => {
  const english = userMessages(englishFiles);
  const french = userMessages(frenchFiles);

  it('reads every English user message of the English eval cases as English', () => {
    expect(english.length).toBeGreaterThan(1000);
    const misread = english.filter((m) => detectLanguage(m) !== 'en' || detect(m).language === 'fr');
    expect(misread).toEqual([]);
  });

  it('never reads an English eval message as French, even in a French conversation, unless it has no words at all', () => {
    const wordy = english.filter((m) => /[a-z]{3,}/i.test(m.replace(/\S+@\S+|\b(?:in|inv)?[\s#-]*\d{7}\b/gi, ' ')));
    const flipped = wordy.filter((m) => detectLanguage(m, 'fr') === 'fr' && detect(m).french > 0);
    expect(flipped).toEqual([]);
  });

  it('reads every French user message of the French eval cases as French', () => {
    expect(french.length).toBeGreaterThan(350);
    const frenchOnly = french.filter((m) => !ENGLISH_IN_FRENCH_FILES.has(m) && !NEUTRAL.has(m));
    const misread = frenchOnly.filter((m) => detect(m).language !== 'fr');
    expect(misread).toEqual([]);
  });

  it('reads the English turns of mixed conversations as English', () => {
    for (const m of ENGLISH_IN_FRENCH_FILES) expect(detectLanguage(m, 'fr'), m).toBe('en');
  });

  it('reads short commands, yes and no, and typing without accents', () => {
    for (const m of ['payez IN7654320', 'affichez IN7654322', 'annule', 'oui', 'non', 'ouais', 'merci', 'factures reglees', 'impayees?', 'mon solde', 'la 2e', 'courriel IN7654321 a ap@mycompany.com']) {
      expect(detect(m).language, m).toBe('fr');
    }
    for (const m of ['pay IN7654320', 'show IN7654322', 'cancel', 'yes', 'no', 'yep', 'thanks', 'the 2nd one', 'my balance', 'what’s due?']) {
      expect(detect(m).language, m).toBe('en');
    }
  });

  it('leaves a message with no words to the conversation', () => {
    for (const m of ['IN7654321', 'ap@mycompany.com', '7654322', '?']) {
      expect(detect(m).language, m).toBeNull();
      expect(detectLanguage(m, 'fr')).toBe('fr');
      expect(detectLanguage(m)).toBe('en');
    }
    expect(readMessage('IN7654321', 'fr')).toEqual({ language: 'fr', engineText: 'IN7654321' });
  });

  it('the conversation language is that of the latest user message that tells', () => {
    expect(conversationLanguage([])).toBe('en');
    expect(conversationLanguage(['Quelles sont mes factures impayées ?', 'IN7654321'])).toBe('fr');
    expect(conversationLanguage(['Quelles sont mes factures impayées ?', 'show me the second one', 'ap@mycompany.com'])).toBe('en');
    expect(readMessage('IN7654320', conversationLanguage(['payez celle-là'])).language).toBe('fr');
  });

  it('does not count an address or an invoice number as words', () => {
    expect(detect('send IN7654321 to facturation@entreprise.fr').language).toBe('en');
    expect(detect('envoyez IN7654321 à billing@company.com').language).toBe('fr');
  });
});
