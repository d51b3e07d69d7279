import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { flagMessage, MAX_FEEDBACK_COMMENT_CHARS } from '../../agent/chat/feedback.js';
import type { Services } from '../../services.js';
import { requireSession } from '../auth.js';
import { errorResponses } from '../errors.js';
import { security } from './billing.js';

/**
 * Feedback on an answer (the widget's thumbs-down): registered under /v1/chat beside the
 * conversation routes, for the signed-in user's own conversations only. QA reads it through
 * GET /v1/ops/feedback (src/http/routes/ops/feedback.ts).
 */

const feedbackView = z
  .object({
    messageId: z.string(),
    conversationId: z.string(),
    comment: z.string().nullable().describe('as stored: card numbers removed'),
    commentRedacted: z.boolean().describe('card data was removed from the comment'),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .describe('MessageFeedback');

export const feedbackRoutes =
  (services: Services): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();

    r.post(
      '/conversations/:id/messages/:messageId/feedback',
      {
        // Spends the chat budget: a flag is one more thing a user sends in the conversation.
        config: { limit: 'chat' },
        schema: {
          tags: ['chat'],
          summary: "Thumbs-down on one of the assistant's answers, with an optional comment",
          description:
            'Only on an assistant message of your own conversation (404 otherwise, as for a missing one). Flagging the same answer again replaces the comment. Card numbers in the comment are removed before it is stored.',
          security,
          params: z.object({ id: z.uuid().describe('conversation id'), messageId: z.uuid().describe('the assistant message') }),
          body: z
            .object({
              comment: z
                .string()
                .max(MAX_FEEDBACK_COMMENT_CHARS, `must be at most ${MAX_FEEDBACK_COMMENT_CHARS} characters`)
                .optional()
                .describe('what was wrong with the answer (optional)'),
            })
            .strict(),
          response: { 200: feedbackView, ...errorResponses },
        },
      },
      async (req) => {
        const s = requireSession(req);
        const f = await flagMessage(services.db, s, req.params.id, req.params.messageId, req.body.comment ?? null);
        return {
          messageId: f.messageId,
          conversationId: f.conversationId,
          comment: f.comment,
          commentRedacted: f.commentRedacted,
          createdAt: f.createdAt.toISOString(),
          updatedAt: f.updatedAt.toISOString(),
        };
      },
    );
  };
