import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ConflictError, NotFoundError, ValidationError } from '../../errors.js';
import { addContact, listContacts, listVerifiedDomains, MAX_CONTACTS_PER_ACCOUNT, removeContact, type Contact } from '../../mail/contacts.js';
import type { Services } from '../../services.js';
import { requireSession } from '../auth.js';
import { errorBody, errorResponses } from '../errors.js';
import { security } from './billing.js';

/**
 * The account's billing contacts: where invoices may be emailed besides its verified domains.
 * Any signed-in user of the account may add any valid address: this is the remedy the assistant
 * points to when it refuses a recipient, and it is a deliberate act in the portal or the API by an
 * authenticated user, which the assistant itself cannot perform (no tool adds contacts). Each
 * contact records who added it.
 */

const contactView = z
  .object({
    id: z.string(),
    email: z.string(),
    name: z.string().nullable(),
    createdAt: z.string(),
    createdBy: z.string().nullable().describe('the portal user who added it; null for contacts set up with the account'),
  })
  .describe('BillingContact');

function view(c: Contact) {
  return { id: c.id, email: c.email, name: c.name, createdAt: c.createdAt.toISOString(), createdBy: c.createdBy };
}

export const contactRoutes =
  (services: Services): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const db = services.db;

    r.get(
      '/contacts',
      {
        schema: {
          tags: ['billing'],
          summary: "The account's billing contacts and verified domains (who invoices may be emailed to)",
          security,
          response: {
            200: z.object({
              items: z.array(contactView),
              verifiedDomains: z.array(z.string()).describe('any address at these domains may also receive invoices'),
            }),
            ...errorResponses,
          },
        },
      },
      async (req) => {
        const s = requireSession(req);
        const [items, verifiedDomains] = await Promise.all([listContacts(db, s.accountId), listVerifiedDomains(db, s.accountId)]);
        return { items: items.map(view), verifiedDomains };
      },
    );

    r.post(
      '/contacts',
      {
        // Who may receive invoices: changes are rare, so their budget is low (src/http/limits.ts).
        config: { limit: 'contactWrites' },
        schema: {
          tags: ['billing'],
          summary: 'Add a billing contact',
          description: `Any valid address may be added by a signed-in user of the account (at most ${MAX_CONTACTS_PER_ACCOUNT}). 409 when it is already a contact or the limit is reached.`,
          security,
          body: z
            .object({
              email: z.string().min(3).max(254).describe('one plain address, e.g. accounting@mycompany.com'),
              name: z.string().trim().max(120).nullable().optional(),
            })
            .strict(),
          response: { 201: contactView, ...errorResponses, 409: errorBody },
        },
      },
      async (req, reply) => {
        const s = requireSession(req);
        const out = await addContact(db, s, req.body);
        if (!out.ok) {
          if (out.reason === 'invalid_email') throw new ValidationError('body.email: not a valid email address (one plain address, such as name@yourcompany.com)');
          if (out.reason === 'exists') throw new ConflictError('That address is already a billing contact');
          throw new ConflictError(`An account can have at most ${MAX_CONTACTS_PER_ACCOUNT} billing contacts`);
        }
        req.log.info({ accountId: s.accountId, contactId: out.contact.id }, 'billing contact added');
        return reply.code(201).send(view(out.contact));
      },
    );

    r.delete(
      '/contacts/:contactId',
      {
        config: { limit: 'contactWrites' },
        schema: {
          tags: ['billing'],
          summary: 'Remove a billing contact',
          security,
          params: z.object({ contactId: z.string().max(20).describe('the id from GET /contacts') }),
          response: { 204: z.null().describe('removed'), ...errorResponses },
        },
      },
      async (req, reply) => {
        const s = requireSession(req);
        if (!(await removeContact(db, s, req.params.contactId))) throw new NotFoundError('Contact not found');
        req.log.info({ accountId: s.accountId, contactId: req.params.contactId }, 'billing contact removed');
        return reply.code(204).send(null);
      },
    );
  };
