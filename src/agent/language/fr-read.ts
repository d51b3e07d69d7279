import { normalizeTyped, recipientSpans } from '../../mail/recipients.js';
import { isEngineWord } from '../offline/text.js';
import { entriesFor, entryAt, frenchTypo, hasAccent, isPluralDeterminer, tokenizeFr, verbEntryAt, type CompiledEntry, type FrToken, type Tag } from './fr.js';

/**
 * Reads a French message into the offline engine's concept vocabulary: the English words its intent
 * steps, negation rules and date reader read ("quel est mon solde" → "what is my balance", "n'envoyez
 * pas IN7654321 à ap@…" → "do not send IN7654321 to ap@…", "les factures du mois dernier" → "the
 * invoices from last month"). Email addresses, invoice numbers and other references are kept as
 * typed; amounts and dates are written the way the engine reads them ("1 000 $" → "$1,000").
 *
 * The lexicon (fr.ts) maps words and phrases; this module does the structure English needs:
 * - negation: "ne/n' [pronouns] VERB [-pronouns] pas|plus|jamais|rien|personne|aucun|ni", "ne pas
 *   VERB", and the spoken "VERB pas" become "do not VERB", "have not PARTICIPLE", "is not", "can not",
 *   "never VERB" … so the engine's negation scope (wink-nlp) sees them as it sees English;
 * - object pronouns move after their verb ("je vous dois" → "i owe you", "ne l'envoyez pas" → "do not
 *   send it", "envoyez-la" → "send it");
 * - questions: "est-ce que je peux…" → "can i…", "pouvez-vous" → "can you", "ai-je payé" → "have i paid";
 * - word order: adjectives after nouns come first ("factures impayées" → "unpaid invoices",
 *   "celles en retard" → "the overdue ones", "celle de 640 $" → "the $640 one"), counts before
 *   "derniers" ("les 3 dernières" → "the last 3"), "il y a 2 mois" → "2 months ago", "le 1er
 *   septembre" → "1 september".
 */

interface Unit {
  toks: FrToken[];
  t: FrToken;
  e: CompiledEntry | null;
}

interface Chunk {
  en: string;
  tag: Tag | 'kept' | 'punct' | 'numeral' | 'rel';
  /** Plural (an article like "les", or a plural noun). */
  many?: boolean;
  plural?: string;
  keep?: FrToken['keep'];
  /** A number's value, for dates and counts. */
  value?: number;
  /** A negated verb group. */
  negated?: boolean;
}

const SUBJECTS: Record<string, string> = { je: 'i', j: 'i', tu: 'you', il: 'it', elle: 'it', on: 'we', nous: 'we', vous: 'you', ils: 'they', elles: 'they', c: 'it', ca: 'that', cela: 'that', ce: 'it' };
const OBJECTS: Record<string, string> = { le: 'it', la: 'it', l: 'it', les: 'them', me: 'me', m: 'me', moi: 'me', te: 'you', t: 'you', toi: 'you', nous: 'us', vous: 'you', lui: 'him', leur: 'them', se: '', s: '', y: '', en: '' };
const CLITIC = new Set(['me', 'm', 'te', 't', 'se', 's', 'le', 'la', 'l', 'les', 'lui', 'leur', 'y', 'en', 'nous', 'vous']);
const DIRECT = new Set(['le', 'la', 'l', 'les']);
const PARTICLES = new Set(['pas', 'plus', 'jamais', 'rien', 'personne', 'aucun', 'aucune', 'guere', 'point', 'nullement', 'ni', 'pas encore', 'surtout pas', 'absolument pas', 'certainement pas', 'pas du tout', 'pas question']);

/**
 * A negation particle, or a "not now" phrase that holds one ("ne la payez pas tout de suite",
 * "payez-la pas maintenant"): the negation closes there, and "now" adds nothing to it.
 */
function isParticle(unit: { e?: { en?: string } | null } | undefined, kind: string): boolean {
  return PARTICLES.has(kind) || (kind.startsWith('pas ') && unit?.e?.en === 'not now');
}
/** Words between an auxiliary and its participle ("n'ai pas encore payé", "a déjà été"). */
const BETWEEN = new Set(['deja', 'encore', 'bien', 'toujours', 'jamais', 'pas', 'plus', 'vraiment', 'tout', 'pas encore', 'finalement', 'enfin', 'aussi']);
/** Adverbs that may sit between a verb and "pas" ("n'envoyez surtout pas", "je paie vraiment pas"). */
const ADVERBS = new Set(['surtout', 'vraiment', 'absolument', 'donc', 'meme', 'toujours', 'encore', 'trop', 'bien', 'juste']);
const DATE_PREPS = new Set(['before', 'after', 'since', 'until', 'by', 'on', 'from', 'to', 'through']);

const isPunct = (u: Unit | undefined) => u?.t.kind === 'punct';
const normOf = (u: Unit | undefined) => (u ? u.toks.map((t) => t.norm).join(' ') : '');
const isVerb = (u: Unit | undefined) => u?.e?.tag === 'v' && u.toks.length >= 1;

/** A verb's form from its spelling, for forms the lexicon found by stem. */
function guessForm(u: Unit, prev: Unit | undefined): 'base' | 'pp' | 'inf' {
  const w = u.t.lower;
  if (/(?:é|ée|és|ées)$/.test(w) || /ees?$/.test(w)) return 'pp';
  if (/(?:er|ir|re|oir)$/.test(w)) return 'inf';
  // Without accents "paye", "regle" may be "payé", "réglé": after an auxiliary, "pas" or a noun it is the participle.
  if (/(?:e|es)$/.test(u.t.norm) && prev && (prev.e?.verb?.cls === 'avoir' || prev.e?.verb?.cls === 'etre' || ['pas', 'deja', 'encore', 'non', 'jamais', 'bien'].includes(prev.t.norm) || prev.e?.tag === 'n')) return 'pp';
  return 'base';
}

