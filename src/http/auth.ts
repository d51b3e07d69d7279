import type { FastifyRequest } from 'fastify';
import { UnauthorizedError } from '../errors.js';
import type { Session } from '../identity/session.js';
import { localeFromAcceptLanguage, pickLocale, type Locale } from '../i18n/index.js';

declare module 'fastify' {
  interface FastifyRequest {
    session: Session | null;
  }
}

export function bearerToken(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (!h) return null;
  const m = /^Bearer\s+([A-Za-z0-9_\-.]+)\s*$/i.exec(h);
  return m?.[1] ?? null;
}

/** The session of an authenticated route; throws 401 when absent. */
export function requireSession(req: FastifyRequest): Session {
  if (!req.session) throw new UnauthorizedError();
  return req.session;
}

/** The locale a REST response displays in: `Accept-Language`, else en-CA (the French issue: the API follows the header, not the token). */
export function apiLocale(req: FastifyRequest): Locale {
  return pickLocale(localeFromAcceptLanguage(req.headers['accept-language']));
}

/**
 * The session with the locale its cards and labels display in: an explicit choice (the widget's
 * page `data-locale`), then the token's claim, then `Accept-Language`, then en-CA.
 */
export function requireDisplaySession(req: FastifyRequest, explicit?: string | null): Session & { locale: Locale } {
  const s = requireSession(req);
  return { ...s, locale: pickLocale(explicit, s.locale, localeFromAcceptLanguage(req.headers['accept-language'])) };
}
