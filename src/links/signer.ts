import { createHmac, timingSafeEqual } from 'node:crypto';
import { ForbiddenError } from '../errors.js';

/**
 * Signed links: HMAC-SHA256 over version, key id, purpose, account, invoice and expiry.
 * Token: `v1.<kid>.<base64url(payload)>.<base64url(mac)>`; payload `purpose|account|invoice|exp`.
 * The first key signs; every configured key verifies, so a rotated key keeps old links valid
 * until it is removed from LINK_SIGNING_KEYS.
 */

export const LINK_PURPOSES = ['pay', 'pdf'] as const;
export type LinkPurpose = (typeof LINK_PURPOSES)[number];

export interface LinkClaims {
  purpose: LinkPurpose;
  accountId: string;
  invoiceNumber: string;
  /** Expiry, seconds since epoch. */
  exp: number;
}

export type LinkVerifyFailure = 'malformed' | 'unknown_key' | 'bad_signature' | 'expired' | 'wrong_purpose';

export class LinkError extends ForbiddenError {
  constructor(readonly reason: LinkVerifyFailure) {
    super(reason === 'expired' ? 'This link has expired' : 'This link is not valid');
  }
}

const MAC_BYTES = 32;
const b64u = (b: Buffer) => b.toString('base64url');

export interface LinkSigner {
  mint(claims: Omit<LinkClaims, 'exp'>, ttlSeconds?: number): string;
  verify(token: string, purpose: LinkPurpose): LinkClaims;
  /** Absolute URL of the page a purpose opens. */
  url(claims: Omit<LinkClaims, 'exp'>): string;
  /** True when the URL is one this signer minted and it verifies (used to scrub model text). */
  isMinted(url: string): boolean;
}

export function createLinkSigner(opts: {
  keys: ReadonlyArray<{ kid: string; secret: string }>;
  ttlSeconds: number;
  baseUrl: string;
  now: () => Date;
}): LinkSigner {
  if (opts.keys.length === 0) throw new Error('createLinkSigner: no keys');
  const keys = new Map(opts.keys.map((k) => [k.kid, Buffer.from(k.secret, 'utf8')]));
  const signing = opts.keys[0]!;
  const mac = (kid: string, secret: Buffer, payload: string) => createHmac('sha256', secret).update(`v1.${kid}.${payload}`).digest();

  const signer: LinkSigner = {
    mint(claims, ttlSeconds = opts.ttlSeconds) {
      const exp = Math.floor(opts.now().getTime() / 1000) + ttlSeconds;
      const payload = b64u(Buffer.from(`${claims.purpose}|${claims.accountId}|${claims.invoiceNumber}|${exp}`, 'utf8'));
      return `v1.${signing.kid}.${payload}.${b64u(mac(signing.kid, keys.get(signing.kid)!, payload))}`;
    },
    verify(token, purpose) {
      if (token.length > 512) throw new LinkError('malformed');
      const parts = token.split('.');
      if (parts.length !== 4 || parts[0] !== 'v1') throw new LinkError('malformed');
      const [, kid, payload, sig] = parts as [string, string, string, string];
      const secret = keys.get(kid);
      if (!secret) throw new LinkError('unknown_key');
      if (!/^[A-Za-z0-9_-]+$/.test(sig) || !/^[A-Za-z0-9_-]+$/.test(payload)) throw new LinkError('malformed');
      const given = Buffer.from(sig, 'base64url');
      const expected = mac(kid, secret, payload);
      // Length first (timingSafeEqual requires equal lengths), then constant-time comparison.
      if (given.length !== MAC_BYTES || !timingSafeEqual(given, expected)) throw new LinkError('bad_signature');
      const fields = Buffer.from(payload, 'base64url').toString('utf8').split('|');
      if (fields.length !== 4) throw new LinkError('malformed');
      const [p, accountId, invoiceNumber, expText] = fields as [string, string, string, string];
      const exp = Number(expText);
      if (!Number.isInteger(exp)) throw new LinkError('malformed');
      if (p !== purpose) throw new LinkError('wrong_purpose');
      if (exp * 1000 <= opts.now().getTime()) throw new LinkError('expired');
      return { purpose: p, accountId, invoiceNumber, exp };
    },
    url(claims) {
      const token = signer.mint(claims);
      return `${opts.baseUrl}/${claims.purpose === 'pay' ? 'pay' : 'doc'}/${token}`;
    },
    isMinted(url) {
      // Exactly `${baseUrl}/pay/<token>` or `${baseUrl}/doc/<token>`: a bare prefix match would also
      // accept "https://base.evil.example/pay/…" or "https://base@evil.example/pay/…".
      for (const [path, purpose] of [
        ['pay', 'pay'],
        ['doc', 'pdf'],
      ] as const) {
        const prefix = `${opts.baseUrl}/${path}/`;
        if (!url.startsWith(prefix)) continue;
        const token = url.slice(prefix.length);
        if (!/^v1\.[A-Za-z0-9_.-]+$/.test(token)) return false;
        try {
          signer.verify(token, purpose);
          return true;
        } catch (err) {
          if (err instanceof LinkError) return false;
          throw err;
        }
      }
      return false;
    },
  };
  return signer;
}
