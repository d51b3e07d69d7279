import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CARD_REDACTION, redactCardData, scrubCardNumbers } from '../../src/redaction/card-data.js';
import { amount, cardMessage, date, inScript, lookalikeSentence, luhnWithoutIssuer, nonLuhn16, pan, phone, sprinkle, written, type CardMessage } from './card-arbitraries.js';

/**
 * Issue #11, defect 1: card numbers stored as typed. Property-based (fast-check): test PANs of
 * every brand written in every grouping, separator, digit script, with invisible characters and
 * glued words, inside billing sentences, must come out with no digit of the card in any script;
 * the look-alikes of a billing conversation must come out byte for byte unchanged.
 */

/** How many generated cases each property runs (the report quotes these figures). */
const RUNS = 3000;
const LOOKALIKE_RUNS = 2000;

/** The digits (any script, after NFKC) left in `text` once the strings that must stay are taken out. */
function strayDigits(text: string, keep: readonly string[]): string {
  let rest = text;
  for (const k of keep) rest = rest.split(k).join(' ');
  return [...rest.normalize('NFKC')].filter((c) => /\p{Nd}/u.test(c)).join('');
}

function assertRedacted(m: CardMessage): void {
  const out = redactCardData(m.text);
  const context = `${m.how}\n in:  ${JSON.stringify(m.text)}\n out: ${JSON.stringify(out.text)}`;
  expect(out.found, context).toBe(true);
  expect(out.text, context).toContain(CARD_REDACTION);
  expect(strayDigits(out.text, m.keep), context).toBe('');
  for (const k of m.keep) expect(out.text, context).toContain(k);
  expect(scrubCardNumbers(m.text)).toBe(out.text);
}

function assertUnchanged(text: string): void {
  const out = redactCardData(text);
  expect(out, JSON.stringify(text)).toEqual({ text, found: false });
}

describe('card formats: every way of typing a card number is redacted (fast-check)', () => {
  it('the check below sees a card that survives (not vacuous)', () => {
    expect(strayDigits('card ٤١١١ ١١١١ ١١١١ ١١١١', [])).toHaveLength(16);
    expect(strayDigits('𝟒𝟏𝟏𝟏\u200b1111', [])).toBe('41111111');
    expect(strayDigits(`Settle IN7651188 with ${CARD_REDACTION}`, ['IN7651188'])).toBe('');
  });

  it(`${RUNS} generated messages: grouping × separator × script × invisible characters × glued words × surrounding text`, () => {
    fc.assert(fc.property(cardMessage, assertRedacted), { numRuns: RUNS });
  });

  const examples: Array<[string, string]> = [
    ['glued before', 'card5105105105105100'],
    ['glued both sides, expiry after', '3530111333300000exp0828'],
    ['glued word and expiry with a slash', 'visa4012888888881881exp 03/28'],
    ['newline between groups', 'here:\n6011\n0009\n9013\n9424'],
    ['tab between groups', '3782\t822463\t10005'],
    ['double spaces', '5555  5555  5555  4444'],
    ['dots', '4000.0566.5566.5556'],
    ['slashes', '2223/0031/2200/3222'],
    ['underscores', '6200_0000_0000_0005'],
    ['no-break spaces', '3056\u00a0930902\u00a05904'],
    ['en dashes', '4242–4242–4242–4242'],
    ['pairs', '41 11 11 11 11 11 11 11'],
    ['3-3-3-3-4', '424 242 424 242 4242'],
    ['single spaced digits', '5 1 0 5 1 0 5 1 0 5 1 0 5 1 0 0'],
    ['fullwidth', '４０１２８８８８８８８８１８８１'],
    ['Arabic-Indic', '٦٠١١ ١١١١ ١١١١ ١١١٧'],
    ['Devanagari', '३७८२ ८२२४६३ १०००५'],
    ['mathematical bold', '𝟒𝟐𝟒𝟐𝟒𝟐𝟒𝟐𝟒𝟐𝟒𝟐𝟒𝟐𝟒𝟐'],
    ['zero-width spaces', '4\u200b111111111111111'],
    ['zero-width joiner and non-joiner', '5555\u200d5555\u200c5555\u200d4444'],
    ['word joiner', '3566\u20600020\u20600360\u20600505'],
    ['soft hyphens', '6011\u00ad1111\u00ad1111\u00ad1117'],
    ['BOM', '\ufeff4111\ufeff1111\ufeff1111\ufeff1111'],
    ['combining marks', '4\u03011\u03011\u03011 1111 1111 1111'],
    ['keycaps', '4\ufe0f\u20e32\ufe0f\u20e34\ufe0f\u20e32\ufe0f\u20e3424242424242'],
    ['double dashes', '6011 -- 0009 -- 9013 -- 9424'],
    ['blank lines between groups', '5105\r\n\r\n1051\r\n\r\n0510\r\n\r\n5100'],
    ['bullets', '3530 • 1113 • 3330 • 0000'],
    ['colons', '4000:0566:5566:5556'],
    ['parenthesised groups', '(2223)(0031)(2200)(3222)'],
    ['a compound label glued before', 'CARDNUMBER4012888888881881'],
    ['a word glued after', '5555555555554444end'],
    ['superscript digits', 'card ⁴²⁴² ⁴²⁴² ⁴²⁴² ⁴²⁴²'],
    ['circled digits', '⑤①⓪⑤①⓪⑤①⓪⑤①⓪⑤①⓪⓪'],
    ['Arabic tatweel between groups', '٤١١١ـ١١١١ـ١١١١ـ١١١١'],
    ['glued inside Japanese text', 'カード4242424242424242です'],
    ['card, expiry and code all glued', 'card3782 822463 10005exp12/29cvc1234'],
  ];
  it.each(examples)('%s: %j', (how, text) => assertRedacted({ text, number: '', keep: [], how }));

  it('the original span goes, invisible characters included; the rest of the text is kept as typed', () => {
    const out = redactCardData('Carte\u00a0: ４２４２\u200b４２４２ ４２４２ ４２４２ — merci ＩＮ７６５１１８８');
    expect(out.text).toBe(`Carte\u00a0: ${CARD_REDACTION} — merci ＩＮ７６５１１８８`);
  });

  it('an expiry and security code beside a reformatted card go too', () => {
    expect(redactCardData('4111.1111.1111.1111 exp 12/29 cvc 123').text).toBe('[card number removed] exp [expiry removed] cvc [security code removed]');
    expect(redactCardData('٤١١١ ١١١١ ١١١١ ١١١١ ١٢/٢٩').text).toBe('[card number removed] [expiry removed]');
  });
});

