import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/agent/language/analyze.js';

/** Verbs that decline the action they govern, and where they stop governing it. */
describe('a negative verb negates the action it governs', () => {
  it.each([
    ['please refrain from emailing IN7654321 to ap@mycompany.com', 'email'],
    ['kindly abstain from forwarding IN7654323 to ap@mycompany.com', 'email'],
    ['Stop sending IN7654322 to ap@mycompany.com', 'email'],
    ['quit emailing invoices to accounting@mycompany.com', 'email'],
    ['I refuse to let you email IN7654321 to ap@mycompany.com', 'email'],
    ['decline to send it', 'email'],
    ['hold back on the payment link for IN7654321', 'pay'],
    ["refrain from making a payment link for IN7654322, I'll pay by cheque", 'pay'],
    ['avoid paying IN7654321 for now', 'pay'],
  ] as const)('%s → %s negated', (text, action) => {
    expect(analyze(text).mood(action)).toBe('negated');
    expect(analyze(text).withholds(action)).toBe(true);
  });

  it.each([
    ['to avoid any late fees, give me a payment link for IN7654323', 'pay'],
    ["I'll avoid paying by cheque, send me a pay link for IN7654321", 'pay'],
    ['I want to avoid any confusion: email IN7654321 to ap@mycompany.com', 'email'],
    ['stop the reminders and email IN7654321 to ap@mycompany.com', 'email'],
  ] as const)('%s → %s still asked', (text, action) => {
    expect(analyze(text).mood(action)).toBe('request');
  });
});

describe('telling is not asking', () => {
  it.each([
    ['I already emailed IN7654321 to ap@mycompany.com myself', 'reported'],
    ["we've sent IN7654320 to accounting@mycompany.com", 'reported'],
    ['I have just forwarded it to ap@mycompany.com', 'reported'],
    ['please email IN7654321 to ap@mycompany.com tomorrow morning', 'deferred'],
    ["once it's approved, email IN7654320 to accounting@mycompany.com", 'deferred'],
    ['send IN7654322 to ap@mycompany.com next week', 'deferred'],
  ] as const)('%s → email %s, withheld', (text, mood) => {
    expect(analyze(text).mood('email')).toBe(mood);
    expect(analyze(text).withholds('email')).toBe(true);
  });

  it.each([
    'I sent IN7654321 to the wrong person, please email it to ap@mycompany.com',
    'email IN7654321 to ap@mycompany.com as soon as possible',
    'when you get a chance, email IN7654320 to ap@mycompany.com',
  ])('%s → still asked', (text) => {
    expect(analyze(text).mood('email')).toBe('request');
  });

  it('a payment link asked for a later day is still given (no side effect)', () => {
    expect(analyze('send me a payment link for IN7654321, I will pay it tomorrow').withholds('pay')).toBe(false);
  });
});

describe('a tentative request is proposed, not done', () => {
  it.each(['maybe email IN7654321 to ap@mycompany.com?', 'perhaps send IN7654320 to accounting@mycompany.com', 'I guess you could email IN7654322 to ap@mycompany.com'])('%s', (text) => {
    const a = analyze(text);
    expect(a.withholds('email')).toBe(false);
    expect(a.tentative('email')).toBe(true);
  });
  it('a plain request is not tentative; "maybe later" stays hypothetical', () => {
    expect(analyze('email IN7654321 to ap@mycompany.com').tentative('email')).toBe(false);
    expect(analyze('maybe later email IN7654321 to ap@mycompany.com').withholds('email')).toBe(true);
  });
});
