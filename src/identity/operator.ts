import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { Config } from '../config.js';
import { UnauthorizedError } from '../errors.js';
import { decodeCanonicalBase64url } from '../links/base64url.js';

/**
 * Operator identity: the billing system and operations staff, separate from resellers. An
 * operator token is an HS256 JWT signed with OPS_JWT_SECRET for the audience OPS_JWT_AUDIENCE,
 * with `kind: 'ops'`, the operator in `sub` and its scopes in `scope` (space-separated, as OAuth
 * writes them). It never carries an account: an operator acts on any account its scopes allow.
 */

/** What an operator token may do under /v1/ops. */
export const OPS_SCOPES = ['billing:write', 'billing:read', 'alerts', 'feedback'] as const;
export type OpsScope = (typeof OPS_SCOPES)[number];

/** The verified identity of an operator request. */
export interface OperatorSession {
  operatorId: string;
  scopes: OpsScope[];
}

/** Operator ids (the token's `sub`): a service or a person, short and printable; they go into the audit log and rate-limit keys. */
export const OPERATOR_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._@:+-]{0,63}$/;

export function isOpsScope(text: string): text is OpsScope {
  return (OPS_SCOPES as readonly string[]).includes(text);
}

type OpsConfig = Pick<Config, 'OPS_JWT_SECRET' | 'OPS_JWT_AUDIENCE'>;

function key(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

/** Signs an operator token (the billing system does this with the shared secret; the dev `token --ops` script and tests use it). */
export async function signOperatorToken(
  config: OpsConfig,
  claims: { operatorId: string; scopes: readonly OpsScope[] },
  opts: { expiresIn?: string | number; secret?: string } = {},
): Promise<string> {
  const secret = opts.secret ?? config.OPS_JWT_SECRET;
  if (!secret) throw new Error('OPS_JWT_SECRET is not set: operator tokens cannot be signed');
  return new SignJWT({ kind: 'ops', scope: claims.scopes.join(' ') })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.operatorId)
    .setAudience(config.OPS_JWT_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(opts.expiresIn ?? '1h')
    .sign(key(secret));
}

/** The scopes of a token's `scope` claim; names this service does not know are ignored (they grant nothing here). */
function scopesOf(claim: unknown): OpsScope[] | null {
  if (typeof claim !== 'string') return null;
  return [...new Set(claim.split(' ').filter(isOpsScope))];
}

/** Verifies an operator token; 401 (UnauthorizedError) for anything that is not one. */
export async function verifyOperatorToken(config: OpsConfig, token: string): Promise<OperatorSession> {
  const secret = config.OPS_JWT_SECRET;
  if (!secret) throw new UnauthorizedError('Operator tokens are not accepted: the operator API is not enabled on this server');
  try {
    // One spelling per token, as for portal tokens (src/identity/session.ts says why).
    if (!token.split('.').every((part) => decodeCanonicalBase64url(part) !== null)) throw new UnauthorizedError('Invalid token');
    const { payload } = await jwtVerify(token, key(secret), {
      algorithms: ['HS256'],
      audience: config.OPS_JWT_AUDIENCE,
      requiredClaims: ['exp', 'sub', 'kind', 'scope'],
    });
    const scopes = scopesOf(payload['scope']);
    if (payload['kind'] !== 'ops' || !payload.sub || !OPERATOR_ID_RE.test(payload.sub) || !scopes) {
      throw new UnauthorizedError('Invalid token claims');
    }
    return { operatorId: payload.sub, scopes };
  } catch (err) {
    if (err instanceof UnauthorizedError) throw err;
    if (err instanceof joseErrors.JWTExpired) throw new UnauthorizedError('Token expired');
    throw new UnauthorizedError('Invalid token');
  }
}
