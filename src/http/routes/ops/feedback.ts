import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { listFeedback, type FlaggedMessage } from '../../../agent/chat/feedback.js';
import { isAccountId } from '../../../identity/session.js';
import type { Services } from '../../../services.js';
import { errorResponses } from '../../errors.js';
import { auditAccount, opsSecurity as security, requireScope } from '../../ops-auth.js';

/**
 * Feedback for QA (scope 'feedback'; README "Evals for QA"): the answers users flagged with a
 * thumbs-down in the widget, with their conversation ids, ready for `npm run evals:capture --
 * --conversation <id>`. Operator tokens only (the /v1/ops scope refuses a reseller's token).
 */

const feedbackId = z.string().regex(/^[1-9][0-9]{0,17}$/, 'must be a feedback id (digits)');

const flaggedView = z
  .object({
    id: z.string().describe('the feedback id (digits)'),
    conversationId: z.string().describe('pass to npm run evals:capture -- --conversation'),
    messageId: z.string().describe('the flagged assistant message'),
    accountId: z.string(),
    comment: z.string().nullable().describe("the user's comment (card numbers removed), or null"),
    commentRedacted: z.boolean(),
    flaggedAt: z.string(),
    updatedAt: z.string().describe('when the comment last changed'),
    question: z.string().nullable().describe('the user message the answer replied to (null after an Approve/Decline button)'),
    answer: z.object({
      text: z.string(),
      createdAt: z.string(),
      status: z.string(),
      model: z.string().nullable(),
      promptVersion: z.string().nullable(),
    }),
  })
  .describe('FlaggedMessage');

function view(f: FlaggedMessage): z.infer<typeof flaggedView> {
  return {
    id: f.id.toString(),
    conversationId: f.conversationId,
    messageId: f.messageId,
    accountId: f.accountId,
    comment: f.comment,
    commentRedacted: f.commentRedacted,
    flaggedAt: f.createdAt.toISOString(),
    updatedAt: f.updatedAt.toISOString(),
    question: f.question,
    answer: { ...f.answer, createdAt: f.answer.createdAt.toISOString() },
  };
}

export const opsFeedbackRoutes =
  (services: Services): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();

    r.get(
      '/feedback',
      {
        config: { opsAction: 'ops.feedback.list' },
        schema: {
          tags: ['ops'],
          summary: 'Answers flagged with a thumbs-down in the widget (scope feedback)',
          description: "Newest first. Pass the answer's `nextCursor` as `cursor` for the next page; it is null on the last page.",
          security,
          querystring: z
            .object({
              accountId: z.string().refine(isAccountId, 'must be an account number').optional().describe('only this account'),
              limit: z.coerce.number().int().min(1).max(200).default(50).describe('page size, 1-200'),
              cursor: feedbackId.optional().describe("the previous page's nextCursor"),
            })
            .strict(),
          response: { 200: z.object({ items: z.array(flaggedView), nextCursor: z.string().nullable() }), ...errorResponses },
        },
      },
      async (req) => {
        requireScope(req, 'feedback');
        const { accountId, limit, cursor } = req.query;
        auditAccount(req, accountId);
        const page = await listFeedback(services.db, { limit, accountId, before: cursor === undefined ? undefined : BigInt(cursor) });
        return { items: page.items.map(view), nextCursor: page.next?.toString() ?? null };
      },
    );
  };
