import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { mapPage, pageView } from '../../billing/views.js';
import { FOLLOW_UP_TOPICS, type FollowUp } from '../../followups/service.js';
import type { Services } from '../../services.js';
import { requireSession } from '../auth.js';
import { errorResponses } from '../errors.js';
import { pagingQuery, security } from './billing.js';

/**
 * The account's follow-ups: requests the assistant handed to the accounts-receivable team
 * (created through the assistant's requestBillingFollowUp tool; the team replies by email).
 */

const followUpView = z
  .object({
    reference: z.string().describe('e.g. FU-000042; quote it to the accounts-receivable team'),
    topic: z.enum(FOLLOW_UP_TOPICS),
    invoiceNumber: z.string().nullable(),
    status: z.enum(['open', 'closed']),
    requestedBy: z.string().describe('the portal user who asked'),
    userWords: z.string().describe("the user's request in their own words"),
    createdAt: z.string(),
    notified: z.boolean().describe('whether the team has been emailed yet'),
    notifiedAt: z.string().nullable(),
  })
  .describe('FollowUp');

function view(f: FollowUp): z.infer<typeof followUpView> {
  return {
    reference: f.reference,
    topic: f.topic,
    invoiceNumber: f.invoiceNumber,
    status: f.status,
    requestedBy: f.userId,
    userWords: f.userWords,
    createdAt: f.createdAt.toISOString(),
    notified: f.notifiedAt !== null,
    notifiedAt: f.notifiedAt?.toISOString() ?? null,
  };
}

export const followUpRoutes =
  (services: Services): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const followUps = services.followUps;

    r.get(
      '/follow-ups',
      {
        schema: {
          tags: ['billing'],
          summary: 'Requests passed to the accounts-receivable team, newest first',
          security,
          querystring: z.object(pagingQuery).strict(),
          response: { 200: pageView(followUpView), ...errorResponses },
        },
      },
      async (req) => {
        const s = requireSession(req);
        return mapPage(await followUps.list(s.accountId, req.query), view);
      },
    );
  };
