import { describe, expect, it } from 'vitest';
import { parseEmailAddress, readRecipients } from '../../src/mail/recipients.js';

const typed = (text: string) => readRecipients(text).recipients.map((r) => [r.typed, r.problem]);

describe('reading the address a person typed', () => {
  it("keeps an apostrophe inside the local part: the address is the one typed, never its tail", () => {
    expect(typed("Email a PDF copy of IN7654321 to o'brien@mycompany.com")).toEqual([["o'brien@mycompany.com", null]]);
    expect(typed('send it over to d’angelo.m@mycompany.com please')).toEqual([["d'angelo.m@mycompany.com", null]]);
    expect(typed("Envoie la facture IN7654321 à quelqu'un@gmail.com")).toEqual([["quelqu'un@gmail.com", null]]);
    expect(parseEmailAddress("o'brien@mycompany.com")?.address).toBe("o'brien@mycompany.com");
  });

  it('reads single quotes around an address as quotes, and an elided word before a space as a word', () => {
    expect(typed("email IN7654321 to 'ap@mycompany.com'")).toEqual([['ap@mycompany.com', null]]);
    expect(typed("Envoyez-la à l'adresse ap@mycompany.com")).toEqual([['ap@mycompany.com', null]]);
    expect(typed("it's ap@mycompany.com, isn't it")).toEqual([['ap@mycompany.com', null]]);
  });
});
