import { createPaymentLinkResult as paymentLinkResult } from '../../../tools/createPaymentLink.js';
import { emailInvoicePdfResult as emailResult, type EmailInvoicePdfResult as EmailResult } from '../../../tools/emailInvoicePdf.js';
import { dateTimeFormatter } from '../../format/dates.js';
import { CONTACTS_PAGE_PATH } from '../../mail/policy.js';
import type { InvoiceBriefResult as InvoiceBrief } from '../../../tools/shared.js';
import { argNumber, dueOf, dueSum, errorText, inSentence, lookupFailed, named, openOf, statusOf, type Say } from './compose-common.js';
import { deferredOf, errorOf, parseAs, type CallOutcome, type ToolErrorResult } from './outcomes.js';
import { emailUnavailable, policyText } from './policy.js';
import type { Intent } from './resolve.js';

/**
 * The answers that act or ask: payment links, emailing a copy, which-invoice questions, requests
 * the user withheld, and hand-offs to the accounts-receivable team.
 */

const CARD_NOTE = 'engine.pay.cardNote';

interface LinkSummary {
  payable: InvoiceBrief[];
  notes: string[];
}

function linkSummary(say: Say, outcomes: CallOutcome[]): LinkSummary {
  const payable: InvoiceBrief[] = [];
  const notes: string[] = [];
  for (const o of outcomes) {
    const e = errorOf(o);
    if (e) {
      notes.push(errorText(say, e, argNumber(o)));
      continue;
    }
    const r = parseAs(paymentLinkResult, o);
    if (!r) continue;
    if (r.payable) payable.push(r);
    else notes.push(say.t('engine.pay.nothingDue', { number: r.invoiceNumber, status: statusOf(say, r) }));
  }
  return { payable, notes };
}

export function payText(say: Say, outcomes: CallOutcome[], cardNote: boolean, scope: 'overdue' | 'outstanding' | null): string {
  const { payable, notes } = linkSummary(say, outcomes);
  const out: string[] = [];
  if (cardNote) out.push(say.t(CARD_NOTE));
  if (scope && payable.length === 1) out.push(say.t(scope === 'overdue' ? 'engine.pay.oneOverdue' : 'engine.pay.oneOutstanding'));
  if (payable.length === 1) {
    const p = payable[0]!;
    out.push(say.t('engine.pay.link', { number: p.invoiceNumber, status: inSentence(statusOf(say, p)), amountDue: dueOf(say, p) }), say.t('engine.pay.securePageNote'));
  } else if (payable.length > 1) {
    // The invoice cards carry each invoice's amount and Pay button: the text sums them up.
    const total = dueSum(say, payable);
    const n = payable.length;
    const what = scope === 'overdue' ? say.t('engine.pay.linksOverdue', { n }) : scope === 'outstanding' ? say.t('engine.pay.linksOutstanding', { n }) : say.t('engine.pay.links', { n });
    out.push(`${what}${total ? say.t('engine.sum.inAll', { total }) : ''}${named(say, payable.map((p) => p.invoiceNumber))}.`, say.t('engine.pay.linksHow'));
  }
  out.push(...notes);
  if (out.length === 0) return lookupFailed(say);
  return out.join(' ').replace(/ \n/g, '\n');
}

/** "Pay all my overdue invoices": the list looked up, then a link for each (up to the engine's limit). */
export function payAllText(say: Say, listed: CallOutcome, links: CallOutcome[], scope: 'overdue' | 'outstanding', except: readonly string[] = []): string {
  const { open: all, more } = openOf(listed);
  const open = all.filter((i) => !except.includes(i.invoiceNumber));
  const left = all.filter((i) => except.includes(i.invoiceNumber)).map((i) => i.invoiceNumber);
  if (open.length === 0) {
    if (left.length > 0) return say.t('engine.pay.noneBesides', { numbers: say.and(left) });
    return say.t(scope === 'overdue' ? 'engine.pay.noneOverdue' : 'engine.pay.noneOutstanding');
  }
  // With invoices left out, "you have 1 overdue invoice" would be wrong: name what was left out instead.
  const text = left.length > 0 ? `${say.t('engine.pay.leftOut', { numbers: say.and(left) })} ${payText(say, links, false, null)}` : payText(say, links, false, scope);
  if (more) return `${text} ${say.t('engine.pay.mayBeMore')}`;
  return open.length > links.length ? `${text} ${say.t('engine.pay.firstOnly', { n: links.length })}` : text;
}

