import { z } from 'zod';
import { createPaymentLinkResult } from '../../tools/createPaymentLink.js';
import { emailInvoicePdfResult } from '../../tools/emailInvoicePdf.js';
import { getInvoiceResult } from '../../tools/getInvoice.js';
import { listInvoicesResult } from '../../tools/listInvoices.js';
import { listCreditsResult } from '../../tools/listCredits.js';
import { listOutstandingResult } from '../../tools/listOutstanding.js';
import { listPaymentsResult } from '../../tools/listPayments.js';
import { INVOICE_STATUSES } from '../billing/status.js';

/**
 * Dialogue state as data: what an assistant message was about, stored with it (chat_messages.context)
 * and read by the next turn. Follow-ups ("pay it", "the second one", "the larger one") resolve
 * against this, never against the reply text.
 */

export const invoiceRef = z.object({
  invoiceNumber: z.string(),
  state: z.enum(INVOICE_STATUSES).nullable(),
  amountDueCents: z.number().int().nullable(),
  totalCents: z.number().int().nullable(),
  issued: z.string().nullable(),
  due: z.string().nullable(),
});
export type InvoiceRef = z.infer<typeof invoiceRef>;

/** The offline engine's own notes (what it understood, what it asked); other models leave them null. */
export const engineNote = z.object({
  /** The resolved request, as the engine represents it (opaque here). */
  request: z.unknown().nullable(),
  /** A question the answer asked ("which invoice…?", "which address…?", "want links for the overdue ones?"). */
  pending: z
    .object({
      kind: z.enum(['which_invoice', 'address', 'offer_pay_overdue']),
      action: z.enum(['pay', 'email', 'show']).nullable(),
      invoiceNumber: z.string().nullable(),
      to: z.string().nullable(),
      options: z.array(z.string()),
    })
    .nullable(),
  /** The last email address the user typed in the conversation. */
  address: z.string().nullable().default(null),
  /** A request that went unanswered, and how many times in a row it was asked. */
  unanswered: z.object({ key: z.string(), count: z.number().int() }).nullable(),
});
export type EngineNote = z.infer<typeof engineNote>;

export const dialogueContext = z.object({
  v: z.literal(1),
  /** The invoices the answer was about, in the order shown. */
  focus: z.array(invoiceRef),
  /** The last list shown (this answer's, or carried over), in its order. */
  list: z.array(invoiceRef).nullable(),
  /** Proposals this answer made (ids of chat_proposals rows). */
  proposals: z.array(z.string()),
  note: engineNote.nullable(),
});
export type DialogueContext = z.infer<typeof dialogueContext>;

export const EMPTY_CONTEXT: DialogueContext = { v: 1, focus: [], list: null, proposals: [], note: null };

/** Reads a stored context; anything that does not parse is treated as no context. */
export function parseContext(raw: unknown): DialogueContext | null {
  const r = dialogueContext.safeParse(raw);
  return r.success ? r.data : null;
}

type Brief = z.infer<typeof getInvoiceResult> | z.infer<typeof createPaymentLinkResult> | z.infer<typeof listOutstandingResult>['invoices'][number];

function refOf(b: Brief): InvoiceRef {
  return { invoiceNumber: b.invoiceNumber, state: b.state, amountDueCents: b.amountDueCents, totalCents: b.totalCents, issued: b.issued, due: b.due };
}

export interface ExecutedCall {
  name: string;
  ok: boolean;
  result: unknown;
}

/**
 * The context of a new assistant message from this turn's executed calls (their results parsed with
 * each tool's own schema), carrying over the previous focus and list when the turn showed no invoice.
 */
function actedOn(calls: readonly ExecutedCall[]): Set<string> {
  const out = new Set<string>();
  for (const c of calls) {
    if (!c.ok || (c.name !== 'getInvoice' && c.name !== 'createPaymentLink')) continue;
    const n = (c.result as { invoiceNumber?: unknown } | null)?.invoiceNumber;
    if (typeof n === 'string') out.add(n);
  }
  return out;
}

export function deriveContext(prev: DialogueContext | null, calls: readonly ExecutedCall[], proposals: readonly string[], note: EngineNote | null): DialogueContext {
  const focus: InvoiceRef[] = [];
  let list: InvoiceRef[] | null = null;
  // An invoice named by number only: what the conversation already knows of it, if anything.
  const known = (n: string): InvoiceRef =>
    [...(prev?.focus ?? []), ...(prev?.list ?? [])].find((x) => x.invoiceNumber === n) ?? { invoiceNumber: n, state: null, amountDueCents: null, totalCents: null, issued: null, due: null };
  const add = (r: InvoiceRef) => {
    if (!focus.some((f) => f.invoiceNumber === r.invoiceNumber)) focus.push(r);
  };
  for (const c of calls) {
    if (!c.ok) continue;
    switch (c.name) {
      case 'getInvoice': {
        const r = getInvoiceResult.safeParse(c.result);
        if (r.success) add(refOf(r.data));
        break;
      }
      case 'createPaymentLink': {
        const r = createPaymentLinkResult.safeParse(c.result);
        if (r.success) add(refOf(r.data));
        break;
      }
      case 'listOutstanding':
      case 'listInvoices': {
        const r = (c.name === 'listOutstanding' ? listOutstandingResult : listInvoicesResult).safeParse(c.result);
        if (r.success) {
          list = r.data.invoices.map(refOf);
          for (const i of list) add(i);
        }
        break;
      }
      case 'listPayments':
      case 'listCredits': {
        // The invoices the payments paid, or the credits were applied to ("which invoice was that for?").
        const numbers =
          c.name === 'listPayments'
            ? (listPaymentsResult.safeParse(c.result).data?.payments.flatMap((p) => p.invoices) ?? [])
            : (listCreditsResult.safeParse(c.result).data?.credits.flatMap((x) => x.appliedTo) ?? []);
        for (const n of numbers) add(known(n));
        break;
      }
      case 'emailInvoicePdf': {
        const r = emailInvoicePdfResult.safeParse(c.result);
        if (r.success) add(known(r.data.invoiceNumber));
        break;
      }
      default:
        break;
    }
  }
  // A turn that listed invoices and then acted on some ("the oldest one" → getInvoice) is about those.
  const acted = actedOn(calls);
  if (list && acted.size > 0 && acted.size < focus.length) {
    const kept = focus.filter((f) => acted.has(f.invoiceNumber));
    focus.splice(0, focus.length, ...kept);
  }
  if (focus.length === 0 && prev) return { v: 1, focus: prev.focus, list: prev.list, proposals: [...proposals], note };
  // With no list shown, the invoices last discussed together stand in for it ("the other one" after two were shown).
  const carried = prev?.list ?? (prev && prev.focus.length > 1 ? prev.focus : null);
  return { v: 1, focus, list: list ?? carried, proposals: [...proposals], note };
}
