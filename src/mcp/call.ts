import { randomUUID } from 'node:crypto';
import { ErrorCode, McpError, type CallToolResult, type ElicitRequestFormParams } from '@modelcontextprotocol/sdk/types.js';
import type { Card } from '../../tools/cards.js';
import type { ProposalView } from '../../tools/types.js';
import { recordAudit, userActor } from '../audit/log.js';
import { t } from '../i18n/index.js';
import { DEFAULT_LOCALE } from '../i18n/locales.js';
import { redactCardData } from '../redaction/card-data.js';
import type { ElicitOutcome } from './elicitations.js';
import { createProposal, settleProposal, type Decision, type McpProposal } from './proposals.js';
import { redactJson } from './redact.js';
import { failureOf, runTool, withTimeout, type RunFailure } from './run.js';
import { mcpTools, PAYING_TOOLS, type McpToolEntry, type ProposalStatus } from './tools.js';
import { mcpToolContext, type ClientElicitation, type McpCaller, type McpDeps } from './types.js';

/**
 * One tools/call over MCP, with the chat's protections: card numbers removed from every text
 * argument first (a call that carried one is refused), arguments checked by the tool's own zod,
 * the tool's timeout, failures as MCP tool errors with a plain sentence (never a stack), and an
 * audit row for every call (channel 'mcp'). Reads run at once; side effects are proposals
 * (proposals.ts), approved through a form elicitation when the client declared one, else on the
 * signed approval page whose link the result carries. createPaymentLink offers the pay page
 * through a URL elicitation when the client can open one. Results for the model stay English.
 */

/** Sends an elicitation on this call's stream and waits for the answer (server.ts). */
export interface Elicitor {
  modes: ClientElicitation;
  form(params: ElicitRequestFormParams, o: { proposalId: string; until: Date }): Promise<ElicitOutcome>;
  url(params: { message: string; url: string }, o: { until: Date }): Promise<ElicitOutcome>;
}

export interface CallInput {
  name: string;
  arguments: unknown;
}

const CARD_DATA_MESSAGE =
  'Card details were found in the arguments and removed; the call was not made. Never send card numbers: payments go through the secure payment page (createPaymentLink).';

/** Words a user types when approving a request for the accounts-receivable team: at most this long. */
export const MAX_USER_WORDS = 2000;

const since = (started: number) => Math.round((performance.now() - started) * 100) / 100;

function toolError(message: string): CallToolResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}

/** A tool name from the client, as an error or the audit may show it. */
function shownName(name: unknown): string {
  const s = typeof name === 'string' ? redactCardData(name).text : '';
  return /^[A-Za-z0-9_.-]{1,64}$/.test(s) ? s : '(unreadable name)';
}

/** The signed links of the cards as resource links, one per invoice (clients show them as links). */
function resourceLinks(cards: readonly Card[]): CallToolResult['content'] {
  const seen = new Set<string>();
  const out: CallToolResult['content'] = [];
  const add = (i: { invoiceNumber: string; url: string; payUrl: string | null }) => {
    if (seen.has(i.invoiceNumber)) return;
    seen.add(i.invoiceNumber);
    out.push({
      type: 'resource_link',
      uri: i.payUrl ?? i.url,
      name: i.invoiceNumber,
      title: `Invoice ${i.invoiceNumber}`,
      description: i.payUrl ? 'Signed link: view and pay this invoice' : 'Signed link: view this invoice',
      mimeType: 'text/html',
    });
  };
  for (const c of cards) {
    if (c.type === 'invoice') add(c);
    if (c.type === 'invoice_list') c.items.forEach(add);
  }
  return out;
}

