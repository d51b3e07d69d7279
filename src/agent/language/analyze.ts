import { englishLexicon, englishTokenizer } from './en.js';
import { frenchNegatedActions } from './fr.js';
import { readMessage } from './message.js';
import type { Action, Lexicon, Phrase, Token, Tokenizer } from './types.js';

/**
 * What a message does with each action, from tokens and negation scope (the NLP library's) and a
 * lexicon (the language's). Same rules for every language:
 * - negated: the action word is inside a negation's scope, or after a negation cue in its sentence;
 * - hypothetical: an "if"/"suppose" cue before it in its sentence (polite "if possible" excepted);
 * - question: its sentence asks how something works ("how do I…", "what happens…", "does it…"),
 *   not a polite request ("can you…", "could you please…");
 * - cancelled: a second thought comes after it ("…, actually forget it");
 * - request: none of these.
 */
/**
 * How an action is mentioned. `reported`: the user says they did it ("I already emailed it
 * myself"); `deferred`: asked for a later time or after a condition ("email it tomorrow", "once
 * it's approved, email it"), which nothing here can schedule.
 */
export type Mood = 'request' | 'negated' | 'hypothetical' | 'question' | 'cancelled' | 'reported' | 'deferred' | 'absent';

/** The moods under which an action is not done. */
export const WITHHOLDING_MOODS: readonly Mood[] = ['negated', 'hypothetical', 'cancelled', 'reported', 'deferred'];

export interface Analysis {
  tokens: readonly Token[];
  mood(action: Action): Mood;
  /** The message does not ask for the action (negated, hypothetical, cancelled, or for email a question about how it works). */
  withholds(action: Action): boolean;
  /** It asks, but tentatively ("maybe email it…?", "I guess you could send it"): propose, let the user confirm. */
  tentative(action: Action): boolean;
  /** A word (as typed or as its lemma) inside a negation's scope ("haven't been paid¬" → "paid", "pay"). */
  isNegated(lemma: string): boolean;
  /** The whole message says yes (to a proposal). */
  affirmation: boolean;
  /** The whole message says no, or calls something off. */
  refusal: boolean;
  /** A second thought or cancellation somewhere in the message. */
  cancellation: boolean;
  /** Asks for a person to follow up, as a request (not negated, hypothetical or a question). */
  asksForPerson: boolean;
  /** Mentions wanting a person at all, a question included ("is there a human I can talk to?"). */
  mentionsPerson: boolean;
  frustrated: boolean;
}

interface Language {
  tokenizer: Tokenizer;
  lexicon: Lexicon;
}

const LANGUAGES: Record<'en', Language> = { en: { tokenizer: englishTokenizer, lexicon: englishLexicon } };

/** Verbs that, negated, decline a thing ("don't need a link"), unlike "don't have" or "never got". */
const DECLINING_VERBS = new Set(['need', 'want', 'require', 'send', 'give', 'email', 'make', 'create', 'generate']);

/** Verbs that, negated, say a thing is missing ("don't have the link", "never got it"). */
const MISSING_VERBS = new Set(['have', 'get', 'receive', 'find', 'see']);

const PAY_STATES = new Set(['paid', 'settled', 'unpaid', 'unsettled']);

/** Sentence-initial words skipped before looking for a question opener ("so how do I…", "ok, can you…"). */
const OPENING_FILLER = new Set(['so', 'ok', 'okay', 'hey', 'hi', 'hello', 'and', 'but', 'also', 'um', 'uh', 'well', 'oh', 'then', 'just', 'quick', 'question', ':', ',', '-']);

function matchAt(tokens: readonly Token[], i: number, phrase: Phrase): boolean {
  if (i + phrase.length > tokens.length) return false;
  for (let k = 0; k < phrase.length; k++) {
    const want = phrase[k]!;
    const t = tokens[i + k]!;
    if (want !== '*' && t.lemma !== want && t.value.toLowerCase() !== want) return false;
  }
  return true;
}

