import { z } from 'zod';
import { createPaymentLinkResult } from '../../tools/createPaymentLink.js';
import { emailInvoicePdfResult } from '../../tools/emailInvoicePdf.js';
import { getInvoiceResult } from '../../tools/getInvoice.js';
import { listInvoicesResult } from '../../tools/listInvoices.js';
import { listOutstandingResult } from '../../tools/listOutstanding.js';
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
export function deriveContext(prev: DialogueContext | null, calls: readonly ExecutedCall[], proposals: readonly string[], note: EngineNote | null): DialogueContext {
  const focus: InvoiceRef[] = [];
  let list: InvoiceRef[] | null = null;
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
      case 'emailInvoicePdf': {
        const r = emailInvoicePdfResult.safeParse(c.result);
        if (r.success) add({ invoiceNumber: r.data.invoiceNumber, state: null, amountDueCents: null, totalCents: null, issued: null, due: null });
        break;
      }
      default:
        break;
    }
  }
  if (focus.length === 0 && prev) return { v: 1, focus: prev.focus, list: prev.list, proposals: [...proposals], note };
  return { v: 1, focus, list: list ?? prev?.list ?? null, proposals: [...proposals], note };
}
