import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { addContact, listContacts, listVerifiedDomains, MAX_CONTACTS_PER_ACCOUNT, removeContact, type AddContactFailure } from '../../mail/contacts.js';
import type { Services } from '../../services.js';
import { confirmRemoveBody, contactNotFoundBody, CONTACTS_PATH, contactsBody, EMPTY_FORM, formRefusedBody, type AddForm } from './contacts-pages.js';
import { CSRF_FIELD, formToken, formTokenMatches, fromOurPages } from './csrf.js';
import type { Locale } from '../../i18n/index.js';
import { t } from '../../i18n/index.js';
import type { RenderPortal } from './layout.js';
import type { PortalSession } from './session.js';

/**
 * The Contacts tab: the account's billing contacts and verified domains, with forms to add and
 * remove a contact under the same rules as the REST API (src/http/routes/contacts.ts): the same
 * addContact/removeContact, which validate, enforce the limit and audit every attempt. The forms
 * work without JavaScript: post, then redirect back to the list (or the list again, with what was
 * typed and the error, when an address is refused). Every POST is checked against cross-site
 * forgery (csrf.ts) before anything is read or changed.
 *
 *   GET  /portal/billing/contacts                 the list, the add form, the verified domains
 *   POST /portal/billing/contacts                 add (email, name, csrf)
 *   GET  /portal/billing/contacts/:id/remove      "Remove x?"
 *   POST /portal/billing/contacts/:id/remove      remove (confirm=yes, csrf); without confirm=yes: "Remove x?"
 */

/** The same limits as the API's body (an address is at most 254 characters, a name 120). */
const EMAIL_MAX = 254;
const NAME_MAX = 120;

// Lengths are checked in the handler, so a refused form comes back with what was typed.
const addBody = z.object({ [CSRF_FIELD]: z.string().max(500).optional(), email: z.string().max(2000).optional(), name: z.string().max(2000).optional() });
const removeBody = z.object({ [CSRF_FIELD]: z.string().max(500).optional(), confirm: z.string().max(10).optional() });
const contactParams = z.object({ id: z.string().max(20) });
const listQuery = z.object({ added: z.string().max(20).optional(), removed: z.enum(['1']).optional() });

/** The sentences a refused address gets: the API's rules, said for a person at a form. */
const ADD_ERRORS: Record<AddContactFailure, string> = {
  invalid_email: 'portal.contacts.errors.invalidEmail',
  exists: 'portal.contacts.errors.exists',
  limit: 'portal.contacts.errors.limit',
};

/** The form as typed, checked for what the page can say before the contacts service is asked. */
function readAddForm(body: z.infer<typeof addBody>, l: Locale): AddForm {
  const form: AddForm = { email: (body.email ?? '').trim(), name: (body.name ?? '').trim(), error: null };
  if (form.email === '') return { ...form, error: { field: 'email', message: t(l, 'portal.contacts.errors.missing') } };
  if (form.email.length > EMAIL_MAX) return { ...form, error: { field: 'email', message: t(l, 'portal.contacts.errors.emailTooLong', { max: EMAIL_MAX }) } };
  if (form.name.length > NAME_MAX) return { ...form, error: { field: 'name', message: t(l, 'portal.contacts.errors.nameTooLong', { max: NAME_MAX }) } };
  return form;
}

