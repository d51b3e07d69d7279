import { createHash } from 'node:crypto';
import type { FastifyBaseLogger, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { decodeJwt } from 'jose';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest, isJSONRPCRequest } from '@modelcontextprotocol/sdk/types.js';
import { AppError, ForbiddenError, RateLimitedError, UnauthorizedError, ValidationError } from '../../errors.js';
import { localeFromAcceptLanguage, pickLocale } from '../../i18n/index.js';
import { clientElicitation, rememberClient } from '../../mcp/clients.js';
import { isResponse, recordAnswer } from '../../mcp/elicitations.js';
import { createMcpServer } from '../../mcp/server.js';
import type { McpCaller, McpDeps } from '../../mcp/types.js';
import type { Services } from '../../services.js';
import { bearerToken, requireSession } from '../auth.js';
import { resellerSession } from '../ops-auth.js';

/**
 * The MCP server (Streamable HTTP, protocol revision 2025-11-25 through @modelcontextprotocol/sdk),
 * stateless: no Mcp-Session-Id, one transport and one server per POST, so any replica answers any
 * request; what outlives a request (what a client declared at initialize, proposals, elicitation
 * answers) is in PostgreSQL (src/mcp).
 *
 *   POST /mcp                                        JSON-RPC messages (portal JWT as Bearer token)
 *   GET, DELETE /mcp                                 405: no standalone stream, no session to end
 *   GET /.well-known/oauth-protected-resource[/mcp]  RFC 9728 metadata (named by the 401's WWW-Authenticate)
 *
 * Before the SDK sees a request: the Origin must be ours or listed (DNS rebinding: else 403), the
 * token is verified exactly as the REST API does (401 with WWW-Authenticate pointing at the
 * metadata; an operator token is a 403), every request counts against the account's reads budget
 * and every tools/call also against the chat budget (429 with Retry-After), and answers to our
 * elicitations are stored for the replica that waits for them (202).
 */

export const METADATA_PATH = '/.well-known/oauth-protected-resource';

