import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { ToolRegistry } from '../tools/registry.js';
import type { ChatModel } from './agent/types.js';
import type { Clock } from './billing/dates.js';
import type { Config } from './config.js';
import type { Database } from './db/index.js';
import { resellerSession } from './http/ops-auth.js';
import { opsRoutes } from './http/routes/ops/index.js';
import { frameworkErrors, registerErrorHandling } from './http/errors.js';
import { registerInputChecks } from './http/input.js';
import { appLogging } from './http/logging.js';
import { MAX_LINK_TOKEN_LENGTH } from './links/signer.js';
import { docsUi } from './http/docs.js';
import { billingRoutes } from './http/routes/billing.js';
import { chatRoutes } from './http/routes/chat.js';
import { webRoutes } from './web/routes.js';
import { contactRoutes } from './http/routes/contacts.js';
import { followUpRoutes } from './http/routes/follow-ups.js';
import { documentRoutes } from './http/routes/documents.js';
import { chatEventRoutes } from './http/routes/chat-events.js';
import { feedbackRoutes } from './http/routes/feedback.js';
import { mcpApprovalRoutes } from './http/routes/mcp-approvals.js';
import { mcpRoutes } from './http/routes/mcp.js';
import { paymentRoutes } from './http/routes/payments.js';
import type { PaymentsOptions } from './payments/service.js';
import { healthRoutes } from './http/routes/health.js';
import { metricsRoutes } from './http/routes/metrics.js';
import { fastifyTracing, flushTracing } from './telemetry/tracing.js';
import { registerCors } from './http/cors.js';
import { registerLimits } from './http/limits.js';
import { trackEventStreams } from './http/sse.js';
import { portalRoutes } from './web/portal/routes.js';
import { widgetRoutes } from './web/widget-bundle.js';
import { createServices, type Services } from './services.js';

export interface AppOptions {
  config: Config;
  database: Database;
  clock?: Clock;
  /** Close the database when the app closes (the server does; tests that share a database don't). */
  closeDatabase?: boolean;
  /** Inject a model (tests: a scripted model) instead of the configured one. */
  model?: ChatModel;
  /** Inject a tool registry instead of the default one. */
  registry?: ToolRegistry;
  /** Payments overrides (tests: processor, wall clock, fault hooks, heartbeat). */
  payments?: PaymentsOptions;
  /** Where logs go instead of stdout (tests capture them). */
  logStream?: { write(msg: string): void };
}

/** Builds the app without listening: the server starts it, tests use `app.inject`. */
declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
  }
}

export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const { config } = opts;
  // Card data and tokens never reach the log; one line per request; pretty on a development terminal (src/http/logging.ts).
  const { logger, logController } = appLogging(config, opts.logStream);
  const app = Fastify({
    logger,
    logController,
    bodyLimit: 64 * 1024,
    // Route parameters fit the longest link token the signer mints, and nothing much longer.
    routerOptions: { maxParamLength: MAX_LINK_TOKEN_LENGTH },
    // Errors raised before routing (a parameter over that limit, a URL that does not decode) in our error shape.
    frameworkErrors,
    trustProxy: config.NODE_ENV === 'production',
    genReqId: () => crypto.randomUUID(),
  });
  const services = createServices({
    config,
    database: opts.database,
    logger: app.log,
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.model ? { model: opts.model } : {}),
    ...(opts.registry ? { registry: opts.registry } : {}),
    ...(opts.payments ? { payments: opts.payments } : {}),
  });

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandling(app);
  // Text that cannot be stored (NUL, other controls, unpaired surrogates) is a 400 before any handler runs.
  registerInputChecks(app);
  app.decorateRequest('session', null);
  app.decorateRequest('operator', null);
  app.decorate('services', services);

  // Tier 1: infrastructure.
  // Request spans when tracing is on (src/telemetry/tracing.ts), before any route; spans still batched are sent on close.
  const tracing = fastifyTracing();
  if (tracing) {
    await app.register(tracing);
    app.addHook('onClose', flushTracing);
  }
  // The PDF pool's browsers (launched lazily) close with the app.
  app.addHook('onClose', async () => services.pdf.close());
  // Outbound webhooks (OPS_WEBHOOK_URLS): the worker runs from ready until close begins (before the database closes).
  const webhooks = services.opsWebhooks;
  if (webhooks) {
    app.addHook('onReady', async () => webhooks.start());
    app.addHook('preClose', async () => webhooks.stop());
  }
  // Cross-replica events (src/eventlog/relay.ts): from ready until close begins. Open event streams
  // are told to reconnect (`retry:`) when the app closes (src/http/sse.ts).
  app.addHook('onReady', async () => services.relay.start());
  app.addHook('preClose', async () => services.relay.stop());
  trackEventStreams(app);
  if (opts.closeDatabase) app.addHook('onClose', async () => opts.database.close());
  await app.register(swagger, {
    openapi: {
      info: { title: 'Billing Assistant API', version: '1.0.0', description: 'Billing data and the assistant for the Reseller Portal.' },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          opsBearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'an operator token (/v1/ops)' },
        },
      },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(docsUi);
  // CORS for /v1/* and /widget.js from CORS_ORIGINS (never "*", no credentials).
  await registerCors(app, config);
  // Rate limits on every route registered below (src/http/limits.ts; README "Rate limits").
  await registerLimits(app, config);

  // Tier 3: routes.
  await app.register(healthRoutes(services));
  await app.register(metricsRoutes(config));
  await app.register(webRoutes(services));
  await app.register(paymentRoutes(services));
  // The assistant widget bundle and the portal's Billing pages (which embed it).
  await app.register(widgetRoutes(config));
  await app.register(portalRoutes(services));
  // The approval page of side effects proposed over MCP (signed link + portal session).
  await app.register(mcpApprovalRoutes(services));
  await app.register(
    async (v1) => {
      // A portal token; an operator token is recognised and refused with 403 (src/http/ops-auth.ts).
      v1.addHook('onRequest', async (req) => {
        req.session = await resellerSession(config, req);
      });
      await v1.register(billingRoutes(services), { prefix: '/billing' });
      await v1.register(documentRoutes(services), { prefix: '/billing' });
      await v1.register(contactRoutes(services), { prefix: '/billing' });
      await v1.register(followUpRoutes(services), { prefix: '/billing' });
      await v1.register(chatRoutes(services), { prefix: '/chat' });
      await v1.register(chatEventRoutes(services), { prefix: '/chat' });
      await v1.register(feedbackRoutes(services), { prefix: '/chat' });
    },
    { prefix: '/v1' },
  );
  // The billing tools over MCP (Streamable HTTP, stateless) and its protected-resource metadata.
  await app.register(mcpRoutes(services));
  // The operator API (the billing system, operations staff): operator tokens only, every call audited.
  await app.register(opsRoutes(services), { prefix: '/v1/ops' });

  return app;
}
