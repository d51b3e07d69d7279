import { createPaymentLinkResult as paymentLinkResult } from '../../../tools/createPaymentLink.js';
import { emailInvoicePdfResult as emailResult } from '../../../tools/emailInvoicePdf.js';
import { CONTACTS_PAGE_PATH } from '../../mail/policy.js';
import type { InvoiceBriefResult as InvoiceBrief } from '../../../tools/shared.js';
import { argNumber, ASK, errorText, joinAnd, LOOKUP_FAILED, named, openOf, plural, statusLabel, sumDisplays } from './compose-common.js';
import { deferredOf, errorOf, parseAs, type CallOutcome } from './outcomes.js';
import { EMAIL_UNAVAILABLE, POLICY, SECURE_PAGE_NOTE } from './policy.js';
import type { Intent } from './resolve.js';

/**
 * The answers that act or ask: payment links, emailing a copy, which-invoice questions, requests
 * the user withheld, and hand-offs to the accounts-receivable team.
 */

const CARD_NOTE = "I can't take card details in chat, but you can pay by credit card on our secure payment page.";

interface LinkSummary {
  payable: InvoiceBrief[];
  notes: string[];
}

function linkSummary(outcomes: CallOutcome[]): LinkSummary {
  const payable: InvoiceBrief[] = [];
  const notes: string[] = [];
  for (const o of outcomes) {
    const e = errorOf(o);
    if (e) {
      notes.push(errorText(e, argNumber(o)));
      continue;
    }
    const r = parseAs(paymentLinkResult, o);
    if (!r) continue;
    if (r.payable) payable.push(r);
    else notes.push(`${r.invoiceNumber} is ${r.status}: nothing is due on it, so there is nothing to pay.`);
  }
  return { payable, notes };
}

export function payText(outcomes: CallOutcome[], cardNote: boolean, scope: 'overdue' | 'outstanding' | null): string {
  const { payable, notes } = linkSummary(outcomes);
  const out: string[] = [];
  if (cardNote) out.push(CARD_NOTE);
  if (scope && payable.length === 1) out.push(`You have 1 ${scope} invoice.`);
  if (payable.length === 1) {
    const p = payable[0]!;
    out.push(
      `Here is a secure payment link for ${p.invoiceNumber} (${statusLabel(p.status)}, ${p.amountDue} due): use the Pay button on the card to pay it on our secure payment page. ${SECURE_PAGE_NOTE}`,
    );
  } else if (payable.length > 1) {
    // The invoice cards carry each invoice's amount and Pay button: the text sums them up.
    const total = sumDisplays(payable.map((p) => p.amountDue));
    const what = scope ? `your ${payable.length} ${scope} invoices` : plural(payable.length, 'invoice');
    out.push(
      `Here are secure payment links for ${what}${total ? `, ${total} in all` : ''}${named(payable.map((p) => p.invoiceNumber))}. Use the Pay button on each card to pay on our secure payment page; card details are only ever entered there, never in chat.`,
    );
  }
  out.push(...notes);
  if (out.length === 0) return LOOKUP_FAILED;
  return out.join(' ').replace(/ \n/g, '\n');
}

/** "Pay all my overdue invoices": the list looked up, then a link for each (up to the engine's limit). */
export function payAllText(listed: CallOutcome, links: CallOutcome[], scope: 'overdue' | 'outstanding'): string {
  const { open, more } = openOf(listed);
  if (open.length === 0) {
    return scope === 'overdue'
      ? 'You have no overdue invoices, so there is nothing overdue to pay. Ask me for your outstanding invoices to see what is coming due.'
      : 'You have no outstanding invoices, so there is nothing to pay right now.';
  }
  const rest = open.length > links.length ? ` I prepared links for the first ${links.length}; ask again for the rest once those are paid.` : '';
  return payText(links, false, scope) + (more ? ' There may be more; check the Invoices tab in the portal.' : rest);
}

/** "I want to pay" without saying which: the one open invoice's link, or the open ones to choose from. */
export function payPickText(listed: CallOutcome, links: CallOutcome[], cardNote: boolean): string {
  const { open } = openOf(listed);
  if (open.length === 0) return 'You have no outstanding invoices, so there is nothing to pay right now.';
  if (open.length === 1) return payText(links, cardNote, null);
  const card = cardNote ? `${CARD_NOTE} ` : '';
  const total = sumDisplays(open.map((i) => i.amountDue));
  return `${card}You have ${plural(open.length, 'outstanding invoice')}${total ? `, ${total} due in all` : ''}${named(open.map((i) => i.invoiceNumber))}. ${ASK.pay}? Use its Pay button below, tell me its number (or "the first one"), or say "pay all my overdue invoices".`;
}

/** Refusals of a request as a whole (several addresses, header injection): the tool's answer lists every address. */
const WHOLE_REQUEST_CODES: ReadonlySet<string> = new Set(['several_recipients', 'header_injection']);

