import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { getOutboxAttachment, listOutbox } from '../mail/outbox.js';
import type { Services } from '../services.js';
import { html } from '../format/html.js';
import { page } from './page.js';
import { PAGE_HEADERS } from './routes.js';

/**
 * GET /dev/outbox: what the local outbox "sent" (development and test only; the app does not
 * register these routes in production, so they are a 404 there). Every account's mail is listed:
 * it is a developer's view of the demo, not a reseller page.
 */
export const devOutboxRoutes =
  (services: Services): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();

    r.get('/dev/outbox', { schema: { hide: true } }, async (_req, reply) => {
      const entries = await listOutbox(services.db, 100);
      const transport = services.mail.mailer.transport;
      const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
      const body = html`<main>
  <div class="panel">
    <h1>Outbox (development)</h1>
    <p class="muted">Mail "sent" by the local outbox transport, newest first (last 100). Stored in the database and on disk.
    ${transport === 'outbox' ? '' : html`<strong>Mail is currently sent through ${transport}, not this outbox.</strong>`}</p>
    ${
      entries.length === 0
        ? html`<p class="notice">Nothing yet. Ask the assistant: "Email a PDF copy of IN7654321 to accounting@mycompany.com".</p>`
        : html`<table>
      <thead><tr><th scope="col">When (UTC)</th><th scope="col">To</th><th scope="col">Subject</th><th scope="col">Attachments</th></tr></thead>
      <tbody>
      ${entries.map(
        (e) => html`<tr>
        <td>${e.createdAt.toISOString().replace('T', ' ').slice(0, 19)}</td>
        <td>${e.to}</td>
        <td><details><summary>${e.subject}</summary><pre style="white-space:pre-wrap">${e.text}</pre>${e.diskPath ? html`<p class="muted">On disk: ${e.diskPath}</p>` : ''}</details></td>
        <td>${e.attachments.map((a) => html`<a href="/dev/outbox/${e.id}/attachments/${a.position}">${a.filename}</a> <span class="muted">(${kb(a.sizeBytes)})</span><br>`)}</td>
      </tr>`,
      )}
      </tbody>
    </table>`
    }
  </div>
</main>`;
      return reply.headers(PAGE_HEADERS).send(page('Outbox (development)', body));
    });

    r.get(
      '/dev/outbox/:id/attachments/:position',
      { schema: { hide: true, params: z.object({ id: z.uuid(), position: z.coerce.number().int().min(0).max(100) }) } },
      async (req, reply) => {
        const a = await getOutboxAttachment(services.db, req.params.id, req.params.position);
        if (!a) return reply.code(404).send({ error: { code: 'not_found', message: 'Attachment not found' }, requestId: req.id });
        return reply
          .type(a.contentType)
          .header('content-disposition', `attachment; filename="${a.filename}"`)
          .header('x-content-type-options', 'nosniff')
          .header('cache-control', 'no-store')
          .send(a.content);
      },
    );
  };