export const contactRoutes =
  (services: Services, sessionOf: (req: FastifyRequest) => PortalSession, render: RenderPortal, localeOf: (req: FastifyRequest) => Locale): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const { db, config } = services;
    const tokenOf = (session: PortalSession) => formToken(config.AUTH_JWT_SECRET, session.token);

    /** The list page: after a change (done), or with a refused form and its status. */
    async function listPage(req: FastifyRequest, reply: FastifyReply, o: { form?: AddForm; status?: number; addedId?: string; removed?: boolean }) {
      const session = sessionOf(req);
      const l = localeOf(req);
      const [contacts, domains] = await Promise.all([listContacts(db, session.accountId), listVerifiedDomains(db, session.accountId)]);
      const form = o.form ?? EMPTY_FORM;
      const added = o.addedId ? (contacts.find((c) => c.id === o.addedId) ?? null) : null;
      const title = t(l, 'portal.tabs.contacts');
      return render(req, reply, {
        title: form.error ? t(l, 'portal.contacts.errorTitle', { title }) : title,
        tab: 'contacts',
        body: contactsBody({ contacts, domains, formToken: tokenOf(session), form, done: { added, removed: o.removed === true } }, l),
        ...(o.status ? { status: o.status } : {}),
      });
    }

    /** The cross-site checks of a form post; on failure the 403 page is sent and false returned. */
    async function formAccepted(req: FastifyRequest, reply: FastifyReply, submitted: string | undefined): Promise<boolean> {
      const session = sessionOf(req);
      if (fromOurPages(req, config.publicBaseUrl) && formTokenMatches(config.AUTH_JWT_SECRET, session.token, submitted)) return true;
      req.log.warn({ alert: 'portal_form_refused', accountId: session.accountId, path: req.routeOptions.url }, 'portal form refused: cross-site checks failed');
      const l = localeOf(req);
      await render(req, reply, {
        title: t(l, 'portal.formRefused.title'),
        tab: 'contacts',
        body: formRefusedBody(l, { href: CONTACTS_PATH, label: t(l, 'portal.formRefused.backContacts') }),
        status: 403,
      });
      return false;
    }

    /** The account's contact with this id, or the 404 page (sent) and null. */
    const notFound = (req: FastifyRequest, reply: FastifyReply) =>
      render(req, reply, { title: t(localeOf(req), 'portal.contacts.notFound'), tab: 'contacts', body: contactNotFoundBody(localeOf(req)), status: 404 });

    /** "Remove x?" for the account's contact with this id (the 404 page when it has none). */
    async function confirmPage(req: FastifyRequest, reply: FastifyReply, id: string) {
      const session = sessionOf(req);
      const [contacts, domains] = await Promise.all([listContacts(db, session.accountId), listVerifiedDomains(db, session.accountId)]);
      const contact = contacts.find((c) => c.id === id);
      if (!contact) return notFound(req, reply);
      const l = localeOf(req);
      return render(req, reply, { title: t(l, 'portal.contacts.confirmTitle', { email: contact.email }), tab: 'contacts', body: confirmRemoveBody(contact, tokenOf(session), domains, l) });
    }

    r.get(CONTACTS_PATH, { schema: { hide: true, querystring: listQuery } }, async (req, reply) =>
      listPage(req, reply, { ...(req.query.added ? { addedId: req.query.added } : {}), removed: req.query.removed === '1' }),
    );

    r.post(CONTACTS_PATH, { config: { limit: 'contactWrites' }, schema: { hide: true, body: addBody } }, async (req, reply) => {
      if (!(await formAccepted(req, reply, req.body[CSRF_FIELD]))) return reply;
      const l = localeOf(req);
      const form = readAddForm(req.body, l);
      if (form.error) return listPage(req, reply, { form, status: 400 });
      const session = sessionOf(req);
      const out = await addContact(db, session, { email: form.email, name: form.name || null });
      if (!out.ok) return listPage(req, reply, { form: { ...form, error: { field: 'email', message: t(l, ADD_ERRORS[out.reason], { max: MAX_CONTACTS_PER_ACCOUNT }) } }, status: out.reason === 'invalid_email' ? 400 : 409 });
      req.log.info({ accountId: session.accountId, contactId: out.contact.id }, 'billing contact added (portal)');
      return reply.redirect(`${CONTACTS_PATH}?added=${encodeURIComponent(out.contact.id)}`, 303);
    });

    r.get(`${CONTACTS_PATH}/:id/remove`, { schema: { hide: true, params: contactParams } }, async (req, reply) => confirmPage(req, reply, req.params.id));

    r.post(`${CONTACTS_PATH}/:id/remove`, { config: { limit: 'contactWrites' }, schema: { hide: true, params: contactParams, body: removeBody } }, async (req, reply) => {
      if (!(await formAccepted(req, reply, req.body[CSRF_FIELD]))) return reply;
      const session = sessionOf(req);
      if (req.body.confirm !== 'yes') return confirmPage(req, reply, req.params.id);
      if (!(await removeContact(db, session, req.params.id))) return notFound(req, reply);
      req.log.info({ accountId: session.accountId, contactId: req.params.id }, 'billing contact removed (portal)');
      return reply.redirect(`${CONTACTS_PATH}?removed=1`, 303);
    });
  };