/** The form of a verb unit: the lexicon's, or its ending's and context's when the lexicon found it by stem or without its accent. */
function formOf(u: Unit, prev: Unit | undefined, next?: Unit): 'base' | 'pp' | 'inf' | 'fut' | 'cond' {
  const e = u.e!;
  if (e.form === 'inf') return guessForm(u, prev);
  // "Payé la IN7654321", "pouvez-vous envoyé la facture": a participle typed for an imperative or an infinitive.
  if (e.form === 'pp' && e.verb?.cls === 'plain' && next && (next.e?.tag === 'det' || next.t.kind === 'kept' || (next.toks.length === 1 && ['la', 'le', 'les', 'l', 'moi'].includes(next.t.norm)))) {
    const leads = !prev || prev.t.kind === 'punct' || prev.e?.en === 'please' || (prev.e?.verb !== undefined && ['modal', 'want', 'devoir', 'aller'].includes(prev.e.verb.cls)) || ['de', 'd', 'a', 'pour'].includes(prev.t.norm);
    if (leads) return 'base';
  }
  // "conteste" typed for "je conteste" matches the participle "contesté" without its accent: the context decides.
  if (e.form === 'pp' && !hasAccent(u.t.lower) && hasAccent(e.spelled?.[0] ?? '')) return guessForm(u, prev) === 'pp' ? 'pp' : 'base';
  return e.form ?? 'base';
}

class Reader {
  private out: Chunk[] = [];
  private objects: string[] = [];
  private direct: string[] = [];
  private subject: string | null = null;
  private invert = false;
  /** A particle that negates the next verb ("ne … pas"), and whether it was consumed. */
  private negation: { unit: number; kind: string } | null = null;
  private consumed = new Set<number>();

  constructor(private readonly units: Unit[]) {}

  private emit(c: Chunk) {
    this.out.push(c);
  }

  private next(u: number, skip: (x: Unit) => boolean = () => false): number {
    let j = u + 1;
    while (j < this.units.length && skip(this.units[j]!)) j++;
    return j;
  }

  private isClitic(u: number): boolean {
    const U = this.units[u]!;
    if (U.toks.length !== 1 || U.t.hyphen || !CLITIC.has(U.t.norm)) return false;
    const j = this.next(u, (x) => x.toks.length === 1 && CLITIC.has(x.t.norm) && !x.t.hyphen);
    const V = this.units[j];
    if (!isVerb(V)) return false;
    const form = V!.e!.form === 'inf' ? guessForm(V!, U) : V!.e!.form;
    if (DIRECT.has(U.t.norm) && form === 'pp') return false;
    if (U.t.norm === 'nous' || U.t.norm === 'vous') {
      // An object only after a subject ("je vous dois", "vous nous avez facturé").
      const p = this.units[u - 1];
      const pp = this.units[u - 2];
      const subj = (x: Unit | undefined) => x !== undefined && x.t.norm in SUBJECTS && x.t.norm !== 'ce';
      return subj(p) || (p !== undefined && (p.t.norm === 'ne' || p.t.norm === 'n') && subj(pp));
    }
    return true;
  }

  /** "a" without its accent: "has" after a subject or before a participle, else "à". */
  private aIsVerb(u: number): boolean {
    const p = this.units[u - 1];
    const n = this.units[u + 1];
    if (n && (n.t.hyphen || isParticle(n, normOf(n)) || (isVerb(n) && (n.e!.form === 'pp' || guessForm(n, undefined) === 'pp')) || n.t.norm === 'besoin' || n.e?.en === 'overpaid' || n.e?.en === 'no need')) return true;
    if (n && (n.t.kind === 'kept' || n.e?.tag === 'det' || n.e?.tag === 'n')) return false;
    return p !== undefined && (p.t.norm in SUBJECTS || ['qui', 'ne', 'n', 'y'].includes(p.t.norm));
  }