export async function callTool(deps: McpDeps, caller: McpCaller, input: CallInput, elicitor: Elicitor): Promise<CallToolResult> {
  const started = performance.now();
  const { session } = caller;
  const callId = `mcp_${randomUUID()}`;
  const audit = (name: string, outcome: string, args: unknown, error: string | null = null) =>
    recordAudit(deps.db, {
      actor: userActor(session),
      action: 'tool_call',
      channel: 'mcp',
      outcome,
      accountId: session.accountId,
      callId,
      name,
      arguments: args,
      error,
      latencyMs: since(started),
    });
  const failed = async (name: string, args: unknown, f: RunFailure) => {
    await audit(name, f.outcome, args, f.detail);
    if (f.code === 'internal') deps.logger.error({ tool: name, callId, err: f.detail }, 'MCP tool call failed');
    return toolError(f.message);
  };

  const { value: args, found } = redactJson(input.arguments ?? {});
  const entry = mcpTools(deps.registry).get(input.name);
  if (!entry) {
    const name = shownName(input.name);
    await audit(name, 'unknown_tool', args, `unknown tool ${name}`);
    throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${name}`);
  }
  const { tool } = entry;
  if (found) {
    await audit(tool.name, 'error', args, 'card data in the arguments (removed; not run)');
    return toolError(CARD_DATA_MESSAGE);
  }
  const parsed = tool.parameters.safeParse(args);
  if (!parsed.success) {
    const issues: ReadonlyArray<{ path: PropertyKey[]; message: string }> = parsed.error.issues;
    const message = issues.map((i) => `${i.path.map(String).join('.') || 'arguments'}: ${i.message}`).join('; ');
    await audit(tool.name, 'invalid_arguments', args, message);
    return toolError(`Invalid arguments: ${message}`);
  }
  const ctx = mcpToolContext(deps, session, caller.locale);

  if (tool.effect === 'read-only') {
    const run = await runTool(tool, ctx, parsed.data, deps.toolTimeoutMs);
    if (!run.ok) return failed(tool.name, parsed.data, run.failure);
    await audit(tool.name, 'ok', parsed.data);
    const cards = run.output.cards ?? [];
    const structured: Record<string, unknown> = { ...run.output.result, cards };
    if (PAYING_TOOLS.has(tool.name) && elicitor.modes.url) {
      const payable = cards.find((c) => c.type === 'invoice' && c.payUrl !== null);
      if (payable?.type === 'invoice' && payable.payUrl) {
        const message = t(caller.locale, 'mcp.elicit.pay', { number: payable.invoiceNumber, amount: payable.amountDue.display });
        const answer = await elicitor.url({ message, url: payable.payUrl }, { until: new Date(deps.now().getTime() + deps.proposalTtlMs) });
        structured['payPage'] = { url: payable.payUrl, action: answer.kind === 'answered' ? answer.result.action : 'unanswered' };
      }
    }
    return structuredResult(deps, entry, structured, resourceLinks(cards));
  }

  // Side effects: what the policy refuses is answered now, never proposed (as in the chat).
  const approval = tool.approval!;
  try {
    await withTimeout(approval.preflight?.(ctx, parsed.data) ?? Promise.resolve(), deps.toolTimeoutMs);
  } catch (err) {
    return failed(tool.name, parsed.data, failureOf(err));
  }
  let proposal = await createProposal(deps, session, tool, parsed.data as Record<string, unknown>, since(started));
  const view = approval.describe(parsed.data, caller.locale);
  if (elicitor.modes.form) {
    const answer = await elicitor.form(approvalForm(view, caller), { proposalId: proposal.id, until: proposal.expiresAt });
    const decision = decisionOf(answer);
    if (decision) {
      proposal = (await settleProposal(deps, session, caller.locale, proposal, decision, 'elicitation')).proposal;
      return proposalResult(deps, entry, proposal, 'elicitation');
    }
    if (answer.kind === 'refused') deps.logger.warn({ proposalId: proposal.id, reason: answer.message }, 'MCP client refused an elicitation; the approval page remains');
  }
  return proposalResult(deps, entry, proposal, 'page');
}

/** The approval asked in the client: the sentence, and for a request to the team, the user's own words. */
function approvalForm(view: ProposalView, caller: McpCaller): ElicitRequestFormParams {
  const message = t(caller.locale, 'mcp.elicit.approve', { summary: view.summary });
  if (view.action !== 'follow_up') return { mode: 'form', message, requestedSchema: { type: 'object', properties: {} } };
  return {
    mode: 'form',
    message,
    requestedSchema: {
      type: 'object',
      properties: {
        request: {
          type: 'string',
          title: t(caller.locale, 'mcp.elicit.wordsTitle'),
          description: t(caller.locale, 'mcp.elicit.wordsHint'),
          minLength: 1,
          maxLength: MAX_USER_WORDS,
        },
      },
      required: ['request'],
    },
  };
}

/** The person's own words for the team (card numbers removed), or undefined when there are none. */
export function userWords(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  const words = redactCardData(raw.trim().slice(0, MAX_USER_WORDS)).text;
  return words.length > 0 ? words : undefined;
}

/** What an elicitation's answer decides; null when the client could not ask (the approval page remains). */
function decisionOf(answer: ElicitOutcome): Decision | null {
  switch (answer.kind) {
    case 'answered': {
      if (answer.result.action === 'decline') return { kind: 'decline' };
      if (answer.result.action === 'cancel') return { kind: 'cancel' };
      const words = userWords(answer.result.content?.['request']);
      return words ? { kind: 'approve', userWords: words } : { kind: 'approve' };
    }
    case 'timeout':
      return { kind: 'expire' };
    case 'aborted':
      return { kind: 'cancel' };
    case 'refused':
      return null;
  }
}

const STATUS_MESSAGES: Record<Exclude<ProposalStatus, 'done'>, string> = {
  needs_approval:
    'Not done yet: nothing happens unless the user approves it. Give them the approval link (approval.url): they open it signed in to the portal, then approve or decline, before approval.expiresAt.',
  declined: 'Not done: the user declined. Do not try again unless they ask.',
  cancelled: 'Not done: the user closed the request without approving it.',
  expired: 'Not done: the request expired before the user approved it. Ask again if they still want it.',
};

/** A proposal's state as the tool's structured result. */
async function proposalResult(deps: McpDeps, entry: McpToolEntry, p: McpProposal, via: 'elicitation' | 'page'): Promise<CallToolResult> {
  const view = entry.tool.approval!.describe(p.arguments as never, DEFAULT_LOCALE);
  const url = via === 'page' && p.status === 'pending' ? deps.links.approvalUrl({ accountId: p.accountId, approvalRef: p.ref }, approvalTtlSeconds(deps, p)) : null;
  const approval = { id: p.id, summary: view.summary, expiresAt: p.expiresAt.toISOString(), via, url };
  if (p.status === 'approved') {
    if (!p.outcome?.ok) return toolError(`Approved, but it could not be done: ${p.outcome?.message ?? 'no outcome was recorded'}`);
    const message = typeof p.outcome.result['message'] === 'string' ? p.outcome.result['message'] : `Done: ${view.summary}`;
    return structuredResult(deps, entry, { status: 'done', message, result: p.outcome.result, cards: p.outcome.cards, approval }, resourceLinks(p.outcome.cards));
  }
  const status: Exclude<ProposalStatus, 'done'> = p.status === 'pending' ? 'needs_approval' : p.status;
  const links: CallToolResult['content'] = url
    ? [{ type: 'resource_link', uri: url, name: `approval-${p.ref}`, title: 'Approve or decline this request', description: 'Signed approval page; the user signs in to the portal', mimeType: 'text/html' }]
    : [];
  return structuredResult(deps, entry, { status, message: STATUS_MESSAGES[status], result: null, cards: [], approval }, links);
}

/** The approval link lives as long as the proposal it approves (at least a minute). */
function approvalTtlSeconds(deps: McpDeps, p: McpProposal): number {
  return Math.max(60, Math.ceil((p.expiresAt.getTime() - deps.now().getTime()) / 1000));
}

/** structuredContent checked against the tool's output schema, and the same JSON as text (the spec's advice for older clients). */
function structuredResult(deps: McpDeps, entry: McpToolEntry, structured: Record<string, unknown>, links: CallToolResult['content']): CallToolResult {
  const checked = entry.output.safeParse(structured);
  if (!checked.success) {
    deps.logger.error({ tool: entry.tool.name, issues: checked.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`) }, 'MCP result does not match its output schema');
    return toolError('That failed on our side. Try again later; the portal has the same information.');
  }
  const data = checked.data as Record<string, unknown>;
  return { content: [{ type: 'text', text: JSON.stringify(data) }, ...links], structuredContent: data };
}