/** The MCP server's dependencies from the app's services. */
export function mcpDeps(services: Services, logger: FastifyBaseLogger): McpDeps {
  const { config } = services;
  return {
    db: services.db,
    registry: services.registry,
    billing: services.billing,
    links: services.links,
    clock: services.clock,
    mail: services.mail.emailer,
    extras: { followUps: services.followUps.requester },
    toolTimeoutMs: config.AGENT_TOOL_TIMEOUT_MS,
    proposalTtlMs: config.PROPOSAL_TTL_MINUTES * 60_000,
    now: () => new Date(),
    pollMs: 200,
    logger: { info: (o, m) => logger.info(o, m), warn: (o, m) => logger.warn(o, m), error: (o, m) => logger.error(o, m) },
  };
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** When the (verified) token expires: what the client declared at initialize is kept until then. */
function tokenExpiry(token: string, now: Date): Date {
  const exp = decodeJwt(token).exp;
  return typeof exp === 'number' ? new Date(exp * 1000) : new Date(now.getTime() + 60 * 60_000);
}

function methodNotAllowed(reply: FastifyReply) {
  return reply
    .code(405)
    .header('allow', 'POST')
    .send({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed: this server is stateless; send JSON-RPC messages with POST.' }, id: null });
}

export const mcpRoutes =
  (services: Services): FastifyPluginAsync =>
  async (app) => {
    const { config } = services;
    const deps = mcpDeps(services, app.log);
    const metadataUrl = `${config.publicBaseUrl}${METADATA_PATH}`;
    const metadata = {
      resource: `${config.publicBaseUrl}/mcp`,
      authorization_servers: [config.mcpAuthorizationServer],
      bearer_methods_supported: ['header'],
      resource_name: 'Billing Assistant',
    };

    // RFC 9728: at the root, and at the path-specific location for the /mcp resource.
    for (const path of [METADATA_PATH, `${METADATA_PATH}/mcp`]) {
      app.get(path, { schema: { hide: true } }, async (_req, reply) => reply.header('cache-control', 'public, max-age=300').send(metadata));
    }

    /** 401 with the challenge that sends an MCP client to the metadata (RFC 6750, RFC 9728). */
    function challenge(err: UnauthorizedError, hadToken: boolean): AppError {
      const params = hadToken ? `error="invalid_token", error_description="${err.message.replace(/["\\]/g, '')}", ` : '';
      return new AppError(401, 'unauthorized', err.message, { headers: { 'www-authenticate': `Bearer ${params}resource_metadata="${metadataUrl}"` } });
    }

    await app.register(async (scope) => {
      scope.addHook('onRequest', async (req: FastifyRequest) => {
        // Browsers always send Origin: a page elsewhere (or a DNS-rebound name) gets 403 before anything else.
        const origin = req.headers.origin;
        if (origin !== undefined && !config.mcpAllowedOrigins.includes(origin)) throw new ForbiddenError('This origin may not call the MCP server');
        try {
          req.session = await resellerSession(config, req);
        } catch (err) {
          if (err instanceof UnauthorizedError) throw challenge(err, bearerToken(req) !== null);
          throw err;
        }
      });

      scope.post('/mcp', { schema: { hide: true } }, async (req, reply) => {
        const session = requireSession(req);
        const token = bearerToken(req)!;
        const now = deps.now();
        const caller: McpCaller = {
          session,
          locale: pickLocale(session.locale, localeFromAcceptLanguage(req.headers['accept-language'])),
          tokenHash: sha256(token),
        };
        const batch = Array.isArray(req.body);
        const messages: unknown[] = batch ? (req.body as unknown[]) : [req.body];

        // Answers to our elicitations: stored for whichever replica holds the tools/call waiting for them.
        const answers = messages.filter(isResponse);
        const rest = messages.filter((m) => !isResponse(m));
        let recorded = 0;
        for (const a of answers) if (await recordAnswer(deps.db, session, a, now)) recorded++;
        if (answers.length > 0 && rest.length === 0) {
          if (recorded < answers.length) throw new ValidationError('No pending request of this client has that id: it was answered already, expired, or is not yours');
          return reply.code(202).send();
        }

        // A tool call spends the account's chat budget, shared with chat messages.
        const calls = rest.filter((m) => isJSONRPCRequest(m) && m.method === 'tools/call').length;
        for (let i = 0; i < calls; i++) {
          try {
            await app.spendLimit(req, 'chat');
          } catch (err) {
            if (err instanceof RateLimitedError) throw new RateLimitedError(`Too many tool calls; try again in ${err.details?.['retryAfterSeconds']} s`, Number(err.details?.['retryAfterSeconds']));
            throw err;
          }
        }
        const init = rest.find(isInitializeRequest);
        if (init && isInitializeRequest(init)) await rememberClient(deps.db, caller, init.params, tokenExpiry(token, now), now);
        const modes = calls > 0 ? await clientElicitation(deps.db, caller, now) : { form: false, url: false };

        const server = createMcpServer(deps, caller, modes);
        const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
        reply.hijack();
        // Headers set by hooks (CORS, rate-limit counters) would be lost with the hijacked reply.
        for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) reply.raw.setHeader(name, value as string | number | string[]);
        reply.raw.on('close', () => {
          void transport.close();
          void server.close();
        });
        try {
          await server.connect(transport);
          await transport.handleRequest(req.raw, reply.raw, batch ? rest : rest[0]);
        } catch (err) {
          req.log.error({ err: err instanceof Error ? err.message : String(err) }, 'MCP request failed');
          if (!reply.raw.headersSent) {
            reply.raw.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32603, message: 'Internal error' }, id: null }));
          }
        }
      });

      scope.get('/mcp', { schema: { hide: true } }, async (_req, reply) => methodNotAllowed(reply));
      scope.delete('/mcp', { schema: { hide: true } }, async (_req, reply) => methodNotAllowed(reply));
    });
  };