  read(): Chunk[] {
    const U = this.units;
    for (let u = 0; u < U.length; u++) {
      const unit = U[u]!;
      const t = unit.t;
      const prevChunk = this.out[this.out.length - 1];
      if (t.kind === 'punct') {
        this.emit({ en: t.value === '\n' ? '.' : t.value, tag: 'punct' });
        this.objects = [];
        this.direct = [];
        this.invert = false;
        this.subject = null;
        this.negation = null;
        continue;
      }
      if (t.kind === 'kept') {
        this.emit({ en: t.value, tag: 'kept', keep: t.keep! });
        continue;
      }
      if (t.kind === 'number') {
        this.emit({ en: t.value, tag: 'numeral', value: Number(t.value) });
        continue;
      }
      if (this.consumed.has(u)) {
        const kind = normOf(unit);
        if (kind === 'rien') this.emit({ en: 'anything', tag: 'x' });
        else if (kind === 'personne') this.emit({ en: 'anyone', tag: 'x' });
        else if (kind === 'aucun' || kind === 'aucune') this.emit({ en: 'any', tag: 'det' });
        else if (kind === 'ni') this.emit({ en: 'or', tag: 'conj' });
        continue;
      }
      const n = t.norm;
      // ---- negation
      if ((n === 'ne' || n === 'n') && unit.toks.length === 1) {
        this.readNe(u);
        continue;
      }
      // ---- "s'il" is "if it"; another "s'" is a reflexive pronoun
      if (n === 's' && unit.toks.length === 1) {
        const nx = U[u + 1];
        if (nx && (nx.t.norm === 'il' || nx.t.norm === 'ils')) this.emit({ en: 'if', tag: 'conj' });
        continue;
      }
      // ---- object pronouns before their verb
      if (this.isClitic(u)) {
        const en = OBJECTS[n] ?? '';
        if (en) (DIRECT.has(n) ? this.direct : this.objects).push(en);
        continue;
      }
      // ---- a question by its words or its "?": "comment je paie ?" → "how do i pay?", "je suis en retard ?" → "am i overdue?"
      if (!this.invert && unit.toks.length === 1 && n in SUBJECTS && !['c', 'ca', 'cela', 'ce'].includes(n)) {
        const afterQuestionWord = prevChunk?.tag === 'q' && /^(?:how|when|where|why|how much|what|which)$/.test(prevChunk.en) && (this.out.length === 1 || this.out[this.out.length - 2]?.tag === 'punct');
        if (afterQuestionWord || (t.sentenceStart && this.sentenceAsks(u))) this.invert = true;
      }
      // ---- a subject held for a question ("est-ce que je peux" → "can i")
      if (this.invert && unit.toks.length === 1 && n in SUBJECTS) {
        const j = this.next(u, (x) => x.t.norm === 'ne' || x.t.norm === 'n' || (x.toks.length === 1 && CLITIC.has(x.t.norm)));
        if (isVerb(U[j])) {
          this.subject = SUBJECTS[n]!;
          continue;
        }
        this.invert = false;
      }
      // ---- "a" (has) or "à"
      if (n === 'a' && t.lower === 'a' && unit.toks.length === 1 && this.aIsVerb(u)) {
        const avoir = entriesFor('a').find((e) => e.tag === 'v');
        if (avoir) {
          u = this.readVerb(u, { ...unit, e: avoir });
          continue;
        }
      }
      if (isVerb(unit)) {
        const form = formOf(unit, this.head(u - 1), U[u + 1]);
        // A participle after an article or a noun describes it ("les payées", "factures réglées").
        if (form === 'pp' && prevChunk && (prevChunk.tag === 'det' || prevChunk.tag === 'n' || prevChunk.tag === 'adj') && !this.negation && unit.e!.verb!.cls === 'plain') {
          if (unit.e!.verb!.base === 'receive' && prevChunk.tag === 'det') this.emit({ en: 'receipts', tag: 'n', many: true });
          else this.emit({ en: unit.e!.verb!.past, tag: 'adj' });
          continue;
        }
        u = this.readVerb(u, unit);
        continue;
      }
      this.readWord(u, unit);
    }
    return this.out;
  }

  /** "ne": finds its particle ("pas", "jamais"…) after the verb, or right after it ("ne pas envoyer"). */
  private readNe(u: number): void {
    const U = this.units;
    const first = U[u + 1];
    if (first && isParticle(first, normOf(first))) {
      this.negation = { unit: u + 1, kind: normOf(first) };
      this.consumed.add(u + 1);
      return;
    }
    const v = this.next(u, (x) => x.toks.length === 1 && CLITIC.has(x.t.norm) && !x.t.hyphen);
    const verbUnit = U[v];
    const isA = verbUnit?.t.norm === 'a' && verbUnit.toks.length === 1;
    if (!verbUnit || verbUnit.t.kind !== 'word') return;
    // After "ne" comes a verb, even one the lexicon reads first as a noun ("nenvoi pas": "envoi" for "envoie").
    if (!isVerb(verbUnit) && !isA) {
      const asVerb = verbUnit.toks.length === 1 ? verbEntryAt(verbUnit.toks, 0) : null;
      if (!asVerb) return;
      U[v] = { ...verbUnit, e: { ...asVerb, form: asVerb.form === 'pp' ? 'base' : asVerb.form } };
    }
    const k = this.next(v, (x) => x.t.hyphen);
    const particle = U[k];
    if (particle && isParticle(particle, normOf(particle))) {
      this.negation = { unit: k, kind: normOf(particle) };
      this.consumed.add(k);
      // "n'envoyez plus rien", "ne … jamais personne": the second particle is "anything", "anyone".
      if (['rien', 'personne', 'aucun', 'aucune'].includes(normOf(U[k + 1]))) this.consumed.add(k + 1);
      return;
    }
    // "n'envoyez IN… à personne", "n'envoyez ça ni à X ni à Y": the particle comes later in the clause.
    for (let j = k; j < U.length && !isPunct(U[j]) && !isVerb(U[j]); j++) {
      const w = normOf(U[j]);
      // "n'envoyez surtout pas": an adverb may sit between the verb and "pas".
      if (w === 'personne' || w === 'aucun' || w === 'aucune' || w === 'ni' || w === 'rien' || w === 'jamais' || w === 'pas' || w === 'plus' || w === 'pas encore' || w === 'point' || w === 'guere') {
        this.negation = { unit: j, kind: w };
        for (let x = j; x < U.length && !isPunct(U[x]); x++) if (['personne', 'aucun', 'aucune', 'ni', 'rien'].includes(normOf(U[x]))) this.consumed.add(x);
        return;
      }
    }
    if (particle && normOf(particle) === 'que') {
      // "ne … que" is "only".
      this.consumed.add(k);
      this.emit({ en: 'only', tag: 'x' });
    }
  }