/** Start indices where any of the phrases occurs. */
function occurrences(tokens: readonly Token[], phrases: readonly Phrase[]): Array<{ at: number; len: number }> {
  const out: Array<{ at: number; len: number }> = [];
  for (let i = 0; i < tokens.length; i++) {
    for (const ph of phrases) if (matchAt(tokens, i, ph)) out.push({ at: i, len: ph.length });
  }
  return out;
}

const isWord = (t: Token) => t.type !== 'punctuation' && t.type !== 'symbol';

/** True when the message is one of `phrases` plus filler words only. */
function wholeMessageIs(tokens: readonly Token[], phrases: readonly Phrase[], lex: Lexicon): boolean {
  const words = tokens.filter(isWord);
  if (words.length === 0 || words.length > 10) return false;
  const covered = new Array<boolean>(words.length).fill(false);
  let hit = false;
  for (const o of occurrences(words, phrases)) {
    hit = true;
    for (let k = 0; k < o.len; k++) covered[o.at + k] = true;
  }
  if (!hit) return false;
  const filler = new Set(lex.filler);
  return words.every((w, i) => covered[i] || filler.has(w.lemma) || filler.has(w.value.toLowerCase()));
}

function sentenceStart(tokens: readonly Token[], sentence: number): number {
  let i = tokens.findIndex((t) => t.sentence === sentence);
  while (i >= 0 && i < tokens.length && tokens[i]!.sentence === sentence && (OPENING_FILLER.has(tokens[i]!.lemma) || !isWord(tokens[i]!))) i++;
  return i;
}

