import net from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ElicitRequestSchema, type ClientCapabilities, type ElicitRequest, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import type { FastifyInstance } from 'fastify';
import type { ToolRegistry } from '../../tools/registry.js';
import { buildApp } from '../../src/app.js';
import { fixedClock } from '../../src/billing/dates.js';
import { testConfig, type Config } from '../../src/config.js';
import type { Database } from '../../src/db/index.js';
import { signSessionToken } from '../../src/identity/session.js';
import { TEST_TODAY } from '../helpers/constants.js';
import { freshDatabase } from '../helpers/db.js';

/**
 * The app listening on a real port (PUBLIC_BASE_URL is that address, so signed links and the
 * protected-resource metadata name it), and the MCP SDK's own client over Streamable HTTP.
 * `replicas: 2` starts a second app on the same database, as a second replica would be.
 */

const GENEROUS_LIMITS = {
  RATE_LIMIT_READS_PER_MINUTE: '100000',
  RATE_LIMIT_PDF_PER_MINUTE: '10000',
  RATE_LIMIT_CONTACT_WRITES_PER_MINUTE: '10000',
  RATE_LIMIT_PUBLIC_PER_MINUTE: '100000',
  CHAT_RATE_LIMIT_PER_MINUTE: '10000',
};

export interface Replica {
  app: FastifyInstance;
  base: string;
  url: URL;
}

export interface McpHarness {
  config: Config;
  database: Database;
  replicas: Replica[];
  /** The first replica's /mcp. */
  url: URL;
  base: string;
  app: FastifyInstance;
  token(accountId?: string, opts?: { userId?: string; expiresIn?: string | number; locale?: 'en-CA' | 'fr-CA' }): Promise<string>;
  client(o?: ClientOptions): Promise<Client>;
  close(): Promise<void>;
}

export interface ClientOptions {
  accountId?: string;
  token?: string;
  capabilities?: ClientCapabilities;
  /** Answers elicitation/create (registered only when given). */
  onElicit?: (req: ElicitRequest) => Promise<ElicitResult> | ElicitResult;
  fetch?: FetchLike;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function listening(config: Config, database: Database, port: number, registry?: ToolRegistry): Promise<Replica> {
  const app = await buildApp({ config, database, clock: fixedClock(TEST_TODAY), ...(registry ? { registry } : {}) });
  await app.listen({ port, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${port}`;
  return { app, base, url: new URL('/mcp', base) };
}

export async function startMcp(env: Record<string, string> = {}, o: { replicas?: number; registry?: ToolRegistry } = {}): Promise<McpHarness> {
  const database = await freshDatabase();
  const replicas: Replica[] = [];
  let config: Config | undefined;
  for (let i = 0; i < (o.replicas ?? 1); i++) {
    // The first replica's address is the public base URL of both (behind one load balancer).
    for (let attempt = 0; ; attempt++) {
      const port = await freePort();
      const base = replicas[0]?.base ?? `http://127.0.0.1:${port}`;
      const c = testConfig({ FIXED_TODAY: TEST_TODAY, PUBLIC_BASE_URL: base, ...GENEROUS_LIMITS, ...env });
      try {
        replicas.push(await listening(c, database, port, o.registry));
        config ??= c;
        break;
      } catch (err) {
        if (attempt >= 5 || !String(err).includes('EADDRINUSE')) throw err;
      }
    }
  }
  const first = replicas[0]!;
  const cfg = config!;
  const token: McpHarness['token'] = (accountId = 'R10042', t = {}) =>
    signSessionToken(cfg, { accountId, userId: t.userId ?? `user@${accountId.toLowerCase()}.test`, ...(t.locale ? { locale: t.locale } : {}) }, t.expiresIn !== undefined ? { expiresIn: t.expiresIn } : {});
  const clients: Client[] = [];
  return {
    config: cfg,
    database,
    replicas,
    url: first.url,
    base: first.base,
    app: first.app,
    token,
    async client(c = {}) {
      const client = new Client({ name: 'billing-mcp-test', version: '1.0.0' }, { capabilities: c.capabilities ?? {} });
      if (c.onElicit) client.setRequestHandler(ElicitRequestSchema, async (req) => c.onElicit!(req));
      const bearer = c.token ?? (await token(c.accountId ?? 'R10042'));
      const transport = new StreamableHTTPClientTransport(first.url, {
        requestInit: { headers: { authorization: `Bearer ${bearer}` } },
        ...(c.fetch ? { fetch: c.fetch } : {}),
      });
      await client.connect(transport);
      clients.push(client);
      return client;
    },
    async close() {
      for (const c of clients) await c.close().catch(() => undefined);
      for (const r of replicas) await r.app.close();
      await database.close();
    },
  };
}

/** POSTs one JSON-RPC message to /mcp with these headers (for the edge's answers: 401, 403, 405…). */
export async function rawPost(url: URL, headers: Record<string, string>, message: unknown = initializeMessage()): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: JSON.stringify(message),
  });
}

export function initializeMessage(capabilities: ClientCapabilities = {}) {
  return { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities, clientInfo: { name: 'raw', version: '1' } } };
}
