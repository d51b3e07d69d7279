import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { listAlerts, resolveAlert, type PaymentAlert } from '../../../payments/alerts.js';
import type { Services } from '../../../services.js';
import { errorBody, errorResponses } from '../../errors.js';
import { auditAccount, opsSecurity as security, requireScope } from '../../ops-auth.js';

/**
 * Payment alerts for operators (scope 'alerts'): the processor events that were rejected because
 * they did not match what we created (README "Connecting your billing system", "Alerts").
 */

export const MAX_RESOLUTION_NOTE_CHARS = 2000;

const alertId = z.string().regex(/^[1-9][0-9]{0,17}$/, 'must be an alert id (digits)');

const alertView = z
  .object({
    id: z.string().describe('the alert id (digits)'),
    alert: z.string().describe('payment_event_mismatch, payment_event_unknown_session or payment_event_malformed'),
    status: z.enum(['open', 'resolved']),
    accountId: z.string().nullable(),
    processorEventId: z.string().nullable().describe("the processor's event id (Stripe evt_…)"),
    checkoutSessionId: z.string().nullable(),
    details: z.record(z.string(), z.unknown()).describe('why it was rejected: the reason, the event type, what we expected and what the event said'),
    createdAt: z.string(),
    resolvedAt: z.string().nullable(),
    resolvedBy: z.string().nullable().describe('the operator who resolved it'),
    resolutionNote: z.string().nullable(),
  })
  .describe('PaymentAlert');

function view(a: PaymentAlert): z.infer<typeof alertView> {
  return {
    id: a.id.toString(),
    alert: a.alert,
    status: a.status,
    accountId: a.accountId,
    processorEventId: a.processorEventId,
    checkoutSessionId: a.checkoutSessionId,
    details: a.details,
    createdAt: a.createdAt.toISOString(),
    resolvedAt: a.resolvedAt?.toISOString() ?? null,
    resolvedBy: a.resolvedBy,
    resolutionNote: a.resolutionNote,
  };
}

export const opsAlertsRoutes =
  (services: Services): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const db = services.db;

    r.get(
      '/alerts',
      {
        config: { opsAction: 'ops.alerts.list' },
        schema: {
          tags: ['ops'],
          summary: 'Payment alerts: rejected processor events (scope alerts)',
          description: 'Newest first. Pass the answer\'s `nextCursor` as `cursor` for the next page; it is null on the last page.',
          security,
          querystring: z
            .object({
              status: z.enum(['open', 'resolved', 'all']).default('open'),
              limit: z.coerce.number().int().min(1).max(200).default(50).describe('page size, 1-200'),
              cursor: alertId.optional().describe("the previous page's nextCursor"),
            })
            .strict(),
          response: { 200: z.object({ items: z.array(alertView), nextCursor: z.string().nullable() }), ...errorResponses },
        },
      },
      async (req) => {
        requireScope(req, 'alerts');
        const { status, limit, cursor } = req.query;
        const page = await listAlerts(db, { status, limit, before: cursor === undefined ? undefined : BigInt(cursor) });
        return { items: page.items.map(view), nextCursor: page.next?.toString() ?? null };
      },
    );

    r.post(
      '/alerts/:id/resolve',
      {
        config: { opsAction: 'ops.alerts.resolve' },
        schema: {
          tags: ['ops'],
          summary: 'Resolve a payment alert with a note (scope alerts)',
          description: 'Records who resolved it, when, and the note. 404 for an unknown alert, 409 when it is already resolved.',
          security,
          params: z.object({ id: alertId }),
          body: z
            .object({
              note: z
                .string()
                .trim()
                .min(1, 'must say how it was resolved')
                .max(MAX_RESOLUTION_NOTE_CHARS, `must be at most ${MAX_RESOLUTION_NOTE_CHARS} characters`)
                .describe('how it was resolved (refunded, matched by hand, …)'),
            })
            .strict(),
          response: { 200: alertView, ...errorResponses, 409: errorBody },
        },
      },
      async (req) => {
        const operator = requireScope(req, 'alerts');
        const alert = await resolveAlert(db, BigInt(req.params.id), { operatorId: operator.operatorId, note: req.body.note });
        auditAccount(req, alert.accountId);
        return view(alert);
      },
    );
  };