export function analyzeWith(lang: Language, text: string): Analysis {
  const lex = lang.lexicon;
  const tokens = lang.tokenizer.tokenize(text);
  const cancels = occurrences(tokens, lex.cancel);
  const negCues = occurrences(tokens, lex.negationCues);
  const negVerbs = occurrences(tokens, lex.negativeVerbs);
  const gap = new Set(lex.governedGap);
  /** A negative verb governs the action at i: only gap words (lemmas) stand between them, in one sentence. */
  const governedByNegativeVerb = (i: number) =>
    negVerbs.some((o) => {
      const end = o.at + o.len;
      if (end > i || tokens[o.at]!.sentence !== tokens[i]!.sentence || i - end > 4) return false;
      return tokens.slice(end, i).every((t) => gap.has(t.lemma) || gap.has(t.value.toLowerCase()));
    });
  const polite = occurrences(tokens, lex.politeConditionals);
  const hypos = occurrences(tokens, lex.hypothetical).filter((h) => !polite.some((p) => p.at === h.at));
  const trailing = occurrences(tokens, lex.trailingConditions);

  function actionAt(action: Action): number[] {
    const { lemmas, phrases } = lex.actions[action];
    const set = new Set(lemmas);
    const at = new Set<number>();
    tokens.forEach((t, i) => {
      // "paid"/"settled" describe an invoice's state, not a request to pay.
      if (action === 'pay' && PAY_STATES.has(t.value.toLowerCase())) return;
      if (set.has(t.lemma) || set.has(t.value.toLowerCase())) at.add(i);
    });
    for (const o of occurrences(tokens, phrases)) at.add(o.at);
    return [...at].sort((a, b) => a - b);
  }

  function isQuestionSentence(sentence: number): boolean {
    const start = sentenceStart(tokens, sentence);
    if (start < 0 || start >= tokens.length) return false;
    if (lex.politeRequests.some((p) => matchAt(tokens, start, p))) return false;
    return lex.questionOpeners.some((p) => matchAt(tokens, start, p));
  }

  // Segments between punctuation: a later segment that is only a refusal ("…, don't", "… wait, stop!") takes back what came before.
  const segments: Token[][] = [[]];
  tokens.forEach((t, i) => {
    const prev = tokens[i - 1];
    if (prev && prev.sentence !== t.sentence) segments.push([]);
    if (!isWord(t) || /^[-–—…]+$/.test(t.value)) segments.push([]);
    else segments[segments.length - 1]!.push({ ...t, index: i } as Token & { index: number });
  });
  const takeBacks = segments
    .filter((seg) => seg.length > 0 && wholeMessageIs(seg, [...lex.refusals, ...lex.cancel], lex))
    .map((seg) => (seg[0] as Token & { index: number }).index);

  const tentatives = occurrences(tokens, lex.tentative);
  const deferrals = occurrences(tokens, lex.deferrals);
  const deferralOpeners = occurrences(tokens, lex.deferralOpeners);
  const fillers = new Set(lex.reportFillers);
  /** "I (already) emailed", "we've sent", "I have forwarded": a past-tense action the user did. */
  function reportedAt(i: number): boolean {
    const t = tokens[i]!;
    const v = t.value.toLowerCase();
    if (v === t.lemma || !(/ed$/.test(v) || v === 'sent')) return false;
    for (let k = i - 1; k >= 0 && tokens[k]!.sentence === t.sentence && i - k <= 4; k--) {
      const w = tokens[k]!;
      const lw = w.value.toLowerCase();
      if (lex.reportSubjects.includes(lw)) return true;
      if (!fillers.has(w.lemma) && !fillers.has(lw) && !/^'(ve|d)$/.test(lw)) return false;
    }
    return false;
  }

  function occurrenceMood(i: number, action: Action): Exclude<Mood, 'absent'> {
    const t = tokens[i]!;
    const sameSentenceBefore = (o: { at: number }) => o.at < i && tokens[o.at]!.sentence === t.sentence;
    if (t.negated || negCues.some(sameSentenceBefore) || governedByNegativeVerb(i)) return 'negated';
    if (hypos.some(sameSentenceBefore) || trailing.some((o) => o.at > i && tokens[o.at]!.sentence === t.sentence)) return 'hypothetical';
    if (reportedAt(i)) return 'reported';
    if (isQuestionSentence(t.sentence)) return 'question';
    if (cancels.some((c) => c.at > i) || takeBacks.some((at) => at > i)) return 'cancelled';
    // A payment link is no side effect: "pay it tomorrow" still gets one, to use when the user likes.
    if (action !== 'pay' && (deferrals.some((o) => o.at > i && tokens[o.at]!.sentence === t.sentence) || deferralOpeners.some(sameSentenceBefore))) return 'deferred';
    return 'request';
  }

  /**
   * A link (to pay) refused: after a negation cue in its sentence ("no need for a link", "without a
   * link"), or in a negation's scope whose verb declines it ("don't need/want/send a link"), not one
   * that says it is missing ("I don't have the link", "never got the link": those still ask).
   */
  function linkRefused(): boolean {
    return tokens.some((t, i) => {
      if (t.lemma !== 'link' && !/^links?$/.test(t.value.toLowerCase())) return false;
      if (negCues.some((o) => o.at < i && tokens[o.at]!.sentence === t.sentence)) return true;
      // "refrain from making a payment link", "hold back on the pay link".
      if (governedByNegativeVerb(i) || (i > 0 && /^(payment|pay)$/.test(tokens[i - 1]!.lemma) && governedByNegativeVerb(i - 1))) return true;
      if (!t.negated) return false;
      const verb = tokens.slice(0, i).reverse().find((v) => v.sentence === t.sentence && v.negated && DECLINING_VERBS.has(v.lemma));
      return verb !== undefined;
    });
  }

  /** A link said to be missing: in a negation's scope whose verb is having or receiving it ("don't have the link", "never got the link"). */
  function linkMissing(): boolean {
    return tokens.some((t, i) => {
      if (t.lemma !== 'link' && !/^links?$/.test(t.value.toLowerCase())) return false;
      const verb = tokens.slice(0, i).reverse().find((v) => v.sentence === t.sentence && MISSING_VERBS.has(v.lemma));
      return verb !== undefined && (verb.negated || tokens.some((n, k) => k < i && n.sentence === t.sentence && (n.lemma === 'never' || n.lemma === 'not')));
    });
  }

  const moods = new Map<Action, Mood>();
  function mood(action: Action): Mood {
    const cached = moods.get(action);
    if (cached) return cached;
    const at = actionAt(action);
    let m: Mood = 'absent';
    if (at.length > 0) {
      const each = at.map((i) => occurrenceMood(i, action));
      m = each.includes('request') ? 'request' : each[0]!;
    }
    // "I'll pay it Friday, no need for a link", "we'll settle it, don't need a payment link": a
    // refused link is a refusal of what paying here means, wherever the pay word stands.
    // "I don't have the link to pay IN…", "never got the payment link": a missing link is asked for.
    if (action === 'pay' && linkMissing()) {
      if (m === 'negated') m = 'request';
    } else if (action === 'pay' && m !== 'absent' && linkRefused()) m = 'negated';
    moods.set(action, m);
    return m;
  }

  const negated = new Set(tokens.filter((t) => t.negated).flatMap((t) => [t.lemma, t.value.toLowerCase()]));
  const personMentions = occurrences(tokens, lex.person).filter((o) => {
    const t = tokens[o.at]!;
    const before = (x: { at: number }) => x.at < o.at && tokens[x.at]!.sentence === t.sentence;
    const after = (x: { at: number }) => x.at > o.at && tokens[x.at]!.sentence === t.sentence;
    // "call me if there's a problem" is a condition, not a request.
    return !t.negated && !negCues.some(before) && !hypos.some(before) && !hypos.some(after) && !cancels.some((c) => c.at > o.at);
  });
  const personHits = personMentions.filter((o) => !isQuestionSentence(tokens[o.at]!.sentence));

  return {
    tokens,
    mood,
    withholds: (action) => {
      const m = mood(action);
      // Asking how emailing works is not asking for an email; "can I get a link?" or "is there a human?" still asks.
      return WITHHOLDING_MOODS.includes(m) || (m === 'question' && action === 'email');
    },
    tentative: (action) =>
      mood(action) === 'request' && actionAt(action).some((i) => tentatives.some((o) => o.at < i && tokens[o.at]!.sentence === tokens[i]!.sentence)),
    isNegated: (lemma) => negated.has(lemma),
    affirmation: !tokens.some((t) => t.negated) && wholeMessageIs(tokens, lex.affirmations, lex),
    refusal: wholeMessageIs(tokens, [...lex.refusals, ...lex.cancel], lex),
    cancellation: cancels.length > 0 || takeBacks.length > 0,
    asksForPerson: personHits.length > 0,
    mentionsPerson: personMentions.length > 0,
    frustrated: occurrences(tokens, lex.frustration).length > 0,
  };
}

/** An analysis where the given actions are negated (a French negation read from its structure). */
function withNegated(a: Analysis, negated: ReadonlySet<Action>): Analysis {
  if (negated.size === 0) return a;
  const mood = (action: Action): Mood => (negated.has(action) && a.mood(action) !== 'cancelled' && a.mood(action) !== 'hypothetical' ? 'negated' : a.mood(action));
  return {
    ...a,
    mood,
    withholds: (action) => (negated.has(action) ? true : a.withholds(action)),
    affirmation: false,
    asksForPerson: a.asksForPerson && !negated.has('followup'),
    mentionsPerson: a.mentionsPerson && !negated.has('followup'),
  };
}

/** The offline engine reads the same message once per tool round and per clause: recent analyses are reused. */
const recent = new Map<string, Analysis>();
const RECENT_MAX = 64;

/**
 * Analyses a user message. A French message is read through readMessage() first ("N'envoyez pas
 * IN7654321" → "do not send IN7654321"), so the same rules and the same English lexicon decide.
 */
export function analyze(text: string): Analysis {
  const hit = recent.get(text);
  if (hit) return hit;
  const read = readMessage(text);
  const english = analyzeWith(LANGUAGES.en, read.engineText);
  const a = read.language === 'fr' ? withNegated(english, frenchNegatedActions(text)) : english;
  if (recent.size >= RECENT_MAX) recent.delete(recent.keys().next().value!);
  recent.set(text, a);
  return a;
}
