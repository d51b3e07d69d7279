import { NormalizerFr, StemmerFr, StopwordsFr, TokenizerFr } from '@nlpjs/lang-fr';
import { normalizeTyped, recipientSpans } from '../../mail/recipients.js';
import { editDistance } from '../offline/text.js';
import type { Token, Tokenizer } from './types.js';

/**
 * French: words, elisions, accents and stems from @nlpjs/lang-fr (TokenizerFr splits "l'envoyer" into
 * "l", "envoyer"; NormalizerFr drops accents, so "impayees" reads as "impayées"; StemmerFr makes
 * "envoyez", "envoie" and "envoyer" one stem), and a lexicon that maps French words onto the offline
 * engine's concept vocabulary (the English words its intent steps, negation rules and date reader
 * read). Entries are written as natural French and stemmed when this module loads; fr-read.ts turns a
 * French message into that vocabulary with these pieces.
 */

const tokenizerFr = new TokenizerFr();
const normalizerFr = new NormalizerFr();
const stemmerFr = new StemmerFr();

/** Lower case without accents ("Échéance" → "echeance"). */
export function normalizeFr(word: string): string {
  return normalizerFr.normalize(word);
}

const stemCache = new Map<string, string>();
/** The Snowball stem (the library's own cache grows without bound, so ours is capped). */
function stemOne(word: string): string {
  const hit = stemCache.get(word);
  if (hit !== undefined) return hit;
  stemmerFr.setCurrent(word);
  stemmerFr.innerStem();
  const out = stemmerFr.getCurrent();
  if (stemCache.size > 20_000) stemCache.clear();
  stemCache.set(word, out);
  return out;
}

/** Stems of a word as typed (lower case) and without accents: the stemmer reads "impayées" and "impayees" differently. */
export function stemsFr(lower: string): string[] {
  const a = stemOne(lower);
  const b = stemOne(normalizeFr(lower));
  return a === b ? [a] : [a, b];
}

/** French function words (the library's stop-word list), for language detection. */
export const FRENCH_STOPWORDS: ReadonlySet<string> = new Set(Object.keys(new StopwordsFr().dictionary).map(normalizeFr));

// ------------------------------------------------------------------------------------------------
// Tokens

/**
 * What a French message is made of. Words are split by the library's tokenizer (elisions apart),
 * hyphenated words into their parts (`hyphen` marks a part glued to the word before it: "envoyez-la",
 * "pouvez-vous"); things the engine reads as typed (email addresses, invoice, payment and credit
 * numbers, account ids, dates, amounts) are `kept` whole, amounts and dates already in the engine's
 * notation ("2 494,96 $" → "$2,494.96", "01/10/2026" → "2026-10-01").
 */
export interface FrToken {
  /** As typed (for kept tokens, the text the engine reads). */
  value: string;
  /** Lower case. */
  lower: string;
  /** Lower case, no accents. */
  norm: string;
  kind: 'word' | 'number' | 'punct' | 'kept';
  /** What a kept token is. */
  keep?: 'email' | 'ref' | 'amount' | 'date';
  /** Glued to the previous word by a hyphen. */
  hyphen: boolean;
  /** Typed with an apostrophe after it ("l'", "qu'"). */
  elided: boolean;
  /** Starts the message or follows . ! ? */
  sentenceStart: boolean;
  sentence: number;
}

/** Spans the engine reads as typed. Invoice numbers follow src/agent/offline/text.ts (7 digits, "in"/"inv"/"#" prefixes). */
const KEPT_RE = new RegExp(
  [
    String.raw`(?<iso>\b\d{4}[-/]\d{1,2}[-/]\d{1,2}\b)`,
    String.raw`(?<dmy>\b\d{1,2}[/.-]\d{1,2}[/.-]\d{4}\b)`,
    String.raw`(?<ref>\b(?:PAY|CM)[\s-]?\d{6}\b|\b[rR][\s-]?\d{5}\b|(?<![\w.,$-])(?:(?:in|inv)[\s#:-]*|#\s?)?\d{7}(?!\d|,\d|\.\d)|\b(?:in|inv)[#:-]?(?:\d{4,6}|\d{8,12})\b)`,
    // "1 000,50 $", "500$", "2 494,96 $ CA", "1000 dollars"
    String.raw`(?<frAmount>(?<!\d)(?:\d{1,3}(?:[ \u00a0\u202f.]\d{3})+|\d+)(?:,\d{1,2})?\s*(?:\$\s*(?:ca\b|cad\b)?|(?:dollars?|piastres?|cad)\b))`,
    // "$500", "$ 1 000", "$1,234.56"
    String.raw`(?<enAmount>\$\s?(?:\d{1,3}(?:,\d{3})+|\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+)(?:[.,]\d{1,2})?(?!\d))`,
  ].join('|'),
  'gi',
);

/** An amount as the engine's extract() reads it: "$1,000.50". */
function engineAmount(typed: string, french: boolean): string {
  let s = typed.replace(/\$|dollars?|piastres?|cad|\bca\b/gi, '').trim();
  let whole: string;
  let frac = '';
  if (french) {
    const [w, f] = s.split(',');
    whole = (w ?? '').replace(/[\s.\u00a0\u202f]/g, '');
    frac = f ?? '';
  } else {
    s = s.replace(/[\s\u00a0\u202f]/g, '');
    // "$1,234.56" (English) or "$1234,56" (a French decimal comma).
    const dec = /[.,](\d{1,2})$/.exec(s);
    if (dec && !/,\d{3}$/.test(s)) {
      frac = dec[1]!;
      s = s.slice(0, dec.index);
    }
    whole = s.replace(/,/g, '');
  }
  const n = BigInt(whole || '0');
  const grouped = n.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `$${grouped}${frac ? `.${frac.padEnd(2, '0')}` : ''}`;
}

/** dd/mm/yyyy (the French order) as ISO, or null when it is no date. */
function isoFromDmy(typed: string): string | null {
  const m = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(typed);
  if (!m) return null;
  const d = Number(m[1]);
  const mo = Number(m[2]);
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return null;
  return `${m[3]}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

const PUNCT_RE = /(\.{2,}|…|[?!.,;:()«»"—–]|\s-\s|\s-$|^-\s|\n)/;

/** Chat spellings written as one word ("jai", "cest", "nenvoyez"): the words they stand for. */
const RUN_TOGETHER: Record<string, string> = {
  jai: "j'ai",
  jsuis: 'je suis',
  chu: 'je suis',
  cest: "c'est",
  cetait: "c'était",
  jveux: 'je veux',
  jvoudrais: 'je voudrais',
  jaimerais: "j'aimerais",
  jme: 'je me',
  quest: "qu'est",
  questce: "qu'est-ce",
  kesque: "qu'est-ce que",
  keske: "qu'est-ce que",
  koi: 'quoi',
  ya: 'il y a',
  yen: "il y en",
  douverture: "d'ouverture",
  dechance: "d'échéance",
  decheance: "d'échéance",
  lannee: "l'année",
  lan: "l'an",
  lecheance: "l'échéance",
  lenvoyer: "l'envoyer",
  lenvoyez: "l'envoyez",
  lenvoie: "l'envoie",
  nenvoyez: "n'envoyez",
  nenvoie: "n'envoie",
  nenvoyer: "n'envoyer",
  npas: 'ne pas',
  jpeux: 'je peux',
  jpourrais: 'je pourrais',
  dla: 'de la',
  svp: "s'il vous plaît",
  stp: "s'il te plaît",
  slvp: "s'il vous plaît",
  mrc: 'merci',
  qqch: 'quelque chose',
  qqc: 'quelque chose',
  qqn: "quelqu'un",
  qlq: 'quelque',
  pcq: 'parce que',
  pk: 'pourquoi',
  pq: 'pourquoi',
  pkoi: 'pourquoi',
  bcp: 'beaucoup',
  auj: "aujourd'hui",
  ajd: "aujourd'hui",
  dac: "d'accord",
  daccord: "d'accord",
  okay: 'ok',
  oké: 'ok',
  okey: 'ok',
};

/** Splits a word run the library's way (elisions apart), then hyphenated words into their parts. */
function wordsOf(run: string, sentence: number, out: FrToken[]): void {
  for (const piece of tokenizerFr.innerTokenize(run)) {
    const rewritten = RUN_TOGETHER[piece.toLowerCase()];
    if (rewritten !== undefined && rewritten !== piece.toLowerCase()) {
      wordsOf(rewritten, sentence, out);
      continue;
    }
    // An elision typed without its apostrophe ("nenvoyez", "lenvoyer"): its letter and the word.
    const glued = splitGluedElision?.(piece);
    if (glued) {
      wordsOf(glued, sentence, out);
      continue;
    }
    const parts = piece.split('-').filter((p) => p.length > 0);
    parts.forEach((p, k) => {
      const lower = p.toLowerCase();
      // The euphonic t of "a-t-il", "reste-t-il".
      if (k > 0 && lower === 't' && k < parts.length - 1) return;
      // The tokenizer drops the apostrophe: look for it in the run to tell "l'" from "l".
      const elided = k === parts.length - 1 && /^(?:[ldjnmtsc]|qu|jusqu|lorsqu|puisqu|quoiqu|presqu|quelqu)$/i.test(p) && new RegExp(`(?:^|[^\\p{L}])${p}'`, 'iu').test(run);
      out.push({ value: p, lower, norm: normalizeFr(lower), kind: /^\d+$/.test(p) ? 'number' : 'word', hyphen: k > 0, elided, sentenceStart: false, sentence });
    });
  }
}

/** Set once the lexicon is compiled (the lexicon's own phrases are tokenized before). */
let splitGluedElision: ((piece: string) => string | null) | null = null;

