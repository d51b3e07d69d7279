import { dateTimeFormatter } from '../format/dates.js';
import { html, raw, type Raw } from '../format/html.js';
import { t, type Locale } from '../i18n/index.js';
import { page } from './page.js';
import { CSRF_FIELD } from './portal/csrf.js';

/**
 * The approval page of a side effect an AI assistant proposed over MCP (the route is
 * src/http/routes/mcp-approvals.ts): what would be done, and Approve / Decline for the signed-in
 * person, in a form carrying the session's form token. No script; works without JavaScript.
 */

const APPROVAL_CSS = `
  .request { font-size:1.1rem; font-weight:600; border-left:4px solid var(--brand); background:#eef5fc; padding:.75rem 1rem; border-radius:6px; overflow-wrap:anywhere; }
  .choices { display:flex; flex-wrap:wrap; gap:.75rem; margin:1.25rem 0 0; }
  .field { display:grid; gap:.3rem; margin:1rem 0 0; }
  .field label { font-weight:600; }
  .field textarea { font:inherit; padding:.55rem .7rem; border:1px solid #8a95a3; border-radius:8px; width:100%; min-height:7rem; }
  .field textarea:focus-visible { outline:3px solid #ffbf47; outline-offset:1px; }
  .field .error { color:var(--bad); font-weight:600; }
  .result { overflow-wrap:anywhere; }
`;

export interface ApprovalFormView {
  /** One sentence: what approving does. */
  summary: string;
  accountId: string;
  expiresAt: Date;
  /** A request to the accounts-receivable team: the person writes it here, in their own words. */
  asksForWords: boolean;
  /** Where the form posts (this page's own URL). */
  action: string;
  formToken: string;
  timeZone: string;
  /** What was typed when the form comes back with an error. */
  words?: string;
  wordsMissing?: boolean;
}

function shell(locale: Locale, heading: string, body: Raw): string {
  const head = html`<style>${raw(APPROVAL_CSS)}</style><link rel="icon" href="data:,">`;
  return page(`${heading} · ${t(locale, 'mcp.approval.title')}`, html`<main><div class="panel"><h1>${heading}</h1>${body}</div></main>`, { head, locale });
}

const back = (locale: Locale) => html`<p class="back-links"><a href="/portal/billing">${t(locale, 'mcp.approval.back')}</a></p>`;

export function approvalFormPage(locale: Locale, v: ApprovalFormView): string {
  const when = dateTimeFormatter(v.timeZone, locale)(v.expiresAt);
  const words = v.asksForWords
    ? html`<div class="field">
        <label for="words">${t(locale, 'mcp.approval.wordsLabel')}</label>
        <span class="muted" id="words-hint">${t(locale, 'mcp.approval.wordsHint')}</span>
        ${v.wordsMissing ? html`<span class="error" id="words-error">${t(locale, 'mcp.approval.wordsMissing')}</span>` : ''}
        <textarea id="words" name="words" maxlength="2000" aria-describedby="words-hint${v.wordsMissing ? ' words-error' : ''}"${raw(v.wordsMissing ? ' aria-invalid="true"' : '')}>${v.words ?? ''}</textarea>
      </div>`
    : '';
  const body = html`<p>${t(locale, 'mcp.approval.intro', { account: v.accountId })}</p>
    <p class="request">${v.summary}</p>
    <p>${t(locale, 'mcp.approval.onlyYou')}</p>
    <p class="muted">${t(locale, 'mcp.approval.expires', { time: when })}</p>
    <form method="post" action="${v.action}">
      <input type="hidden" name="${CSRF_FIELD}" value="${v.formToken}">
      ${words}
      <div class="choices">
        <button class="button" type="submit" name="decision" value="approve">${t(locale, 'mcp.approval.approve')}</button>
        <button class="button secondary" type="submit" name="decision" value="decline" formnovalidate>${t(locale, 'mcp.approval.decline')}</button>
      </div>
    </form>`;
  return shell(locale, t(locale, 'mcp.approval.heading'), body);
}

/** A page that says one thing (done, declined, expired, not valid…), with the way back to Billing. */
export function approvalMessagePage(locale: Locale, heading: string, text: string, o: { back?: boolean } = {}): string {
  return shell(locale, heading, html`<p class="result">${text}</p>${o.back === false ? '' : back(locale)}`);
}
