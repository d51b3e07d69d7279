import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { cardSchema } from '../../../tools/cards.js';
import type { TurnEvent } from '../../agent/types.js';
import { PayloadTooLargeError, ValidationError } from '../../errors.js';
import type { Services } from '../../services.js';
import { LOCALES } from '../../i18n/locales.js';
import { requireDisplaySession, requireSession } from '../auth.js';
import { errorBody, errorResponses } from '../errors.js';
import { openEventStream, sseComment, sseFrame } from '../sse.js';
import { security } from './billing.js';

const messageView = z.object({
  id: z.string(),
  role: z.enum(['user', 'assistant']),
  text: z.string(),
  cards: z.array(cardSchema),
  status: z.enum(['complete', 'error', 'cancelled']),
  createdAt: z.string(),
  promptVersion: z.string().nullable(),
  model: z.string().nullable(),
});
const replyView = z.object({
  id: z.string(),
  text: z.string(),
  cards: z.array(cardSchema),
  promptVersion: z.string(),
  model: z.string(),
});
const idParams = z.object({ id: z.uuid().describe('conversation id') });
const proposalParams = z.object({
  id: z.uuid().describe('conversation id'),
  proposalId: z.uuid().describe('the proposal on the confirm card'),
  decision: z.enum(['approve', 'decline']),
});

/** The page's locale for cards and labels (optional: else the token's, else Accept-Language). */
export const localeQuery = z.object({ locale: z.enum(LOCALES).optional().describe("the page's locale for cards and labels") }).strict();

const frame = (event: TurnEvent) => sseFrame(event.type, event);

export const chatRoutes =
  (services: Services): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const chat = services.chat;
    const maxChars = services.config.CHAT_MAX_MESSAGE_CHARS;

    r.post(
      '/conversations',
      {
        schema: {
          tags: ['chat'],
          summary: 'Start a conversation owned by the signed-in account and user',
          security,
          response: { 201: z.object({ id: z.string(), createdAt: z.string() }), ...errorResponses },
        },
      },
      async (req, reply) => {
        const s = requireSession(req);
        return reply.code(201).send(await chat.createConversation(s));
      },
    );

    r.get(
      '/conversations/:id/messages',
      {
        schema: {
          tags: ['chat'],
          summary: 'The conversation so far',
          security,
          params: idParams,
          response: { 200: z.object({ messages: z.array(messageView) }), ...errorResponses },
        },
      },
      async (req) => {
        const s = requireSession(req);
        return { messages: await chat.listMessages(s, req.params.id) };
      },
    );

    r.post(
      '/conversations/:id/messages',
      {
        // CHAT_RATE_LIMIT_PER_MINUTE per account, shared with the decisions below (src/http/limits.ts).
        config: { limit: 'chat' },
        schema: {
          tags: ['chat'],
          summary: 'Send a message; with Accept: text/event-stream the reply streams as server-sent events',
          description:
            'SSE events: text_delta, tool_started, tool_finished, card, error, completed. The completed event carries the final text (authoritative: it replaces the streamed deltas) and cards.',
          security,
          params: idParams,
          body: z
            .object({
              text: z.string().min(1, 'must not be empty').describe('the user message'),
              locale: z.enum(LOCALES).optional().describe("the page's locale for cards and labels (else the token's, else Accept-Language); the reply text follows the message's language"),
            })
            .strict(),
          response: { 200: replyView, 413: errorBody, ...errorResponses },
        },
      },
      async (req, reply) => {
        const s = requireDisplaySession(req, req.body.locale);
        const text = req.body.text.trim();
        if (text.length === 0) throw new ValidationError('body.text: must not be empty');
        if (text.length > maxChars) throw new PayloadTooLargeError(`text: messages are limited to ${maxChars} characters`);

        if (!(req.headers.accept ?? '').includes('text/event-stream')) {
          const res = await chat.sendMessage(s, req.params.id, text);
          return { id: res.id, text: res.text, cards: res.cards, promptVersion: res.promptVersion, model: res.model };
        }

        // Errors that have a status (404) must be answered before the stream opens.
        await chat.assertConversation(s, req.params.id);
        const stream = openEventStream(req, reply, services.config.corsOrigins);
        const write = (e: TurnEvent) => stream.send(e.type, e);
        stream.writeRaw(sseComment('stream open'));
        try {
          // The turn completes and is stored even if the client disconnects.
          await chat.sendMessage(s, req.params.id, text, write);
        } catch (err) {
          req.log.error({ err }, 'chat turn failed');
          write({ type: 'error', code: 'internal', message: 'Something went wrong on our side. Please try again.' });
        } finally {
          stream.end();
        }
      },
    );

    r.post(
      '/conversations/:id/proposals/:proposalId/:decision',
      {
        config: { limit: 'chat' },
        schema: {
          tags: ['chat'],
          summary: 'Approve or decline a proposed action (a confirm card); answered like a message, as JSON or server-sent events',
          description:
            'Checked against the proposal stored on the server: single-use (a second decision is 409), expiring (409 once expired), and only for the conversation and user it was made for (404 otherwise). Approving runs the stored action; the reply carries its receipt card.',
          security,
          params: proposalParams,
          querystring: localeQuery,
          response: { 200: replyView, ...errorResponses },
        },
      },
      async (req, reply) => {
        const s = requireDisplaySession(req, req.query.locale);
        const events: TurnEvent[] = [];
        // Decided before anything is sent, so a 404 or 409 is a plain error response.
        const res = await chat.decideProposal(s, req.params.id, req.params.proposalId, req.params.decision, (e) => events.push(e));
        const view = { id: res.id, text: res.text, cards: res.cards, promptVersion: res.promptVersion, model: res.model };
        if (!(req.headers.accept ?? '').includes('text/event-stream')) return view;
        openEventStream(req, reply, services.config.corsOrigins, { keepAlive: false }).end(events.map(frame).join(''));
        return reply;
      },
    );
  };
