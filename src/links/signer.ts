import { createHmac, timingSafeEqual } from 'node:crypto';
import { ForbiddenError } from '../errors.js';
import { isAccountId, MAX_ACCOUNT_ID_LENGTH } from '../identity/session.js';
import { base64urlLength, decodeCanonicalBase64url } from './base64url.js';
import { LINK_KEY_ID_RE, MAX_LINK_KEY_ID_LENGTH } from './key-id.js';

export { LINK_KEY_ID_RE, MAX_LINK_KEY_ID_LENGTH } from './key-id.js';

/**
 * Signed links: HMAC-SHA256 over version, key id, purpose, account, invoice and expiry.
 * Token: `v1.<kid>.<base64url(payload)>.<base64url(mac)>`; payload `purpose|account|invoice|exp`
 * (approval links: `mcp|account|approval reference|exp`).
 * The first key signs; every configured key verifies, so a rotated key keeps old links valid
 * until it is removed from LINK_SIGNING_KEYS.
 *
 * Every token has one spelling and every part is bounded: key ids by LINK_KEY_ID_RE, both base64url
 * parts canonical (Node's decoder ignores the unused bits of a last character, so `sig` must be the
 * one encoding of its bytes), account ids by isAccountId (R + 5 to 12 digits), invoice numbers IN + 7 digits (approval references AP + 7), the expiry
 * at most 10 decimal digits with no sign, leading zero or exponent. MAX_LINK_TOKEN_LENGTH follows.
 */

export const LINK_PURPOSES = ['pay', 'pdf'] as const;
export type LinkPurpose = (typeof LINK_PURPOSES)[number];

/**
 * The purpose of approval links: the page where a signed-in person confirms an action their AI
 * assistant proposed over MCP. Same token, its third field an approval reference instead of an
 * invoice number; kept out of LinkPurpose so `verify` never returns one.
 */
export const APPROVAL_LINK_PURPOSE = 'mcp';

/** An approval reference: AP and 7 Crockford base-32 characters (as long as an invoice number, so MAX_LINK_TOKEN_LENGTH holds). */
export const APPROVAL_REF_RE = /^AP[0-9A-HJKMNP-TV-Z]{7}$/;

export interface ApprovalLinkClaims {
  accountId: string;
  approvalRef: string;
  /** Expiry, seconds since epoch. */
  exp: number;
}

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

/**
 * Invoice numbers as src/billing/invoice-number.ts defines them (INVOICE_NUMBER_RE): a copy, because
 * the foundation cannot import the billing domain; tests/security/link-tokens.test.ts keeps them identical.
 */
export const LINK_INVOICE_NUMBER_RE = /^IN[0-9]{7}$/;
const INVOICE_NUMBER_LENGTH = 9;
/** The latest expiry a token can carry (2286-11-20): ten digits. */
export const MAX_LINK_EXP = 9_999_999_999;
/** The expiry's one spelling: a positive decimal integer of at most ten digits. */
const EXP_RE = /^[1-9][0-9]{0,9}$/;

const MAC_BYTES = 32;
const MAX_PAYLOAD_BYTES =
  Math.max(...[...LINK_PURPOSES, APPROVAL_LINK_PURPOSE].map((p) => p.length)) + MAX_ACCOUNT_ID_LENGTH + INVOICE_NUMBER_LENGTH + String(MAX_LINK_EXP).length + '|||'.length;
const MAX_PAYLOAD_CHARS = base64urlLength(MAX_PAYLOAD_BYTES);

/** The longest valid token (115 characters): `v1.`, a 16-character key id, the longest payload, the MAC. */
export const MAX_LINK_TOKEN_LENGTH = 'v1.'.length + MAX_LINK_KEY_ID_LENGTH + 1 + MAX_PAYLOAD_CHARS + 1 + base64urlLength(MAC_BYTES);

/**
 * Longer input is not even split. Below it, a canonical MAC of the wrong length stays a bad signature
 * (refused by its length, before any MAC is computed).
 */
const MAX_INPUT_LENGTH = 512;

/** A token split into its parts, each checked for shape and size; nothing authenticated yet. */
interface TokenParts {
  kid: string;
  payload: string;
  payloadBytes: Buffer;
  mac: Buffer;
}

/** The parts of a token, or LinkError('malformed'): oversized, non-canonical or empty parts never reach the MAC. */
function splitToken(token: string): TokenParts {
  if (token.length > MAX_INPUT_LENGTH) throw new LinkError('malformed');
  const parts = token.split('.');
  if (parts.length !== 4 || parts[0] !== 'v1') throw new LinkError('malformed');
  const [, kid, payload, sig] = parts as [string, string, string, string];
  if (!LINK_KEY_ID_RE.test(kid)) throw new LinkError('malformed');
  const payloadBytes = decodeCanonicalBase64url(payload, MAX_PAYLOAD_CHARS);
  const mac = decodeCanonicalBase64url(sig);
  if (!payloadBytes?.length || !mac?.length) throw new LinkError('malformed');
  return { kid, payload, payloadBytes, mac };
}

type AnyPurpose = LinkPurpose | typeof APPROVAL_LINK_PURPOSE;