describe('card formats: look-alikes stay exactly as typed', () => {
  const table: Array<[string, string]> = [
    ['invoice number', 'Please resend IN7651188 and IN7650042'],
    ['invoice number, hash', 'invoice # 7651188 is wrong'],
    ['order reference', 'Which invoice is order SO-31877 on?'],
    ['payment reference', 'PAY-401266 was applied twice'],
    ['credit memo', 'Use CM-100377 against it'],
    ['return authorisation', 'RMA-8890 was approved'],
    ['purchase order', 'PO 4500018823 please'],
    ['phone, dashed', 'call +1 647-555-0142'],
    ['phone, parentheses', 'our AP line is (647) 555 0142'],
    ['phone, dotted', '647.555.0142 after 5'],
    ['phone, UK', '+44 20 7946 0321'],
    ['phone, France in pairs', '+33 1 42 68 53 00'],
    ['phone then date', 'ring 905-555-0175 2026-12-03'],
    ['postal code, Canada', 'Send it to K1A 0B1'],
    ['postal code, US ZIP+4', 'ZIP 10001-2345'],
    ['postal code, UK', 'London SW1A 1AA'],
    ['date, ISO', 'due 2026-12-01'],
    ['date, day first', 'due 01/12/2026'],
    ['date, dotted', 'due 01.12.2026'],
    ['date range', 'between 2026-10-01 - 2026-12-31'],
    ['timestamp', 'at 2026-11-25T14:30:00Z'],
    ['amount, English', 'I paid $12,480.00'],
    ['amount, French', 'j’ai payé 12 480,00 $'],
    ['amount, European', 'Betrag € 1.234,56'],
    ['amounts side by side', '$1,234.56 $2,345.67 $3,456.78'],
    ['IBAN, Germany', 'DE44 5001 0517 5407 3249 31'],
    ['IBAN, France', 'FR76 3000 6000 0112 3456 7890 189'],
    ['IBAN, unspaced', 'NL91ABNA0417164300'],
    ['IBAN, dotted', 'DE89.3704.0044.0532.0131.00'],
    ['tracking, UPS', '1Z 999 AA1 01 2345 6784'],
    ['tracking, USPS', '9400 1118 9922 3344 5566 77'],
    ['tracking, USPS dotted', '9400.1000.0000.0005.0000.00'],
    ['tracking, FedEx', '7946 1234 5678'],
    ['16 digits failing Luhn', '4111 1111 1111 1113'],
    ['16 digits failing Luhn, dotted', '5555.5555.5555.4445'],
    ['16 digits failing Luhn, pairs', '42 42 42 42 42 42 42 41'],
    ['16-digit Luhn number, no issuer', '1234 5678 9012 3452'],
    ['16-digit Luhn number, no issuer, fullwidth', '７０００ ０００ ０００ ０００ ００１８'.replace(/ /g, '')],
    ['masked card', 'the card ending **** **** **** 4242'],
    ['last four', 'my Visa ending in 4242 expired 12/29'],
    ['identifier with a Luhn-valid number inside', 'ref TXN4242424242424242'],
    ['identifier glued both sides', 'key ab4111111111111111z'],
    ['IP address', '10.120.200.155'],
    ['version', 'v2.14.3'],
    ['social insurance number', 'SIN 046 454 286'],
  ];
  it.each(table)('%s: %j', (_id, text) => assertUnchanged(text));

  it(`${LOOKALIKE_RUNS} generated 16-digit numbers that fail Luhn, in every format`, () => {
    fc.assert(fc.property(written(nonLuhn16), (w) => assertUnchanged(w.text)), { numRuns: LOOKALIKE_RUNS });
  });

  it(`${LOOKALIKE_RUNS} generated Luhn-valid 13-19 digit numbers without a known issuer, in every format`, () => {
    fc.assert(fc.property(written(luhnWithoutIssuer), (w) => assertUnchanged(w.text)), { numRuns: LOOKALIKE_RUNS });
  });

  it(`${LOOKALIKE_RUNS} generated phone numbers, dates and amounts, alone and side by side, any digit script`, () => {
    const anyScript = fc.constantFrom(0x30, 0xff10, 0x660, 0x966);
    const lookalike = fc.record({ text: fc.oneof(phone, date, amount, lookalikeSentence), zero: anyScript }).chain(({ text, zero }) => sprinkle(inScript(text, zero)));
    fc.assert(fc.property(lookalike, assertUnchanged), { numRuns: LOOKALIKE_RUNS });
  });

  it('a real PAN next to look-alikes: only the card goes', () => {
    fc.assert(
      fc.property(pan, phone, date, amount, (n, p, d, a) => {
        const text = `Call ${p} about ${a} due ${d}; card ${n} please`;
        const out = redactCardData(text);
        expect(out.text).toBe(`Call ${p} about ${a} due ${d}; card ${CARD_REDACTION} please`);
      }),
      { numRuns: 500 },
    );
  });
});
