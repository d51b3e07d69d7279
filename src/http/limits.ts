import rateLimit from '@fastify/rate-limit';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler, RouteOptions } from 'fastify';
import { Redis } from 'ioredis';
import type { Config } from '../config.js';
import { RateLimitedError } from '../errors.js';
import { rateLimitRejectionsTotal } from '../telemetry/metrics.js';
import { errorPageLocale, PAGE_HEADERS, tooManyRequestsPage } from '../web/routes.js';

/**
 * Rate limits on every route, by family (README "Rate limits"). `@fastify/rate-limit` counts (its
 * memory store, or Redis when REDIS_URL is set, so replicas share one budget); this module says
 * which family a request belongs to, whose budget it spends (the account of the verified session,
 * else the client IP) and how a refusal is answered (429 with Retry-After: the JSON error shape,
 * or a page for browsers).
 */

/** A family of routes sharing one budget per account (per IP for `public`, per operator for `ops`) and minute. */
export type LimitFamily = 'reads' | 'pdf' | 'contactWrites' | 'chat' | 'public' | 'ops';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The route's family. Unset: `ops` for an operator's request (/v1/ops), `reads` for a request
     * with a session, `public` without one.
     * `false`: never limited (the route says why).
     */
    limit?: LimitFamily | false;
  }
  interface FastifyInstance {
    /**
     * Spends one unit of `family`'s budget for this request's account, beside the count of the
     * route's own family: a tool call over MCP spends the chat budget (src/http/routes/mcp.ts).
     * Throws RateLimitedError (429, Retry-After) when over budget; lets the request through when
     * the store does not answer, like the routes' hook.
     */
    spendLimit(req: FastifyRequest, family: LimitFamily): Promise<void>;
  }
}

const WINDOW_MS = 60_000;
/** What the 429 message says was too many (the chat wording is the one the API always had). */
const TOO_MANY: Record<LimitFamily, string> = {
  reads: 'requests',
  pdf: 'PDF requests',
  contactWrites: 'contact changes',
  chat: 'messages',
  public: 'requests',
  ops: 'requests',
};

export function limitBudgets(config: Config): Record<LimitFamily, number> {
  return {
    reads: config.RATE_LIMIT_READS_PER_MINUTE,
    pdf: config.RATE_LIMIT_PDF_PER_MINUTE,
    contactWrites: config.RATE_LIMIT_CONTACT_WRITES_PER_MINUTE,
    chat: config.CHAT_RATE_LIMIT_PER_MINUTE,
    public: config.RATE_LIMIT_PUBLIC_PER_MINUTE,
    ops: config.RATE_LIMIT_OPS_PER_MINUTE,
  };
}

/** The family a request is spending right now through `spendLimit` (its route's family otherwise). */
const spending = new WeakMap<FastifyRequest, LimitFamily>();

export function limitFamily(req: FastifyRequest): LimitFamily {
  const spent = spending.get(req);
  if (spent) return spent;
  const declared = req.routeOptions.config.limit;
  if (declared) return declared;
  if (req.operator) return 'ops';
  return req.session ? 'reads' : 'public';
}

/** Whose budget a request spends: the operator (ops token), the account when signed in, else the IP. */
function limitSubject(req: FastifyRequest, family: LimitFamily): string {
  if (family === 'public') return `ip:${req.ip}`;
  if (req.operator) return `operator:${req.operator.operatorId}`;
  return req.session ? `account:${req.session.accountId}` : `ip:${req.ip}`;
}

/** `family:subject`: one counter per family, shared by its routes. */
export function limitKey(req: FastifyRequest): string {
  const family = limitFamily(req);
  return `${family}:${limitSubject(req, family)}`;
}

/** Browsers get a page; the API, scripts and anything else the JSON error shape. */
function wantsPage(req: FastifyRequest): boolean {
  return !req.url.startsWith('/v1/') && (req.headers.accept ?? '').includes('text/html');
}

/** Store failures (Redis down) let requests through: the API stays up; an error is logged at most every 10 s. */
function storeFailureLog(log: FastifyBaseLogger): (err: unknown) => void {
  let last = 0;
  return (err) => {
    const now = Date.now();
    if (now - last < 10_000) return;
    last = now;
    const reason = err instanceof Error ? err.message : String(err);
    log.error({ alert: 'rate_limit_store_unavailable', reason }, 'rate limits not applied: the store did not answer');
  };
}

type Check = ReturnType<FastifyInstance['createRateLimit']>;

/**
 * The route-level onRequest hook. It runs after the scope's own onRequest hooks (the /v1 Bearer
 * check, the portal cookie), so the key sees `req.session`, and an unauthenticated request is a
 * 401 before anything is counted. Our hook instead of the plugin's own: the plugin's per-route
 * config gives every route its own counter, and it can only answer with an error, never a page.
 */
