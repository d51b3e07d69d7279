/** The parts of @nlpjs/lang-fr (CommonJS, no types of its own) that the French reader uses. */
declare module '@nlpjs/lang-fr' {
  export class TokenizerFr {
    /** Splits on spaces, punctuation and apostrophes ("l'envoyer" → "l", "envoyer"); keeps hyphenated words whole. No cache. */
    innerTokenize(text: string): string[];
  }
  export class NormalizerFr {
    /** Lower case without diacritics ("Échéance" → "echeance"). */
    normalize(text: string): string;
  }
  export class StemmerFr {
    setCurrent(word: string): void;
    innerStem(): void;
    getCurrent(): string;
  }
  export class StopwordsFr {
    dictionary: Record<string, boolean>;
  }
}
