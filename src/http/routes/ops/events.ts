import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ValidationError } from '../../../errors.js';
import { EVENT_TYPES } from '../../../eventlog/store.js';
import { decodeCursor, encodeCursor, eventMessage, FEED_START, readEvents } from '../../../eventlog/feed.js';
import { listDeliveries, type Delivery } from '../../../ops-webhooks/deliveries.js';
import type { Services } from '../../../services.js';
import { errorResponses } from '../../errors.js';
import { opsSecurity as security, requireScope } from '../../ops-auth.js';

/**
 * Events out (scope 'billing:read'; README "Connecting your billing system", "Events and
 * webhooks"): the event feed, read from the durable event log in its commit-safe order
 * (src/eventlog/feed.ts), and the outbound webhook deliveries with their attempts.
 */

const eventView = z
  .object({
    id: z.string().describe("the event's stable id (evt_…): the same on every read and in the webhook-id header; deduplicate on it"),
    type: z.enum(EVENT_TYPES),
    timestamp: z.string().describe('when it was recorded (ISO 8601)'),
    accountId: z.string().nullable(),
    data: z.record(z.string(), z.unknown()).describe('ids and amounts (integer cents with their currency); re-read anything else'),
  })
  .describe('Event');

const attemptView = z.object({
  attempt: z.number().int(),
  startedAt: z.string(),
  durationMs: z.number().int(),
  statusCode: z.number().int().nullable(),
  error: z.string().nullable(),
  outcome: z.enum(['delivered', 'retry', 'failed']),
});

const deliveryView = z
  .object({
    id: z.string(),
    eventId: z.string(),
    eventType: z.string(),
    url: z.string().describe('the receiver, without credentials or query string'),
    status: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.number().int(),
    nextAttemptAt: z.string().nullable().describe('when the next attempt is due (pending only)'),
    lastAttemptAt: z.string().nullable(),
    lastStatusCode: z.number().int().nullable(),
    lastError: z.string().nullable(),
    deliveredAt: z.string().nullable(),
    createdAt: z.string(),
    attemptLog: z.array(attemptView).describe('every attempt, oldest first'),
  })
  .describe('WebhookDelivery');

const iso = (d: Date | null): string | null => d?.toISOString() ?? null;

function deliveryJson(d: Delivery): z.infer<typeof deliveryView> {
  return {
    ...d,
    id: d.id.toString(),
    nextAttemptAt: iso(d.nextAttemptAt),
    lastAttemptAt: iso(d.lastAttemptAt),
    deliveredAt: iso(d.deliveredAt),
    createdAt: d.createdAt.toISOString(),
    attemptLog: d.attemptLog.map((a) => ({ ...a, startedAt: a.startedAt.toISOString() })),
  };
}

const deliveryId = z.string().regex(/^[1-9][0-9]{0,17}$/, 'must be a delivery id (digits)');

export const opsEventsRoutes =
  (services: Services): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const db = services.db;

    r.get(
      '/events',
      {
        config: { opsAction: 'ops.events.list' },
        schema: {
          tags: ['ops'],
          summary: 'The event feed: payment.completed, credit_memo.created, alert.raised, followup.requested (scope billing:read)',
          description:
            'In a fixed order that never skips an event committed late. At-least-once: keep the answer\'s `next` and pass it as `after`; re-reading from an older cursor returns the same events with the same ids. Without `after`, from the beginning.',
          security,
          querystring: z
            .object({
              after: z.string().max(64).optional().describe("the previous answer's `next` (opaque)"),
              limit: z.coerce.number().int().min(1).max(1000).default(100).describe('page size, 1-1000'),
            })
            .strict(),
          response: { 200: z.object({ items: z.array(eventView), next: z.string().describe('pass as `after` next time'), hasMore: z.boolean() }), ...errorResponses },
        },
      },
      async (req) => {
        requireScope(req, 'billing:read');
        const { after, limit } = req.query;
        const from = after === undefined ? FEED_START : decodeCursor(after);
        if (!from) throw new ValidationError("after: not a cursor of this feed (pass an answer's `next` unchanged)", { field: 'after' });
        const page = await readEvents(db, { after: from, limit });
        return { items: page.events.map(eventMessage), next: encodeCursor(page.next), hasMore: page.more };
      },
    );

    r.get(
      '/webhook-deliveries',
      {
        config: { opsAction: 'ops.webhook_deliveries.list' },
        schema: {
          tags: ['ops'],
          summary: 'Outbound webhook deliveries and their attempts, newest first (scope billing:read)',
          description: "Pass the answer's `nextCursor` as `cursor` for the next page; it is null on the last page.",
          security,
          querystring: z
            .object({
              status: z.enum(['pending', 'delivered', 'failed']).optional(),
              limit: z.coerce.number().int().min(1).max(200).default(50).describe('page size, 1-200'),
              cursor: deliveryId.optional().describe("the previous page's nextCursor"),
            })
            .strict(),
          response: { 200: z.object({ items: z.array(deliveryView), nextCursor: z.string().nullable() }), ...errorResponses },
        },
      },
      async (req) => {
        requireScope(req, 'billing:read');
        const { status, limit, cursor } = req.query;
        const page = await listDeliveries(db, { status, limit, before: cursor === undefined ? undefined : BigInt(cursor) });
        return { items: page.items.map(deliveryJson), nextCursor: page.more ? (page.items.at(-1)?.id.toString() ?? null) : null };
      },
    );
  };
