/**
 * Language-neutral view of a user message: tokens with their lemma and negation scope, grouped in
 * sentences. A language supplies a tokenizer (an NLP library) and a lexicon; the rules in
 * `analyze.ts` are the same for every language.
 */

export interface Token {
  /** As typed. */
  value: string;
  /** Lower-cased base form ("emailing" → "email", "sent" → "send"). */
  lemma: string;
  /** Inside the scope of a negation ("don't send¬ it¬"). */
  negated: boolean;
  /** word, email, number, punctuation, ... as the tokenizer classifies it. */
  type: string;
  sentence: number;
}

export interface Tokenizer {
  tokenize(text: string): Token[];
}

/** A phrase is a sequence of lemmas; `*` matches any one token. */
export type Phrase = readonly string[];

export type Action = 'email' | 'pay' | 'followup';

export interface Lexicon {
  /** Lemmas that name each action (verbs and nouns), and multi-word phrases for it. */
  actions: Record<Action, { lemmas: readonly string[]; phrases: readonly Phrase[] }>;
  /** Negation the tokenizer's scope misses ("hold off on emailing"): cue phrases whose scope runs to the sentence end. */
  negationCues: readonly Phrase[];
  /**
   * Verbs that decline the action they govern ("refrain from emailing", "avoid sending", "stop
   * sending", "hold back on the link"): the action is negated when it follows one with only
   * `governedGap` words between them, so "to avoid late fees, pay IN…" still pays.
   */
  negativeVerbs: readonly Phrase[];
  /** Words allowed between a negative verb and its action ("from", "on", "making a", "the"). */
  governedGap: readonly string[];
  /** Words that make a request tentative before the action in its sentence ("maybe", "perhaps", "I guess"). */
  tentative: readonly Phrase[];
  /** Who reports having done an action ("I", "we"): "I already emailed it myself" tells, it does not ask. */
  reportSubjects: readonly string[];
  /** Words between that subject and the past-tense action ("already", "have", "just"). */
  reportFillers: readonly string[];
  /** A later time after the action in its sentence ("tomorrow", "next week"): nothing can be scheduled, so nothing is done now. */
  deferrals: readonly Phrase[];
  /** A condition before the action in its sentence ("once it's approved, …", "after the audit, …"). */
  deferralOpeners: readonly Phrase[];
  /** Second thoughts: after an action in the same message, they cancel it ("actually, forget it"). */
  cancel: readonly Phrase[];
  /** Words that open a hypothetical before the action in the same sentence ("if", "suppose"). */
  hypothetical: readonly Phrase[];
  /** Conditions after the action that make it hypothetical ("…if I asked", "…if we need to"). */
  trailingConditions: readonly Phrase[];
  /** Polite conditionals that are not hypothetical ("if possible", "if you can"). */
  politeConditionals: readonly Phrase[];
  /** Sentence openings that ask how something works rather than asking for it ("how do I", "what happens"). */
  questionOpeners: readonly Phrase[];
  /** Sentence openings that make a question a polite request ("can you", "could you please"). */
  politeRequests: readonly Phrase[];
  /** A whole message that says yes to a proposal. */
  affirmations: readonly Phrase[];
  /** A whole message that says no. */
  refusals: readonly Phrase[];
  /** Asking for a person ("talk to a human", "have someone call me"). */
  person: readonly Phrase[];
  /** Clear frustration ("this is useless"). */
  frustration: readonly Phrase[];
  /** Filler allowed around a yes/no ("please", "thanks", "it", "that"). */
  filler: readonly string[];
}
