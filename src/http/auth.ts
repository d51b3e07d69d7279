import type { FastifyRequest } from 'fastify';
import { UnauthorizedError } from '../errors.js';
import type { Session } from '../identity/session.js';

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
