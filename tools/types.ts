import type { z } from 'zod';
import type { Card } from '../src/agent/types.js';
import type { Clock } from '../src/billing/dates.js';
import type { BillingService } from '../src/billing/service.js';
import type { LinkSigner } from '../src/payments/links.js';
import type { InvoiceEmailer } from '../src/mail/service.js';
import type { Session } from '../src/http/auth.js';

/** What a tool may use. The account comes from the verified session here, never from arguments. */
export interface ToolContext {
  session: Session;
  conversationId: string | null;
  clock: Clock;
  billing: BillingService;
  links: LinkSigner;
  /** Optional capabilities added by later features (mail, payments). */
  extras: Record<string, unknown>;
  /** Emails invoice PDFs under the recipient policy; absent, the email tool says it is unavailable. */
  mail?: InvoiceEmailer;
}

/** What a tool hands back: a small projection for the model, and the cards the server renders. */
export interface ToolOutput {
  result: Record<string, unknown>;
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

export interface Tool<S extends z.ZodObject = z.ZodObject> {
  name: string;
  description: string;
  parameters: S;
  /** read-only tools may run in parallel and be retried; side-effecting ones change the world. */
  effect: 'read-only' | 'side-effecting';
  /** Shown to the user while it runs, e.g. "Looking up invoice IN7654321". */
  label(args: z.infer<S>): string;
  execute(ctx: ToolContext, args: z.infer<S>): Promise<ToolOutput>;
}

export function defineTool<S extends z.ZodObject>(tool: Tool<S>): Tool<S> {
  return tool;
}