/** "I want to pay" without saying which: the one open invoice's link, or the open ones to choose from. */
export function payPickText(say: Say, listed: CallOutcome, links: CallOutcome[], cardNote: boolean): string {
  const { open } = openOf(listed);
  if (open.length === 0) return say.t('engine.pay.noneOutstanding');
  if (open.length === 1) return payText(say, links, cardNote, null);
  const total = dueSum(say, open);
  const have = `${say.t('engine.outstanding.have', { count: open.length })}${total ? say.t('engine.sum.dueInAll', { total }) : ''}${named(say, open.map((i) => i.invoiceNumber))}.`;
  return [...(cardNote ? [say.t(CARD_NOTE)] : []), have, say.t('engine.pay.which')].join(' ');
}

/** Refusals of a request as a whole (several addresses, header injection): the tool's answer lists every address. */
const WHOLE_REQUEST_KEY: Record<string, string> = {
  several_recipients: 'engine.email.severalRecipients',
  header_injection: 'engine.email.headerInjection',
};

/** The tool's own (English) words for a refusal, or the engine's in another language. */
function wholeRequestText(say: Say, e: ToolErrorResult): string {
  return say.english && e.message ? e.message : say.t(WHOLE_REQUEST_KEY[e.code]!);
}

/** Why an email was refused or failed, when the reply cannot quote the tool's English message. */
const EMAIL_REASON_KEY: Record<string, string> = {
  recipient_not_allowed: 'engine.email.reason.notAllowed',
  invalid_recipient: 'engine.email.reason.invalidRecipient',
  email_limit_reached: 'engine.email.reason.limit',
  email_failed: 'engine.email.reason.failed',
};

/** When an email was sent, in the billing time zone the result names; without it, only the tool's own (English) text says it. */
function sentAtText(say: Say, r: EmailResult): string | null {
  if (r.timeZone) return dateTimeFormatter(r.timeZone, say.locale)(new Date(r.sentAt));
  return say.english && r.sentAtText ? r.sentAtText : null;
}

export function emailText(say: Say, outcome: CallOutcome | undefined, number: string, to: string): string {
  if (!outcome) return lookupFailed(say);
  const e = errorOf(outcome);
  if (e) {
    if (e.code in WHOLE_REQUEST_KEY) return wholeRequestText(say, e);
    if (e.code === 'unknown_tool' || e.code === 'email_unavailable') return emailUnavailable(say, [number], to);
    if (e.code === 'invoice_not_found' || e.code === 'invalid_invoice_number') return errorText(say, e, number);
    if (e.code === 'timeout') return say.t('engine.email.timeout', { number, to });
    if (e.code === 'internal') return say.t('engine.email.internal', { number, to });
    const policy = !/billing contact/i.test(e.message) && /recipient|not_allowed|domain|contact|address|refused|forbidden/i.test(`${e.code} ${e.message}`);
    const reason = say.english && e.message ? e.message : say.t(EMAIL_REASON_KEY[e.code] ?? 'engine.email.reason.other');
    const text = say.t('engine.email.failed', { number, to, reason });
    return policy ? `${text} ${say.t('engine.email.policyHint', { path: CONTACTS_PAGE_PATH })}` : text;
  }
  const deferred = deferredOf(outcome);
  if (deferred?.status === 'needs_approval') return say.t('engine.email.confirm', { number, to });
  if (deferred) return say.t('engine.email.notSent', { number });
  const r = parseAs(emailResult, outcome);
  const n = r?.invoiceNumber ?? number;
  const addr = r?.to ?? to;
  const time = r ? sentAtText(say, r) : null;
  if (r?.duplicate) return time ? say.t('engine.email.duplicateAt', { number: n, to: addr, time }) : say.t('engine.email.duplicate', { number: n, to: addr });
  return time ? say.t('engine.email.sentAt', { number: n, to: addr, time }) : say.t('engine.email.sent', { number: n, to: addr });
}