/** What a payload names: purpose, account, subject (an invoice number, or an approval reference), expiry. */
interface Payload {
  purpose: AnyPurpose;
  accountId: string;
  subject: string;
  exp: number;
}

/** The subject each purpose's links name. */
const SUBJECT_RE: Record<AnyPurpose, RegExp> = { pay: LINK_INVOICE_NUMBER_RE, pdf: LINK_INVOICE_NUMBER_RE, [APPROVAL_LINK_PURPOSE]: APPROVAL_REF_RE };

const isPurpose = (p: string): p is AnyPurpose => Object.hasOwn(SUBJECT_RE, p);

function payloadText(p: Payload): string {
  return `${p.purpose}|${p.accountId}|${p.subject}|${p.exp}`;
}

/** The claims a payload spells, when every field is within its bounds; else null. */
function parsePayload(text: string): Payload | null {
  const fields = text.split('|');
  if (fields.length !== 4) return null;
  const [purpose, accountId, subject, expText] = fields as [string, string, string, string];
  if (!isPurpose(purpose) || !isAccountId(accountId) || !SUBJECT_RE[purpose].test(subject) || !EXP_RE.test(expText)) return null;
  return { purpose, accountId, subject, exp: Number(expText) };
}

export interface LinkSigner {
  mint(claims: Omit<LinkClaims, 'exp'>, ttlSeconds?: number): string;
  verify(token: string, purpose: LinkPurpose): LinkClaims;
  /** Absolute URL of the page a purpose opens. */
  url(claims: Omit<LinkClaims, 'exp'>): string;
  /** True when the URL is one this signer minted and it verifies (used to scrub model text). */
  isMinted(url: string): boolean;
  /** Absolute URL of an approval page (`/portal/mcp/approvals/<token>`). */
  approvalUrl(claims: Omit<ApprovalLinkClaims, 'exp'>, ttlSeconds?: number): string;
  verifyApproval(token: string): ApprovalLinkClaims;
}

export function createLinkSigner(opts: {
  keys: ReadonlyArray<{ kid: string; secret: string }>;
  ttlSeconds: number;
  baseUrl: string;
  now: () => Date;
}): LinkSigner {
  if (opts.keys.length === 0) throw new Error('createLinkSigner: no keys');
  if (!opts.keys.every((k) => LINK_KEY_ID_RE.test(k.kid))) throw new Error('createLinkSigner: key ids are 1-16 of [A-Za-z0-9_-]');
  const keys = new Map(opts.keys.map((k) => [k.kid, Buffer.from(k.secret, 'utf8')]));
  const signing = opts.keys[0]!;
  const mac = (kid: string, secret: Buffer, payload: string) => createHmac('sha256', secret).update(`v1.${kid}.${payload}`).digest();

  const sign = (p: Omit<Payload, 'exp'>, ttlSeconds: number): string => {
    const text = payloadText({ ...p, exp: Math.floor(opts.now().getTime() / 1000) + ttlSeconds });
    // The server never mints a token it would refuse (or one longer than MAX_LINK_TOKEN_LENGTH).
    if (!parsePayload(text)) throw new Error('createLinkSigner.mint: claims outside the bounds of a link token');
    const payload = Buffer.from(text, 'utf8').toString('base64url');
    return `v1.${signing.kid}.${payload}.${mac(signing.kid, keys.get(signing.kid)!, payload).toString('base64url')}`;
  };
  const check = (token: string, purpose: AnyPurpose): Payload => {
    const parts = splitToken(token);
    const secret = keys.get(parts.kid);
    if (!secret) throw new LinkError('unknown_key');
    // Length first (timingSafeEqual requires equal lengths), then constant-time comparison.
    if (parts.mac.length !== MAC_BYTES || !timingSafeEqual(parts.mac, mac(parts.kid, secret, parts.payload))) throw new LinkError('bad_signature');
    const claims = parsePayload(parts.payloadBytes.toString('utf8'));
    if (!claims) throw new LinkError('malformed');
    if (claims.purpose !== purpose) throw new LinkError('wrong_purpose');
    if (claims.exp * 1000 <= opts.now().getTime()) throw new LinkError('expired');
    return claims;
  };

  const signer: LinkSigner = {
    mint(claims, ttlSeconds = opts.ttlSeconds) {
      return sign({ purpose: claims.purpose, accountId: claims.accountId, subject: claims.invoiceNumber }, ttlSeconds);
    },
    verify(token, purpose) {
      const p = check(token, purpose);
      return { purpose, accountId: p.accountId, invoiceNumber: p.subject, exp: p.exp };
    },
    approvalUrl(claims, ttlSeconds = opts.ttlSeconds) {
      const token = sign({ purpose: APPROVAL_LINK_PURPOSE, accountId: claims.accountId, subject: claims.approvalRef }, ttlSeconds);
      return `${opts.baseUrl}/portal/mcp/approvals/${token}`;
    },
    verifyApproval(token) {
      const p = check(token, APPROVAL_LINK_PURPOSE);
      return { accountId: p.accountId, approvalRef: p.subject, exp: p.exp };
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