export function emailText(outcome: CallOutcome | undefined, number: string, to: string): string {
  if (!outcome) return LOOKUP_FAILED;
  const e = errorOf(outcome);
  if (e) {
    if (WHOLE_REQUEST_CODES.has(e.code)) return e.message;
    if (e.code === 'unknown_tool' || e.code === 'email_unavailable') return EMAIL_UNAVAILABLE([number], to);
    if (e.code === 'invoice_not_found' || e.code === 'invalid_invoice_number') return errorText(e, number);
    if (e.code === 'timeout') return `I couldn't confirm that ${number} was emailed to ${to}: it took too long. Please try again in a moment.`;
    if (e.code === 'internal') return `I couldn't email ${number} to ${to} just now. Please try again in a moment.`;
    const policy = !/billing contact/i.test(e.message) && /recipient|not_allowed|domain|contact|address|refused|forbidden/i.test(`${e.code} ${e.message}`)
      ? ` Invoices can only be emailed to your billing contacts or to addresses at your verified domain; you can add a billing contact under Billing → Contacts in the portal, at ${CONTACTS_PAGE_PATH}.`
      : '';
    return `I couldn't email ${number} to ${to}: ${e.message}${policy}`;
  }
  const deferred = deferredOf(outcome);
  if (deferred?.status === 'needs_approval') return `Please confirm: should I email a PDF copy of ${number} to ${to}? Nothing is sent until you approve (or say "yes").`;
  if (deferred) return `OK, I won't email ${number}.`;
  const r = parseAs(emailResult, outcome);
  const n = r?.invoiceNumber ?? number;
  const addr = r?.to ?? to;
  const at = r?.sentAtText ? ` at ${r.sentAtText}` : '';
  if (r?.duplicate) return `A PDF copy of ${n} was already sent to ${addr}${at || ' recently'}, so I didn't send it again.`;
  return `Done: I've emailed a PDF copy of ${n} to ${addr}${at}.`;
}

/** Several addresses in one message: the tool's whole answer, or (no invoice yet) which invoice, and one address. */
export function emailSeveralText(intent: Extract<Intent, { kind: 'emailSeveral' }>, outcomes: CallOutcome[]): string {
  if (intent.number) {
    const whole = outcomes.map(errorOf).find((e) => e && WHOLE_REQUEST_CODES.has(e.code));
    return whole ? whole.message : emailText(outcomes[0], intent.number, joinAnd(intent.to));
  }
  const opts = intent.options.length > 0 ? `: ${joinAnd(intent.options, 'or')}?` : '?';
  return `${ASK.email}${opts} You named ${intent.to.length} addresses (${joinAnd(intent.to)}), and I email an invoice to one recipient per request, so nothing was sent. Tell me the invoice and one address, for example "Email IN7654321 to name@yourcompany.com".`;
}

export function askText(intent: Extract<Intent, { kind: 'ask' }>): string {
  const opts = intent.options.length > 0 ? `: ${joinAnd(intent.options, 'or')}?` : '?';
  switch (intent.action) {
    case 'pay':
      return `${ASK.pay}${opts}${intent.options.length > 0 ? '' : ' Tell me its number, or say "pay all my overdue invoices".'}`;
    case 'email':
      return `${ASK.email}${intent.to ? ` to ${intent.to}` : ''}${opts}${intent.options.length > 0 ? '' : ' Tell me its number (IN followed by 7 digits).'}`;
    case 'show':
      return `${ASK.show}${opts}${intent.options.length > 0 ? '' : ' Tell me its number (IN followed by 7 digits), or ask me to list your outstanding invoices.'}`;
  }
}

export function withheldText(intent: Extract<Intent, { kind: 'withheld' }>): string {
  const which = intent.numbers.length > 0 ? ` ${joinAnd(intent.numbers)}` : '';
  switch (intent.action) {
    case 'email':
      if (intent.mood === 'question' || intent.mood === 'hypothetical') return POLICY.emailHow;
      return `OK, I won't email${which ? which : ' anything'}. Nothing was sent.`;
    case 'pay':
      if (intent.mood === 'hypothetical') return POLICY.howToPay;
      return `Understood, no payment for now${which ? ` on${which}` : ''}. Whenever you're ready, ask me for a secure payment link.`;
    case 'followup':
      if (intent.mood === 'hypothetical' || intent.mood === 'question') return POLICY.handoffHow;
      return "Understood, I won't pass anything on to the billing team.";
  }
}

const HANDOFF_INTRO: Record<Extract<Intent, { kind: 'handoff' }>['topic'], string> = {
  dispute: "I can't change or correct invoices myself",
  extension: "I can't change due dates or set up payment arrangements myself",
  refund: "I can't issue refunds myself",
  other: "I'm an automated assistant, so I can't change invoices or make exceptions myself",
};

export function handoffText(intent: Extract<Intent, { kind: 'handoff' }>, outcome: CallOutcome | undefined): string {
  const about = intent.number ? ` about ${intent.number}` : '';
  const sorry = intent.reason === 'frustrated' || intent.reason === 'circles' ? "I'm sorry I haven't been able to help with that. " : '';
  if (!outcome) return `${sorry}${HANDOFF_INTRO[intent.topic]}. Our accounts-receivable team can help${about}: contact them through the portal's Billing section.`;
  const deferred = deferredOf(outcome);
  if (deferred?.status === 'needs_approval') {
    return `${sorry}${HANDOFF_INTRO[intent.topic]}, but I can pass your request${about} to our accounts-receivable team, who will contact you by email. Approve below (or say "yes") and I'll send it to them; nothing is sent until you do.`;
  }
  if (deferred) return "Understood, I won't pass anything on to the billing team.";
  const e = errorOf(outcome);
  if (e) return `I couldn't pass that on just now: ${e.message}`;
  const r = outcome.content as { reference?: unknown; notified?: unknown } | null;
  const ref = typeof r?.reference === 'string' ? ` (reference ${r.reference})` : '';
  return `Done: I've passed your request${about} to our accounts-receivable team${ref}. They will follow up with you by email. ${HANDOFF_INTRO[intent.topic]}, but they can.`;
}
