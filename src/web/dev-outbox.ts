import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { getOutboxAttachment, listOutbox, type OutboxEntry } from '../mail/outbox.js';
import type { Services } from '../services.js';
import { html } from '../format/html.js';
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

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

function outboxRow(e: OutboxEntry) {
  return html`<tr>
        <td>${e.createdAt.toISOString().replace('T', ' ').slice(0, 19)}</td>
        <td>${e.to}</td>
        <td><details><summary>${e.subject}</summary><pre style="white-space:pre-wrap">${e.text}</pre></details></td>
        <td>${e.attachments.map((a) => html`<a href="${DEV_OUTBOX_PATH}/${e.id}/attachments/${a.position}">${a.filename}</a> <span class="muted">(${kb(a.sizeBytes)})</span><br>`)}</td>
      </tr>`;
}

function outboxBody(accountId: string, transport: string, entries: OutboxEntry[]) {
  return html`<main>
  <div class="panel">
    <h1>Outbox (development)</h1>
    <p class="muted">Mail "sent" for account ${accountId} by the local outbox transport, newest first (last 100). Other accounts' mail is not shown.
    ${transport === 'outbox' ? '' : html`<strong>Mail is currently sent through ${transport}, not this outbox.</strong>`}</p>
    ${
      entries.length === 0
        ? html`<p class="notice">Nothing yet. Ask the assistant: "Email a PDF copy of IN7654321 to accounting@mycompany.com".</p>`
        : html`<table>
      <thead><tr><th scope="col">When (UTC)</th><th scope="col">To</th><th scope="col">Subject</th><th scope="col">Attachments</th></tr></thead>
      <tbody>
      ${entries.map(outboxRow)}
      </tbody>
    </table>`
    }
    <p><a href="/portal/billing">Back to Billing</a></p>
  </div>
</main>`;
}

export const devOutboxRoutes =
  (services: Services, accountOf: AccountOf): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();

    r.get(DEV_OUTBOX_PATH, { schema: { hide: true } }, async (req, reply) => {
      const { accountId } = accountOf(req);
      const entries = await listOutbox(services.db, accountId, 100);
      return reply.headers(PAGE_HEADERS).send(page('Outbox (development)', outboxBody(accountId, services.mail.mailer.transport, entries)));
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
