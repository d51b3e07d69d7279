import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

/**
 * Cross-site request forgery checks for the portal's forms that change something (the Contacts
 * tab). Three layers: the session cookie is SameSite=Lax (a cross-site POST carries no session),
 * the browser's own Sec-Fetch-Site / Origin headers must say "this site", and the form must carry
 * this session's form token in a hidden field.
 */

/** The hidden field's name. */
export const CSRF_FIELD = 'csrf';

/**
 * The form token of a portal session: an HMAC of the session token (itself an HttpOnly cookie)
 * under the server's session secret, with a label of its own so it is no session token itself.
 * It changes with every sign-in and needs no storage.
 */
export function formToken(secret: string, sessionToken: string): string {
  return createHmac('sha256', secret).update(`portal-form-token:${sessionToken}`).digest('base64url');
}

/** Whether a submitted token is this session's (constant-time comparison). */
export function formTokenMatches(secret: string, sessionToken: string, submitted: unknown): boolean {
  if (typeof submitted !== 'string' || submitted.length === 0 || submitted.length > 200) return false;
  const expected = Buffer.from(formToken(secret, sessionToken));
  const given = Buffer.from(submitted);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Whether the browser says the form was sent from our own pages. Sec-Fetch-Site (browsers set it;
 * page scripts cannot) must be "same-origin" when sent: a page on another port of the same host is
 * "same-site", refused. Origin, when it names one, must be our public origin or the origin the
 * request was addressed to. Our pages send no referrer (Referrer-Policy: no-referrer), so browsers
 * send "Origin: null" for their own forms: that, like clients that send neither header (curl,
 * tests), is left to the form token.
 */
export function fromOurPages(req: FastifyRequest, publicBaseUrl: string): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') return false;
  const origin = req.headers.origin;
  if (origin === undefined || origin === 'null') return true;
  const ours = new Set([new URL(publicBaseUrl).origin, `${req.protocol}://${req.host}`]);
  return ours.has(origin);
}