/** Tokens of a French message (see FrToken). `recipients` are the address spans the mail policy reads in it. */
export function tokenizeFr(text: string, recipients: ReadonlyArray<{ start: number; end: number }>): FrToken[] {
  const out: FrToken[] = [];
  let sentence = 0;
  let startOfSentence = true;
  const started = (before: number) => {
    if (out.length > before) {
      if (startOfSentence) out[before]!.sentenceStart = true;
      startOfSentence = false;
    }
  };
  const pushKept = (value: string, keep: FrToken['keep']) => {
    const before = out.length;
    out.push({ value, lower: value.toLowerCase(), norm: value.toLowerCase(), kind: 'kept', keep, hyphen: false, elided: false, sentenceStart: false, sentence });
    started(before);
  };
  const words = (s: string) => {
    // split() with a capturing group: odd indices are the punctuation marks.
    s.split(PUNCT_RE).forEach((part, k) => {
      if (k % 2 === 1) {
        const p = part.trim() || '\n';
        out.push({ value: p, lower: p, norm: p, kind: 'punct', hyphen: false, elided: false, sentenceStart: false, sentence });
        if (/^(?:[?!.…\n]|\.{2,})$/.test(p)) {
          sentence++;
          startOfSentence = true;
        }
        return;
      }
      if (!part.trim()) return;
      const before = out.length;
      wordsOf(part, sentence, out);
      started(before);
    });
  };
  const plain = (s: string) => {
    let from = 0;
    for (const m of s.matchAll(KEPT_RE)) {
      words(s.slice(from, m.index));
      const g = m.groups!;
      if (g['iso']) pushKept(g['iso'].replace(/\//g, '-'), 'date');
      else if (g['dmy']) {
        const iso = isoFromDmy(g['dmy']);
        if (iso) pushKept(iso, 'date');
        else words(g['dmy']);
      } else if (g['ref']) pushKept(g['ref'], 'ref');
      else if (g['frAmount']) pushKept(engineAmount(g['frAmount'], true), 'amount');
      else if (g['enAmount']) pushKept(engineAmount(g['enAmount'], false), 'amount');
      from = m.index + m[0].length;
    }
    words(s.slice(from));
  };
  let from = 0;
  for (const span of recipients) {
    plain(text.slice(from, span.start));
    pushKept(text.slice(span.start, span.end), 'email');
    from = span.end;
  }
  plain(text.slice(from));
  return out;
}

// ------------------------------------------------------------------------------------------------
// Lexicon

/**
 * What a French word or phrase is, for the reader:
 * n noun · adj adjective that English puts before its noun (statuses) · sup superlative · ord ordinal ·
 * det article or determiner · pron subject pronoun · obj object pronoun · prep · conj · q question word ·
 * neg a negation particle ("pas", "jamais", "rien") · ne · v verb · num number · month · unit (of time) ·
 * period (a whole date expression) · x anything else.
 */
export type Tag = 'n' | 'adj' | 'sup' | 'ord' | 'det' | 'pron' | 'obj' | 'prep' | 'conj' | 'q' | 'neg' | 'ne' | 'v' | 'num' | 'month' | 'unit' | 'period' | 'x';

/** How a verb behaves around negation and questions. */
export type VerbClass = 'avoir' | 'etre' | 'modal' | 'want' | 'aller' | 'devoir' | 'plain';

export type VerbForm = 'base' | 'pp' | 'fut' | 'cond' | 'inf';

export interface Verb {
  /** English base form ("send"), past participle ("sent"). */
  base: string;
  past: string;
  cls: VerbClass;
}

export interface Entry {
  /** The French words, as keys (normalised). */
  words: string[];
  /** The English concept words ('' for words that carry nothing the engine reads). */
  en: string;
  tag: Tag;
  /** English for the plural when a count or article says plural ("mois" → "months"). */
  plural?: string;
  verb?: Verb;
  form?: VerbForm;
  /** Plural (for "the ones" / "the one"). */
  many?: boolean;
  /** The words as written in the lexicon (lower case, accents kept), to prefer "dû" over "du" when the accent is typed. */
  spelled?: string[];
}

type Row = [fr: string, en: string, tag?: Tag, plural?: string];

/** Nouns, adjectives, adverbs and other words; "a|b" lists spellings of one entry. */
const WORDS: Row[] = [
  // ---- billing nouns
  ['facture|fact|fac|facturette', 'invoice', 'n', 'invoices'],
  ['factures|facts', 'invoices', 'n'],
  ['relevé|état de compte|relevé de compte', 'statement', 'n', 'statements'],
  ['relevés|états de compte|relevés de compte', 'statements', 'n'],
  ['solde|soldes|balance|sold', 'balance', 'n'],
  ['compte', 'account', 'n', 'accounts'],
  ['comptes', 'accounts', 'n'],
  ['paiement|versement|règlement|payement|paiment', 'payment', 'n', 'payments'],
  ['paiements|versements|règlements|payements|paiments', 'payments', 'n'],
  ['crédit|credit', 'credit', 'n', 'credits'],
  ['crédits|credits', 'credits', 'n'],
  ['note de crédit|avis de crédit|note de credit', 'credit memo', 'n', 'credit memos'],
  ['notes de crédit|avis de crédit|notes de credit', 'credit memos', 'n'],
  ['montant|somme', 'amount', 'n', 'amounts'],
  ['montants|sommes', 'amounts', 'n'],
  ['montant dû|montant à payer|somme due|total dû|total à payer|montant total dû', 'amount due', 'n'],
  ['total', 'total', 'n'],
  ['frais', 'fee', 'n'],
  ["frais d'ouverture|frais d'ouverture de compte|frais d'activation|frais de démarrage|frais d'adhésion|frais d'inscription|frais uniques|frais unique", 'opening fee', 'n'],
  // Fees other than the opening fee: the engine answers that it has no information on them.
  ['frais de retard|frais pour retard|frais de paiement en retard|frais de retard de paiement|frais pour paiement en retard', 'late fee', 'n', 'late fees'],
  ['intérêt|intérêts|interet|interets|intéret|intérets|frais d\'intérêt|frais d\'intérêts', 'interest', 'n'],
  ['pénalité|penalite|pénalite', 'penalty', 'n', 'penalties'],
  ['pénalités|penalites|pénalites', 'penalties', 'n'],
  ['supplément|surcharge|surfacturation|frais supplémentaires|frais additionnels|frais en plus|frais de plus', 'surcharge', 'n', 'surcharges'],
  ['frais de traitement|frais de transaction|frais de carte|frais de carte de crédit|frais bancaires de carte', 'processing fee', 'n', 'processing fees'],
  ['chèque sans provision|chèques sans provision|sans provision|chèque sans fonds|chèque refusé|chèque retourné|chèque rejeté|fonds insuffisants|provision insuffisante', 'nsf', 'n'],
  ['frais administratifs|frais d\'administration|frais de gestion|frais de service|frais de dossier', 'admin fee', 'n', 'admin fees'],
  ['frais cachés|autres frais|d\'autres frais', 'other fees', 'n'],
  ['politique|politiques', 'policy', 'n'],
  ['sauf|excepté|exceptée|hormis|à part|mis à part|à l\'exception de|à l\'exception du|sans compter|autre que|autres que', 'except', 'x'],
  ['coûte|coute|coûtent|coutent|coûter|couter|coûterait|couterait', 'cost', 'x'],
  ['lien', 'payment link', 'n', 'payment links'],
  ['liens', 'payment links', 'n'],
  ['lien de paiement|lien pour payer|lien de payement|lien sécurisé', 'payment link', 'n', 'payment links'],
  ['liens de paiement|liens pour payer', 'payment links', 'n'],
  ['carte', 'card', 'n', 'cards'],
  ['cartes', 'cards', 'n'],
  ['carte de crédit|carte de credit|carte crédit', 'credit card', 'n', 'credit cards'],
  ['cartes de crédit|cartes de credit', 'credit cards', 'n'],
  ['carte de débit|débit', 'debit', 'n'],
  ['numéro de carte|numéro de la carte|informations de carte|informations de ma carte|infos de carte|détails de carte|détails de ma carte|coordonnées bancaires de ma carte', 'card details', 'n'],
  ['chèque|cheque|chèques|cheques', 'cheque', 'n'],
  ['virement|virements|virement bancaire|virements bancaires|transfert bancaire', 'bank transfer', 'n'],
  ['virement interac|interac', 'interac', 'n'],
  ['dépôt direct', 'direct deposit', 'n'],
  ['comptant|argent comptant', 'cash', 'n'],
  ['courriel|e-mail|mail|email|mel|mél|courriels|emails', 'email', 'n'],
  ['adresse', 'address', 'n', 'addresses'],
  ['adresse courriel|adresse e-mail|adresse mail|adresse email|adresse électronique|courriel de facturation', 'email address', 'n'],
  ['copie|exemplaire', 'copy', 'n', 'copies'],
  ['copies', 'copies', 'n'],
  ['pdf|PDF', 'pdf', 'n'],
  ['échéance|date d\'échéance|date limite|date due', 'due date', 'n', 'due dates'],
  ['échéances|dates d\'échéance', 'due dates', 'n'],
  ['prochaine échéance|prochain paiement dû|prochaine date d\'échéance', 'next due date', 'n'],
  ['date', 'date', 'n', 'dates'],
  ['humain|être humain|humaine', 'human', 'n'],
  ['personne réelle|vraie personne|personne en chair et en os', 'real person', 'n'],
  ['agent|agente|préposé|préposée', 'agent', 'n'],
  ['représentant|représentante|conseiller|conseillère', 'representative', 'n'],
  ['équipe', 'team', 'n'],
  ['comptes clients|comptes à recevoir|recouvrement', 'AR', 'n'],
  ['facturation', 'billing', 'n'],
  ['service de facturation|service de la facturation|département de facturation', 'billing', 'n'],
  ['comptabilité', 'accounting', 'n'],
  ['contestation|litige|différend|réclamation', 'dispute', 'n'],
  ['erreur|faute', 'mistake', 'n'],
  ['remboursement|remboursements', 'refund', 'n'],
  ['prolongation|délai|délai supplémentaire|extension|sursis|report', 'extension', 'n'],
  ['délai de paiement|délai pour payer', 'extension', 'n'],
  ['plan de paiement|entente de paiement|versements échelonnés|paiements échelonnés', 'payment plan', 'n'],
  ['commande', 'order', 'n', 'orders'],
  ['commandes', 'orders', 'n'],
  ['livraison|expédition', 'delivery', 'n'],
  ['produit', 'product', 'n', 'products'],
  ['produits', 'products', 'n'],
  ['prix|tarif|tarifs', 'price', 'n'],
  ['article|articles|items|item', 'items', 'n'],
  ['portail', 'portal', 'n'],
  ['section facturation|page facturation|onglet facturation|page de facturation|onglet de facturation', 'billing page', 'n'],
  ['tableau de bord', 'dashboard', 'n'],
  ['statut|état', 'status', 'n', 'statuses'],
  ['statuts|états', 'statuses', 'n'],
  ['historique', 'history', 'n'],
  ['historique de facturation|historique des factures', 'invoice history', 'n'],
  ['historique des paiements|historique de paiement', 'payment history', 'n'],
  ['liste', 'list', 'n'],
  ['détail|détails|infos|informations|information|renseignements', 'details', 'n'],
  ['résumé|sommaire|récapitulatif', 'summary', 'n'],
  ['résumé de mon compte|sommaire de mon compte|état de mon compte|état du compte|situation de mon compte|situation du compte|portrait de mon compte|résumé du compte', 'account summary', 'n'],
  ['ligne|lignes|détail des lignes|lignes de facture', 'lines', 'n'],
  ['preuve de paiement|preuves de paiement|reçus de paiement|reçu de paiement|confirmation de paiement', 'receipts', 'n'],
  ['transaction|transactions', 'transactions', 'n'],
  ['mot de passe', 'password', 'n'],
  ['profil', 'profile', 'n'],
  ['utilisateur|utilisateurs|usager|usagers', 'users', 'n'],
  ['adresse de facturation|adresse postale', 'address', 'n'],
  ['numéro de téléphone|téléphone', 'phone number', 'n'],
  ['note|notes|mémo|commentaire', 'memo', 'n'],
  ['instruction|instructions|consigne|consignes|directives', 'instructions', 'n'],
  ['règle|règles', 'rules', 'n'],
  ['mois', 'month', 'unit', 'months'],
  ['semaine', 'week', 'unit', 'weeks'],
  ['semaines', 'weeks', 'unit'],
  ['trimestre', 'quarter', 'unit', 'quarters'],
  ['trimestres', 'quarters', 'unit'],
  ['année|an', 'year', 'unit', 'years'],
  ['années|ans', 'years', 'unit'],
  ['jour|journée', 'day', 'unit', 'days'],
  ['jours', 'days', 'unit'],
  ['fois', 'time', 'n'],
  ['besoin', 'need', 'x'],
  ['fin', 'end', 'n'],
  ['début', 'start', 'n'],
  ['temps', 'time', 'n'],
  ['trésorerie|liquidités', 'cash flow', 'n'],
  ['argent', 'money', 'n'],
  ['boîte|boîte de réception|boîte courriel', 'inbox', 'n'],
  ['client|clients|clientèle', 'customers', 'n'],
  ['entreprise|société|compagnie', 'company', 'n'],
  ['clavardage|conversation|chat', 'chat', 'n'],
  ['question|questions', 'question', 'n'],
  ['problème|problèmes|souci', 'problem', 'n'],
  ['bogue|bug|erreur technique', 'bug', 'n'],
  ['page|page de paiement', 'page', 'n'],
  ['bouton', 'button', 'n'],
  ['mode de paiement|moyen de paiement|méthode de paiement|option de paiement|modes de paiement|moyens de paiement|méthodes de paiement|options de paiement|façons de payer|façon de payer|moyen de payer|moyens de payer', 'payment methods', 'n'],
  ['paiement automatique|paiements automatiques|prélèvement automatique|prélèvements automatiques|paiement préautorisé|paiements préautorisés', 'autopay', 'n'],
  ['paiement récurrent|paiements récurrents', 'recurring payments', 'n'],
  ['bot|robot|assistant|assistante', 'bot', 'n'],
  ['météo|temps qu\'il fait|blague|poème|recette', 'weather', 'n'],
  ['aide|assistance|au secours', 'help', 'x'],
  ['envoi|envois|expédition par courriel', 'sending', 'n'],
  ['mémoire', 'memory', 'n'],
  ['ouverture', 'opening', 'n'],
  ['ouverture de compte', 'account opening', 'n'],
  ['cas', 'case', 'n'],
  ['retard', 'late', 'adj'],
  ['arriérés|arrérages', 'arrears', 'n'],

  // ---- statuses and other adjectives (English puts them before the noun)
  ['impayé|impayée|impayés|impayées|impaye|impayee|impayes|impayees|non payé|non payée|non payés|non payées|non réglé|non réglée|non réglés|non réglées|non acquittée|non acquittées|non soldée|non soldées|pas payé|pas payée|pas payés|pas payées|jamais payé|jamais payée|jamais payés|jamais payées|jamais réglées', 'unpaid', 'adj'],
  ['pas encore payé|pas encore payée|pas encore payés|pas encore payées|pas encore réglé|pas encore réglée|pas encore réglés|pas encore réglées|toujours impayée|toujours impayées|encore impayée|encore impayées', 'not yet paid', 'adj'],
  ['en retard|échu|échue|échus|échues|en souffrance|en défaut|passé dû|passée due|passés dus|passées dues|en souffrances|en arrérage|en arriéré|en arriérés', 'overdue', 'adj'],
  ['acquitté|acquittée|acquittés|acquittées|soldé|soldée|soldés|soldées|payé en entier|payée en entier|payées en entier|payées au complet|payée au complet|entièrement payée|entièrement payées', 'paid', 'adj'],
  ['partiellement payé|partiellement payée|partiellement payés|partiellement payées|payée partiellement|payées partiellement|en partie payée|en partie payées|partiellement réglée|partiellement réglées|partiellement', 'partially paid', 'adj'],
  ['partiel|partielle|partiels|partielles', 'partial', 'adj'],
  ['ouvert|ouverte|ouverts|ouvertes|en cours|non soldé|non soldés', 'open', 'adj'],
  ['en attente|en suspens|en attente de paiement', 'pending', 'adj'],
  ['à échoir|à venir|pas encore échue|pas encore échues|pas encore en retard|pas en retard|bientôt dues|bientôt due|qui viennent', 'upcoming', 'adj'],
  ['dû|due|dus|dues|exigible|exigibles|payable|payables', 'due', 'adj'],
  ['restant|restante|restants|restantes|restant dû|qui reste', 'remaining', 'adj'],
  ['disponible|disponibles', 'available', 'adj'],
  ['non appliqué|non appliquée|non appliqués|non appliquées|inutilisé|inutilisés|non utilisé|non utilisés', 'unapplied', 'adj'],
  ['actuel|actuelle|courant|courante|actuellement', 'current', 'adj'],
  ['prochain|prochaine|prochains|prochaines|suivant|suivante', 'next', 'adj'],
  ['précédent|précédente|précédents|précédentes|passé|passée|passés|passées', 'previous', 'adj'],
  ['récent|récente|récents|récentes', 'recent', 'adj'],
  ['nouveau|nouvelle|nouveaux|nouvelles|nouvel', 'new', 'adj'],
  ['ancien|ancienne|anciens|anciennes|vieux|vieille|vieilles', 'old', 'adj'],
  ['entier|entière|complet|complète|global|globale', 'whole', 'adj'],
  ['sécuritaire|sécurisé|sécurisée|sans danger|fiable|protégé|protégée|chiffré|en sécurité', 'safe', 'adj'],
  ['erroné|erronée|erronés|erronées|faux|fausse|incorrect|incorrecte|inexact|inexacte|mauvais|mauvaise|pas correct|pas correcte|pas bon|pas bonne', 'wrong', 'adj'],
  ['inutile|inutiles|nul|nulle|pourri', 'useless', 'adj'],
  ['ridicule|absurde|n\'importe quoi', 'ridiculous', 'adj'],
  ['frustrant|frustrante|frustré|frustrée|fâché|fâchée|tanné|tannée|écoeuré|écœuré', 'frustrated', 'adj'],
  ['stupide|débile|idiot', 'stupid', 'adj'],
  ['agaçant|agaçante|pénible|énervant', 'annoying', 'adj'],
  ['prêt|prête|prêts|prêtes', 'ready', 'adj'],
  ['possible', 'possible', 'adj'],
  ['à jour', 'up to date', 'adj'],
  ['en règle|en ordre|en bon état|en bonne santé|en règle avec vous', 'in good standing', 'x'],
  ['en ligne', 'online', 'adj'],
  ['automatique|automatiques|automatiquement', 'automatic', 'adj'],
  ['bancaire|bancaires', 'bank', 'adj'],
  ['même|mêmes', 'same', 'adj'],
  ['pareil|pareille|idem|même chose', 'same', 'x'],
  ['la même chose|pareil que', 'the same', 'x'],
  ['pareil pour|de même pour|même chose pour|idem pour', 'same for', 'x'],
  ['autre|autres', 'other', 'adj'],
  ['un autre|une autre|d\'autres', 'another', 'adj'],
  ['seul|seule|unique', 'single', 'adj'],
  ['vrai|vraie|réel|réelle|véritable', 'real', 'adj'],
  ['urgent|urgente|pressé', 'urgent', 'adj'],
  ['remboursable|remboursables|non remboursable|non remboursables', 'refundable', 'x'],
  ['supplémentaire|supplémentaires|additionnel|additionnels|additionnelle|additionnelles|de plus|en plus', 'more', 'x'],
  ['mensuel|mensuelle|mensuelles', 'monthly', 'adj'],

  // ---- superlatives ("la plus élevée" → "the largest one")
  ['plus élevé|plus élevée|plus élevés|plus élevées|plus gros|plus grosse|plus grosses|plus grand|plus grande|plus grandes|plus cher|plus chère|plus chères|plus importante|plus important|plus importantes|plus coûteuse|plus salée|plus haute|plus haut|plus dispendieuse', 'largest', 'sup'],
  ['moins élevé|moins élevée|moins élevées|plus petit|plus petite|plus petites|moins cher|moins chère|moins chères|plus faible|moins importante|plus basse|plus bas', 'smallest', 'sup'],
  ['plus ancien|plus ancienne|plus anciennes|plus vieille|plus vieux|plus vieilles', 'oldest', 'sup'],
  ['plus récent|plus récente|plus récentes|plus récents|plus nouvelle|plus tardive', 'most recent', 'sup'],

  // ---- ordinals
  ['premier|première|premiers|premières|1er|1re|1ère|1ere|1ier', 'first', 'ord'],
  ['deuxième|deuxieme|second|seconde|2e|2ème|2eme|2è|2nd|2nde', 'second', 'ord'],
  ['troisième|troisieme|3e|3ème|3eme|3è', 'third', 'ord'],
  ['quatrième|4e|4ème', 'fourth', 'ord'],
  ['cinquième|5e|5ème', 'fifth', 'ord'],
  ['sixième|6e|6ème', 'sixth', 'ord'],
  ['dernier|dernière|derniers|dernières|ultime', 'last', 'ord'],
  ['avant-dernière|avant-dernier|avant dernière', 'second last', 'ord'],

  // ---- numbers
  ['un|une', 'a', 'det'],
  ['deux', 'two', 'num'],
  ['trois', 'three', 'num'],
  ['quatre', 'four', 'num'],
  ['cinq', 'five', 'num'],
  ['six', 'six', 'num'],
  ['sept', 'seven', 'num'],
  ['huit', 'eight', 'num'],
  ['neuf', 'nine', 'num'],
  ['dix', 'ten', 'num'],
  ['onze', 'eleven', 'num'],
  ['douze', 'twelve', 'num'],
  ['quinze', 'fifteen', 'num'],
  ['vingt', 'twenty', 'num'],
  ['trente', 'thirty', 'num'],
  ['soixante', 'sixty', 'num'],
  ['quatre-vingt-dix|quatre vingt dix', 'ninety', 'num'],
  ['mille', 'thousand', 'num'],

  // ---- months and days
  ['janvier|janv|jan', 'january', 'month'],
  ['février|fevrier|févr|fevr|fév|fev', 'february', 'month'],
  ['mars', 'march', 'month'],
  ['avril|avr', 'april', 'month'],
  ['mai', 'may', 'month'],
  ['juin', 'june', 'month'],
  ['juillet|juil', 'july', 'month'],
  ['août|aout|aoû', 'august', 'month'],
  ['septembre|sept|sep', 'september', 'month'],
  ['octobre|oct', 'october', 'month'],
  ['novembre|nov', 'november', 'month'],
  ['décembre|decembre|déc|dec', 'december', 'month'],

  // ---- whole periods (the date reader's words)
  ['aujourd\'hui|aujourdhui|ce jour', 'today', 'period'],
  ['hier', 'yesterday', 'period'],
  ['demain', 'tomorrow', 'period'],
  ['ce mois-ci|ce mois|le mois courant|le mois en cours|mois en cours|ce mois ci', 'this month', 'period'],
  ['le mois dernier|le mois passé|le mois précédent|mois dernier|mois passé|dernier mois', 'last month', 'period'],
  ['le mois prochain|mois prochain|le mois suivant', 'next month', 'period'],
  ['cette semaine|cette semaine-ci', 'this week', 'period'],
  ['la semaine dernière|la semaine passée|semaine dernière|semaine passée|la semaine précédente', 'last week', 'period'],
  ['la semaine prochaine|semaine prochaine|la semaine suivante', 'next week', 'period'],
  ['ce trimestre|ce trimestre-ci|le trimestre en cours|le trimestre courant|trimestre en cours', 'this quarter', 'period'],
  ['le trimestre dernier|le dernier trimestre|le trimestre passé|le trimestre précédent|trimestre dernier|dernier trimestre', 'last quarter', 'period'],
  ['le trimestre prochain|le prochain trimestre|trimestre prochain', 'next quarter', 'period'],
  ['cette année|cette an|l\'année en cours|l\'année courante|année en cours', 'this year', 'period'],
  ['l\'année dernière|l\'an dernier|l\'année passée|l\'an passé|l\'année précédente|année dernière|an dernier|année passée|an passé', 'last year', 'period'],
  ['l\'année prochaine|l\'an prochain|année prochaine', 'next year', 'period'],
  ['depuis le début de l\'année|depuis le début de cette année|depuis le 1er janvier|depuis janvier de cette année|cumul annuel|à ce jour cette année|jusqu\'ici cette année|jusqu\'à maintenant cette année', 'year to date', 'period'],
  ['la fin du mois|fin du mois|la fin de ce mois|fin de mois', 'the end of the month', 'period'],
  ['début du mois|le début du mois|début de ce mois|le début de ce mois|début du mois courant', 'the start of this month', 'period'],
  ['solde à payer|solde dû|solde restant|solde restant dû|solde impayé', 'balance due', 'n'],
  ['t1|1er trimestre|premier trimestre', 'q1', 'period'],
  ['t2|2e trimestre|deuxième trimestre|second trimestre', 'q2', 'period'],
  ['t3|3e trimestre|troisième trimestre', 'q3', 'period'],
  ['t4|4e trimestre|quatrième trimestre|dernier trimestre de l\'année', 'q4', 'period'],

  // ---- articles, determiners, pronouns
  ['le|la|les|l', 'the', 'det'],
  ['des', 'any', 'det'],
  ['du', 'of the', 'prep'],
  ['de|d', 'of', 'prep'],
  ['au|aux|à la', 'to the', 'prep'],
  ['mon|ma|mes', 'my', 'det'],
  ['ton|ta|tes', 'your', 'det'],
  ['son|sa|ses', 'its', 'det'],
  ['notre|nos', 'our', 'det'],
  ['votre|vos', 'your', 'det'],
  ['leur|leurs', 'their', 'det'],
  ['ce|cet|cette', 'this', 'det'],
  ['ces', 'these', 'det'],
  ['chaque|chacune|chacun', 'each', 'det'],
  ['tout|toute|tous|toutes', 'all', 'det'],
  ['tous les deux|toutes les deux|les deux|ces deux', 'both', 'pron'],
  ['tout ce que|tout ce qui|tout ce qu', 'everything', 'pron'],
  ['quelques|certaines|certains|quelque', 'some', 'det'],
  ['aucun|aucune', 'any', 'neg'],
  ['je|j', 'i', 'pron'],
  ['tu', 'you', 'pron'],
  ['il|elle', 'it', 'pron'],
  ['on', 'we', 'pron'],
  ['nous', 'we', 'pron'],
  ['vous', 'you', 'pron'],
  ['ils|elles', 'they', 'pron'],
  ['moi|moi-même|moi même', 'me', 'obj'],
  ['toi', 'you', 'obj'],
  ['eux', 'them', 'obj'],
  ['ça|ca|cela|ceci', 'that', 'pron'],
  ['c', 'it', 'pron'],
  ['celle-ci|celui-ci|celle ci|celui ci|cette facture-ci|cette facture ci', 'this one', 'n'],
  ['celle-là|celui-là|celle la|celui la|cette facture-là|cette facture là|cette facture la', 'that one', 'n'],
  ['celles-ci|ceux-ci|celles ci|ceux ci', 'these ones', 'n'],
  ['celles-là|ceux-là|celles la|ceux la', 'those ones', 'n'],
  ['celle|celui', 'the one', 'n'],
  ['celles|ceux', 'the ones', 'n'],
  ['cette facture|cette facture-là', 'that invoice', 'n'],
  ['ces factures|ces factures-là', 'those invoices', 'n'],
  ['quelqu\'un|quelqu un|qqun', 'someone', 'pron'],
  ['quelqu\'un de|quelqu un de', 'someone from', 'pron'],
  ['quelque chose|qqch', 'anything', 'pron'],
  ['quoi que ce soit|n\'importe quoi d\'autre', 'anything', 'pron'],
  ['qui que ce soit|n\'importe qui', 'anyone', 'pron'],
  ['rien', 'nothing', 'neg'],
  ['personne', 'nobody', 'neg'],
  ['une personne|un être humain|une vraie personne|une personne réelle', 'a real person', 'n'],
  ['l\'autre|l autre', 'the other one', 'n'],
  ['les autres', 'the other ones', 'n'],

  // ---- question words
  ['quel|quelle|quels|quelles', 'which', 'q'],
  ['lequel|laquelle', 'which one', 'q'],
  ['lesquels|lesquelles', 'which ones', 'q'],
  ['combien', 'how much', 'q'],
  ['combien de', 'how much', 'q'],
  ['quand', 'when', 'q'],
  ['où', 'where', 'q'],
  ['comment', 'how', 'q'],
  ['pourquoi', 'why', 'q'],
  ['qui', 'who', 'q'],
  ['que|qu', 'what', 'q'],
  ['quoi', 'what', 'q'],
  ['ce qui|ce que|ce qu', 'what', 'q'],
  ['quel temps fait-il|quel temps fait il|quel temps il fait', 'weather', 'n'],
  ['est-ce que|est ce que|est-ce qu|est ce qu', '', 'q'],
  ['qu\'est-ce que|qu est ce que|qu\'est-ce qu|qu est ce qu|qu\'est ce que|quest ce que', 'what', 'q'],
  ['qu\'est-ce qui|qu est ce qui|qu\'est ce qui', 'what', 'q'],
  ['c\'est quoi|c est quoi|c quoi|cest quoi|c koi|c\'est koi', 'what is', 'q'],
  ['c\'est combien|c est combien', 'how much is it', 'q'],
  ['c\'est quand|c est quand', 'when is', 'q'],
  ['c\'est où|c est où', 'where is', 'q'],
  ['est-ce|est ce', 'is it', 'q'],
  ['y a-t-il|y a t il|y a t-il|est-ce qu\'il y a|est ce qu il y a|y\'a-t-il|il y a-t-il', 'are there', 'q'],
  ['il y a|y a|il y avait', 'there is', 'x'],
  ['où en est|où en sont|où en suis-je|où en sommes-nous|où est-ce que j\'en suis|où j\'en suis|où on en est', 'where do i stand with', 'q'],
  ['ça veut dire quoi|ça signifie quoi|que veut dire|que signifie|que signifient|que veulent dire|qu\'est-ce que ça veut dire|qu\'est-ce que veut dire', 'what does it mean', 'q'],
  ['c\'est quoi la différence entre|quelle est la différence entre|quelle différence entre|la différence entre', 'what is the difference between', 'q'],
  ['qu\'est-ce qui se passe|que se passe-t-il|qu\'arrive-t-il|que se passera-t-il|qu\'est-ce qui va se passer|qu\'est-ce qui arrive après|qu\'est-ce qui arrive quand', 'what happens', 'q'],
  ['qu\'est-ce qui se passerait|que se passerait-il|qu\'arriverait-il|qu\'est-ce qui arriverait', 'what would happen', 'q'],
  ['combien de temps', 'how long', 'q'],
  ['quel montant|quelle somme|quel est le total', 'how much', 'q'],
  ['comment fonctionne le paiement|comment fonctionnent les paiements|comment ça marche pour payer|comment payer|comment on paie|comment on paye|comment fait-on pour payer|comment faire pour payer', 'how do i pay', 'q'],
  ['comment ça marche|comment ça fonctionne|comment cela fonctionne|comment fonctionne', 'how does it work', 'q'],

  // ---- prepositions and conjunctions
  ['à|a', 'to', 'prep'],
  ['en', 'in', 'prep'],
  ['dans', 'in', 'prep'],
  ['pour', 'for', 'prep'],
  ['par', 'by', 'prep'],
  ['avec', 'with', 'prep'],
  ['sans', 'without', 'neg'],
  ['sur', 'on', 'prep'],
  ['dessus|là-dessus|sur celle-ci|sur celle-là', 'on it', 'x'],
  ['sous|en dessous de|au-dessous de|au dessous de|inférieur à|inférieure à|inférieures à|inférieurs à|de moins de|moins de|moins d', 'under', 'prep'],
  ['au-dessus de|au dessus de|supérieur à|supérieure à|supérieures à|supérieurs à|de plus de|plus de|plus d|excédant|dépassant|qui dépasse|qui dépassent|dépassent|dépasse', 'over', 'prep'],
  ['au moins|minimum', 'at least', 'prep'],
  ['au plus|au maximum|maximum', 'at most', 'prep'],
  ['entre', 'between', 'prep'],
  ['depuis|depuis le|depuis la|depuis l|dès|à partir de|à partir du|à compter de|à compter du', 'since', 'prep'],
  ['avant|avant le|avant la|avant l', 'before', 'prep'],
  ['après|après le|après la|après l|après que|après qu', 'after', 'prep'],
  ['jusqu\'à|jusqu\'au|jusqu\'en|jusque|jusqu|d\'ici|d\'ici le|d\'ici la', 'until', 'prep'],
  ['au cours des|au cours de|au cours du|durant|pendant|lors de|lors du|dans les|dans le courant de', 'in', 'prep'],
  ['au sujet de|au sujet du|à propos de|à propos du|concernant|à l\'égard de|relativement à|quant à|pour ce qui est de', 'about', 'prep'],
  ['au lieu de|au lieu|à la place|plutôt', 'instead', 'x'],
  ['chez', 'at', 'prep'],
  ['vers|environ', 'around', 'prep'],
  ['et', 'and', 'conj'],
  ['ou', 'or', 'conj'],
  ['ni', 'or', 'conj'],
  ['mais|par contre|cependant', 'but', 'conj'],
  ['si|s', 'if', 'conj'],
  ['au cas où|dans le cas où|en cas', 'in case', 'conj'],
  ['supposons que|supposons|imaginons que|imaginons|disons que|mettons que|admettons que', 'suppose', 'conj'],
  ['parce que|car|puisque', 'because', 'conj'],
  ['comme', 'as', 'conj'],
  ['donc|alors|ainsi', 'so', 'conj'],
  ['puis|ensuite', 'then', 'conj'],
  ['lorsque|lorsqu', 'when', 'conj'],
  ['tant que', 'until', 'conj'],
  ['pendant que|alors que', 'while', 'conj'],

  // ---- adverbs
  ['encore|toujours', 'still', 'x'],
  ['de nouveau|encore une fois|à nouveau', 'again', 'x'],
  ['déjà', 'already', 'x'],
  ['aussi|également|pareillement|de même', 'too', 'x'],
  ['là aussi|là-bas aussi|également là', 'there too', 'x'],
  ['là|là-bas|y aller', 'there', 'x'],
  ['ici', 'here', 'x'],
  ['maintenant|tout de suite|immédiatement|dès maintenant|en ce moment|présentement|à présent', 'now', 'x'],
  ['pour l\'instant|pour le moment|pour tout de suite', 'for now', 'x'],
  ['jusqu\'à maintenant|jusqu\'à présent|jusqu\'ici|à date|à ce jour', 'so far', 'x'],
  ['juste|seulement|uniquement|simplement|que ça', 'just', 'x'],
  ['en fait|finalement|au fond|tout compte fait|à la réflexion|réflexion faite', 'actually', 'x'],
  ['peut-être|peut être|éventuellement', 'maybe', 'x'],
  ['peut-être que|peut être que|je suppose que|je suppose qu|j\'imagine que|j\'imagine qu|je présume que|je présume qu', 'i guess', 'x'],
  // A condition before the action ("une fois approuvée, envoyez…"): nothing is scheduled, so nothing is sent now.
  ['une fois que|une fois qu|une fois|dès que|dès qu|aussitôt que|aussitôt qu|après que|après qu', 'once', 'x'],
  ['dès que possible|aussitôt que possible|le plus tôt possible|au plus vite', 'as soon as possible', 'x'],
  ['plus tard|ultérieurement', 'later', 'x'],
  ['bientôt', 'soon', 'x'],
  ['très|vraiment|tellement|complètement|totalement|du tout', 'really', 'x'],
  ['trop', 'too much', 'x'],
  ['bien|correctement', 'well', 'x'],
  ['beaucoup|bcp', 'much', 'x'],
  ['plus', 'more', 'x'],
  ['moins', 'less', 'x'],
  ['deux fois|à deux reprises|en double', 'twice', 'x'],
  ['à temps|à l\'heure|dans les délais', 'on time', 'x'],
  ['directement', 'directly', 'x'],
  ['par courriel|par e-mail|par mail|par email|par courrier électronique', 'by email', 'x'],
  ['par la poste|par courrier', 'by mail', 'x'],
  ['en personne', 'in person', 'x'],
  ['par téléphone', 'by phone', 'x'],
  ['s\'il vous plaît|s\'il vous plait|s il vous plait|s\'il te plaît|s\'il te plait|s il te plait|svp|stp|merci de|prière de', 'please', 'x'],
  ['n°|no|num|numéro|numero|#', '', 'x'],

  // ---- small talk, yes and no
  ['bonjour|bonsoir|salut|allô|allo|coucou|bon matin|hello|hey|yo|bonjour à vous|re-bonjour', 'hello', 'x'],
  ['merci|merci beaucoup|merci bien|mille mercis|merci infiniment|merci à vous', 'thanks', 'x'],
  ['au revoir|bonne journée|bonne soirée|à la prochaine|à plus tard|à bientôt|bye|ciao|salutations|à plus|a plus|à+|bonne fin de journée', 'bye', 'x'],
  ['c\'est tout|ce sera tout|ça sera tout|rien d\'autre|c\'est tout pour moi', 'nothing else', 'x'],
  ['oui|ouais|ouep|ouaip|oui oui|mais oui|ben oui|bien oui', 'yes', 'x'],
  ['oui svp|oui s\'il vous plaît|oui merci|oui s\'il vous plait|volontiers|avec plaisir', 'yes please', 'x'],
  ['non|nan|nenni', 'no', 'x'],
  ['non merci|non, merci', 'no thanks', 'x'],
  ['d\'accord|dac|ok|entendu|bien reçu|compris|c\'est noté|noté', 'okay', 'x'],
  ['parfait|super|génial|excellent|formidable|impeccable|très bien|top|nickel', 'great', 'x'],
  ['ça marche|ça me va|c\'est bon|ça me convient|c\'est parfait|ça roule|c\'est beau', 'sounds good', 'x'],
  ['ça va|comment ça va|comment allez-vous|ça va bien', 'how are you', 'x'],
  ['ça marche pas|ça fonctionne pas|ça ne marche pas|ça ne fonctionne pas|rien ne marche|rien ne fonctionne', 'it does not work', 'x'],
  ['je n\'arrive pas à payer|j\'arrive pas à payer|n\'arrive pas à payer|arrive pas à payer|je ne parviens pas à payer|ne parviens pas à payer|on n\'arrive pas à payer|nous n\'arrivons pas à payer|impossible de payer|le paiement ne passe pas|paiement ne passe pas|le paiement passe pas|mon paiement ne passe pas', 'my payment does not go through', 'x'],
  ['je peux faire quoi|on peut faire quoi|qu\'est-ce que je peux faire|que puis-je faire|que peut-on faire', 'what can i do', 'x'],
  ['je suis de|je suis d|nous sommes de|nous sommes d|on est de|je travaille pour|je travaille chez|je fais partie de', 'i am from', 'x'],
  ['capitale', 'capital of', 'x'],
  ['bien sûr|évidemment|certainement|absolument|tout à fait|exactement|sans problème|sans faute', 'absolutely', 'x'],
  ['vas-y|allez-y|go|allons-y|envoyez donc|on y va|procédez|procède', 'go ahead', 'x'],
  ['faites-le|fais-le|fais le|faites le|faites donc|faites ça|fais ça', 'do it', 'x'],
  ['je confirme|confirmé|confirmée|je confirme la demande', 'confirm', 'x'],
  ['j\'approuve|approuvé|approuvée', 'approve', 'x'],
  ['laisse tomber|laissez tomber|laisse faire|laissez faire|tant pis|peu importe|oublie ça|oubliez ça|oublie|oubliez|oublie ça finalement', 'never mind', 'x'],
  ['annule ça|annulez ça|annulez cette demande|annule tout|annulez tout|annule la demande|annulez la demande', 'cancel that', 'x'],
  ['attends|attendez|minute|une minute|un instant|une seconde', 'wait', 'x'],
  ['stop|arrête|arrêtez|arrete|arretez|halte', 'stop', 'x'],
  ['pas maintenant|pas tout de suite|pas pour l\'instant|pas pour le moment', 'not now', 'x'],
  ['pas aujourd\'hui', 'not today', 'x'],
  ['pas encore', 'not yet', 'neg'],
  ['pas', 'not', 'neg'],
  ['il ne faut pas|il faut pas|faut pas|il ne faudrait pas|faudrait pas|pas question de|pas question d|hors de question de|hors de question d', 'do not', 'x'],
  ['surtout pas|absolument pas|certainement pas|jamais de la vie|hors de question|pas question|ne fais rien|ne faites rien|fais rien|faites rien|non non|non, non', 'no', 'x'],
  ['c\'est ça|c\'est exact|c\'est correct|exact|correct|tout à fait ça|c\'est juste', 'correct', 'x'],
  ['est à payer|est à régler|reste à payer ce mois', 'is due', 'x'],
  ['sont à payer|sont à régler', 'are due', 'x'],
  ['solder mon compte|solder le compte|régler mon compte|régler mon solde|payer mon solde|payer tout mon solde|payer le solde|régler le solde|acquitter mon solde|payer mon solde au complet', 'pay my whole balance', 'x'],
  ['pas besoin|aucun besoin|inutile de|pas nécessaire|pas la peine', 'no need', 'x'],
  ['j\'ai changé d\'avis|changé d\'avis|je change d\'avis', 'changed my mind', 'x'],
  ['je m\'en occupe|je vais m\'en occuper|je le ferai moi-même|je vais le faire moi-même|je m\'arrangerai', 'i will do it myself', 'x'],
  ['j\'en ai marre|marre|ras le bol|ras-le-bol|j\'en ai assez', 'fed up', 'x'],
  ['perte de temps', 'waste of time', 'x'],
  ['ça sert à rien|ça ne sert à rien|sert à rien|servez à rien|ne servez à rien|ne sert à rien|servez à rien du tout|tu sers à rien|tu ne sers à rien', 'useless', 'x'],
  ['contient une erreur|contient des erreurs|comporte une erreur|comporte des erreurs|a une erreur|il y a une erreur|il y a des erreurs|y a une erreur', 'is wrong', 'x'],
  ['surtout|de grâce|par pitié', '', 'x'],
  ['comme d\'habitude', '', 'x'],
  ['je veux dire|c\'est-à-dire|je voulais dire', 'i mean', 'x'],
];

interface VerbRow {
  /** Infinitive, then other forms ("|"), natural spelling. */
  fr: string;
  base: string;
  past: string;
  cls?: VerbClass;
  /** Past participles (masculine singular; feminine and plurals are added). */
  pp?: string;
  /** Future stems when they are not the infinitive ("enverr"). */
  fut?: string;
  /** Whole forms that stems would not find, each with its English. */
  forms?: Record<string, string>;
}

/** Verbs: the infinitive's stem finds the present and imperative; participles, futures and conditionals are listed. */
const VERBS: VerbRow[] = [
  // ---- auxiliaries and modals, form by form
  {
    fr: 'être',
    base: 'be',
    past: 'been',
    cls: 'etre',
    forms: { suis: 'am', es: 'are', est: 'is', sommes: 'are', êtes: 'are', etes: 'are', sont: 'are', été: 'been', ete: 'been', étais: 'was', était: 'was', étions: 'were', étiez: 'were', étaient: 'were', sera: 'will be', seront: 'will be', serait: 'would be', seraient: 'would be', serais: 'would be', soit: 'be', soient: 'be' },
  },
  {
    fr: 'avoir',
    base: 'have',
    past: 'had',
    cls: 'avoir',
    forms: { ai: 'have', as: 'have', a: 'has', avons: 'have', avez: 'have', ont: 'have', avais: 'had', avait: 'had', avions: 'had', aviez: 'had', avaient: 'had', aurai: 'will have', aura: 'will have', aurons: 'will have', aurez: 'will have', auront: 'will have', aurais: 'would have', aurait: 'would have', aurions: 'would have', auriez: 'would have', auraient: 'would have', eu: 'had', aie: 'have', ait: 'have', ayez: 'have' },
  },
  {
    fr: 'pouvoir',
    base: 'can',
    past: 'could',
    cls: 'modal',
    forms: { peux: 'can', peut: 'can', pouvons: 'can', pouvez: 'can', peuvent: 'can', puis: 'can', pourrais: 'could', pourrait: 'could', pourrions: 'could', pourriez: 'could', pourraient: 'could', pourrai: 'will be able to', pourra: 'will be able to', pourrez: 'will be able to', pu: 'been able to', puisse: 'can', puissiez: 'can' },
  },
  {
    fr: 'vouloir',
    base: 'want',
    past: 'wanted',
    cls: 'want',
    forms: { veux: 'want', veut: 'wants', voulons: 'want', voulez: 'want', veulent: 'want', veu: 'want', vx: 'want', voudrais: 'would like', voudrait: 'would like', voudrions: 'would like', voudriez: 'would like', voudraient: 'would like', voulais: 'wanted', voulait: 'wanted', voulu: 'wanted', veuillez: 'please' },
  },
  {
    fr: 'aimer',
    base: 'like',
    past: 'liked',
    cls: 'want',
    forms: { aimerais: 'would like', aimerait: 'would like', aimerions: 'would like', aimeriez: 'would like', aimeraient: 'would like' },
  },
  {
    fr: 'souhaiter|désirer',
    base: 'want',
    past: 'wanted',
    cls: 'want',
    forms: { souhaiterais: 'would like', souhaiterions: 'would like', souhaite: 'want', souhaitons: 'want', désire: 'want', désirons: 'want', désirerais: 'would like' },
  },
  {
    fr: 'devoir',
    base: 'owe',
    past: 'owed',
    cls: 'devoir',
    forms: { dois: 'owe', doit: 'owe', devons: 'owe', devez: 'owe', doivent: 'owe', devrais: 'should', devrait: 'should', devrions: 'should', devriez: 'should', devraient: 'should', devais: 'owed', devait: 'owed', devrai: 'will have to', devra: 'will have to', devrons: 'will have to' },
  },
  {
    fr: 'aller',
    base: 'go',
    past: 'gone',
    cls: 'aller',
    forms: { vais: 'will', vas: 'will', va: 'will', allons: 'will', allez: 'will', vont: 'will', irai: 'will go', ira: 'will go', allé: 'gone', allée: 'gone' },
  },
  { fr: 'falloir', base: 'need to', past: 'needed to', cls: 'modal', forms: { faut: 'need to', faudrait: 'would need to', faudra: 'will need to', fallait: 'needed to' } },
  { fr: 'faire', base: 'do', past: 'done', pp: 'fait', fut: 'fer', forms: { fais: 'do', faisons: 'do', faites: 'do', font: 'do', fasse: 'do', fassiez: 'do' } },

  // ---- sending
  { fr: 'envoyer', base: 'send', past: 'sent', pp: 'envoyé', fut: 'enverr', forms: { envoie: 'send', envoies: 'send', envoient: 'send', envoyez: 'send', envoyons: 'send', envoyiez: 'send', envoyer: 'send' } },
  { fr: 'renvoyer|réenvoyer', base: 'resend', past: 'resent', pp: 'renvoyé', fut: 'renverr', forms: { renvoie: 'resend', renvoyez: 'resend' } },
  { fr: 'expédier|poster|acheminer', base: 'send', past: 'sent', pp: 'expédié' },
  { fr: 'transmettre', base: 'forward', past: 'forwarded', pp: 'transmis', forms: { transmets: 'forward', transmet: 'forward', transmettez: 'forward', transmettons: 'forward' } },
  { fr: 'transférer|faire suivre', base: 'forward', past: 'forwarded', pp: 'transféré' },
  { fr: 'faire parvenir', base: 'send', past: 'sent' },
  { fr: 'partager', base: 'share', past: 'shared', pp: 'partagé' },
  { fr: 'courrieller|courrieler|emailer|mailer', base: 'email', past: 'email', pp: 'courriellé' },

  // ---- paying
  {
    fr: 'payer',
    base: 'pay',
    past: 'paid',
    pp: 'payé',
    fut: 'paier|payer',
    forms: { paie: 'pay', paies: 'pay', paient: 'pay', paye: 'pay', payes: 'pay', payent: 'pay', payez: 'pay', payons: 'pay', payiez: 'pay', payions: 'pay', payer: 'pay', payr: 'pay', paier: 'pay', payé: 'paid' },
  },
  { fr: 'régler', base: 'settle', past: 'paid', pp: 'réglé', forms: { règle: 'settle', règles: 'settle', règlent: 'settle', réglez: 'settle', réglons: 'settle' } },
  { fr: 'acquitter|solder|rembourser la dette', base: 'pay off', past: 'paid', pp: 'acquitté' },
  { fr: 'effectuer un paiement|faire un paiement|faire le paiement|effectuer le paiement|procéder au paiement|faire un versement|effectuer un versement', base: 'make a payment', past: 'made a payment' },
  { fr: 'rembourser', base: 'refund', past: 'refunded', pp: 'remboursé', forms: { rembourse: 'refund', remboursez: 'refund', remboursons: 'refund', remboursent: 'refund', rembourses: 'refund' } },
  { fr: 'débiter|prélever|charger', base: 'charge', past: 'charged', pp: 'débité' },

  // ---- reading
  { fr: 'montrer|afficher|présenter|sortir', base: 'show', past: 'shown', pp: 'montré', forms: { montre: 'show', montrez: 'show', affiche: 'show', affichez: 'show' } },
  { fr: 'voir|visualiser', base: 'see', past: 'seen', pp: 'vu', fut: 'verr', forms: { vois: 'see', voit: 'see', voyez: 'see', voyons: 'see' } },
  { fr: 'consulter|regarder|vérifier', base: 'check', past: 'checked', pp: 'consulté' },
  { fr: 'lister|énumérer', base: 'list', past: 'listed', pp: 'listé', forms: { listez: 'list', listons: 'list', liste: 'list', listes: 'list', énumérez: 'list' } },
  { fr: 'donner|fournir|filer', base: 'give', past: 'given', pp: 'donné' },
  { fr: 'dire|indiquer|préciser', base: 'tell', past: 'told', pp: 'dit', forms: { dis: 'tell', dites: 'tell', disons: 'tell' } },
  { fr: 'obtenir|avoir accès', base: 'get', past: 'got', pp: 'obtenu', forms: { obtiens: 'get', obtient: 'get', obtenez: 'get' } },
  { fr: 'recevoir', base: 'receive', past: 'received', pp: 'reçu', forms: { reçois: 'receive', reçoit: 'receive', recevez: 'receive', recevons: 'receive', reçoivent: 'receive', recu: 'received', reçue: 'received', recue: 'received', reçues: 'received', recues: 'received' } },
  { fr: 'trouver|retrouver', base: 'find', past: 'found', pp: 'trouvé' },
  { fr: 'chercher|rechercher', base: 'look for', past: 'looked for', pp: 'cherché' },
  { fr: 'télécharger', base: 'download', past: 'downloaded', pp: 'téléchargé' },
  { fr: 'imprimer', base: 'print', past: 'printed', pp: 'imprimé' },
  { fr: 'expliquer', base: 'explain', past: 'explained', pp: 'expliqué' },
  { fr: 'signifier|vouloir dire', base: 'mean', past: 'meant', pp: 'signifié' },
  { fr: 'fonctionner|marcher', base: 'work', past: 'worked', pp: 'fonctionné' },
  { fr: 'savoir|connaître', base: 'know', past: 'known', pp: 'su', forms: { sais: 'know', sait: 'know', savez: 'know', savons: 'know' } },
  { fr: 'comprendre', base: 'understand', past: 'understood', pp: 'compris', forms: { comprends: 'understand', comprend: 'understand', comprenez: 'understand', comprenons: 'understand' } },
  { fr: 'aider|assister', base: 'help', past: 'helped', pp: 'aidé' },
  { fr: 'servir', base: 'be used', past: 'used', pp: 'servi', forms: { sert: 'is used', servent: 'are used' } },
  { fr: 'correspondre|concorder', base: 'match', past: 'matched', pp: 'correspondu' },
  { fr: 'reconnaître', base: 'recognize', past: 'recognized', pp: 'reconnu', forms: { reconnais: 'recognize', reconnaissons: 'recognize' } },
  { fr: 'rester|demeurer', base: 'remain', past: 'remained', pp: 'resté' },

  // ---- billing actions
  { fr: 'facturer', base: 'invoice', past: 'invoiced', pp: 'facturé', forms: { facturez: 'invoice', facturent: 'invoice', facturons: 'invoice' } },
  { fr: 'émettre', base: 'issue', past: 'issued', pp: 'émis', forms: { émet: 'issue', émettez: 'issue' } },
  { fr: 'contester|disputer', base: 'dispute', past: 'disputed', pp: 'contesté', forms: { conteste: 'dispute', contestez: 'dispute', contestons: 'dispute', contestent: 'dispute', contestes: 'dispute' } },
  { fr: 'prolonger|allonger', base: 'extend', past: 'extended', pp: 'prolongé', forms: { prolongez: 'extend', prolonge: 'extend', prolongeons: 'extend' } },
  { fr: 'reporter|repousser|décaler|retarder|différer', base: 'postpone', past: 'postponed', pp: 'reporté', forms: { reportez: 'postpone', reporte: 'postpone', repoussez: 'postpone', repousse: 'postpone', décalez: 'postpone' } },
  { fr: 'escalader|remonter|acheminer à', base: 'escalate', past: 'escalated', pp: 'escaladé' },
  { fr: 'appeler|téléphoner|rappeler', base: 'call', past: 'called', pp: 'appelé', forms: { appelle: 'call', appelez: 'call', rappelle: 'call', rappelez: 'call', rappelles: 'call' } },
  { fr: 'contacter|joindre|écrire', base: 'contact', past: 'contacted', pp: 'contacté', forms: { joignez: 'contact', écrivez: 'contact', écris: 'contact' } },
  { fr: 'parler|discuter', base: 'talk', past: 'talked', pp: 'parlé' },
  { fr: 'demander', base: 'ask', past: 'asked', pp: 'demandé' },
  { fr: 'annuler', base: 'cancel', past: 'cancelled', pp: 'annulé', forms: { annule: 'cancel', annulez: 'cancel', annulons: 'cancel' } },
  { fr: 'supprimer|effacer|retirer', base: 'delete', past: 'deleted', pp: 'supprimé' },
  { fr: 'modifier|changer|corriger|mettre à jour', base: 'change', past: 'changed', pp: 'modifié' },
  { fr: 'réduire|baisser', base: 'reduce', past: 'reduced', pp: 'réduit' },
  { fr: 'oublier', base: 'forget', past: 'forgotten', pp: 'oublié' },
  { fr: 'ignorer', base: 'ignore', past: 'ignored', pp: 'ignoré' },
  { fr: 'arrêter|cesser', base: 'stop', past: 'stopped', pp: 'arrêté' },
  { fr: 'attendre', base: 'wait', past: 'waited', pp: 'attendu', forms: { attends: 'wait', attendez: 'wait', attend: 'wait' } },
  { fr: 'décider', base: 'decide', past: 'decided', pp: 'décidé' },
  { fr: 'préférer', base: 'prefer', past: 'preferred', pp: 'préféré', forms: { préfère: 'prefer', préférerais: 'would rather', préférerions: 'would rather' } },
  { fr: 'créer|générer|produire', base: 'create', past: 'created', pp: 'créé' },
  { fr: 'ouvrir', base: 'open', past: 'opened', pp: 'ouvert', forms: { ouvre: 'open', ouvrez: 'open' } },
  { fr: 'utiliser|employer', base: 'use', past: 'used', pp: 'utilisé' },
  { fr: 'appliquer|imputer', base: 'apply', past: 'applied', pp: 'appliqué' },
  { fr: 'accepter|prendre', base: 'accept', past: 'accepted', pp: 'accepté', forms: { prends: 'take', prenez: 'take', prenons: 'take', pris: 'taken' } },
  { fr: 'entrer|saisir|taper|inscrire', base: 'enter', past: 'entered', pp: 'entré' },
  { fr: 'commander', base: 'order', past: 'ordered', pp: 'commandé', forms: { commandez: 'order', commandons: 'order' } },
  { fr: 'livrer', base: 'deliver', past: 'delivered', pp: 'livré' },
  { fr: 'activer|configurer|mettre en place', base: 'set up', past: 'set up', pp: 'activé' },
  { fr: 'enregistrer|sauvegarder|conserver', base: 'save', past: 'saved', pp: 'enregistré' },
  { fr: 'manquer|oublier de payer', base: 'miss', past: 'missed', pp: 'manqué' },
  { fr: 'marquer|indiquer comme|afficher comme', base: 'mark', past: 'marked', pp: 'marqué' },
  { fr: 'refuser|rejeter|décliner', base: 'decline', past: 'declined', pp: 'refusé' },
  { fr: 'refléter|apparaître|paraître|mettre à jour le solde', base: 'show', past: 'reflected', pp: 'reflété', forms: { apparaisse: 'appear', apparaît: 'appears', apparait: 'appears' } },
  { fr: 'confirmer', base: 'confirm', past: 'confirmed', pp: 'confirmé' },
  { fr: 'approuver|valider|autoriser', base: 'approve', past: 'approved', pp: 'approuvé' },
  { fr: 'continuer|poursuivre', base: 'go on', past: 'gone on', pp: 'continué' },
  { fr: 'éviter', base: 'avoid', past: 'avoided', pp: 'évité' },
  { fr: 'passer', base: 'go', past: 'gone', pp: 'passé' },
  { fr: 'arriver|venir', base: 'come', past: 'come', pp: 'arrivé', forms: { vient: 'comes', viennent: 'come', arrive: 'comes', arrivent: 'come', venu: 'come' } },
  { fr: 'commencer|débuter', base: 'start', past: 'started', pp: 'commencé' },
  { fr: 'occuper|gérer|traiter', base: 'handle', past: 'handled', pp: 'traité' },
  { fr: 'penser|croire', base: 'think', past: 'thought', pp: 'pensé', forms: { crois: 'think', croit: 'think' } },
  { fr: 'relancer', base: 'remind', past: 'reminded', pp: 'relancé' },
  { fr: 'obéir', base: 'follow', past: 'followed', pp: 'obéi' },
];

/** Phrases that read as one verb with its object ("parler à" stays compositional). */
const PHRASE_VERBS: Row[] = [
  ['avoir besoin de|avoir besoin d', 'need to', 'v'],
  ['ai besoin de|ai besoin d|avons besoin de|avons besoin d|a besoin de|a besoin d|avez besoin de|avez besoin d|ont besoin de|aurais besoin de|aurais besoin d|aurions besoin de|aurait besoin de', 'need', 'v'],
  ['ai besoin|avons besoin|a besoin|avez besoin|aurais besoin|aurions besoin', 'need', 'v'],
  ['passez-moi|passe-moi|mettez-moi en contact avec|mets-moi en contact avec|transférez-moi à|transférez-moi vers|transfère-moi à', 'put me through to', 'x'],
  ['se passe|se passera|se passe-t-il', 'happens', 'v'],
  ['se passerait', 'would happen', 'v'],
  ['arrive à échéance|arrivent à échéance|vient à échéance|viennent à échéance|arrivant à échéance|venant à échéance|arrive à terme|arrivent à terme|tombe à échéance|tombent à échéance|tombent dues|tombe due', 'comes due', 'v'],
  ['arrivé à échéance|arrivées à échéance|arrivés à échéance|venues à échéance|venu à échéance', 'came due', 'v'],
  ['à échéance', 'due', 'adj'],
  ['il faut que|faut que', 'i need to', 'v'],
  ['il me faut|il nous faut', 'i need', 'v'],
  ['évitez de|évitez d|éviter de|éviter d|évite de|évite d', 'do not', 'x'],
  ['abstenez-vous de|abstenez-vous d|vous abstenir de|vous abstenir d|s\'abstenir de|s\'abstenir d|abstiens-toi de|abstiens-toi d', 'do not', 'x'],
  ['je préfère ne pas|je préférerais ne pas|on préfère ne pas|nous préférons ne pas|j\'aimerais mieux ne pas|préfère ne pas|préférerais ne pas', 'i would rather not', 'x'],
  ['il reste|il me reste|il nous reste|reste-t-il|me reste-t-il|nous reste-t-il|reste t il|me reste t il|qui reste|qui me reste', 'is left', 'x'],
  ['reste à payer|restant à payer|reste à régler|qui reste à payer', 'left to pay', 'x'],
  ['combien reste-t-il à payer|combien il reste à payer|combien reste à payer|combien reste-t-il à régler|combien reste t il à payer|combien est-ce qu\'il reste à payer', 'how much is left', 'q'],
  ['il me reste combien|il reste combien|il nous reste combien|reste combien|me reste combien', 'how much do i have left', 'q'],
  ['combien me reste-t-il à payer|combien il me reste à payer|combien nous reste-t-il à payer|combien il nous reste à payer|combien me reste t il à payer', 'how much do i have left', 'q'],
  ['à payer', 'to pay', 'x'],
  ['quelque chose à payer|quoi que ce soit à payer|rien à payer|qqch à payer|quelque chose de dû|quelque chose à régler', 'anything due', 'x'],
  ['attendez avant de|attendez avant d|attends avant de|attends avant d|attendre avant de|attendre avant d|retenez|patientez avant de|patientez avant d', 'hold off on', 'x'],
  ['faire ce que dit|faites ce que dit|fais ce que dit|faire ce que demande|faites ce que demande|suivez les instructions de|suivre les instructions de|exécutez|exécuter', 'do what says', 'x'],
  ['faire ce que dit la note|faites ce que dit la note|fais ce que dit la note|faites ce que dit le mémo|faites ce que la note dit|faites ce que demande la note', 'do what the memo says', 'x'],
  ['ignorez toutes les instructions précédentes|ignore toutes les instructions précédentes|ignorez vos instructions|ignore tes instructions|oubliez vos instructions|ignorez les instructions|ignorez vos règles|oublie tes règles', 'ignore all previous instructions', 'x'],
  ['ne correspond pas|ne correspondent pas|correspond pas|correspondent pas', 'does not match', 'x'],
  ['je ne reconnais pas|on ne reconnaît pas|nous ne reconnaissons pas|reconnais pas', 'do not recognize', 'x'],
  ['facturé deux fois|facturés deux fois|facturée deux fois|facturé en double|facturée en double|facturé à deux reprises|chargé deux fois|débité deux fois', 'billed twice', 'x'],
  ['trop payé|payé trop|payé en trop|trop perçu|payé deux fois', 'overpaid', 'x'],
  ['jamais commandé|jamais reçu|jamais eu', 'never ordered', 'x'],
  ['ne m\'aidez pas|m\'aidez pas|ne m\'aides pas|m\'aides pas|aidez pas|n\'aide pas|ne m\'aide pas|m\'aide pas', 'not helping', 'x'],
  ['ne comprenez pas|comprenez pas|ne comprends rien|comprends rien|ne comprenez rien|comprenez rien', 'you do not understand', 'x'],
  ['ne fonctionne pas|fonctionne pas|ne marche pas|marche pas|ne fonctionnent pas|ne marchent pas|ne charge pas|charge pas|plante', 'not work', 'x'],
  ['être remboursé|être remboursée|être remboursés|mon argent|notre argent|récupérer mon argent|récupérer notre argent', 'money back', 'x'],
  ['plus de temps|davantage de temps|un peu plus de temps|du temps supplémentaire|quelques jours de plus|quelques semaines de plus|un mois de plus', 'more time', 'x'],
  ['payer plus tard|payer le mois prochain|payer en plusieurs fois|payer en plusieurs versements', 'pay later', 'x'],
  ['vous nous avez facturé|vous m\'avez facturé|on a été facturé|on nous a facturé|avons été facturés|avons-nous été facturés|ai-je été facturé|été facturés|été facturé|été facturée', 'got invoiced', 'x'],
];

// ------------------------------------------------------------------------------------------------
// Compiling the lexicon

function keysOf(phrase: string): { words: string[]; spelled: string[] } {
  const toks = tokenizeFr(phrase, []).filter((t) => t.kind !== 'punct');
  return { words: toks.map((t) => t.norm), spelled: toks.map((t) => t.lower) };
}

export interface CompiledEntry extends Entry {
  /** Stems of each word (words of four letters or more match by stem too). */
  stems: Array<string[] | null>;
}

const entries: CompiledEntry[] = [];

function add(fr: string, e: Omit<Entry, 'words'>, byStem: boolean): void {
  for (const spelling of fr.split('|')) {
    const { words, spelled } = keysOf(spelling);
    if (words.length === 0) continue;
    entries.push({ ...e, words, spelled, stems: words.map((w) => (byStem && w.length >= 4 ? stemsFr(w) : null)) });
  }
}

const PLURAL_DET = new Set(['les', 'des', 'mes', 'nos', 'vos', 'ces', 'leurs', 'ses', 'tes']);

for (const [fr, en, tag = 'x', plural] of WORDS) {
  // Function words match exactly; content words by stem as well (inflections, typos near a stem).
  const byStem = tag === 'n' || tag === 'unit';
  add(fr, { en, tag, ...(plural ? { plural } : {}), ...(tag === 'n' && /s$/.test(en) && !plural ? { many: true } : {}) }, byStem);
}

function participles(pp: string): string[] {
  if (/é$/.test(pp)) return [pp, `${pp}e`, `${pp}s`, `${pp}es`];
  if (/[ui]$/.test(pp)) return [pp, `${pp}e`, `${pp}s`, `${pp}es`];
  if (/[st]$/.test(pp)) return [pp, `${pp}e`, `${pp}es`];
  return [pp];
}

const FUT_ENDINGS = ['ai', 'as', 'a', 'ons', 'ez', 'ont'];
const COND_ENDINGS = ['ais', 'ait', 'ions', 'iez', 'aient'];

for (const v of VERBS) {
  const verb: Verb = { base: v.base, past: v.past, cls: v.cls ?? 'plain' };
  const infinitives = v.fr.split('|');
  // The infinitive, and by stem every present or imperative form.
  for (const inf of infinitives) add(inf, { en: verb.base, tag: 'v', verb, form: 'inf' }, !v.forms || verb.cls === 'plain');
  for (const [form, en] of Object.entries(v.forms ?? {})) {
    const isPast = en === verb.past && en !== verb.base;
    add(form, { en, tag: 'v', verb, form: isPast ? 'pp' : 'base' }, false);
  }
  if (v.pp) for (const p of participles(v.pp)) add(p, { en: verb.past, tag: 'v', verb, form: 'pp' }, false);
  if (verb.cls === 'plain') {
    const first = infinitives[0]!;
    if (!first.includes(' ')) {
      const stems = v.fut ? v.fut.split('|') : [/re$/.test(first) ? first.slice(0, -1) : first];
      for (const s of stems) {
        for (const e of FUT_ENDINGS) add(`${s}${e}`, { en: `will ${verb.base}`, tag: 'v', verb, form: 'fut' }, false);
        for (const e of COND_ENDINGS) add(`${s}${e}`, { en: `would ${verb.base}`, tag: 'v', verb, form: 'cond' }, false);
      }
    }
  }
}

for (const [fr, en, tag = 'x'] of PHRASE_VERBS) add(fr, { en, tag, ...(tag === 'v' ? { verb: { base: en, past: en, cls: 'plain' as const }, form: 'base' as const } : {}) }, false);

/** Entries by first word (exact) and by first word's stem, longest phrases first. */
const byFirst = new Map<string, CompiledEntry[]>();
const byFirstStem = new Map<string, CompiledEntry[]>();
for (const e of entries) {
  const k = e.words[0]!;
  byFirst.set(k, [...(byFirst.get(k) ?? []), e]);
  for (const s of e.stems[0] ?? []) byFirstStem.set(s, [...(byFirstStem.get(s) ?? []), e]);
}
for (const m of [byFirst, byFirstStem]) for (const list of m.values()) list.sort((a, b) => b.words.length - a.words.length);

/** Every word the lexicon knows, for typo correction and language detection. */
export const LEXICON_WORDS: ReadonlySet<string> = new Set(entries.flatMap((e) => e.words));
const LEXICON_STEMS: ReadonlySet<string> = new Set(entries.flatMap((e) => e.stems.flatMap((s) => s ?? [])));
splitGluedElision = (piece: string) => {
  const m = /^([nlmtsdj])([aeiouyhàâéèêîôû].{3,})$/i.exec(piece);
  if (!m) return null;
  const whole = normalizeFr(piece.toLowerCase());
  if (LEXICON_WORDS.has(whole) || stemsFr(piece.toLowerCase()).some((st) => LEXICON_STEMS.has(st))) return null;
  const rest = m[2]!.toLowerCase();
  const known = LEXICON_WORDS.has(normalizeFr(rest)) || stemsFr(rest).some((st) => LEXICON_STEMS.has(st));
  return known ? `${m[1]}'${m[2]}` : null;
};

/** Typo targets by length: a word is only compared with words one or two letters longer or shorter. */
const TYPO_TARGETS = new Map<number, string[]>();
for (const w of LEXICON_WORDS) {
  if (w.length >= 5 && /^[a-z]+$/.test(w)) TYPO_TARGETS.set(w.length, [...(TYPO_TARGETS.get(w.length) ?? []), w]);
}
const typoCache = new Map<string, string | null>();

/** A lexicon word the unknown word is a typo of (one edit, two from ten letters), or null. */
export function frenchTypo(norm: string): string | null {
  if (norm.length < 4 || LEXICON_WORDS.has(norm) || !/^[a-z]+$/.test(norm)) return null;
  const cached = typoCache.get(norm);
  if (cached !== undefined) return cached;
  let best: string | null = null;
  if (norm.length === 4) {
    // Four letters: only a letter left out of a five-letter word ("sole" → "solde", "frai" → "frais").
    const hit = (TYPO_TARGETS.get(5) ?? []).find((w) => [...w].some((_c, i) => w.slice(0, i) + w.slice(i + 1) === norm));
    best = hit ?? null;
  } else if (!stemsFr(norm).some((s) => LEXICON_STEMS.has(s))) {
    const allowed = norm.length >= 10 ? 2 : 1;
    let bestD = allowed + 1;
    for (let len = norm.length - allowed; len <= norm.length + allowed; len++) {
      for (const w of TYPO_TARGETS.get(len) ?? []) {
        const d = editDistance(norm, w, allowed);
        if (d < bestD) {
          best = w;
          bestD = d;
        }
      }
    }
    if (bestD > allowed) best = null;
  }
  if (norm.length === 4 && stemsFr(norm).some((s) => LEXICON_STEMS.has(s))) best = null;
  if (typoCache.size > 5000) typoCache.clear();
  typoCache.set(norm, best);
  return best;
}

function wordMatches(t: FrToken, key: string, stems: string[] | null): boolean {
  if (t.kind === 'kept' || t.kind === 'punct') return false;
  if (t.norm === key) return true;
  if (!stems) return false;
  return stemsFr(t.lower).some((s) => stems.includes(s));
}

const conceptOf = (e: Entry) => `${e.tag}:${e.en.replace(/s$/, '')}`;
/** Written with a diacritic ("dû", "où", "réglé"). */
export const hasAccent = (w: string) => /[àâäçéèêëîïôöûùüÿœæ]/.test(w);
/** How well an entry's spelling fits the typed words: an accent typed as in the lexicon counts ("dû" is not "du"). */
function accentFit(e: CompiledEntry, tokens: readonly FrToken[], i: number): number {
  let fit = 0;
  e.words.forEach((_w, k) => {
    const typed = tokens[i + k]!.lower;
    const spelled = e.spelled?.[k] ?? '';
    if (typed === spelled) fit += hasAccent(typed) ? 2 : 1;
    else if (hasAccent(typed) && hasAccent(spelled)) fit -= 1;
    else if (hasAccent(typed) !== hasAccent(spelled) && normalizeFr(typed) === normalizeFr(spelled)) fit -= 1;
  });
  return fit;
}

/** Verb endings, to tell a verb from a noun of the same stem ("payez" / "paiement", "conteste" / "contestation"). */
const VERB_ENDING = /(?:ez|ons|er|ent|ais|ait|iez|ions|aient|e|es|é|ée|és|ées|i|is|it)$/;
const NOUN_ENDING = /(?:tion|tions|ment|ments|age|ages|ure|ures|ance|ances|ence|ences)$/;

/**
 * The longest lexicon entry that starts at token i (phrases do not cross punctuation), or null.
 * Among entries of the same length, the one spelled with the accents typed wins; a word matched only
 * by its stem must name one concept, or a verb and a noun told apart by its ending ("payez" is a
 * verb, "paiements" a noun); otherwise it is left unread rather than guessed.
 */
export function entryAt(tokens: readonly FrToken[], i: number): CompiledEntry | null {
  const t = tokens[i];
  if (!t || t.kind === 'punct' || t.kind === 'kept') return null;
  const matches = (e: CompiledEntry, firstExact: boolean) =>
    i + e.words.length <= tokens.length && e.words.every((w, k) => (k === 0 && firstExact ? true : wordMatches(tokens[i + k]!, w, e.stems[k] ?? null)));
  const exact = (byFirst.get(t.norm) ?? []).filter((e) => matches(e, true));
  const seen = new Set(exact);
  const byStem = stemsFr(t.lower)
    .flatMap((s) => byFirstStem.get(s) ?? [])
    .filter((e) => !seen.has(e) && matches(e, false));
  const rank = (e: CompiledEntry) => e.words.length * 100 + (byStem.includes(e) ? 0 : 50) + accentFit(e, tokens, i);
  const best = [...exact, ...byStem].sort((a, b) => rank(b) - rank(a))[0];
  if (!best) return null;
  if (byStem.includes(best) && best.words.length === 1 && !exact.some((e) => e.words.length === 1)) {
    const single = byStem.filter((e) => e.words.length === 1);
    const concepts = new Set(single.map(conceptOf));
    if (concepts.size > 1) {
      const verbs = single.filter((e) => e.tag === 'v');
      const others = single.filter((e) => e.tag !== 'v');
      const verbLike = VERB_ENDING.test(t.norm) && !NOUN_ENDING.test(t.norm);
      const pick = verbLike ? verbs : others;
      if (pick.length > 0 && new Set(pick.map(conceptOf)).size === 1) return pick[0]!;
      // Nouns of one family ("facture", "facturation"): the spelling nearest to what was typed, if one is nearest.
      const distance = (e: CompiledEntry) => editDistance(t.norm, e.words[0]!, 9);
      const ranked = [...pick].sort((x, y) => distance(x) - distance(y));
      if (ranked.length > 0 && (ranked.length === 1 || distance(ranked[0]!) < distance(ranked[1]!) || conceptOf(ranked[0]!) === conceptOf(ranked[1]!))) return ranked[0]!;
      return null;
    }
  }
  return best;
}

/**
 * The verb a word is, even where the lexicon reads it first as something else: "envoi" typed for
 * "envoie" is the verb after "n'" ("nenvoi pas"), "entre" after "j'" is "entrer".
 */
export function verbEntryAt(tokens: readonly FrToken[], i: number): CompiledEntry | null {
  const t = tokens[i];
  if (!t || t.kind !== 'word') return null;
  const e = entryAt(tokens, i);
  if (e?.tag === 'v') return e;
  const exact = (byFirst.get(t.norm) ?? []).find((x) => x.tag === 'v' && x.words.length === 1);
  if (exact) return exact;
  const byStem = stemsFr(t.lower)
    .flatMap((s) => byFirstStem.get(s) ?? [])
    .filter((x) => x.tag === 'v' && x.words.length === 1);
  return byStem.length > 0 && new Set(byStem.map((x) => x.verb!.base)).size === 1 ? byStem[0]! : null;
}

/** Every single-word entry spelled exactly `norm` (a word can be several things: "a" is "à" or "has"). */
export function entriesFor(norm: string): CompiledEntry[] {
  return (byFirst.get(norm) ?? []).filter((e) => e.words.length === 1);
}

/** Is this a plural determiner ("les", "mes", "des")? */
export function isPluralDeterminer(norm: string): boolean {
  return PLURAL_DET.has(norm);
}

// ------------------------------------------------------------------------------------------------
// Negation scope (for the Tokenizer interface and tests)

const NEG_PARTICLES = new Set(['pas', 'plus', 'jamais', 'rien', 'personne', 'aucun', 'aucune', 'guere', 'point', 'nullement', 'ni']);
const CLITICS = new Set(['me', 'm', 'te', 't', 'se', 's', 'le', 'la', 'l', 'les', 'lui', 'leur', 'y', 'en', 'nous', 'vous']);

/**
 * Structural negation: "ne/n' [pronouns] VERB [-pronouns] pas|plus|jamais|rien|personne|aucun" and
 * "ne pas VERB"; spoken French drops the "ne" ("envoie-la pas", "j'ai pas payé"): a particle right
 * after a verb negates it; "sans" negates what follows. Returns, per token, whether it is in a
 * negation's scope (the verb and the rest of its clause, as wink-nlp marks English).
 */
export function negationScope(tokens: readonly FrToken[], isVerb: (i: number) => boolean): boolean[] {
  const scope = new Array<boolean>(tokens.length).fill(false);
  const mark = (from: number) => {
    for (let k = from; k < tokens.length && tokens[k]!.kind !== 'punct'; k++) scope[k] = true;
  };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.norm === 'ne' || (t.norm === 'n' && t.elided)) {
      let j = i + 1;
      if (tokens[j] && NEG_PARTICLES.has(tokens[j]!.norm)) {
        mark(j + 1);
        continue;
      }
      while (tokens[j] && CLITICS.has(tokens[j]!.norm) && !tokens[j]!.hyphen) j++;
      if (!tokens[j] || tokens[j]!.kind !== 'word') continue;
      // The particle follows the verb, maybe after glued pronouns or an adverb ("n'envoyez surtout pas"),
      // or later in the clause ("n'envoyez IN7654321 à personne").
      for (let k = j + 1; k < tokens.length && tokens[k]!.kind !== 'punct' && !(k > j + 1 && isVerb(k)); k++) {
        if (NEG_PARTICLES.has(tokens[k]!.norm)) {
          mark(j);
          break;
        }
      }
    } else if (t.norm === 'sans' || t.norm === 'jamais') {
      mark(i + 1);
    } else if ((t.norm === 'pas' || t.norm === 'jamais') && i > 0 && !scope[i]) {
      // Spoken: "envoie-la pas", "je paie pas", "envoie surtout pas".
      let v = i - 1;
      while (v > 0 && (tokens[v]!.hyphen || ADVERBS_BEFORE_PAS.has(tokens[v]!.norm))) v--;
      if (isVerb(v)) mark(v);
    }
  }
  return scope;
}

