import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { Config } from '../config.js';
import { UnauthorizedError } from '../errors.js';

/** The verified identity of a request. The account id comes from here and nowhere else. */
export interface Session {
  accountId: string;
  userId: string;
  userName: string | null;
}

/** Account numbers as the database enforces them. */
export const ACCOUNT_RE = /^R[0-9]{5,}$/;

function key(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

/** Signs a portal token (the portal does this in production; the dev `token` script and tests use it). */
export async function signSessionToken(
  config: Pick<Config, 'AUTH_JWT_SECRET' | 'AUTH_JWT_ISSUER' | 'AUTH_JWT_AUDIENCE'>,
  claims: { accountId: string; userId: string; userName?: string | null },
  opts: { expiresIn?: string | number; secret?: string } = {},
): Promise<string> {
  return new SignJWT({ acct: claims.accountId, ...(claims.userName ? { name: claims.userName } : {}) })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.userId)
    .setIssuer(config.AUTH_JWT_ISSUER)
    .setAudience(config.AUTH_JWT_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(opts.expiresIn ?? '8h')
    .sign(key(opts.secret ?? config.AUTH_JWT_SECRET));
}

export async function verifySessionToken(
  config: Pick<Config, 'AUTH_JWT_SECRET' | 'AUTH_JWT_ISSUER' | 'AUTH_JWT_AUDIENCE'>,
  token: string,
): Promise<Session> {
  try {
    const { payload } = await jwtVerify(token, key(config.AUTH_JWT_SECRET), {
      algorithms: ['HS256'],
      issuer: config.AUTH_JWT_ISSUER,
      audience: config.AUTH_JWT_AUDIENCE,
      requiredClaims: ['exp', 'sub', 'acct'],
    });
    const acct = payload['acct'];
    const name = payload['name'];
    if (typeof acct !== 'string' || !ACCOUNT_RE.test(acct) || !payload.sub) throw new UnauthorizedError('Invalid token claims');
    return { accountId: acct, userId: payload.sub, userName: typeof name === 'string' ? name : null };
  } catch (err) {
    if (err instanceof UnauthorizedError) throw err;
    if (err instanceof joseErrors.JWTExpired) throw new UnauthorizedError('Token expired');
    throw new UnauthorizedError('Invalid token');
  }
}
