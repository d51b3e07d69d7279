import type { ToolContext } from '../../../tools/types.js';
import type { Session } from '../../identity/session.js';
import type { ChatDeps } from './types.js';
import { DEFAULT_LOCALE } from '../../i18n/locales.js';

/** What a tool sees: the session, the conversation, the user's words and request when there are some. */
export function toolContext(deps: ChatDeps, session: Session, conversationId: string, userText?: string, request?: ToolContext['request']): ToolContext {
  return {
    session,
    conversationId,
    clock: deps.clock,
    billing: deps.billing,
    links: deps.links,
    extras: { ...(deps.extras ?? {}), ...(userText !== undefined ? { userText } : {}) },
    ...(deps.mail ? { mail: deps.mail } : {}),
    ...(request ? { request } : {}),
    locale: session.locale ?? DEFAULT_LOCALE,
  };
}
