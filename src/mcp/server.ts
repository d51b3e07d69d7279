import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type ElicitRequest, type RequestId } from '@modelcontextprotocol/sdk/types.js';
import { callTool, type Elicitor } from './call.js';
import { awaitAnswer, openElicitation } from './elicitations.js';
import { mcpTools } from './tools.js';
import type { ClientElicitation, McpCaller, McpDeps } from './types.js';

/**
 * One MCP server per HTTP request (stateless: the transport has no session id, and what must
 * outlive a request is in PostgreSQL), for one verified caller. Tools only: tools/list and
 * tools/call over the tool registry.
 */

export const SERVER_INFO = { name: 'billing-assistant', title: 'Billing Assistant', version: '0.1.0' };

const INSTRUCTIONS = [
  "Billing tools for the signed-in reseller's own account (the token decides the account; no tool takes one).",
  'Reads answer at once. Emailing an invoice PDF and passing a request to the accounts-receivable team are proposals: they run only once the user approves them, in a prompt from this client or on the approval page linked in the result.',
  'Never ask for or accept card details: payment happens on the secure payment page (createPaymentLink). Give signed links to the user as they are.',
].join(' ');

function elicitorFor(server: Server, deps: McpDeps, caller: McpCaller, modes: ClientElicitation, requestId: RequestId, signal: AbortSignal): Elicitor {
  const ask = async (params: ElicitRequest['params'], mode: 'form' | 'url', proposalId: string | null, until: Date) => {
    const id = await openElicitation(deps.db, caller.session, { mode, proposalId, expiresAt: until });
    const transport = server.transport;
    if (!transport) return { kind: 'aborted' as const };
    const request = { jsonrpc: '2.0' as const, id, method: 'elicitation/create', params: mode === 'url' ? { ...params, elicitationId: id } : params };
    // On this tools/call's own SSE stream; the answer comes back as a new POST, perhaps to another replica.
    await transport.send(request, { relatedRequestId: requestId });
    return awaitAnswer(deps.db, id, { until, signal, pollMs: deps.pollMs, now: deps.now });
  };
  return {
    modes,
    form: (params, o) => ask(params, 'form', o.proposalId, o.until),
    url: (params, o) => ask({ mode: 'url', message: params.message, url: params.url, elicitationId: '' }, 'url', null, o.until),
  };
}

export function createMcpServer(deps: McpDeps, caller: McpCaller, modes: ClientElicitation): Server {
  const server = new Server(SERVER_INFO, { capabilities: { tools: {} }, instructions: INSTRUCTIONS });
  const tools = mcpTools(deps.registry);
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: [...tools.values()].map((t) => t.definition) }));
  server.setRequestHandler(CallToolRequestSchema, (req, extra) =>
    callTool(deps, caller, { name: req.params.name, arguments: req.params.arguments }, elicitorFor(server, deps, caller, modes, extra.requestId, extra.signal)),
  );
  return server;
}
