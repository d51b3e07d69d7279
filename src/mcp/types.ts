import type { Kysely } from 'kysely';
import type { ToolRegistry } from '../../tools/registry.js';
import type { ToolContext } from '../../tools/types.js';
import type { Clock } from '../billing/dates.js';
import type { BillingService } from '../billing/service.js';
import type { DB } from '../db/schema.js';
import type { Locale } from '../i18n/locales.js';
import type { Session } from '../identity/session.js';
import type { LinkSigner } from '../links/signer.js';
import type { InvoiceEmailer } from '../mail/service.js';

/** The slice of a logger the MCP server uses. */
export interface McpLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** What the MCP server is given (the door builds it from the app's services). */
export interface McpDeps {
  db: Kysely<DB>;
  registry: ToolRegistry;
  billing: BillingService;
  links: LinkSigner;
  clock: Clock;
  mail?: InvoiceEmailer;
  /** Capabilities tools read from ToolContext.extras (the follow-up service). */
  extras: Record<string, unknown>;
  /** AGENT_TOOL_TIMEOUT_MS: a tool's run, as in the chat. */
  toolTimeoutMs: number;
  /** PROPOSAL_TTL_MINUTES: how long a proposal waits for its approval. */
  proposalTtlMs: number;
  /** Wall-clock time (proposal expiry). */
  now: () => Date;
  /** How often a call waiting for an elicitation's answer looks for it (ms). */
  pollMs: number;
  logger: McpLog;
}

/** Who is calling: the verified portal session of the request's bearer token, nothing from the client's messages. */
export interface McpCaller {
  session: Session;
  /** The language of what people read (elicitation messages): the token's claim, then Accept-Language. */
  locale: Locale;
  /** SHA-256 (hex) of the bearer token: the key of what this client declared at initialize. */
  tokenHash: string;
}

/** Which elicitation modes the client declared. */
export interface ClientElicitation {
  form: boolean;
  url: boolean;
}

/** A tool's context for an MCP call: the session's account, no conversation, no user message. */
export function mcpToolContext(deps: McpDeps, session: Session, locale: Locale, userText?: string): ToolContext {
  return {
    session,
    conversationId: null,
    clock: deps.clock,
    billing: deps.billing,
    links: deps.links,
    extras: { ...deps.extras, ...(userText !== undefined ? { userText } : {}) },
    ...(deps.mail ? { mail: deps.mail } : {}),
    locale,
  };
}
