import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../../../services.js';
import { operatorOf, opsAuditHook } from '../../ops-auth.js';
import { opsAlertsRoutes } from './alerts.js';
import { opsEventsRoutes } from './events.js';
import { opsFeedbackRoutes } from './feedback.js';
import { opsAccountsRoutes } from './billing-accounts.js';
import { opsCreditsRoutes } from './billing-credits.js';
import { opsInvoicesRoutes } from './billing-invoices.js';
import { opsPaymentsRoutes } from './billing-payments.js';

/**
 * The operator API, registered under /v1/ops (README "Connecting your billing system"). This
 * scope verifies the operator token on every request (401 without a valid one, 403 for a reseller
 * portal token), attaches `req.operator`, and audits every call (src/http/ops-auth.ts). Each child
 * plugin is `(services) => FastifyPluginAsync`, checks its scope per handler with
 * `requireScope(req, ...)`, documents its routes under the OpenAPI tag 'ops' with `security:
 * opsSecurity`, and may name its audit action with `config: { opsAction: 'ops.x.y' }`.
 * Rate limits: the 'ops' family, per operator (src/http/limits.ts).
 */
export const opsRoutes =
  (services: Services): FastifyPluginAsync =>
  async (ops) => {
    ops.addHook('onRequest', async (req) => {
      req.operator = await operatorOf(services.config, req);
    });
    ops.addHook('onSend', opsAuditHook(services.db, ops.log));

    // One line per child plugin.
    await ops.register(opsAlertsRoutes(services));
    await ops.register(opsEventsRoutes(services));
    await ops.register(opsAccountsRoutes(services));
    await ops.register(opsInvoicesRoutes(services));
    await ops.register(opsPaymentsRoutes(services));
    await ops.register(opsCreditsRoutes(services));
    await ops.register(opsFeedbackRoutes(services));
  };