/** Several addresses in one message: the tool's whole answer, or (no invoice yet) which invoice, and one address. */
export function emailSeveralText(say: Say, intent: Extract<Intent, { kind: 'emailSeveral' }>, outcomes: CallOutcome[]): string {
  if (intent.number) {
    const whole = outcomes.map(errorOf).find((e) => e && e.code in WHOLE_REQUEST_KEY);
    return whole ? wholeRequestText(say, whole) : emailText(say, outcomes[0], intent.number, say.and(intent.to));
  }
  const ask = intent.options.length > 0 ? say.t('engine.ask.emailOptions', { options: say.or(intent.options) }) : say.t('engine.ask.emailBare');
  return `${ask} ${say.t('engine.email.severalAddresses', { count: intent.to.length, addresses: say.and(intent.to) })}`;
}

export function askText(say: Say, intent: Extract<Intent, { kind: 'ask' }>): string {
  const options = say.or(intent.options);
  const some = intent.options.length > 0;
  switch (intent.action) {
    case 'pay':
      return some ? say.t('engine.ask.payOptions', { options }) : say.t('engine.ask.pay');
    case 'email':
      if (intent.to) return some ? say.t('engine.ask.emailToOptions', { to: intent.to, options }) : say.t('engine.ask.emailTo', { to: intent.to });
      return some ? say.t('engine.ask.emailOptions', { options }) : say.t('engine.ask.email');
    case 'show':
      return some ? say.t('engine.ask.showOptions', { options }) : say.t('engine.ask.show');
  }
}

export function withheldText(say: Say, intent: Extract<Intent, { kind: 'withheld' }>): string {
  const numbers = say.and(intent.numbers);
  const some = intent.numbers.length > 0;
  switch (intent.action) {
    case 'email':
      if (intent.mood === 'question' || intent.mood === 'hypothetical') return policyText(say, 'emailHow');
      if (intent.mood === 'reported') return some ? say.t('engine.withheld.reportedThese', { numbers }) : say.t('engine.withheld.reported');
      if (intent.mood === 'deferred') return some ? say.t('engine.withheld.deferredThese', { numbers }) : say.t('engine.withheld.deferred');
      return some ? say.t('engine.withheld.emailThese', { numbers }) : say.t('engine.withheld.email');
    case 'pay':
      if (intent.mood === 'hypothetical') return policyText(say, 'howToPay');
      return some ? say.t('engine.withheld.payThese', { numbers }) : say.t('engine.withheld.pay');
    case 'followup':
      if (intent.mood === 'hypothetical' || intent.mood === 'question') return policyText(say, 'handoffHow');
      return say.t('engine.withheld.followup');
  }
}

const HANDOFF_INTRO: Record<Extract<Intent, { kind: 'handoff' }>['topic'], string> = {
  dispute: 'engine.handoff.intro.dispute',
  extension: 'engine.handoff.intro.extension',
  refund: 'engine.handoff.intro.refund',
  other: 'engine.handoff.intro.other',
};

export function handoffText(say: Say, intent: Extract<Intent, { kind: 'handoff' }>, outcome: CallOutcome | undefined): string {
  const about = intent.number ? say.t('engine.handoff.about', { number: intent.number }) : '';
  const sorry = intent.reason === 'frustrated' || intent.reason === 'circles' ? `${say.t('engine.handoff.sorry')} ` : '';
  const intro = say.t(HANDOFF_INTRO[intent.topic]);
  if (!outcome) return `${sorry}${say.t('engine.handoff.contact', { intro, about })}`;
  const deferred = deferredOf(outcome);
  if (deferred?.status === 'needs_approval') return `${sorry}${say.t('engine.handoff.propose', { intro, about })}`;
  if (deferred) return say.t('engine.withheld.followup');
  const e = errorOf(outcome);
  if (e) return say.english ? say.t('engine.handoff.failedWith', { message: e.message }) : say.t('engine.handoff.failed');
  const r = outcome.content as { reference?: unknown; notified?: unknown } | null;
  const ref = typeof r?.reference === 'string' ? say.t('engine.handoff.reference', { reference: r.reference }) : '';
  return say.t('engine.handoff.done', { about, ref, intro });
}
