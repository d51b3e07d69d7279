import type { FastifyBaseLogger, FastifyRequest, onSendHookHandler } from 'fastify';
import { recordAudit } from '../audit/log.js';
import type { Config } from '../config.js';
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import { AppError, ForbiddenError, UnauthorizedError } from '../errors.js';
import { verifyOperatorToken, type OperatorSession, type OpsScope } from '../identity/operator.js';
import { isAccountId, verifySessionToken, type Session } from '../identity/session.js';
import { bearerToken } from './auth.js';

/**
 * Operator authentication at the edge (README "Connecting your billing system"). Operator tokens
 * (src/identity/operator.ts) open /v1/ops and nothing else; portal tokens open the reseller routes
 * and never /v1/ops. A token of the other kind is recognised and answered 403, not 401: the
 * caller holds a valid credential for the wrong door, and retrying with it will never work.
 */

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified operator of a /v1/ops request (null elsewhere). */
    operator: OperatorSession | null;
  }
  interface FastifyContextConfig {
    /** An operator route's audit action ('ops.alerts.resolve'); unset: derived from its URL and method (opsAction). */
    opsAction?: `ops.${string}`;
  }
}

export const RESELLER_TOKEN_ON_OPS = 'This is a reseller portal token: /v1/ops needs an operator token';
export const OPERATOR_TOKEN_ON_RESELLER_ROUTES = 'This is an operator token: reseller routes need a reseller portal token; operators use /v1/ops';

type TokenConfig = Pick<Config, 'AUTH_JWT_SECRET' | 'AUTH_JWT_ISSUER' | 'AUTH_JWT_AUDIENCE' | 'OPS_JWT_SECRET' | 'OPS_JWT_AUDIENCE'>;

/** Whether a string verifies as a token of the given kind (the cross-kind check; never throws). */
async function verifiesAs(kind: 'ops' | 'portal', config: TokenConfig, token: string): Promise<boolean> {
  try {
    await (kind === 'ops' ? verifyOperatorToken(config, token) : verifySessionToken(config, token));
    return true;
  } catch {
    return false;
  }
}

/** The operator of a /v1/ops request: 401 without a valid operator token, 403 for a portal token. */
export async function operatorOf(config: TokenConfig, req: FastifyRequest): Promise<OperatorSession> {
  const token = bearerToken(req);
  if (!token) throw new UnauthorizedError();
  try {
    return await verifyOperatorToken(config, token);
  } catch (err) {
    if (err instanceof UnauthorizedError && (await verifiesAs('portal', config, token))) throw new ForbiddenError(RESELLER_TOKEN_ON_OPS);
    throw err;
  }
}

/** The portal session of a reseller request's Bearer token: 401 as before, 403 for an operator token. */
export async function resellerSession(config: TokenConfig, req: FastifyRequest): Promise<Session> {
  const token = bearerToken(req);
  if (!token) throw new UnauthorizedError();
  return resellerTokenSession(config, token);
}

/** The same for a token from elsewhere (the portal cookie). */
export async function resellerTokenSession(config: TokenConfig, token: string): Promise<Session> {
  try {
    return await verifySessionToken(config, token);
  } catch (err) {
    if (err instanceof UnauthorizedError && (await verifiesAs('ops', config, token))) throw new ForbiddenError(OPERATOR_TOKEN_ON_RESELLER_ROUTES);
    throw err;
  }
}

/** The operator of a request in the /v1/ops scope (set by its hook). */
export function requireOperator(req: FastifyRequest): OperatorSession {
  if (!req.operator) throw new UnauthorizedError();
  return req.operator;
}

/** The operator, when its token grants `scope`; else 403 naming the scope (and the RFC 6750 header saying so). */
export function requireScope(req: FastifyRequest, scope: OpsScope): OperatorSession {
  const operator = requireOperator(req);
  if (!operator.scopes.includes(scope)) {
    throw new AppError(403, 'forbidden', `This call needs the operator scope '${scope}'; the token grants: ${operator.scopes.join(', ') || 'none'}`, {
      details: { requiredScope: scope },
      headers: { 'www-authenticate': `Bearer error="insufficient_scope", scope="${scope}"` },
    });
  }
  return operator;
}

