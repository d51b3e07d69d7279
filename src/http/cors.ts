import cors from '@fastify/cors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';

/** Paths other origins may call: the API (Bearer tokens) and the widget bundle. */
export function corsApplies(url: string): boolean {
  const path = url.split('?')[0] ?? '';
  return path.startsWith('/v1/') || path === '/widget.js';
}

/**
 * CORS for host pages on other origins (CORS_ORIGINS, exact origins, never "*"). Credentials
 * stay off: the widget authenticates with a Bearer token, never with cookies. Portal pages and
 * the pay page are same-origin and get no CORS headers at all. (The chat SSE route writes its
 * own Access-Control-Allow-Origin from the same list because it hijacks the reply.)
 */
export async function registerCors(app: FastifyInstance, config: Config): Promise<void> {
  const origins = [...config.corsOrigins];
  await app.register(cors, {
    hideOptionsRoute: true,
    delegator: (req: FastifyRequest, cb) => {
      const allowed = origins.length > 0 && corsApplies(req.url);
      cb(null, {
        origin: allowed ? origins : false,
        credentials: false,
        methods: ['GET', 'POST'],
        allowedHeaders: ['Authorization', 'Content-Type', 'Accept'],
        exposedHeaders: ['Retry-After'],
        maxAge: 600,
        strictPreflight: true,
      });
    },
  });
}
