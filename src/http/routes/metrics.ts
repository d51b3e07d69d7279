import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';
import { UnauthorizedError } from '../../errors.js';
import { collectProcessMetrics, metricsText } from '../../telemetry/metrics.js';

/**
 * GET /metrics: Prometheus text exposition of this replica (src/telemetry/metrics.ts).
 *
 * Open outside production. In production it needs `Authorization: Bearer <METRICS_TOKEN>` (401
 * otherwise); without METRICS_TOKEN the route is not registered at all and answers 404, like any
 * unknown path: a production deployment that did not choose a scraper's secret has no metrics
 * endpoint, and a 404 discloses nothing about one being there (a 403 would advertise it).
 */
export const metricsRoutes =
  (config: Config): FastifyPluginAsync =>
  async (app) => {
    const production = config.NODE_ENV === 'production';
    if (production && !config.METRICS_TOKEN) return;
    const expected = production && config.METRICS_TOKEN ? digest(config.METRICS_TOKEN) : null;
    collectProcessMetrics();
    app.get(
      '/metrics',
      {
        // Never rate-limited: a scraper polls every few seconds from one address, and a 429 would
        // read as a replica down. Outside production it shows only counts; in production a wrong
        // token costs one hash and gets 401.
        config: { limit: false },
        schema: { hide: true },
      },
      async (req, reply) => {
        if (expected && !tokenMatches(req, expected)) throw new UnauthorizedError();
        const { contentType, body } = await metricsText();
        return reply.header('content-type', contentType).header('cache-control', 'no-store').send(body);
      },
    );
  };

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Compares digests in constant time (equal lengths whatever the token sent). */
function tokenMatches(req: FastifyRequest, expected: Buffer): boolean {
  const header = req.headers.authorization ?? '';
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  return m !== null && timingSafeEqual(digest(m[1]!), expected);
}
