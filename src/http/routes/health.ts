import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ping } from '../../db/index.js';
import type { Services } from '../../services.js';
import { errorBody } from '../errors.js';

export const healthRoutes =
  (services: Services): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    // Never rate-limited: load balancers and orchestrators probe these often from few addresses, and a
    // 429 would read as an unhealthy replica. Neither reads account data.
    r.get(
      '/healthz',
      { config: { limit: false }, schema: { tags: ['health'], summary: 'Liveness', response: { 200: z.object({ status: z.literal('ok') }) } } },
      async () => ({ status: 'ok' as const }),
    );
    r.get(
      '/readyz',
      {
        config: { limit: false },
        schema: {
          tags: ['health'],
          summary: 'Readiness: the database answers',
          response: { 200: z.object({ status: z.literal('ready'), database: z.enum(['postgres', 'pglite']) }), 503: errorBody },
        },
      },
      async (req, reply) => {
        try {
          await ping(services.db);
          return { status: 'ready' as const, database: services.dbKind };
        } catch (err) {
          req.log.warn({ err }, 'readiness check failed');
          return reply.code(503).send({ error: { code: 'unavailable', message: 'Database unavailable' }, requestId: req.id });
        }
      },
    );
  };