  /** Reads the verb at u (and what belongs to it); returns the last unit index it used. */
  private readVerb(u: number, unit: Unit): number {
    const U = this.units;
    const e = unit.e!;
    const verb = e.verb!;
    const form = formOf(unit, this.head(u - 1), U[u + 1]);
    let last = u;
    // Pronouns glued after the verb: "envoyez-la", "pouvez-vous", "ai-je".
    let subject = this.subject;
    this.subject = null;
    const glued: string[] = [];
    const gluedDirect: string[] = [];
    while (U[last + 1]?.t.hyphen && U[last + 1]!.toks.length === 1) {
      const p = U[last + 1]!.t.norm;
      const isSubject = ['je', 'tu', 'il', 'elle', 'on', 'ils', 'elles'].includes(p) || ((p === 'vous' || p === 'nous') && (verb.cls !== 'plain' || /\?/.test(this.rest(last + 1))));
      if (isSubject) subject = SUBJECTS[p]!;
      else if (p in OBJECTS) (DIRECT.has(p) ? gluedDirect : glued).push(OBJECTS[p]!);
      else break;
      last++;
      // "dites-m'en plus": the "en" after a glued pronoun is part of it.
      if (U[last + 1]?.t.norm === 'en' && U[last]!.t.elided) last++;
    }
    // The spoken negation "envoie-la pas", "je paie pas", "j'ai pas payé".
    let neg = this.negation;
    this.negation = null;
    if (!neg) {
      let q = last + 1;
      while (ADVERBS.has(normOf(U[q]))) q++;
      const p = U[q];
      const kind = normOf(p);
      // "plus" only after a subject ("je veux plus payer"); after an imperative it is "more" ("dites-m'en plus").
      const afterSubject = U[u - 1] !== undefined && U[u - 1]!.t.norm in SUBJECTS && !glued.length && !gluedDirect.length;
      if (p && isParticle(p, kind) && kind !== 'ni' && (kind !== 'plus' || (afterSubject && !['de', 'd', 'que', 'qu'].includes(U[q + 1]?.t.norm ?? '')))) {
        neg = { unit: q, kind };
        this.consumed.add(q);
      }
    }
    // An auxiliary with its participle: "ai payé", "n'ont pas été payées", "est en retard" (no participle).
    let participle: { idx: number; en: string } | null = null;
    if (verb.cls === 'avoir' || verb.cls === 'etre') {
      let j = last + 1;
      while (j < U.length && (BETWEEN.has(normOf(U[j])) || this.consumed.has(j)) && !isPunct(U[j])) j++;
      const P = U[j];
      // After an auxiliary, "paye" typed for "payé" is the participle.
      const unaccentedParticiple = P !== undefined && isVerb(P) && entriesFor(P.t.norm).some((x) => x.form === 'pp' && x.verb?.base === P.e!.verb?.base);
      if (P && isVerb(P)) {
        if (formOf(P, U[j - 1]) === 'pp' || P.e!.form === 'pp' || unaccentedParticiple) participle = { idx: j, en: P.e!.en === P.e!.verb!.past ? P.e!.verb!.past : P.e!.en };
      }
    }
    let en = form === 'pp' ? verb.past : form === 'inf' || (form === 'base' && (e.form === 'inf' || e.form === 'pp')) ? verb.base : e.en;
    // "devoir" with an infinitive is "have to" ("je dois payer"), without one it is "owe".
    const infinitiveFollows = (() => {
      let j = last + 1;
      while (j < U.length && ((U[j]!.toks.length === 1 && CLITIC.has(U[j]!.t.norm)) || BETWEEN.has(normOf(U[j])) || this.consumed.has(j) || ['de', 'd', 'a'].includes(U[j]!.t.norm))) j++;
      const I = U[j];
      return I !== undefined && isVerb(I) && (I.e!.form === 'inf' || guessForm(I, undefined) === 'inf') && I.e!.verb!.cls !== 'avoir' && I.e!.verb!.cls !== 'etre';
    })();
    if (verb.cls === 'devoir' && infinitiveFollows && en === 'owe') en = 'have to';
    const toBefore = infinitiveFollows && /^(?:need|needs|would like|like|want|wants|wanted|prefer|would rather)$/.test(en);
    const words: string[] = [];
    // Adverbs between a modal and its infinitive come before the modal in English ("dois-je encore payer" → "do i still have to pay").
    const pre: string[] = [];
    if (infinitiveFollows && verb.cls !== 'plain') {
      for (let j = last + 1; j < U.length && !isVerb(U[j]) && !isPunct(U[j]); j++) {
        const b = normOf(U[j]);
        if (b === 'encore' || b === 'toujours' || b === 'deja') {
          pre.push(b === 'deja' ? 'already' : 'still');
          this.consumed.add(j);
        }
      }
    }
    const subj = subject ? [subject] : [];
    const aux = /^(?:am|is|are|was|were|be|been|has|have|had|can|could|will|would|should|must|will have|would have|will be|would be|would like|need to|will be able to|have to)$/.test(en) || en.startsWith('will ') || en.startsWith('would ');
    if (neg) {
      const never = neg.kind === 'jamais';
      const yet = neg.kind === 'pas encore';
      const not = never ? 'never' : yet ? 'not yet' : 'not';
      if (aux || verb.cls === 'avoir' || verb.cls === 'etre' || verb.cls === 'modal' || verb.cls === 'aller') {
        const [head, ...tail] = en.split(' ');
        if (verb.cls === 'avoir' && !participle) words.push('do', ...subj, not, 'have');
        else words.push(head!, ...subj, not, ...tail);
      } else if (form === 'pp') words.push(...subj, not, en);
      else if (form === 'fut' || form === 'cond') {
        const [head, ...tail] = en.split(' ');
        words.push(head!, ...subj, not, ...tail);
      } else if (never) words.push(...subj, 'never', en);
      else words.push('do', ...subj, not, en.replace(/^wants$/, 'want'));
    } else if (subject && (en === 'have to' || (verb.cls === 'avoir' && !participle && /^(?:have|has)$/.test(en)))) {
      // "dois-je payer" → "do i have to pay", "ai-je des crédits" → "do i have any credits".
      words.push('do', subject, en.replace(/^has$/, 'have'));
    } else if (subject) {
      if (aux || (verb.cls !== 'plain' && verb.cls !== 'devoir')) {
        const [head, ...tail] = en.split(' ');
        words.push(head!, subject, ...tail);
      } else if (form === 'fut' || form === 'cond') {
        const [head, ...tail] = en.split(' ');
        words.push(head!, subject, ...tail);
      } else words.push('do', subject, en);
    } else words.push(en);
    if (pre.length) {
      const head = en.split(' ')[0]!;
      let at = words.length - 1;
      while (at > 0 && !words[at]!.startsWith(head)) at--;
      words.splice(at, 0, ...pre);
    }
    if (verb.cls === 'avoir' && neg && !participle && normOf(U[last + 1 + (neg.unit === last + 1 ? 1 : 0)]) === 'besoin') {
      // "n'a pas besoin de" → "does not need".
      words.splice(words.length - 1, 1, 'need');
      const b = neg.unit === last + 1 ? last + 2 : last + 1;
      this.consumed.add(b);
    }
    const objects = [...this.direct, ...gluedDirect];
    const indirect = [...this.objects, ...glued];
    this.direct = [];
    this.objects = [];
    const objectWords = objects.length > 0 && indirect.length > 0 ? [...objects, 'to', ...indirect] : [...indirect, ...objects];
    if (participle) {
      // The participle comes with its auxiliary; objects follow it ("vous nous avez facturé" → "you have invoiced us").
      this.emit({ en: words.join(' '), tag: 'v' });
      for (let j = last + 1; j < participle.idx; j++) {
        if (this.consumed.has(j)) continue;
        const b = normOf(U[j]);
        if (b === 'deja') this.emit({ en: 'already', tag: 'x' });
        else if (b === 'encore' || b === 'toujours') this.emit({ en: 'still', tag: 'x' });
        else if (b === 'bien') this.emit({ en: 'well', tag: 'x' });
        this.consumed.add(j);
      }
      const P = U[participle.idx]!;
      const pverb = P.e!.verb!;
      this.emit({ en: P.e!.verb!.cls === 'etre' ? 'been' : pverb.past, tag: 'v' });
      if (objectWords.length) this.emit({ en: objectWords.join(' '), tag: 'obj' });
      return participle.idx;
    }
    this.emit({ en: words.join(' '), tag: 'v', ...(neg ? { negated: true } : {}) });
    if (objectWords.length) this.emit({ en: objectWords.join(' '), tag: 'obj' });
    if (toBefore) this.emit({ en: 'to', tag: 'prep' });
    return last;
  }