/** The account an operator call concerns, for its audit row (handlers say it when the URL does not). */
const auditAccounts = new WeakMap<FastifyRequest, string>();

export function auditAccount(req: FastifyRequest, accountId: string | null | undefined): void {
  if (accountId && isAccountId(accountId)) auditAccounts.set(req, accountId);
}

const VERBS: Record<string, string> = { POST: 'create', PUT: 'put', PATCH: 'update', DELETE: 'delete' };

/**
 * The audit action of an operator route without an `opsAction` of its own: `ops.` and the URL's
 * literal segments under /v1/ops, then `list` (GET of a collection), `get` (GET of an item) or the
 * method's verb. `GET /v1/ops/alerts` → ops.alerts.list; `PUT /v1/ops/accounts/:id` → ops.accounts.put.
 */
export function opsAction(method: string, routeUrl: string): `ops.${string}` {
  const segments = routeUrl.replace(/^\/v1\/ops\/?/, '').split('/').filter(Boolean);
  const names = segments.filter((s) => !s.startsWith(':'));
  const verb = method === 'GET' || method === 'HEAD' ? (segments.at(-1)?.startsWith(':') ? 'get' : 'list') : (VERBS[method] ?? method.toLowerCase());
  return `ops.${[...names, verb].join('.')}`;
}

/** An Idempotency-Key as the audit keeps it: printable, bounded; anything else is left out. */
function idempotencyKeyOf(req: FastifyRequest): string | undefined {
  const key = req.headers['idempotency-key'];
  return typeof key === 'string' && /^[\x21-\x7e]{1,255}$/.test(key) ? key : undefined;
}

function outcomeOf(status: number): 'ok' | 'rejected' | 'error' {
  if (status < 400) return 'ok';
  return status < 500 ? 'rejected' : 'error';
}

/**
 * The scope's onSend hook: one audit_log row per operator call, success or failure, written before
 * the answer leaves (a caller that reads the audit after its call finds the row). Never a body or a
 * token: the method, the route pattern, the status and the Idempotency-Key. Calls without a
 * verified operator (401, a portal token's 403) are not audited: no operator made them, and
 * counting them would let anyone write to the audit log; the request log has them.
 */
export function opsAuditHook(db: Kysely<DB>, log: FastifyBaseLogger): onSendHookHandler {
  return async function auditOperatorCall(req, reply, payload) {
    const operator = req.operator;
    if (!operator) return payload;
    const route = req.routeOptions.url ?? req.url.split('?')[0] ?? '';
    const params = (req.params ?? {}) as Record<string, unknown>;
    const accountParam = typeof params['accountId'] === 'string' ? params['accountId'] : null;
    const idempotencyKey = idempotencyKeyOf(req);
    try {
      await recordAudit(db, {
        actor: { type: 'operator', id: operator.operatorId },
        action: req.routeOptions.config.opsAction ?? opsAction(req.method, route),
        outcome: outcomeOf(reply.statusCode),
        accountId: auditAccounts.get(req) ?? (accountParam && isAccountId(accountParam) ? accountParam : null),
        details: { method: req.method, route, status: reply.statusCode, ...(idempotencyKey ? { idempotencyKey } : {}) },
      });
    } catch (err) {
      // The call itself is done (a write is committed); failing its answer now would only invite a retry.
      log.error({ alert: 'ops_audit_write_failed', route, reason: err instanceof Error ? err.message : String(err) }, 'operator call not audited');
    }
    return payload;
  };
}

/** The OpenAPI security of an operator route (the 'opsBearer' scheme, declared in src/app.ts). */
export const opsSecurity = [{ opsBearer: [] }];
