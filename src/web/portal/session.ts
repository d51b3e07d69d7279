import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';
import { signSessionToken, type Session } from '../../identity/session.js';
import { resellerTokenSession } from '../../http/ops-auth.js';
import { UnauthorizedError } from '../../errors.js';
import { isLocale, localeFromAcceptLanguage, pickLocale, type Locale } from '../../i18n/index.js';

/**
 * The portal session: the same HS256 portal JWT the API accepts as a Bearer token, kept in an
 * HttpOnly, SameSite=Lax cookie scoped to /portal. Pages render it into the widget's tag so the
 * widget can call the API with it (the widget never reads cookies).
 */

export const PORTAL_COOKIE = 'ba_portal';
export const PORTAL_SESSION_SECONDS = 8 * 60 * 60;

/** The value of one cookie from the Cookie header (no dependency needed for one name). */
export function readCookie(req: FastifyRequest, name: string): string | null {
  const header = req.headers.cookie;
  if (!header) return null;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    if (part.slice(0, i).trim() !== name) continue;
    const v = part.slice(i + 1).trim();
    try {
      return decodeURIComponent(v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v);
    } catch {
      return null;
    }
  }
  return null;
}

function cookieAttributes(config: Config, maxAge: number): string {
  const secure = config.publicBaseUrl.startsWith('https:') || config.NODE_ENV === 'production';
  return `Path=/portal; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${secure ? '; Secure' : ''}`;
}

export async function startPortalSession(config: Config, reply: FastifyReply, claims: { accountId: string; userId: string; userName?: string | null }): Promise<void> {
  const token = await signSessionToken(config, claims, { expiresIn: `${PORTAL_SESSION_SECONDS}s` });
  void reply.header('set-cookie', `${PORTAL_COOKIE}=${token}; ${cookieAttributes(config, PORTAL_SESSION_SECONDS)}`);
}

/** Ends the session and forgets its language choice. */
export function endPortalSession(config: Config, reply: FastifyReply): void {
  void reply.header('set-cookie', [`${PORTAL_COOKIE}=; ${cookieAttributes(config, 0)}`, `${LOCALE_COOKIE}=; ${cookieAttributes(config, 0)}`]);
}

/**
 * The language switch's choice, part of the portal session: a cookie beside the session's, with
 * the same attributes and lifetime, cleared at sign-out. Not signed: it only picks the words, and
 * anything but en-CA or fr-CA is ignored.
 */
export const LOCALE_COOKIE = 'ba_portal_locale';

export function rememberLocale(config: Config, reply: FastifyReply, locale: Locale): void {
  void reply.header('set-cookie', `${LOCALE_COOKIE}=${locale}; ${cookieAttributes(config, PORTAL_SESSION_SECONDS)}`);
}

/** The language chosen with the portal's switch, or null. */
export function chosenLocale(req: FastifyRequest): Locale | null {
  const v = readCookie(req, LOCALE_COOKIE);
  return isLocale(v) ? v : null;
}

/**
 * The locale of a portal page: the switch's choice, then the token's `locale` claim, then the
 * request's Accept-Language, then en-CA.
 */
export function portalLocale(req: FastifyRequest, session: Pick<Session, 'locale'> | null | undefined): Locale {
  return pickLocale(chosenLocale(req), session?.locale, localeFromAcceptLanguage(req.headers['accept-language']));
}

export interface PortalSession extends Session {
  token: string;
}

/** The verified portal session of a request, or null (no cookie, bad or expired token); 403 for an operator token. */
export async function portalSession(config: Config, req: FastifyRequest): Promise<PortalSession | null> {
  const token = readCookie(req, PORTAL_COOKIE);
  if (!token || !/^[A-Za-z0-9_\-.]+$/.test(token)) return null;
  try {
    return { ...(await resellerTokenSession(config, token)), token };
  } catch (err) {
    if (err instanceof UnauthorizedError) return null;
    throw err;
  }
}
