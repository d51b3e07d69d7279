import type { z } from 'zod';
import type { Card } from './cards.js';
import type { Clock } from '../src/billing/dates.js';
import type { BillingService } from '../src/billing/service.js';
import type { LinkSigner } from '../src/links/signer.js';
import type { InvoiceEmailer } from '../src/mail/service.js';
import type { Session } from '../src/identity/session.js';
import type { Locale } from '../src/i18n/locales.js';

/**
 * What the server knows about the user's CURRENT message, computed once per turn from the user's
 * own words and the stored dialogue state (never from the model). Side-effecting tools decide from
 * it whether a call was explicitly asked for.
 */
export interface UserRequest {
  text: string;
  /** Email addresses typed in the message, lower-cased. */
  addresses: string[];
  /** Invoice numbers typed in the message, normalised (IN + 7 digits). */
  invoiceNumbers: string[];
  /** The one invoice a pronoun, ordinal or superlative in the message resolves to in the stored context, if exactly one. */
  referencedInvoice: string | null;
  /** True when the message withholds this action: negated, hypothetical, a question about how it works, or cancelled. */
  withholds(action: 'email' | 'pay' | 'followup'): boolean;
  /** It asks for this action tentatively ("maybe email it…?"): not explicit, so it is proposed. Absent: never. */
  tentative?(action: 'email' | 'pay' | 'followup'): boolean;
  /** The message itself asks for a person to follow up ("have someone call me", "talk to a human"). */
  asksForPerson: boolean;
}

/** What a tool may use. The account comes from the verified session here, never from arguments. */
export interface ToolContext {
  session: Session;
  conversationId: string | null;
  clock: Clock;
  billing: BillingService;
  links: LinkSigner;
  /** Optional capabilities added by later features (mail, payments, follow-ups). */
  extras: Record<string, unknown>;
  /** Emails invoice PDFs under the recipient policy; absent, the email tool says it is unavailable. */
  mail?: InvoiceEmailer;
  /** The user's current message as the server understood it (absent outside a chat turn). */
  request?: UserRequest;
  /** The locale of cards, labels, PDFs and emails (page, then token claim, then Accept-Language; en-CA when absent). Reply text follows the message's language instead. */
  locale?: Locale;
}

/** What a tool hands back: a small projection for the model (its `result` schema), and the cards the server renders. */
export interface ToolOutput<R = Record<string, unknown>> {
  result: R;
  cards?: Card[];
}

/** A failure the model should explain to the user (not found, refused, invalid). */
export class ToolFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ToolFailure';
  }
}

/** What a confirm card says a proposed call would do. */
export interface ProposalView {
  action: 'email_invoice' | 'follow_up';
  summary: string;
  invoiceNumber: string | null;
  to: string | null;
}

/** How a side-effecting tool is approved: run at once when explicitly asked, else proposed to the user. */
export interface Approval<A> {
  /** Whether the current message asks for exactly this call. Decided by the server, whatever the model says. */
  explicit(args: A, request: UserRequest): boolean;
  /** Refusals the tool would give anyway (throws ToolFailure): a refused call is answered, never proposed. */
  preflight?(ctx: ToolContext, args: A): Promise<void>;
  /** The confirm card's wording. */
  describe(args: A, locale: Locale): ProposalView;
  /** What the answer says once an approved call has run (its result's `message` when absent). */
  done?(result: Record<string, unknown>, locale: Locale): string;
}

export type ResultSchema = z.ZodType<Record<string, unknown>, Record<string, unknown>>;

/** Hints for MCP clients (the MCP tool annotations; src/mcp lists them with the tool). Honest, never a guarantee. */
export interface ToolAnnotations {
  /** Changes nothing anywhere. */
  readOnlyHint?: boolean;
  /** May delete or overwrite something (meaningful when not read-only). */
  destructiveHint?: boolean;
  /** Calling it again with the same arguments changes nothing more (meaningful when not read-only). */
  idempotentHint?: boolean;
  /** Reaches beyond our own system (an outside mailbox, the web). */
  openWorldHint?: boolean;
}

export interface Tool<S extends z.ZodObject = z.ZodObject, R extends ResultSchema = ResultSchema> {
  name: string;
  description: string;
  parameters: S;
  /** The one schema of the tool's result (cents as integers): the loop, cards and the offline engine read it. */
  result: R;
  /** read-only tools run when the model calls them; side-effecting ones only on an explicit request, else as a proposal. */
  effect: 'read-only' | 'side-effecting';
  /** Required when side-effecting. */
  approval?: Approval<z.infer<S>>;
  /** MCP tool annotations. */
  annotations?: ToolAnnotations;
  /** Shown to the user while it runs, e.g. "Looking up invoice IN7654321". */
  label(args: z.infer<S>, locale: Locale): string;
  execute(ctx: ToolContext, args: z.infer<S>): Promise<ToolOutput<z.input<R>>>;
}

export function defineTool<S extends z.ZodObject, R extends ResultSchema>(tool: Tool<S, R>): Tool<S, R> {
  if (tool.effect === 'side-effecting' && !tool.approval) throw new Error(`side-effecting tool ${tool.name} needs an approval policy`);
  return tool;
}

/** A tool as a model sees it: strict JSON Schema parameters. */
export interface ToolSpec {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}
