import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { putAccount, putContact, putDomain, removeContact, removeDomain } from '../../../billing/ops/accounts.js';
import { accountBody, accountIdField, contactBody, domainBody, domainField, emailField } from '../../../billing/ops/schemas.js';
import { loadOpsAccount, opsAccountView } from '../../../billing/ops/views.js';
import type { Services } from '../../../services.js';
import { found, idempotentWrite, readRoute, writeRoute, written } from './billing-common.js';

/**
 * Accounts as the billing system writes them (scopes billing:write, billing:read): open (with the
 * opening invoice and its one-time fee), rename, close or reopen; billing contacts and verified
 * domains. Every answer is the account as it now is.
 */

const params = z.object({ accountId: accountIdField });
const contactParams = params.extend({ email: emailField });
const domainParams = params.extend({ domain: domainField });
const view = opsAccountView;
/** An account named in the URL that does not exist is the route's 404. */
const UNKNOWN_ACCOUNT = 404;

const OPEN =
  'Unknown account: opened, with `openingInvoice` as its first invoice carrying the one-time opening fee (line 1; the other lines start at 2). Known account: `name` and `closedOn` change; `currency`, `openedOn` and the opening invoice stay. A closed account takes no invoice issued on or after `closedOn`; payments and credits still apply. 201 opened, 200 otherwise.';

export const opsAccountsRoutes =
  (services: Services): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();

    r.get('/accounts/:accountId', readRoute('An account with its contacts and verified domains', params, view), async (req) =>
      found(req, await loadOpsAccount(services.db, req.params.accountId), 'Account'),
    );

    r.put('/accounts/:accountId', writeRoute({ summary: 'Open, rename, close or reopen an account', description: OPEN, params, body: accountBody, view }), async (req, reply) =>
      idempotentWrite(services, req, reply, async (trx) => {
        const change = await putAccount(trx, { accountId: req.params.accountId, ...req.body });
        return written(change, await loadOpsAccount(trx, req.params.accountId));
      }),
    );

    r.put('/accounts/:accountId/contacts/:email', writeRoute({ summary: 'Add a billing contact or change its name', params: contactParams, body: contactBody, view }), async (req, reply) =>
      idempotentWrite(services, req, reply, async (trx) =>
        written(await putContact(trx, { ...req.params, ...req.body }, UNKNOWN_ACCOUNT), await loadOpsAccount(trx, req.params.accountId)),
      ),
    );
    r.delete('/accounts/:accountId/contacts/:email', writeRoute({ summary: 'Remove a billing contact', params: contactParams, body: undefined, view }), async (req, reply) =>
      idempotentWrite(services, req, reply, async (trx) =>
        written((await removeContact(trx, req.params, UNKNOWN_ACCOUNT)) ? 'removed' : 'absent', await loadOpsAccount(trx, req.params.accountId)),
      ),
    );

    const summary = 'Add a verified domain: any address at it may receive the account’s invoices';
    r.put('/accounts/:accountId/domains/:domain', writeRoute({ summary, params: domainParams, body: domainBody, view }), async (req, reply) =>
      idempotentWrite(services, req, reply, async (trx) =>
        written(await putDomain(trx, { ...req.params, ...req.body }, UNKNOWN_ACCOUNT), await loadOpsAccount(trx, req.params.accountId)),
      ),
    );
    r.delete('/accounts/:accountId/domains/:domain', writeRoute({ summary: 'Remove a verified domain', params: domainParams, body: undefined, view }), async (req, reply) =>
      idempotentWrite(services, req, reply, async (trx) =>
        written((await removeDomain(trx, req.params, UNKNOWN_ACCOUNT)) ? 'removed' : 'absent', await loadOpsAccount(trx, req.params.accountId)),
      ),
    );
  };
