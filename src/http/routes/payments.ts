import type { FastifyBaseLogger, FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorBody } from '../errors.js';
import type { Services } from '../../services.js';
import { keepLang, langParam, publicPageLocale } from '../../web/page.js';
import { PAGE_HEADERS, payLinkClaims } from '../../web/routes.js';
import { notFoundPage, notPayablePage, processingPage, returnPage, sandboxErrorPage, sandboxPage, unavailablePage, unknownSessionPage } from '../../web/pay-pages.js';
import type { ProcessResult } from '../../payments/processing.js';
import { deliverSandboxEvent, SANDBOX_OUTCOMES, sandboxEventsFor } from '../../payments/sandbox.js';
import { CheckoutUnavailableError, WebhookSignatureError } from '../../payments/service.js';
import { webhookEventsTotal } from '../../telemetry/metrics.js';

/** Webhook bodies can be larger than our API's 64 KiB limit. */
const WEBHOOK_BODY_LIMIT = 1024 * 1024;

/** Logs a processed event; rejected ones are alerts (stable `alert` field, error level). */
export function logProcessResult(log: Pick<FastifyBaseLogger, 'info' | 'error'>, r: ProcessResult): void {
  const fields = {
    eventId: r.eventId,
    eventType: r.eventType,
    outcome: r.outcome,
    ...(r.reason ? { reason: r.reason } : {}),
    ...(r.sessionId ? { sessionId: r.sessionId } : {}),
    ...(r.accountId ? { accountId: r.accountId } : {}),
    ...(r.invoiceNumber ? { invoiceNumber: r.invoiceNumber } : {}),
    ...(r.paymentNumber ? { paymentNumber: r.paymentNumber } : {}),
    ...(r.creditMemoNumber ? { creditMemoNumber: r.creditMemoNumber } : {}),
    ...(r.creditCents !== undefined && r.creditCents > 0n ? { creditCents: r.creditCents.toString() } : {}),
  };
  if (r.outcome === 'rejected') log.error({ ...fields, alert: r.alert }, 'payment event rejected: it does not match what we created');
  else log.info(fields, 'payment event processed');
}

/**
 * The payment doors: the Pay button (`POST /pay/:token/checkout`), the return page, the Stripe
 * webhook, and in sandbox mode the sandbox checkout pages. The pages carry no session: they speak
 * the `lang` parameter's language (kept from page to page), else Accept-Language's, else en-CA.
 */