  /** The unit at or before u that is not glued to a word before it ("pouvez-vous envoyer": "pouvez"). */
  private head(u: number): Unit | undefined {
    let j = u;
    while (j > 0 && this.units[j]?.t.hyphen) j--;
    return this.units[j];
  }

  /** The sentence of unit u ends with "?". */
  private sentenceAsks(u: number): boolean {
    for (let j = u; j < this.units.length; j++) {
      const x = this.units[j]!;
      if (x.t.kind === 'punct' && /^[?!.…\n,;]|^\.{2,}$/.test(x.t.value)) return x.t.value === '?';
    }
    return false;
  }

  private rest(from: number): string {
    return this.units
      .slice(from)
      .map((x) => x.t.value)
      .join(' ');
  }

  /** Everything that is not a verb, a pronoun before a verb or a negation. */
  private readWord(u: number, unit: Unit): void {
    const U = this.units;
    const e = unit.e;
    const n = normOf(unit);
    const nextU = U[u + 1];
    const prevChunk = this.out[this.out.length - 1];
    const nextIsDate = () => nextU !== undefined && (nextU.e?.tag === 'month' || nextU.e?.tag === 'period' || nextU.t.keep === 'date' || (nextU.t.kind === 'number' && Number(nextU.t.value) <= 31) || /^\d{1,2}(?:er|re|ere|e|eme)$/.test(nextU.t.norm) || /^(?:le|la)$/.test(nextU.t.norm) && (U[u + 2]?.t.kind === 'number' || U[u + 2]?.e?.tag === 'period'));
    const nextIsInfinitive = () => {
      let j = u + 1;
      while (j < U.length && U[j]!.toks.length === 1 && CLITIC.has(U[j]!.t.norm) && !U[j]!.t.hyphen) j++;
      const V = U[j];
      return V !== undefined && isVerb(V) && (V.e!.form === 'inf' || guessForm(V, undefined) === 'inf');
    };
    if (!e) {
      // Unknown words: names of other parties ("Acme Corp") and English words the engine reads stay; the rest carries nothing.
      if ((/^\p{Lu}/u.test(unit.t.value) && !unit.t.sentenceStart) || isEngineWord(unit.t.norm)) this.emit({ en: unit.t.value, tag: 'x' });
      return;
    }
    // The ordinal "1er" before a month, or in a range of days, is the day ("le 1er septembre" → "1 september", "du 1er au 15").
    const dayContext = /^(?:du|le|depuis|depuis le|entre|avant le|apres le|a partir du|des le)$/.test(normOf(U[u - 1])) && (nextU?.e?.tag === 'month' || /^(?:au|a|et)$/.test(nextU?.t.norm ?? ''));
    if (e.tag === 'ord' && /^\d/.test(unit.t.norm) && (nextU?.e?.tag === 'month' || dayContext)) {
      this.emit({ en: unit.t.norm.replace(/\D+$/, ''), tag: 'numeral', value: Number.parseInt(unit.t.norm, 10) });
      return;
    }
    // Function words read by their place; an accented word is another word ("dû" is not "du", "où" not "ou").
    const functionWord = (e.tag === 'prep' || e.tag === 'det' || e.tag === 'q' || e.tag === 'conj' || e.tag === 'neg' || e.tag === 'x') && !(e.en === 'where' || e.en === 'due');
    switch (functionWord ? n : '') {
      case 'de':
      case 'd':
        if (nextIsInfinitive()) return this.emit({ en: 'to', tag: 'prep' });
        // "pas de lien", "jamais de factures": after a negation, "de" is "any".
        if (this.consumed.has(u - 1) || prevChunk?.negated) return this.emit({ en: 'any', tag: 'det' });
        if (nextIsDate() || nextU?.e?.tag === 'unit') return this.emit({ en: 'from', tag: 'prep' });
        // "quelque chose de facturé", "rien d'autre": nothing to say.
        if (prevChunk?.en === 'anything' || prevChunk?.en === 'nothing') return;
        return this.emit({ en: 'of', tag: 'prep' });
      case 'du':
        if (nextIsDate()) return this.emit({ en: 'from', tag: 'prep' });
        return this.emit({ en: 'of the', tag: 'prep' });
      case 'des':
        if (prevChunk && (prevChunk.tag === 'n' || prevChunk.tag === 'prep' || prevChunk.tag === 'adj')) return this.emit({ en: 'the', tag: 'det', many: true });
        return this.emit({ en: 'any', tag: 'det', many: true });
      case 'au':
      case 'aux':
      case 'a la':
      case 'a l':
        if (nextIsDate()) return this.emit({ en: 'to', tag: 'prep' });
        return this.emit({ en: 'to the', tag: 'prep' });
      case 'a':
      case 'pour':
        if (nextIsInfinitive()) return this.emit({ en: 'to', tag: 'prep' });
        return this.emit({ en: e.en, tag: 'prep' });
      case 'que':
      case 'qu':
        if (unit.t.sentenceStart || this.out.length === 0) {
          this.invert = true;
          return this.emit({ en: 'what', tag: 'q' });
        }
        return this.emit({ en: 'that', tag: 'rel' });
      case 'qui':
        if (unit.t.sentenceStart || this.out.length === 0 || prevChunk?.tag === 'punct') return this.emit({ en: 'who', tag: 'q' });
        return this.emit({ en: 'that', tag: 'rel' });
      case 'quel':
      case 'quelle':
      case 'quels':
      case 'quelles':
        if (nextU?.e?.verb?.cls === 'etre') return this.emit({ en: 'what', tag: 'q' });
        return this.emit({ en: 'which', tag: 'q' });
      case 'ou':
        if (unit.t.sentenceStart && unit.t.lower === 'ou') return this.emit({ en: 'where', tag: 'q' });
        return this.emit({ en: 'or', tag: 'conj' });
      case 'plus':
        return this.emit({ en: 'more', tag: 'x' });
      case 'pas':
        if (nextU && (nextU.t.norm === 'de' || nextU.t.norm === 'd')) {
          this.consumed.add(u + 1);
          return this.emit({ en: 'no', tag: 'det' });
        }
        return this.emit({ en: 'not', tag: 'x' });
      case 'rien':
        return this.emit({ en: 'nothing', tag: 'x' });
      case 'personne':
        return this.emit({ en: 'nobody', tag: 'x' });
      case 'aucun':
      case 'aucune':
        return this.emit({ en: 'no', tag: 'det' });
      case 'jamais':
        return this.emit({ en: 'never', tag: 'x' });
      default:
        break;
    }
    if (e.en === '' && e.tag === 'q' && (n.startsWith('est ce') || n === 'est ce que')) {
      this.invert = true;
      return;
    }
    if (e.tag === 'q' && /^qu est ce qu(?:e)?$/.test(n)) this.invert = true;
    if ((e.en === 'over' || e.en === 'under') && /^(?:plus|moins|de plus|de moins)/.test(n)) {
      // "plus de 1 000 $" is a bound; "plus de détails" is more.
      const amount = nextU?.t.keep === 'amount' || nextU?.t.kind === 'number';
      if (!amount) return this.emit({ en: e.en === 'over' ? 'more' : 'less', tag: 'x' });
    }
    if (e.en === '') return;
    // "celle de 640 $" → "the one" + …; "celle-là" → "that one": a determiner and a noun, so adjectives can sit between.
    const two = /^(the|this|that|these|those) (one|ones|other one|other ones)$/.exec(e.en);
    if (two && e.tag === 'n') {
      this.emit({ en: two[1]!, tag: 'det', many: two[2]!.endsWith('ones') });
      this.emit({ en: two[2]!, tag: 'n', many: two[2]!.endsWith('ones') });
      return;
    }
    if (e.tag === 'det') return this.emit({ en: e.en, tag: 'det', many: isPluralDeterminer(unit.t.norm) || e.en === 'all' && /s$/.test(unit.t.norm) });
    this.emit({ en: e.en, tag: e.tag, ...(e.plural ? { plural: e.plural } : {}), ...(e.many ? { many: true } : {}) });
  }
}

