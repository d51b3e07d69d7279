import type { UserRequest } from '../../tools/types.js';
import type { DialogueContext } from './context.js';
import { readRecipients } from '../mail/recipients.js';
import { analyze, type Analysis } from './language/analyze.js';
import { readMessage } from './language/message.js';
import { extract } from './offline/text.js';
import { refIn, resolveRef } from './references.js';

/**
 * The server's reading of the user's current message: what it names, and whether it withholds an
 * action. A French message is read in the engine's vocabulary ("envoyez-la" names the invoice in
 * focus as "send it" does); the addresses are always the ones typed.
 */
export function buildUserRequest(text: string, context: DialogueContext | null, analysis: Analysis = analyze(text)): UserRequest {
  const x = extract(readMessage(text).engineText);
  let referencedInvoice: string | null = null;
  if (x.invoiceNumbers.length === 0) {
    const r = resolveRef(refIn(x.text, [], x.amounts), context);
    if (r.kind === 'numbers' && r.numbers.length === 1) referencedInvoice = r.numbers[0]!;
  }
  return {
    text,
    // Every recipient as typed, as the mail policy reads it (the email tool's approval reads the same).
    addresses: readRecipients(text).recipients.map((r) => r.typed),
    invoiceNumbers: x.invoiceNumbers,
    referencedInvoice,
    withholds: (action) => analysis.withholds(action),
    tentative: (action) => analysis.tentative(action),
    asksForPerson: analysis.asksForPerson,
  };
}