/** Counts a request; null when the store failed (logged: requests then go through). */
function counter(check: Check, storeFailed: (err: unknown) => void): (req: FastifyRequest) => Promise<Awaited<ReturnType<Check>> | null> {
  return async (req) => {
    try {
      return await check(req);
    } catch (err) {
      storeFailed(err);
      return null;
    }
  };
}

function limitHook(count: ReturnType<typeof counter>): onRequestHookHandler {
  const counted = new WeakSet<FastifyRequest>();
  return async function rateLimitHook(req: FastifyRequest, reply: FastifyReply) {
    // A GET route's automatic HEAD twin carries the hook too: count a request once.
    if (counted.has(req)) return;
    counted.add(req);
    const limit = await count(req);
    if (!limit || limit.isAllowed) return;
    void reply.headers({ 'x-ratelimit-limit': limit.max, 'x-ratelimit-remaining': limit.remaining, 'x-ratelimit-reset': limit.ttlInSeconds });
    if (!limit.isExceeded) return;
    rateLimitRejectionsTotal.inc({ family: limitFamily(req) });
    const retryAfter = Math.max(1, limit.ttlInSeconds);
    if (wantsPage(req)) {
      return reply.code(429).headers(PAGE_HEADERS).header('retry-after', String(retryAfter)).send(tooManyRequestsPage(retryAfter, errorPageLocale(req)));
    }
    throw new RateLimitedError(`Too many ${TOO_MANY[limitFamily(req)]}; try again in ${retryAfter} s`, retryAfter);
  };
}

function addRouteHook(route: RouteOptions, hook: onRequestHookHandler): void {
  const own = route.onRequest;
  route.onRequest = own === undefined ? [hook] : Array.isArray(own) ? [...own, hook] : [own, hook];
}

/**
 * The shared store's client. It waits for Redis once at start; after that a command fails at once
 * while Redis is away (no offline queue) or after 1 s, and the request goes through (fail open).
 */
async function openRedis(url: string, prefix: string, log: FastifyBaseLogger): Promise<Redis> {
  const redis = new Redis(url, {
    connectionName: `${prefix}limits`,
    lazyConnect: true,
    enableOfflineQueue: false,
    connectTimeout: 2000,
    commandTimeout: 1000,
    maxRetriesPerRequest: 1,
  });
  let last = 0;
  redis.on('error', (err: Error) => {
    if (Date.now() - last < 10_000) return;
    last = Date.now();
    log.warn({ alert: 'rate_limit_redis_error', reason: err.message }, 'rate-limit Redis connection error');
  });
  try {
    await redis.connect();
  } catch (err) {
    // ioredis keeps reconnecting; until then the limits are not applied (logged per request, throttled).
    log.error({ alert: 'rate_limit_store_unavailable', reason: err instanceof Error ? err.message : String(err) }, 'rate-limit Redis unreachable at start');
  }
  return redis;
}

async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'ready') await redis.quit();
  else redis.disconnect();
}

/**
 * Registers the limits: every route added after this call is limited unless its config says
 * `limit: false`. Register it before the routes.
 */
export async function registerLimits(app: FastifyInstance, config: Config): Promise<void> {
  const budgets = limitBudgets(config);
  const redis = config.REDIS_URL ? await openRedis(config.REDIS_URL, config.RATE_LIMIT_REDIS_PREFIX, app.log) : null;
  if (redis) app.addHook('onClose', async () => closeRedis(redis));
  await app.register(rateLimit, {
    global: false,
    timeWindow: WINDOW_MS,
    max: (req) => budgets[limitFamily(req)],
    keyGenerator: limitKey,
    cache: 50_000,
    ...(redis ? { redis, nameSpace: config.RATE_LIMIT_REDIS_PREFIX } : {}),
  });
  const check = app.createRateLimit();
  const count = counter(check, storeFailureLog(app.log));
  const hook = limitHook(count);
  // The same counters as the hook (same store, key and budgets), for the family named.
  app.decorate('spendLimit', async (req: FastifyRequest, family: LimitFamily) => {
    spending.set(req, family);
    let limit;
    try {
      limit = await count(req);
    } finally {
      spending.delete(req);
    }
    if (!limit || limit.isAllowed || !limit.isExceeded) return;
    rateLimitRejectionsTotal.inc({ family });
    const retryAfter = Math.max(1, limit.ttlInSeconds);
    throw new RateLimitedError(`Too many ${TOO_MANY[family]}; try again in ${retryAfter} s`, retryAfter);
  });
  app.addHook('onRoute', (route) => {
    if (route.config?.limit !== false) addRouteHook(route, hook);
  });
}