const NUMBER_WORD: Record<string, number> = { two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, eleven: 11, twelve: 12, fifteen: 15, twenty: 20, thirty: 30, sixty: 60, ninety: 90 };
const countOf = (c: Chunk | undefined) => (c ? (c.tag === 'numeral' ? (c.value ?? null) : c.tag === 'num' ? (NUMBER_WORD[c.en] ?? null) : null) : null);

/** English word order over the chunks: adjectives before nouns, counts and "last", dates, "the … one". */
function reorder(chunks: Chunk[]): Chunk[] {
  let c = chunks.filter((x) => x.en !== '');
  // "mes factures à payer" are unpaid ones; "factures à payer ce mois-ci" are due in a period.
  const hasPeriod = c.some((x) => x.tag === 'period' || x.tag === 'month' || x.keep === 'date');
  c = c.map((x, i) => {
    if (x.en !== 'to pay' || x.tag !== 'x' || c[i - 1]?.tag !== 'n') return x;
    if (/balance/.test(c[i - 1]!.en)) return { en: 'due', tag: 'x' };
    return /invoice|amount|total|bill/.test(c[i - 1]!.en) ? { en: hasPeriod ? 'due' : 'unpaid', tag: 'adj' } : x;
  });
  // In a question about what statuses mean, "à payer" is the status ("la différence entre en retard et à payer").
  if (c.some((x) => /mean|difference/.test(x.en))) c = c.map((x) => (x.en === 'to pay' && x.tag === 'x' ? { en: 'due', tag: 'adj' } : x));
  // "30 jours de plus", "2 semaines supplémentaires" → "30 more days".
  for (let i = 0; i + 2 < c.length; i++) {
    if (countOf(c[i]) !== null && c[i + 1]!.tag === 'unit' && (c[i + 2]!.en === 'more' || (c[i + 2]!.en === 'of' && c[i + 3]?.en === 'more'))) {
      c.splice(i + 1, c[i + 2]!.en === 'more' ? 2 : 3, { en: 'more', tag: 'x' }, { ...c[i + 1]!, en: c[i + 1]!.plural ?? c[i + 1]!.en });
    }
  }
  // "ma dernière facture" is the latest one; "la dernière" is the last of a list.
  c = c.map((x, i) => (x.en === 'last' && x.tag === 'ord' && /^(?:my|our|your)$/.test(c[i - 1]?.en ?? '') ? { ...x, en: 'latest' } : x));
  // "celles qui sont en retard" → "the ones overdue" (then "the overdue ones").
  c = c.filter((x, i) => !(x.tag === 'rel' && /^(?:is|are|was|were)$/.test(c[i + 1]?.en ?? '') && (c[i + 2]?.tag === 'adj' || c[i + 2]?.tag === 'sup')) && !(/^(?:is|are|was|were)$/.test(x.en) && c[i - 1]?.tag === 'rel' && (c[i + 1]?.tag === 'adj' || c[i + 1]?.tag === 'sup') && c[i - 2]?.tag === 'n'));
  c = c.filter((x, i) => !(x.tag === 'rel' && c[i - 1]?.tag === 'n' && (c[i + 1]?.tag === 'adj' || c[i + 1]?.tag === 'sup')));
  // Noun + adjectives → adjectives + noun.
  for (let i = 0; i < c.length; i++) {
    if (c[i]!.tag !== 'n') continue;
    let j = i + 1;
    while (j < c.length && c[j]!.tag === 'adj') j++;
    if (j > i + 1) {
      const adjs = c.slice(i + 1, j);
      c.splice(i, j - i, ...adjs, c[i]!);
      i = j - 1;
    }
  }
  // Noun + "the" + superlative → superlative + adjectives + noun ("la facture en retard la plus élevée").
  for (let i = 0; i < c.length; i++) {
    if (c[i]!.tag !== 'n') continue;
    const hasThe = c[i + 1]?.tag === 'det' && c[i + 2]?.tag === 'sup';
    const direct = c[i + 1]?.tag === 'sup';
    if (!hasThe && !direct) continue;
    const sup = c[i + (hasThe ? 2 : 1)]!;
    let start = i;
    while (start > 0 && c[start - 1]!.tag === 'adj') start--;
    c.splice(i + 1, hasThe ? 2 : 1);
    c.splice(start, 0, sup);
  }
  // "the one of $640" → "the $640 one".
  for (let i = 0; i < c.length; i++) {
    if (/^(?:one|ones|invoice)$/.test(c[i]!.en) && /^(?:of|at|for|to)$/.test(c[i + 1]?.en ?? '') && c[i + 2]?.keep === 'amount') {
      const amount = c[i + 2]!;
      c.splice(i, 3, amount, { en: 'one', tag: 'n' });
    }
  }
  // "3 derniers" → "last 3".
  for (let i = 0; i + 1 < c.length; i++) {
    if (countOf(c[i]) !== null && c[i + 1]!.en === 'last') c.splice(i, 2, c[i + 1]!, c[i]!);
  }
  // "il y a 2 mois" → "2 months ago"; "depuis 3 mois" → "last 3 months".
  for (let i = 0; i + 2 < c.length; i++) {
    if (c[i]!.en === 'there is' && (countOf(c[i + 1]) !== null || c[i + 1]!.en === 'a') && c[i + 2]!.tag === 'unit') {
      c.splice(i, 3, c[i + 1]!, c[i + 2]!, { en: 'ago', tag: 'x' });
    } else if (c[i]!.en === 'since' && countOf(c[i + 1]) !== null && c[i + 2]!.tag === 'unit') {
      c.splice(i, 1, { en: 'in the last', tag: 'prep' });
    }
  }
  // "du 1 au 15 octobre" → "from 1 october to 15 october".
  for (let i = 0; i + 3 < c.length; i++) {
    if (c[i]!.tag === 'numeral' && /^(?:to|and)$/.test(c[i + 1]!.en) && c[i + 2]!.tag === 'numeral' && c[i + 3]!.tag === 'month') c.splice(i + 1, 0, { ...c[i + 3]! });
  }
  // "entre le 2026-10-01 et le 2026-10-15": no article before a date.
  c = c.filter((x, i) => !(x.en === 'the' && c[i + 1]?.keep === 'date'));
  // Plural nouns and units after a count or a plural article.
  for (let i = 0; i < c.length; i++) {
    const x = c[i]!;
    if (!x.plural) continue;
    const before = [c[i - 1], c[i - 2]];
    const count = before.map(countOf).find((v) => v !== null && v !== undefined);
    if ((count !== undefined && count !== null && count > 1) || before.some((b) => b?.tag === 'det' && b.many)) c[i] = { ...x, en: x.plural };
  }
  // Dates: "the 15 october" → "15 october"; "before the 15" → "before the 15th".
  for (let i = 0; i < c.length; i++) {
    const x = c[i]!;
    if (x.tag !== 'numeral' || (x.value ?? 99) > 31) continue;
    const nextIsMonth = c[i + 1]?.tag === 'month';
    if (nextIsMonth && c[i - 1]?.en === 'the') {
      c.splice(i - 1, 1);
      i--;
    } else if (!nextIsMonth && c[i + 1]?.tag !== 'unit' && c[i + 1]?.en !== 'last' && (DATE_PREPS.has(c[i - 1]?.en ?? '') || (c[i - 1]?.en === 'the' && DATE_PREPS.has(c[i - 2]?.en ?? '')))) {
      if (c[i - 1]?.en !== 'the') {
        c.splice(i, 0, { en: 'the', tag: 'det' });
        i++;
      }
      c[i] = { ...x, en: `${x.en}th` };
    }
  }
  // An article before an ordinal, superlative or adjective with no noun after it: "the first one", "the paid ones".
  const out: Chunk[] = [];
  for (let i = 0; i < c.length; i++) {
    const x = c[i]!;
    out.push(x);
    if ((x.tag === 'ord' || x.tag === 'sup' || x.tag === 'adj') && x.en !== 'same' && x.en !== 'up to date') {
      let k = out.length - 2;
      while (k >= 0 && (out[k]!.tag === 'adj' || out[k]!.tag === 'ord' || out[k]!.tag === 'sup')) k--;
      const det = out[k];
      const nx = c[i + 1];
      const nounFollows = nx && (nx.tag === 'n' || nx.tag === 'adj' || nx.tag === 'ord' || nx.tag === 'sup' || nx.tag === 'unit' || nx.tag === 'kept' || nx.tag === 'numeral' || nx.tag === 'num' || nx.tag === 'period' || nx.tag === 'month');
      if (det?.tag === 'det' && /^(?:the|my|our|this|these|those|that|any|your)$/.test(det.en) && !nounFollows) out.push({ en: det.many ? 'ones' : 'one', tag: 'n' });
    }
  }
  return out;
}

