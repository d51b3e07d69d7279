import { describe, expect, it } from 'vitest';
import { emailInvoicePdf } from '../../tools/emailInvoicePdf.js';
import { requestBillingFollowUp } from '../../tools/requestBillingFollowUp.js';
import type { DialogueContext } from '../../src/agent/context.js';
import { analyze } from '../../src/agent/language/analyze.js';
import { buildUserRequest } from '../../src/agent/request.js';

/**
 * The side-effect gate in French: the server's reading of the user's message (UserRequest) decides
 * whether an email or a follow-up may run without a confirm card, whatever a model asks; and a yes or
 * a no to a pending proposal settles it.
 */

const FOCUS_321: DialogueContext = {
  v: 1,
  focus: [{ invoiceNumber: 'IN7654321', state: 'overdue', amountDueCents: 123456, totalCents: 123456, issued: '2026-10-21', due: '2026-11-20' }],
  list: null,
  proposals: [],
  note: null,
};

const explicitEmail = (text: string, invoiceNumber: string, to: string, context: DialogueContext | null = null) =>
  emailInvoicePdf.approval!.explicit({ invoiceNumber, to }, buildUserRequest(text, context));

describe('the side-effect gate reads French', () => {
  it('never sends what a French message withholds', () => {
    for (const m of [
      "N'envoyez pas IN7654321 à ap@mycompany.com",
      "n'envoie pas IN7654321 à ap@mycompany.com",
      'nenvoyez pas IN7654321 a ap@mycompany.com',
      "Ne pas envoyer IN7654321 à ap@mycompany.com",
      "n'envoyez jamais IN7654321 à ap@mycompany.com",
      "n'envoyez IN7654321 à personne, surtout pas à ap@mycompany.com",
      "Pas besoin d'envoyer IN7654321 à ap@mycompany.com",
      'Je ne veux pas que vous envoyiez IN7654321 à ap@mycompany.com',
      "Si j'envoyais IN7654321 à ap@mycompany.com, qu'est-ce qui se passerait ?",
      'Envoyez IN7654321 à ap@mycompany.com. En fait, laissez tomber.',
      'N’ENVOYEZ PAS IN7654321 À ap@mycompany.com',
      "N'envoyez surtout pas IN7654321 à ap@mycompany.com",
      'envoie surtout pas IN7654321 à ap@mycompany.com',
      'Il ne faut pas envoyer IN7654321 à ap@mycompany.com',
      "Vous n'avez pas à envoyer IN7654321 à ap@mycompany.com",
      'Je ne souhaite pas que la facture IN7654321 soit envoyée à ap@mycompany.com',
    ]) {
      const req = buildUserRequest(m, null);
      expect(req.withholds('email'), m).toBe(true);
      expect(explicitEmail(m, 'IN7654321', 'ap@mycompany.com'), m).toBe(false);
    }
  });

  it('a French request to send is explicit, by number or by the invoice in focus', () => {
    expect(explicitEmail('Envoyez la facture IN7654321 à ap@mycompany.com', 'IN7654321', 'ap@mycompany.com')).toBe(true);
    expect(explicitEmail('courriel IN7654321 a ap@mycompany.com svp', 'IN7654321', 'ap@mycompany.com')).toBe(true);
    const req = buildUserRequest('envoyez-la à ap@mycompany.com', FOCUS_321);
    expect(req.referencedInvoice).toBe('IN7654321');
    expect(req.addresses).toEqual(['ap@mycompany.com']);
    expect(explicitEmail('envoyez-la à ap@mycompany.com', 'IN7654321', 'ap@mycompany.com', FOCUS_321)).toBe(true);
    expect(explicitEmail("pouvez-vous l'envoyer à ap@mycompany.com ?", 'IN7654321', 'ap@mycompany.com', FOCUS_321)).toBe(true);
    // The address must be the one typed, and the invoice the one named.
    expect(explicitEmail('Envoyez IN7654321 à ap@mycompany.com', 'IN7654320', 'ap@mycompany.com')).toBe(false);
    expect(explicitEmail('Envoyez IN7654321 à ap@mycompany.com', 'IN7654321', 'accounting@mycompany.com')).toBe(false);
    expect(explicitEmail('ne l’envoyez pas à ap@mycompany.com', 'IN7654321', 'ap@mycompany.com', FOCUS_321)).toBe(false);
  });

  it('asking for a person in French is explicit; a negated or hypothetical one is not', () => {
    const ask = (m: string) => requestBillingFollowUp.approval!.explicit({ topic: 'other', invoiceNumber: null }, buildUserRequest(m, null));
    expect(ask('Je veux parler à un humain')).toBe(true);
    expect(ask('je voudrais une vraie personne svp')).toBe(true);
    expect(ask("Pourriez-vous demander à quelqu'un de me contacter ?")).toBe(true);
    expect(ask('Je ne veux pas parler à un agent')).toBe(false);
    expect(ask("Je n'ai besoin de personne pour m'appeler")).toBe(false);
    expect(ask('Si je voulais parler à quelqu’un, qui appellerais-je ?')).toBe(false);
  });

  it('yes and no to a proposal', () => {
    for (const m of ['oui', 'Oui', 'ouais', "d'accord", 'D’accord', 'vas-y', 'Allez-y', 'oui, allez-y, envoyez-la', 'ok parfait, faites-le', "oui s'il vous plaît", 'bien sûr', 'je confirme', 'ça marche']) {
      expect(analyze(m).affirmation, m).toBe(true);
      expect(analyze(m).refusal, m).toBe(false);
    }
    for (const m of ['non', 'Non merci', 'annule', 'annulez', 'non, laissez tomber', "Non, ne l'envoyez pas", 'pas maintenant', 'laisse tomber', 'oublie ça', 'stop']) {
      expect(analyze(m).refusal, m).toBe(true);
      expect(analyze(m).affirmation, m).toBe(false);
    }
    // A new request is neither.
    for (const m of ['quel est mon solde ?', 'envoyez IN7654320 à ap@mycompany.com']) {
      expect(analyze(m).affirmation, m).toBe(false);
      expect(analyze(m).refusal, m).toBe(false);
    }
  });
});