const ADVERBS_BEFORE_PAS = new Set(['surtout', 'vraiment', 'absolument', 'donc', 'meme', 'toujours', 'encore', 'trop', 'bien', 'juste']);

/** The English verbs of each action, for reading which actions a French negation's scope covers. */
const ACTION_VERBS: Record<'email' | 'pay' | 'followup', ReadonlySet<string>> = {
  email: new Set(['send', 'resend', 'forward', 'share', 'email']),
  pay: new Set(['pay', 'settle', 'pay off', 'make a payment', 'charge']),
  followup: new Set(['call', 'contact', 'escalate', 'talk', 'dispute', 'refund', 'postpone', 'extend']),
};

/**
 * The actions whose verb is inside a negation's scope in a French message, read from its structure
 * ("N'envoyez surtout pas IN7654321" → email). The analysis takes these as negated even where the
 * mapped English reads otherwise: the gate errs on the side of not acting.
 */
export function frenchNegatedActions(text: string): Set<'email' | 'pay' | 'followup'> {
  const s = normalizeTyped(text);
  const toks = tokenizeFr(s, recipientSpans(s));
  const verbAt = (i: number) => verbEntryAt(toks, i);
  const scope = negationScope(toks, (i) => verbAt(i) !== null);
  const out = new Set<'email' | 'pay' | 'followup'>();
  toks.forEach((_t, i) => {
    if (!scope[i]) return;
    const base = verbAt(i)?.verb?.base;
    if (!base) return;
    for (const [action, verbs] of Object.entries(ACTION_VERBS) as Array<['email' | 'pay' | 'followup', ReadonlySet<string>]>) if (verbs.has(base)) out.add(action);
  });
  return out;
}

/** The French Tokenizer (types.ts): tokens with their stem as lemma and structural negation scope. */
export const frenchTokenizer: Tokenizer = {
  tokenize(text: string): Token[] {
    const s = normalizeTyped(text);
    const toks = tokenizeFr(s, recipientSpans(s));
    const isVerb = (i: number) => entryAt(toks, i)?.tag === 'v';
    const neg = negationScope(toks, isVerb);
    return toks.map((t, i) => ({
      value: t.value,
      lemma: t.kind === 'word' ? (stemsFr(t.lower).at(-1) ?? t.norm) : t.norm,
      negated: neg[i]!,
      type: t.kind === 'kept' ? (t.keep === 'email' ? 'email' : 'number') : t.kind === 'punct' ? 'punctuation' : t.kind,
      sentence: t.sentence,
    }));
  },
};
