import type { Language } from '../../i18n/locales.js';
import { normalizeTyped, recipientSpans } from '../../mail/recipients.js';
import { FRENCH_STOPWORDS, LEXICON_WORDS, normalizeFr } from './fr.js';

/**
 * Which language a chat message is in, English or French.
 *
 * Not a general language-ID library: chat messages are short and half made of invoice numbers and
 * addresses. Measured on this repository's eval messages (1,068 English, 445 French; English and
 * French the only candidates): franc-min 83.5% English / 83.1% French, tinyld 94.5% / 95.1%, eld
 * with its large n-gram database 99.9% / 95.5%. Each misreads commands like "payez IN7654320",
 * "affichez IN7654322" or "annule", and an English message the engine must never read as French.
 * So this counts evidence instead: French diacritics and elisions ("l'", "qu'") weigh two, a word of
 * the French lexicon or of the library's French stop-word list weighs one, an English word or
 * contraction the same; words both languages write ("total", "date", "question", "a", "on") count
 * for neither. On the same messages: 1,068/1,068 English and 445/445 French
 * (tests/unit/french-detect.test.ts). A message with no evidence ("IN7654321", "ap@mycompany.com",
 * "ok"; 13 of the English ones) takes the conversation's language (`fallback`).
 */

/** Common English words of chat and billing (function words, the engine's verbs and nouns, chat shorthand). */
const ENGLISH = new Set(
  `the my your our their his her its this that these those what which who whom whose when where why how is are was were be been being
   am do does did done have has had having will would shall should can could may might must of for with from by about into onto over under
   between through during before after since until till to in at it i you he she we they them him us me mine yours ours
   not no yes yeah yep yup nope nah ok okay please pls plz thanks thank thx ty tysm cheers hi hey hello bye goodbye and or but if then
   so just also too only still already again now today yesterday tomorrow week weeks month months year years quarter day days
   last next first second third previous latest recent new old all any some every each everything anything nothing someone anyone
   invoice invoices bill bills billed billing statement statements balance owe owing owed due overdue outstanding unpaid paid pay paying
   payment payments link links send sent sending email emailed emailing mail forward resend copy pdf show list see view give get find tell
   check look want need like would help refund dispute extension human person agent representative someone talk speak call contact
   credit credits card cards cheque check wire transfer account accounts customer opening fee fees charge charged charges amount total
   status statuses history receipt receipts transaction transactions much many more less than over under least most biggest largest
   smallest oldest newest one ones both other another same there here too wrong right correct never ever actually wait stop cancel forget
   mind sure go ahead done great perfect cool good fine got understood um uh hmm oh oops sorry asap fyi nvm btw dont doesnt didnt cant
   wont isnt arent havent im ive youre thats whats theres lets gonna wanna yet either neither without because why while
   january february march april june july august september october november december upcoming pending open settled settle
   apply applied unapplied available address addresses inbox team someone somebody anybody nobody everyone ok yes no accept accepted
   u ur memos notes please thank`
    .split(/\s+/)
    .filter(Boolean),
);

/**
 * Words that are English too: no evidence either way (from the overlap of the French lexicon with an
 * English word list, kept where an English message could write them).
 */
const BOTH = new Set(
  `a an as on me go stop total date dates due dues email emails mail balance credit credits debit pdf ok okay hello hey yo bye
   plan extension report note notes memo page service question questions contact client clients second six minute moment place present
   recent direct double correct incorrect possible important complete continue change charge charger ignore ignores detail details item
   items transaction transactions information instruction instructions option options chat bot robot bug super top excellent mode modes
   sold solder sue sues fact facts agent assistance assistant attend attends arrive arrives article articles active actives
   activation car chair comment commence conversation copies correspond danger decide decides difference global grand idiot instant
   lien lieu marcher mars maximum minimum nickel passes payable payee payees plus pendant precedent premier recurrent ridicule resume
   reception reporter salutations section signifies suite tableau taper technique telephone unique urgent venues veritable confirmation
   font fond formidable impeccable fumes fusses desire depot entente adhesion inscription expedition reclamation reel reprises es est
   c d e j l m n s t y re ma son ton en sept sep oct nov dec jan fin art ai eu ta`
    .split(/\s+/)
    .filter(Boolean),
);

/** French evidence: the library's stop words and the lexicon's words ("no", as in "facture no 7654320", is English first). */
const FRENCH_WORDS: ReadonlySet<string> = new Set(
  [...FRENCH_STOPWORDS, ...LEXICON_WORDS, 'svp', 'stp', 'merci', 'bonjour', 'salut', 'oui', 'ouais', 'koi', 'chu', 'jai', 'cest', 'nenvoyez', 'facture', 'courriel'].filter((w) => w !== 'no'),
);

const DIACRITIC = /[àâäçéèêëîïôöûùüÿœæ]/i;
const ELISION = /^(?:[ldjnmtsc]|qu|jusqu|lorsqu|puisqu|quelqu)'[a-zàâäçéèêëîïôöûùüÿœh]/i;
const CONTRACTION = /^[a-z]+'(?:s|t|re|ve|ll|d|m)$/i;
/** What is no word of either language: references, amounts, numbers. */
const NOT_WORDS = /\b(?:in|inv)?[\s#:-]*\d[\d\s,.$-]*|\$|\b(?:PAY|CM)-?\d+|\bR\d{5}\b/gi;

export interface Detection {
  /** null when the message has no evidence either way, or as much of each. */
  language: Language | null;
  french: number;
  english: number;
}

/** Evidence for each language in a message (see the module comment). */
export function detect(text: string): Detection {
  let s = normalizeTyped(text);
  // Email addresses are no evidence ("info@banque.fr" in an English message).
  for (const span of [...recipientSpans(s)].reverse()) s = `${s.slice(0, span.start)} ${s.slice(span.end)}`;
  s = s.replace(/https?:\/\/\S+/g, ' ');
  let french = 0;
  let english = 0;
  // French ordinals ("2e", "1er", "3ème") and English ones ("2nd", "3rd").
  s = s.replace(/\b\d{1,2}(?:er|re|ère|e|ème|eme|è)\b/gi, () => {
    french += 1;
    return ' ';
  });
  s = s.replace(/\b\d{1,2}(?:st|nd|rd|th)\b/gi, () => {
    english += 1;
    return ' ';
  });
  s = s.replace(NOT_WORDS, ' ');
  for (const raw of s.split(/[^\p{L}']+/u)) {
    const w = raw.replace(/^'+|'+$/g, '').toLowerCase();
    if (!w) continue;
    if (ELISION.test(w)) {
      french += 2;
      continue;
    }
    if (CONTRACTION.test(w)) {
      english += 2;
      continue;
    }
    if (DIACRITIC.test(w)) {
      french += 2;
      continue;
    }
    const n = normalizeFr(w);
    if (BOTH.has(n)) continue;
    const fr = FRENCH_WORDS.has(n);
    const en = ENGLISH.has(w);
    if (fr && !en) french += 1;
    else if (en && !fr) english += 1;
  }
  const language: Language | null = french > english ? 'fr' : english > french ? 'en' : null;
  return { language, french, english };
}

/** The message's language; `fallback` (the conversation's) when the message does not tell. */
export function detectLanguage(text: string, fallback: Language = 'en'): Language {
  return detect(text).language ?? fallback;
}