function join(chunks: Chunk[]): string {
  let s = '';
  for (const c of chunks) {
    if (c.tag === 'punct') s += /^[-—–]$/.test(c.en) ? ` ${c.en} ` : c.en === '(' ? ` (` : `${c.en} `;
    else s += `${s && !s.endsWith(' ') ? ' ' : ''}${c.en} `;
  }
  return s.replace(/\s+/g, ' ').replace(/\s+([?!.,;:)])/g, '$1').trim();
}

/** The units of a message: typos corrected, then the longest lexicon entry at each word. */
/** The spoken question "j'ai-tu payé ?", "c'est-tu payé ?": "tu" after a verb with another subject asks; read as "ai-je payé". */
function spokenQuestion(tokens: FrToken[]): FrToken[] {
  const out = [...tokens];
  for (let i = 2; i < out.length; i++) {
    const subj = out[i - 2]!;
    if (out[i]!.norm !== 'tu' || out[i - 1]!.kind !== 'word' || !['je', 'j', 'c', 'ca', 'on', 'il', 'elle', 'ils', 'elles'].includes(subj.norm)) continue;
    const pronoun = subj.norm === 'j' ? 'je' : subj.norm === 'c' || subj.norm === 'ca' ? 'ce' : subj.norm;
    out.splice(i - 2, 3, { ...out[i - 1]!, sentenceStart: subj.sentenceStart }, { ...subj, value: pronoun, lower: pronoun, norm: pronoun, hyphen: true, elided: false, sentenceStart: false });
  }
  return out;
}

