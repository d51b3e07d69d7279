/**
 * Letters glued to a number: a word people type next to a card number ("card4111…", "…1111exp1229")
 * leaves the number readable as a card; an identifier ("TXN4242…", "…1111abc", "x…z") keeps it.
 */

/** A word before the number ("card", "Visa", "mycard", "карта", "بطاقة"), not an identifier ("TXN", "IN", "x"). */
const WORD_BEFORE = /^(?:\p{Lu}?\p{Ll}{2,}|[\p{Lo}\p{Lm}]{2,})$/u;
const LABEL_BEFORE = /^(?:.*(?:card|cc|ccn|pan|visa|amex|number|num)|mc|no|nr)$/i;
/**
 * A word after the number: what people type after a card ("exp1229", "cvc123", "end"), a word of
 * four letters or more ("thanks", "Please"), or a caseless script's word. Three letters or fewer
 * that are none of these ("…1111abc", "…1111x") end an identifier.
 */
const WORD_AFTER = /^(?:exp|cvc|cvv|csc|cid|sec|code|valid|thru|until|and|or|end|now|yes|but|via|use|thx|pls|is|was|for|to|the|with|card|visa|mm|date|ok)/i;
const WORD = /^(?:\p{Ll}{4,}|\p{Lu}\p{Ll}{3,}|[\p{Lo}\p{Lm}])/u;

/** Letters right before a number that read as a word or a card label, not an identifier. */
export const wordBefore = (letters: string) => WORD_BEFORE.test(letters) || LABEL_BEFORE.test(letters);

/** Letters right after a number that read as what people type after a card. */
export const wordAfter = (letters: string) => WORD_AFTER.test(letters) || WORD.test(letters);
