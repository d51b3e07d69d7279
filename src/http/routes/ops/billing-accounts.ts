import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { putAccount, putContact, putDomain, removeContact, removeDomain } from '../../../billing/ops/accounts.js';
import { accountBody, accountIdField, contactBody, domainBody, domainField, emailField } from '../../../billing/ops/schemas.js';
import { loadOpsAccount, opsAccountView } from '../../../billing/ops/views.js';
import type { Services } from '../../../services.js';
import { opsSecurity as security } from '../../ops-auth.js';
import { canRead, canWrite, found, idempotencyHeaders, idempotentWrite, readResponses, writeResponses, written } from './billing-common.js';

/**
 * Accounts as the billing system writes them (scopes billing:write, billing:read): open (with the
 * opening invoice and its one-time fee), rename, close or reopen; billing contacts and verified
 * domains. Every answer is the account as it now is.
 */

const tags = ['ops'];
const accountParams = z.object({ accountId: accountIdField });
const UNKNOWN_ACCOUNT = 404;

export const opsAccountsRoutes =
  (services: Services): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const account = (accountId: string) => loadOpsAccount(services.db, accountId);

    r.get(
      '/accounts/:accountId',
      { onRequest: canRead, schema: { tags, summary: 'An account with its contacts and verified domains (billing:read)', security, params: accountParams, response: readResponses(opsAccountView) } },
      async (req) => found(req, await account(req.params.accountId), 'Account'),
    );

    r.put(
      '/accounts/:accountId',
      {
        onRequest: canWrite,
        schema: {
          tags,
          summary: 'Open, rename, close or reopen an account (billing:write)',
          description:
            'Unknown account: opened, with `openingInvoice` as its first invoice carrying the one-time opening fee (line 1; the other lines start at 2). Known account: `name` and `closedOn` change; `currency`, `openedOn` and the opening invoice stay. A closed account takes no invoice issued on or after `closedOn`; payments and credits still apply. 201 opened, 200 otherwise.',
          security,
          headers: idempotencyHeaders,
          params: accountParams,
          body: accountBody,
          response: writeResponses(opsAccountView),
        },
      },
      async (req, reply) =>
        idempotentWrite(services, req, reply, async (trx) => {
          const change = await putAccount(trx, { accountId: req.params.accountId, ...req.body });
          return written(change, await loadOpsAccount(trx, req.params.accountId));
        }),
    );

    const contactParams = accountParams.extend({ email: emailField });
    r.put(
      '/accounts/:accountId/contacts/:email',
      {
        onRequest: canWrite,
        schema: { tags, summary: 'Add a billing contact or change its name (billing:write)', security, headers: idempotencyHeaders, params: contactParams, body: contactBody, response: writeResponses(opsAccountView) },
      },
      async (req, reply) =>
        idempotentWrite(services, req, reply, async (trx) => {
          const change = await putContact(trx, { ...req.params, ...req.body }, UNKNOWN_ACCOUNT);
          return written(change, await loadOpsAccount(trx, req.params.accountId));
        }),
    );
    r.delete(
      '/accounts/:accountId/contacts/:email',
      { onRequest: canWrite, schema: { tags, summary: 'Remove a billing contact (billing:write)', security, headers: idempotencyHeaders, params: contactParams, response: writeResponses(opsAccountView) } },
      async (req, reply) =>
        idempotentWrite(services, req, reply, async (trx) => {
          const removed = await removeContact(trx, req.params, UNKNOWN_ACCOUNT);
          return written(removed ? 'removed' : 'absent', await loadOpsAccount(trx, req.params.accountId));
        }),
    );

    const domainParams = accountParams.extend({ domain: domainField });
    r.put(
      '/accounts/:accountId/domains/:domain',
      {
        onRequest: canWrite,
        schema: {
          tags,
          summary: 'Add a verified domain: any address at it may receive the account’s invoices (billing:write)',
          security,
          headers: idempotencyHeaders,
          params: domainParams,
          body: domainBody,
          response: writeResponses(opsAccountView),
        },
      },
      async (req, reply) =>
        idempotentWrite(services, req, reply, async (trx) => {
          const change = await putDomain(trx, { ...req.params, ...req.body }, UNKNOWN_ACCOUNT);
          return written(change, await loadOpsAccount(trx, req.params.accountId));
        }),
    );
    r.delete(
      '/accounts/:accountId/domains/:domain',
      { onRequest: canWrite, schema: { tags, summary: 'Remove a verified domain (billing:write)', security, headers: idempotencyHeaders, params: domainParams, response: writeResponses(opsAccountView) } },
      async (req, reply) =>
        idempotentWrite(services, req, reply, async (trx) => {
          const removed = await removeDomain(trx, req.params, UNKNOWN_ACCOUNT);
          return written(removed ? 'removed' : 'absent', await loadOpsAccount(trx, req.params.accountId));
        }),
    );
  };
