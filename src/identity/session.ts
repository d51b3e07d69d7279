import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { Config } from '../config.js';
import { UnauthorizedError } from '../errors.js';
import { decodeCanonicalBase64url } from '../links/base64url.js';
import { isLocale, type Locale } from '../i18n/locales.js';

/** The verified identity of a request. The account id comes from here and nowhere else. */
export interface Session {
  accountId: string;
  userId: string;
  userName: string | null;
  /** The token's optional `locale` claim (en-CA | fr-CA): the user's language where nothing more explicit says otherwise. */
  locale?: Locale | null;
}

/** Account numbers as the database enforces them (the CHECK on accounts.id; schema-columns.test.ts compares). */
export const ACCOUNT_RE = /^R[0-9]{5,}$/;

/** The longest account number a token carries: R and 12 digits (the CHECK has no upper bound). */
export const MAX_ACCOUNT_ID_LENGTH = 13;

/** An account number in bounds: the database's pattern and at most MAX_ACCOUNT_ID_LENGTH characters. */
export function isAccountId(text: string): boolean {
  return text.length <= MAX_ACCOUNT_ID_LENGTH && ACCOUNT_RE.test(text);
}

function key(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

/** Signs a portal token (the portal does this in production; the dev `token` script and tests use it). */
export async function signSessionToken(
  config: Pick<Config, 'AUTH_JWT_SECRET' | 'AUTH_JWT_ISSUER' | 'AUTH_JWT_AUDIENCE'>,
  claims: { accountId: string; userId: string; userName?: string | null; locale?: Locale | null },
  opts: { expiresIn?: string | number; secret?: string } = {},
): Promise<string> {
  return new SignJWT({ acct: claims.accountId, ...(claims.userName ? { name: claims.userName } : {}), ...(claims.locale ? { locale: claims.locale } : {}) })
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
    // One spelling per token: jose on Node 20 decodes with atob, which ignores a last character's unused bits.
    if (!token.split('.').every((part) => decodeCanonicalBase64url(part) !== null)) throw new UnauthorizedError('Invalid token');
    const { payload } = await jwtVerify(token, key(config.AUTH_JWT_SECRET), {
      algorithms: ['HS256'],
      issuer: config.AUTH_JWT_ISSUER,
      audience: config.AUTH_JWT_AUDIENCE,
      requiredClaims: ['exp', 'sub', 'acct'],
    });
    const acct = payload['acct'];
    const name = payload['name'];
    const locale = payload['locale'];
    if (typeof acct !== 'string' || !isAccountId(acct) || !payload.sub) throw new UnauthorizedError('Invalid token claims');
    return { accountId: acct, userId: payload.sub, userName: typeof name === 'string' ? name : null, locale: isLocale(locale) ? locale : null };
  } catch (err) {
    if (err instanceof UnauthorizedError) throw err;
    if (err instanceof joseErrors.JWTExpired) throw new UnauthorizedError('Token expired');
    throw new UnauthorizedError('Invalid token');
  }
}