export const paymentRoutes =
  (services: Services): FastifyPluginAsync =>
  async (app) => {
    const payments = services.payments;

    // Pages: browser form posts (application/x-www-form-urlencoded) answered with HTML.
    await app.register(async (pages) => {
      pages.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4096 }, (_req, body, done) => {
        done(null, Object.fromEntries(new URLSearchParams(String(body))));
      });
      const r = pages.withTypeProvider<ZodTypeProvider>();

      r.post(
        '/pay/:token/checkout',
        { schema: { hide: true, params: z.object({ token: z.string().max(600) }) } },
        async (req, reply) => {
          const locale = publicPageLocale(req);
          const lang = langParam(req);
          const claims = payLinkClaims(services, req.params.token, reply, locale);
          if (!claims) return reply;
          let start;
          try {
            start = await payments.startCheckout({ accountId: claims.accountId, invoiceNumber: claims.invoiceNumber, locale });
          } catch (err) {
            if (!(err instanceof CheckoutUnavailableError)) throw err;
            const cause = err.cause instanceof Error ? err.cause.message : String(err.cause);
            req.log.error({ alert: 'checkout_unavailable', invoiceNumber: claims.invoiceNumber, cause }, 'could not create a checkout session');
            return reply.code(503).headers(PAGE_HEADERS).header('retry-after', '30').send(unavailablePage(locale));
          }
          switch (start.kind) {
            case 'redirect':
              req.log.info({ sessionId: start.sessionId, invoiceNumber: claims.invoiceNumber, reused: start.reused }, 'checkout session');
              // Our own sandbox page keeps the language asked for; the processor's page gets its URL untouched.
              return reply.header('cache-control', 'no-store').redirect(start.url.startsWith('/sandbox/checkout/') ? keepLang(start.url, lang) : start.url, 303);
            case 'not_found':
              return reply.code(404).headers(PAGE_HEADERS).send(notFoundPage(locale));
            case 'not_payable':
              return reply.code(409).headers(PAGE_HEADERS).send(notPayablePage(start.reason, start.invoice, locale));
            case 'processing':
              return reply.code(409).headers(PAGE_HEADERS).send(processingPage(start.invoice, locale));
          }
        },
      );

      r.get(
        '/pay/return',
        {
          schema: {
            hide: true,
            querystring: z.object({
              session_id: z.string().min(1).max(255),
              cancelled: z.enum(['1']).optional(),
              n: z.coerce.number().int().min(0).max(1000).optional(),
              // The page's language (publicPageLocale reads it; an unknown value is ignored).
              lang: z.string().max(20).optional(),
            }),
          },
        },
        async (req, reply) => {
          const locale = publicPageLocale(req);
          const st = await payments.returnStatus(req.query.session_id);
          if (!st) return reply.code(404).headers(PAGE_HEADERS).send(unknownSessionPage(locale));
          const payUrl = services.links.url({ purpose: 'pay', accountId: st.accountId, invoiceNumber: st.invoiceNumber });
          const out = returnPage(st, { cancelled: req.query.cancelled === '1', refresh: req.query.n ?? 0, payUrl, locale, lang: langParam(req) });
          return reply.headers(PAGE_HEADERS).send(out.html);
        },
      );

      if (payments.mode === 'sandbox') {
        const secret = services.config.STRIPE_WEBHOOK_SECRET;
        const sessionParams = z.object({ sessionId: z.string().regex(/^cs_sandbox_[A-Za-z0-9]+$/).max(80) });
        const returnPath = (id: string, cancelled = false) => `/pay/return?session_id=${encodeURIComponent(id)}${cancelled ? '&cancelled=1' : ''}`;

        r.get('/sandbox/checkout/:sessionId', { schema: { hide: true, params: sessionParams } }, async (req, reply) => {
          const locale = publicPageLocale(req);
          const s = await payments.sandboxSession(req.params.sessionId);
          if (!s) return reply.code(404).headers(PAGE_HEADERS).send(unknownSessionPage(locale));
          return reply.headers(PAGE_HEADERS).send(sandboxPage(s, returnPath(s.id), payments.now(), locale, langParam(req)));
        });

        r.post(
          '/sandbox/checkout/:sessionId',
          { schema: { hide: true, params: sessionParams, body: z.object({ outcome: z.enum(SANDBOX_OUTCOMES), lang: z.string().max(20).optional() }) } },
          async (req, reply) => {
            const locale = publicPageLocale(req);
            const lang = langParam(req);
            const s = await payments.sandboxSession(req.params.sessionId);
            if (!s) return reply.code(404).headers(PAGE_HEADERS).send(unknownSessionPage(locale));
            const now = payments.now();
            if (s.state !== 'open' || s.expiresAt.getTime() <= now.getTime()) return reply.redirect(keepLang(returnPath(s.id), lang), 303);
            const urls = { ...payments.urls, page: `${services.config.publicBaseUrl}/sandbox/checkout/${s.id}` };
            for (const event of sandboxEventsFor(req.body.outcome, s, urls, secret, now)) {
              const status = await deliverSandboxEvent(app, event, secret);
              if (status !== 200) {
                req.log.error({ alert: 'sandbox_delivery_failed', status, eventType: event.type, sessionId: s.id }, 'sandbox event not accepted by the webhook');
                return reply.code(502).headers(PAGE_HEADERS).send(sandboxErrorPage(status, locale));
              }
            }
            // Like Stripe: success (and a delayed failure) return to success_url, abandon to cancel_url.
            return reply.redirect(keepLang(returnPath(s.id, req.body.outcome === 'abandon'), lang), 303);
          },
        );
      }
    });

    // The webhook: its own scope, whose JSON parser keeps the raw bytes for the signature check.
    await app.register(async (hook) => {
      hook.removeAllContentTypeParsers();
      hook.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT }, (_req, body, done) => {
        done(null, body);
      });
      const r = hook.withTypeProvider<ZodTypeProvider>();
      r.post(
        '/webhooks/stripe',
        {
          // Never rate-limited: every event is signature-checked before any work; Stripe sends from a
          // few shared addresses (a per-IP budget would pool all events) and retries a refused event on
          // its own schedule (live: up to 3 days; test mode: 3 times over a few hours), so a 429 would
          // delay a payment confirmation or lose it. An unsigned flood costs one HMAC each and gets 400.
          config: { limit: false },
          bodyLimit: WEBHOOK_BODY_LIMIT,
          schema: {
            tags: ['payments'],
            summary: 'Stripe webhook (Checkout Session events)',
            description:
              'Verifies the Stripe-Signature header on the raw body (Stripe\'s default 300 s tolerance), then processes checkout.session.completed, ' +
              'async_payment_succeeded, async_payment_failed and expired exactly once. Duplicates answer 200. An event that does not match the ' +
              'session we created (unknown session, amount, currency, account or invoice) is answered 200 with outcome "rejected": nothing is ' +
              'written but an alert (retrying would not change it); it is logged at error level with an `alert` field and stored in payment_alerts.',
            headers: z.object({ 'stripe-signature': z.string().optional() }).loose(),
            response: {
              200: z.object({ received: z.literal(true), outcome: z.string(), reason: z.string().optional() }),
              400: errorBody,
              413: errorBody,
              415: errorBody,
              500: errorBody,
            },
          },
        },
        async (req) => {
          const body = req.body;
          try {
            if (!Buffer.isBuffer(body) || body.length === 0) throw new WebhookSignatureError('Expected the raw JSON body of a Stripe event');
            const result = await payments.handleWebhook(body, req.headers['stripe-signature']);
            logProcessResult(req.log, result);
            webhookEventsTotal.inc({ outcome: result.outcome });
            return { received: true as const, outcome: result.outcome, ...(result.reason ? { reason: result.reason } : {}) };
          } catch (err) {
            if (err instanceof WebhookSignatureError) {
              req.log.warn({ alert: 'stripe_webhook_signature_invalid', reason: err.message }, 'webhook refused');
              webhookEventsTotal.inc({ outcome: 'signature_invalid' });
            } else webhookEventsTotal.inc({ outcome: 'error' });
            throw err;
          }
        },
      );
    });
  };
