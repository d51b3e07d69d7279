import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { t, type Locale } from '../../i18n/index.js';
import type { Session } from '../../identity/session.js';
import { LinkError, MAX_LINK_TOKEN_LENGTH } from '../../links/signer.js';
import { MAX_USER_WORDS, userWords } from '../../mcp/call.js';
import { proposalByRef, settleProposal, type McpProposal } from '../../mcp/proposals.js';
import type { McpProposalStatus } from '../../db/schema.js';
import type { Services } from '../../services.js';
import { approvalFormPage, approvalMessagePage } from '../../web/mcp-approval-page.js';
import { CSRF_FIELD, formToken, formTokenMatches, fromOurPages } from '../../web/portal/csrf.js';
import { portalLocale, portalSession, type PortalSession } from '../../web/portal/session.js';
import { PAGE_HEADERS } from '../../web/routes.js';
import { mcpDeps } from './mcp.js';

/**
 * The approval page of a side effect proposed over MCP, for clients that cannot ask the person
 * themselves (no elicitation): the tool result carries a signed link to it.
 *
 *   GET  /portal/mcp/approvals/:token   what would be done, Approve / Decline
 *   POST /portal/mcp/approvals/:token   the decision (decision, csrf; words for a request to the team)
 *
 * The signed link names the account and the proposal and expires with it, but it passed through
 * the AI assistant: holding it is not enough. Deciding needs the portal session (an HttpOnly,
 * SameSite=Lax cookie only the person's browser has) of the very user the proposal was made for,
 * and the POST must carry that session's form token and come from our own pages (csrf.ts).
 * Anyone else (another user, another account, no session) learns nothing about the proposal.
 */

const FORM = 'application/x-www-form-urlencoded';
const params = z.object({ token: z.string().max(MAX_LINK_TOKEN_LENGTH) });
const body = z.object({
  [CSRF_FIELD]: z.string().max(500).optional(),
  decision: z.enum(['approve', 'decline']).optional(),
  words: z.string().max(MAX_USER_WORDS * 2).optional(),
});

/** What a decided proposal's page says (the full keys, for the catalogue test). */
const DECIDED: Record<Exclude<McpProposalStatus, 'pending'>, string> = {
  approved: 'mcp.approval.decided.approved',
  declined: 'mcp.approval.decided.declined',
  cancelled: 'mcp.approval.decided.cancelled',
  expired: 'mcp.approval.decided.expired',
};

