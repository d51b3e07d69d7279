import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { InvoicePaymentEvent } from '../../events/payments.js';
import { money } from '../../format/money.js';
import type { Services } from '../../services.js';
import { statusLabel } from '../../i18n/index.js';
import { requireDisplaySession } from '../auth.js';
import { localeQuery } from './chat.js';
import { errorResponses } from '../errors.js';
import { openEventStream, sseComment } from '../sse.js';
import { security } from './billing.js';

/**
 * `GET /v1/chat/conversations/:id/events`: payment updates for the invoices shown in a conversation.
 * The payments side only announces a confirmed payment (an event carrying ids, relayed from the
 * event log by src/eventlog/relay.ts, whichever replica recorded it); the chat side decides
 * whether the conversation shows that invoice and re-reads it from the database.
 */
export const chatEventRoutes =
  (services: Services): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();

    r.get(
      '/conversations/:id/events',
      {
        schema: {
          tags: ['chat'],
          summary: 'Live updates for a conversation (server-sent events)',
          description:
            'Events: `invoice_updated` {invoiceNumber, status, statusLabel, amountDue} (labels in the `locale` given, else the token claim, else Accept-Language) when a payment is confirmed for an invoice that appears on one of ' +
            "this conversation's cards, and `heartbeat` {at}. The data always comes from the database at the time of the event. " +
            'A server that shuts down sends `retry: <ms>` and ends the stream: reconnect after that delay (updates are not replayed: look up the invoices shown again).',
          security,
          params: z.object({ id: z.uuid().describe('conversation id') }),
          querystring: localeQuery,
          response: { 200: z.string().describe('text/event-stream'), ...errorResponses },
        },
      },
      async (req, reply) => {
        const s = requireDisplaySession(req, req.query.locale);
        const conversationId = req.params.id;
        // 404 for another account's conversation, before the stream opens.
        await services.chat.assertConversation(s, conversationId);
        // A live stream: when the app closes it is sent `retry:` and ended (src/http/sse.ts), and the
        // client reconnects, to another replica behind the proxy.
        const stream = openEventStream(req, reply, services.config.corsOrigins, { live: true });
        stream.writeRaw(sseComment('stream open'));

        const forward = async (e: InvoicePaymentEvent) => {
          try {
            if (!(await services.chat.showsInvoice(conversationId, e.invoiceNumber))) return;
            const inv = await services.billing.invoice(s.accountId, e.invoiceNumber);
            if (!inv) return;
            stream.send('invoice_updated', {
              invoiceNumber: inv.number,
              status: inv.status,
              statusLabel: statusLabel(s.locale, inv.status, inv.partiallyPaid),
              amountDue: money(inv.amountDueCents, inv.currency, s.locale),
            });
          } catch (err) {
            req.log.error({ err, conversationId }, 'could not forward a payment event to a chat stream');
          }
        };
        const unsubscribe = services.payments.bus.subscribe(s.accountId, (e) => void forward(e));
        const heartbeat = setInterval(() => stream.send('heartbeat', { at: new Date().toISOString() }), services.payments.heartbeatMs);
        stream.onClose(() => {
          clearInterval(heartbeat);
          unsubscribe();
        });
      },
    );
  };