function unitsOf(tokens: FrToken[]): Unit[] {
  for (const t of tokens) {
    if (t.kind !== 'word' || (/^\p{Lu}/u.test(t.value) && !t.sentenceStart)) continue;
    const fix = frenchTypo(t.norm);
    if (fix) {
      t.norm = fix;
      t.lower = fix;
    }
  }
  const units: Unit[] = [];
  const subjects = new Set(['je', 'j', 'tu', 'il', 'elle', 'on', 'nous', 'vous', 'ils', 'elles']);
  for (let i = 0; i < tokens.length; ) {
    let e = entryAt(tokens, i);
    // A word that is also a verb is the verb after a subject or before "-je", "-vous" ("j'entre", "puis-je").
    const t = tokens[i]!;
    const nx = tokens[i + 1];
    const pv = tokens[i - 1];
    if (e && e.tag !== 'v' && e.words.length === 1 && t.kind === 'word' && ((nx?.hyphen && subjects.has(nx.norm)) || (pv && subjects.has(pv.norm) && !pv.hyphen))) {
      const verb = entriesFor(t.norm).find((x) => x.tag === 'v');
      if (verb) e = verb;
    }
    const len = e ? e.words.length : 1;
    units.push({ toks: tokens.slice(i, i + len), t: tokens[i]!, e });
    i += len;
  }
  return units;
}

/** A French message in the engine's vocabulary. */
export function readFrench(text: string): string {
  const s = normalizeTyped(text);
  const tokens = spokenQuestion(tokenizeFr(s, recipientSpans(s)));
  return join(reorder(new Reader(unitsOf(tokens)).read()));
}

/** For tests: the tokens of a message with the reader's lexicon entry at each. */
export function unitsForTest(text: string): Array<{ fr: string; en: string | null; tag: string | null }> {
  const s = normalizeTyped(text);
  return unitsOf(tokenizeFr(s, recipientSpans(s))).map((u) => ({ fr: u.toks.map((t) => t.value).join(' '), en: u.e?.en ?? null, tag: u.e?.tag ?? null }));
}
