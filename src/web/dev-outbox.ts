import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { getOutboxAttachment, listOutbox, type OutboxEntry } from '../mail/outbox.js';
import type { Services } from '../services.js';
import { dateTimeFormatter } from '../format/dates.js';
import { html } from '../format/html.js';
import { t, type Locale } from '../i18n/index.js';
import { page } from './page.js';
import { PAGE_HEADERS } from './routes.js';

/**
 * GET /portal/dev/outbox: what the local outbox "sent" for the signed-in account (development and
 * test only). The portal registers these routes inside its signed-in scope, so they share its
 * session check (no session: to sign-in), and only outside production (a 404 there). Another
 * account's message is a 404, like a message that does not exist.
 */

export const DEV_OUTBOX_PATH = '/portal/dev/outbox';

/** The signed-in account of a request (the portal's session hook has run). */
export type AccountOf = (req: FastifyRequest) => { accountId: string };

// Attachment positions are small: an invoice email carries one PDF. Digits only, 0–99.
const attachmentParams = z.object({
  id: z.uuid(),
  position: z
    .string()
    .regex(/^(0|[1-9][0-9]?)$/)
    .transform(Number),
});

/** A size in kilobytes, through Intl ("12.3 kB", "12,3 ko"). */
const kb = (n: number, l: Locale) => new Intl.NumberFormat(l, { style: 'unit', unit: 'kilobyte', minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(n / 1024);

function outboxRow(e: OutboxEntry, l: Locale, when: (d: Date) => string) {
  return html`<tr>
        <td>${when(e.createdAt)}</td>
        <td>${e.to}</td>
        <td><details><summary>${e.subject}</summary><pre style="white-space:pre-wrap">${e.text}</pre></details></td>
        <td>${e.attachments.map((a) => html`<a href="${DEV_OUTBOX_PATH}/${e.id}/attachments/${a.position}">${a.filename}</a> <span class="muted">(${kb(a.sizeBytes, l)})</span><br>`)}</td>
      </tr>`;
}

function outboxBody(accountId: string, transport: string, entries: OutboxEntry[], l: Locale) {
  const when = dateTimeFormatter('UTC', l);
  return html`<main>
  <div class="panel">
    <h1>${t(l, 'portal.outbox.title')}</h1>
    <p class="muted">${t(l, 'portal.outbox.intro', { account: accountId })}
    ${transport === 'outbox' ? '' : html`<strong>${t(l, 'portal.outbox.otherTransport', { transport })}</strong>`}</p>
    ${
      entries.length === 0
        ? html`<p class="notice">${t(l, 'portal.outbox.empty')}</p>`
        : html`<table>
      <thead><tr><th scope="col">${t(l, 'portal.outbox.when')}</th><th scope="col">${t(l, 'portal.outbox.to')}</th><th scope="col">${t(l, 'portal.outbox.subject')}</th><th scope="col">${t(
        l,
        'portal.outbox.attachments',
      )}</th></tr></thead>
      <tbody>
      ${entries.map((e) => outboxRow(e, l, when))}
      </tbody>
    </table>`
    }
    <p><a href="/portal/billing">${t(l, 'portal.outbox.back')}</a></p>
  </div>
</main>`;
}

export const devOutboxRoutes =
  (services: Services, accountOf: AccountOf, localeOf: (req: FastifyRequest) => Locale): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();

    r.get(DEV_OUTBOX_PATH, { schema: { hide: true } }, async (req, reply) => {
      const { accountId } = accountOf(req);
      const entries = await listOutbox(services.db, accountId, 100);
      const l = localeOf(req);
      return reply.headers(PAGE_HEADERS).send(page(t(l, 'portal.outbox.title'), outboxBody(accountId, services.mail.mailer.transport, entries, l), { locale: l }));
    });

    r.get(`${DEV_OUTBOX_PATH}/:id/attachments/:position`, { schema: { hide: true, params: attachmentParams } }, async (req, reply) => {
      const { accountId } = accountOf(req);
      const a = await getOutboxAttachment(services.db, { accountId, outboxId: req.params.id, position: req.params.position });
      if (!a) return reply.code(404).send({ error: { code: 'not_found', message: 'Attachment not found' }, requestId: req.id });
      return reply
        .type(a.contentType)
        .header('content-disposition', `attachment; filename="${a.filename}"`)
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'no-store')
        .send(a.content);
    });
  };
