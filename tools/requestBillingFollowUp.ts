import { t } from '../src/i18n/index.js';
import { z } from 'zod';
import { normalizeInvoiceNumber } from '../src/billing/invoice-number.js';
import { FOLLOW_UP_TOPICS, FollowUpRefusedError, TOPIC_LABELS, type FollowUpRequester, type FollowUpTopic } from '../src/followups/service.js';
import { NOT_FOUND_MESSAGE, requireInvoiceNumber } from './shared.js';
import { defineTool, ToolFailure, type ToolContext } from './types.js';

/**
 * Hands a request the assistant cannot handle (dispute, due-date extension, refund, talk to a
 * person) to the accounts-receivable team through the follow-up service, which stores it with a
 * reference and emails the team. The user's words come from the server (the current message),
 * never from the model; the account and user come from the session.
 */

const UNAVAILABLE = 'Passing requests to the accounts-receivable team is not available right now; please contact them directly.';

export const requestBillingFollowUpResult = z.object({
  reference: z.string(),
  topic: z.enum(FOLLOW_UP_TOPICS),
  invoiceNumber: z.string().nullable(),
  /** False when the team could not be emailed yet (the request is stored anyway). */
  notified: z.boolean(),
  message: z.string(),
});
export type RequestBillingFollowUpResult = z.infer<typeof requestBillingFollowUpResult>;

/** The follow-up service as the chat service hands it to tools (ToolContext.extras['followUps']). */
export function followUpsFrom(ctx: ToolContext): FollowUpRequester | null {
  const f = ctx.extras['followUps'];
  return typeof f === 'object' && f !== null && typeof (f as { request?: unknown }).request === 'function' ? (f as FollowUpRequester) : null;
}

/** The user's current message (ToolContext.extras['userText'], else the server's reading of the message). */
export function userTextFrom(ctx: ToolContext): string {
  const t = ctx.extras['userText'];
  if (typeof t === 'string') return t;
  return ctx.request?.text ?? '';
}

/** A follow-up's topic as a confirm card names it. */
const TOPIC_KEYS: Record<FollowUpTopic, string> = {
  dispute: 'cards.followUp.topic.dispute',
  extension: 'cards.followUp.topic.extension',
  refund: 'cards.followUp.topic.refund',
  other: 'cards.followUp.topic.other',
};

function topicPhrase(topic: FollowUpTopic): string {
  return topic === 'other' ? 'request' : `${TOPIC_LABELS[topic].toLowerCase()} request`;
}

export const requestBillingFollowUp = defineTool({
  name: 'requestBillingFollowUp',
  description:
    "Passes a request the assistant can't handle (dispute, due-date extension, refund, talk to a person) to the accounts-receivable team, who reply by email. Only when the user asks for it.",
  parameters: z
    .object({
      topic: z.enum(FOLLOW_UP_TOPICS).describe('other = talk to a person'),
      invoiceNumber: z.string().max(32).nullable().describe('The invoice concerned, e.g. IN7654321; null if none'),
    })
    .strict(),
  result: requestBillingFollowUpResult,
  effect: 'side-effecting',
  // Adds a request (a new reference each time) and emails our own accounts-receivable team; nothing is overwritten.
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  approval: {
    // Explicit only when the message itself asks for a person to follow up ("have someone call me",
    // "talk to a human"), any invoice is the one it names (or the one a pronoun/ordinal resolves to),
    // and the message does not withhold the action. A dispute, extension or refund stated without
    // asking for a person is proposed (confirm card), never run.
    explicit(args, req) {
      if (!req.asksForPerson || req.withholds('followup') || req.tentative?.('followup')) return false;
      if (args.invoiceNumber === null) return true;
      const number = normalizeInvoiceNumber(args.invoiceNumber);
      if (!number) return false;
      return req.invoiceNumbers.includes(number) || (req.invoiceNumbers.length === 0 && req.referencedInvoice === number);
    },
    async preflight(ctx, args) {
      if (!followUpsFrom(ctx)) throw new ToolFailure('followup_unavailable', UNAVAILABLE);
      if (args.invoiceNumber !== null) {
        const number = requireInvoiceNumber(args.invoiceNumber);
        if (!(await ctx.billing.invoice(ctx.session.accountId, number))) throw new ToolFailure('invoice_not_found', NOT_FOUND_MESSAGE(number));
      }
    },
    describe: (args, locale) => {
      const number = args.invoiceNumber === null ? null : (normalizeInvoiceNumber(args.invoiceNumber) ?? args.invoiceNumber);
      const topic = t(locale, TOPIC_KEYS[args.topic]);
      return {
        action: 'follow_up',
        summary: number ? t(locale, 'cards.followUp.summaryAbout', { topic, number }) : t(locale, 'cards.followUp.summary', { topic }),
        invoiceNumber: number,
        to: null,
      };
    },
    done: (result, locale) => {
      const r = result as RequestBillingFollowUpResult;
      const topic = t(locale, TOPIC_KEYS[r.topic]);
      const vars = { topic, number: r.invoiceNumber, reference: r.reference };
      if (r.notified) return t(locale, r.invoiceNumber ? 'chat.approval.followUpSentAbout' : 'chat.approval.followUpSent', vars);
      return t(locale, r.invoiceNumber ? 'chat.approval.followUpRecordedAbout' : 'chat.approval.followUpRecorded', vars);
    },
  },
  label: (_a, locale) => t(locale, 'cards.tool.followUp'),
  async execute(ctx, args) {
    const followUps = followUpsFrom(ctx);
    if (!followUps) throw new ToolFailure('followup_unavailable', UNAVAILABLE);
    const number = args.invoiceNumber === null ? null : requireInvoiceNumber(args.invoiceNumber);
    const userWords = userTextFrom(ctx);
    if (!userWords.trim()) throw new ToolFailure('empty_request', 'There is no request from the user to pass on; ask them what the team should look into.');
    let out;
    try {
      out = await followUps.request({
        accountId: ctx.session.accountId,
        userId: ctx.session.userId,
        conversationId: ctx.conversationId,
        invoiceNumber: number,
        topic: args.topic,
        userWords,
      });
    } catch (err) {
      if (err instanceof FollowUpRefusedError) {
        if (err.reason === 'invoice_not_found' && number) throw new ToolFailure('invoice_not_found', NOT_FOUND_MESSAGE(number));
        throw new ToolFailure(err.reason, err.message);
      }
      throw err;
    }
    const about = out.invoiceNumber ? ` about ${out.invoiceNumber}` : '';
    const result: RequestBillingFollowUpResult = {
      reference: out.reference,
      topic: out.topic,
      invoiceNumber: out.invoiceNumber,
      notified: out.notified,
      message: out.notified
        ? `Your ${topicPhrase(out.topic)}${about} was passed to the accounts-receivable team as ${out.reference}; they will reply by email.`
        : `Your ${topicPhrase(out.topic)}${about} was recorded as ${out.reference}, but the accounts-receivable team could not be notified yet; it stays on file for them.`,
    };
    return {
      result,
      cards: [{ type: 'followup_receipt', reference: out.reference, topic: out.topic, invoiceNumber: out.invoiceNumber, createdAt: out.createdAt }],
    };
  },
});