export const mcpApprovalRoutes =
  (services: Services): FastifyPluginAsync =>
  async (app) => {
    const { config, links, db, registry } = services;
    const deps = mcpDeps(services, app.log);
    const dev = config.NODE_ENV !== 'production';
    const r = app.withTypeProvider<ZodTypeProvider>();
    if (!app.hasContentTypeParser(FORM)) {
      app.addContentTypeParser(FORM, { parseAs: 'string', bodyLimit: 16 * 1024 }, (_req, raw, done) => {
        done(null, Object.fromEntries(new URLSearchParams(String(raw))));
      });
    }

    // The portal session, when there is one, before the rate limit counts (per account, else per address).
    const sessions = new WeakMap<FastifyRequest, PortalSession>();
    app.addHook('onRequest', async (req) => {
      const s = await portalSession(config, req);
      if (!s) return;
      sessions.set(req, s);
      req.session = { accountId: s.accountId, userId: s.userId, userName: s.userName, locale: s.locale ?? null };
    });

    // The portal's language: its switch, then the token's claim, then Accept-Language.
    const localeOf = (req: FastifyRequest): Locale => portalLocale(req, sessions.get(req));
    const send = (reply: FastifyReply, status: number, pageHtml: string) => reply.code(status).headers(PAGE_HEADERS).send(pageHtml);
    const message = (reply: FastifyReply, status: number, locale: Locale, heading: string, text: string, o: { back?: boolean } = {}) =>
      send(reply, status, approvalMessagePage(locale, t(locale, heading), text, o));

    /** The proposal this link names, if it is the signed-in user's; otherwise the page saying why is sent and null returned. */
    async function load(req: FastifyRequest, token: string, reply: FastifyReply): Promise<{ session: PortalSession; proposal: McpProposal } | null> {
      const locale = localeOf(req);
      let claims;
      try {
        claims = links.verifyApproval(token);
      } catch (err) {
        if (!(err instanceof LinkError)) throw err;
        await message(reply, 403, locale, err.reason === 'expired' ? 'mcp.approval.linkExpiredHeading' : 'mcp.approval.invalidHeading', t(locale, 'mcp.approval.invalidText'));
        return null;
      }
      const session = sessions.get(req);
      if (!session) {
        if (dev && req.method === 'GET') await reply.redirect(`/portal/sign-in?next=${encodeURIComponent(req.url)}`, 303);
        else await message(reply, 401, locale, 'mcp.approval.signInHeading', t(locale, 'mcp.approval.signInText'), { back: false });
        return null;
      }
      const proposal = session.accountId === claims.accountId ? await proposalByRef(db, claims.accountId, claims.approvalRef) : null;
      if (!proposal || proposal.userId !== session.userId) {
        await message(reply, 404, locale, 'mcp.approval.notFoundHeading', t(locale, 'mcp.approval.notFoundText'));
        return null;
      }
      return { session, proposal };
    }

    const sessionOf = (s: PortalSession): Session => ({ accountId: s.accountId, userId: s.userId, userName: s.userName, locale: s.locale ?? null });

    function view(p: McpProposal, locale: Locale) {
      return registry.get(p.tool)?.approval?.describe(p.arguments as never, locale) ?? null;
    }

    function formPage(req: FastifyRequest, reply: FastifyReply, session: PortalSession, p: McpProposal, o: { status?: number; words?: string; wordsMissing?: boolean } = {}) {
      const locale = localeOf(req);
      const v = view(p, locale);
      if (!v) return message(reply, 404, locale, 'mcp.approval.notFoundHeading', t(locale, 'mcp.approval.notFoundText'));
      return send(
        reply,
        o.status ?? 200,
        approvalFormPage(locale, {
          summary: v.summary,
          accountId: p.accountId,
          expiresAt: p.expiresAt,
          asksForWords: v.action === 'follow_up',
          action: req.url.split('?')[0]!,
          formToken: formToken(config.AUTH_JWT_SECRET, session.token),
          timeZone: config.BILLING_TIME_ZONE,
          ...(o.words !== undefined ? { words: o.words } : {}),
          ...(o.wordsMissing ? { wordsMissing: true } : {}),
        }),
      );
    }

    /** A decided (or expired) proposal: what became of it. */
    function decidedPage(req: FastifyRequest, reply: FastifyReply, p: McpProposal, status: number) {
      const locale = localeOf(req);
      if (p.status === 'pending') return message(reply, status, locale, 'mcp.approval.expiredHeading', t(locale, 'mcp.approval.expiredText'));
      return message(reply, status, locale, 'mcp.approval.decidedHeading', t(locale, DECIDED[p.status]));
    }

    const expired = (p: McpProposal) => p.expiresAt.getTime() <= deps.now().getTime();

    r.get('/portal/mcp/approvals/:token', { schema: { hide: true, params } }, async (req, reply) => {
      const found = await load(req, req.params.token, reply);
      if (!found) return reply;
      const { session, proposal } = found;
      if (proposal.status !== 'pending' || expired(proposal)) return decidedPage(req, reply, proposal, 200);
      return formPage(req, reply, session, proposal);
    });

    r.post('/portal/mcp/approvals/:token', { config: { limit: 'chat' }, schema: { hide: true, params, body } }, async (req, reply) => {
      const found = await load(req, req.params.token, reply);
      if (!found) return reply;
      const { session, proposal } = found;
      const locale = localeOf(req);
      if (!fromOurPages(req, config.publicBaseUrl) || !formTokenMatches(config.AUTH_JWT_SECRET, session.token, req.body[CSRF_FIELD])) {
        req.log.warn({ alert: 'portal_form_refused', accountId: session.accountId, path: '/portal/mcp/approvals/:token' }, 'MCP approval refused: cross-site checks failed');
        return message(reply, 403, locale, 'mcp.approval.refusedHeading', t(locale, 'mcp.approval.refusedText'));
      }
      if (proposal.status !== 'pending') return decidedPage(req, reply, proposal, 409);
      const decision = req.body.decision;
      if (!decision) return formPage(req, reply, session, proposal, { status: 400 });
      const words = userWords(req.body.words);
      if (decision === 'approve' && view(proposal, locale)?.action === 'follow_up' && !words) {
        return formPage(req, reply, session, proposal, { status: 400, words: req.body.words ?? '', wordsMissing: true });
      }
      const settled = await settleProposal(deps, sessionOf(session), locale, proposal, decision === 'approve' ? { kind: 'approve', ...(words ? { userWords: words } : {}) } : { kind: 'decline' }, 'page');
      const p = settled.proposal;
      if (!settled.decidedNow || p.status === 'expired') return decidedPage(req, reply, p, 409);
      if (p.status === 'declined') return message(reply, 200, locale, 'mcp.approval.declinedHeading', t(locale, 'mcp.approval.declinedText'));
      if (!p.outcome?.ok) return message(reply, 200, locale, 'mcp.approval.failedHeading', p.outcome?.message ?? '');
      const tool = registry.get(p.tool);
      const said = tool?.approval?.done?.(p.outcome.result, locale);
      const fromTool = p.outcome.result['message'];
      return message(reply, 200, locale, 'mcp.approval.doneHeading', said ?? (typeof fromTool === 'string' ? fromTool : (view(p, locale)?.summary ?? '')));
    });
  };
