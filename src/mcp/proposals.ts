import { randomBytes, randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { AnyTool } from '../../tools/registry.js';
import type { Card } from '../../tools/cards.js';
import { recordAudit, userActor } from '../audit/log.js';
import type { DB, McpProposalsTable, McpProposalStatus } from '../db/schema.js';
import type { Locale } from '../i18n/locales.js';
import type { Session } from '../identity/session.js';
import { runTool } from './run.js';
import { mcpToolContext, type McpDeps } from './types.js';

/**
 * Side effects over MCP are proposals: there is no user message to check a call against, so a
 * side-effecting call is stored here (PostgreSQL: the approval may reach another replica, or come
 * from the approval page) and runs only once the signed-in person approves it, through an
 * elicitation in their client or on the signed approval page. Single-use: the status leaves
 * 'pending' exactly once, in one statement, so nothing runs twice. Audited like the chat's
 * proposals (needs_approval, then approved/declined/cancelled/expired, then the run's ok/error),
 * on the 'mcp' channel.
 */

/** What the approved call reported, kept with the proposal (the page shows it; a second look finds it). */
export type ProposalOutcome = { ok: true; result: Record<string, unknown>; cards: Card[] } | { ok: false; code: string; message: string };

export interface McpProposal {
  id: string;
  ref: string;
  accountId: string;
  userId: string;
  tool: string;
  arguments: Record<string, unknown>;
  status: McpProposalStatus;
  decidedVia: 'elicitation' | 'page' | null;
  expiresAt: Date;
  outcome: ProposalOutcome | null;
}

export type Decision = { kind: 'approve'; userWords?: string } | { kind: 'decline' } | { kind: 'cancel' } | { kind: 'expire' };

export interface Settlement {
  proposal: McpProposal;
  /** False when it had been decided already (or concurrently): nothing was done now. */
  decidedNow: boolean;
}

function toProposal(r: Selectable<McpProposalsTable>): McpProposal {
  return {
    id: r.id,
    ref: r.ref,
    accountId: r.account_id,
    userId: r.user_id,
    tool: r.tool,
    arguments: (r.arguments ?? {}) as Record<string, unknown>,
    status: r.status,
    decidedVia: r.decided_via,
    expiresAt: r.expires_at,
    outcome: (r.outcome ?? null) as ProposalOutcome | null,
  };
}

const REF_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** AP + 7 Crockford base-32 characters (APPROVAL_REF_RE): the approval link's reference. */
function newRef(): string {
  return `AP${[...randomBytes(7)].map((b) => REF_ALPHABET[b % 32]).join('')}`;
}

const since = (started: number) => Math.round((performance.now() - started) * 100) / 100;

async function audit(db: Kysely<DB>, session: Session, p: McpProposal, callId: string, outcome: string, o: { error?: string | null; latencyMs?: number; details?: Record<string, unknown> } = {}) {
  await recordAudit(db, {
    actor: userActor(session),
    action: 'tool_call',
    channel: 'mcp',
    outcome,
    accountId: session.accountId,
    callId,
    name: p.tool,
    arguments: p.arguments,
    error: o.error ?? null,
    latencyMs: o.latencyMs ?? null,
    details: o.details ?? null,
  });
}

/** Stores a proposal for `session` (arguments already validated and redacted) and audits it as needs_approval. */
export async function createProposal(deps: McpDeps, session: Session, tool: AnyTool, args: Record<string, unknown>, latencyMs: number): Promise<McpProposal> {
  const m = deps.db;
  const expiresAt = new Date(deps.now().getTime() + deps.proposalTtlMs);
  const id = randomUUID();
  // A reference is 35 random bits: a clash is rare, and then another is drawn.
  for (let attempt = 0; attempt < 5; attempt++) {
    const row = await m
      .insertInto('mcp_proposals')
      .values({ id, ref: newRef(), account_id: session.accountId, user_id: session.userId, tool: tool.name, arguments: JSON.stringify(args), expires_at: expiresAt })
      .onConflict((oc) => oc.column('ref').doNothing())
      .returningAll()
      .executeTakeFirst();
    if (row) {
      const p = toProposal(row);
      await audit(deps.db, session, p, p.id, 'needs_approval', { latencyMs });
      return p;
    }
  }
  throw new Error('no free approval reference after 5 attempts');
}

export async function proposalByRef(db: Kysely<DB>, accountId: string, ref: string): Promise<McpProposal | null> {
  const row = await db.selectFrom('mcp_proposals').selectAll().where('ref', '=', ref).where('account_id', '=', accountId).executeTakeFirst();
  return row ? toProposal(row) : null;
}

const TARGET: Record<Decision['kind'], McpProposalStatus> = { approve: 'approved', decline: 'declined', cancel: 'cancelled', expire: 'expired' };

/**
 * Decides a pending proposal of `session`'s user (callers have checked it is theirs). Approving
 * after its expiry expires it instead. Approved, the call runs now with the arguments stored on
 * the server and the session's account; its outcome is stored and audited.
 */
export async function settleProposal(deps: McpDeps, session: Session, locale: Locale, proposal: McpProposal, decision: Decision, via: 'elicitation' | 'page'): Promise<Settlement> {
  if (proposal.accountId !== session.accountId || proposal.userId !== session.userId) throw new Error('settleProposal: not this session\'s proposal');
  const m = deps.db;
  const at = deps.now();
  const target = decision.kind === 'approve' && proposal.expiresAt.getTime() <= at.getTime() ? 'expired' : TARGET[decision.kind];
  const row = await m
    .updateTable('mcp_proposals')
    .set({ status: target, decided_at: at, decided_via: via })
    .where('id', '=', proposal.id)
    .where('status', '=', 'pending')
    .returningAll()
    .executeTakeFirst();
  if (!row) {
    // Decided concurrently (the page and an elicitation, two tabs): the other decision stands.
    const now = await m.selectFrom('mcp_proposals').selectAll().where('id', '=', proposal.id).executeTakeFirstOrThrow();
    return { proposal: toProposal(now), decidedNow: false };
  }
  const decided = toProposal(row);
  await audit(deps.db, session, decided, decided.id, target, { details: { via } });
  if (target !== 'approved') return { proposal: decided, decidedNow: true };

  const tool = deps.registry.get(decided.tool);
  const started = performance.now();
  let outcome: ProposalOutcome;
  let error: string | null = null;
  const parsed = tool?.parameters.safeParse(decided.arguments);
  if (!tool || !parsed?.success) {
    outcome = { ok: false, code: 'unavailable', message: 'This action is no longer available; nothing was done.' };
    error = tool ? 'stored arguments no longer valid' : `unknown tool ${decided.tool}`;
  } else {
    const userWords = decision.kind === 'approve' ? decision.userWords : undefined;
    const run = await runTool(tool, mcpToolContext(deps, session, locale, userWords), parsed.data, deps.toolTimeoutMs);
    if (run.ok) {
      outcome = { ok: true, result: run.output.result, cards: run.output.cards ?? [] };
    } else {
      outcome = { ok: false, code: run.failure.code, message: run.failure.message };
      error = run.failure.detail;
      if (run.failure.code === 'internal') deps.logger.error({ proposalId: decided.id, tool: decided.tool, err: error }, 'approved MCP call failed');
    }
  }
  await m.updateTable('mcp_proposals').set({ outcome: JSON.stringify(outcome) }).where('id', '=', decided.id).execute();
  await audit(deps.db, session, decided, `exec_${decided.id}`, outcome.ok ? 'ok' : 'error', { error, latencyMs: since(started), details: { via } });
  return { proposal: { ...decided, outcome }, decidedNow: true };
}
