import { formatDate } from '../../format/dates.js';
import { html, type Raw } from '../../format/html.js';
import { t, type Locale } from '../../i18n/index.js';
import { MAX_CONTACTS_PER_ACCOUNT, type Contact } from '../../mail/contacts.js';
import { rich } from '../page.js';
import { CSRF_FIELD } from './csrf.js';
import { cell, col, rowHead, stackedTable } from './pages.js';

/** The bodies of the Contacts tab (routes in contacts.ts), in the page's locale. Every value goes through html``. */

export const CONTACTS_PATH = '/portal/billing/contacts';
export const removePath = (id: string) => `${CONTACTS_PATH}/${encodeURIComponent(id)}/remove`;

/** What the add form shows again after a refused submission: what was typed, and why (a message already in the page's locale). */
export interface AddForm {
  email: string;
  name: string;
  error: { field: 'email' | 'name'; message: string } | null;
}

export const EMPTY_FORM: AddForm = { email: '', name: '', error: null };

export interface ContactsView {
  contacts: Contact[];
  domains: string[];
  formToken: string;
  form: AddForm;
  /** After a change (post/redirect/get): what was done. */
  done: { added: Contact | null; removed: boolean };
}

/** The date as a calendar day (YYYY-MM-DD) for formatDate. */
const day = (d: Date) => d.toISOString().slice(0, 10);

function contactRow(c: Contact, l: Locale): Raw {
  const added = c.createdBy ? t(l, 'portal.contacts.addedBy', { date: formatDate(day(c.createdAt), l), who: c.createdBy }) : t(l, 'portal.contacts.withAccount');
  return html`<tr role="row" data-contact="${c.email}">
    ${rowHead(html`<span class="email">${c.email}</span>`, 'wide')}
    ${cell(t(l, 'portal.contacts.name'), c.name ?? '—')}${cell(t(l, 'portal.contacts.addedCol'), added)}
    ${cell(null, html`<a class="button small secondary" href="${removePath(c.id)}">${t(l, 'portal.contacts.remove')}<span class="sr-only"> ${c.email}</span></a>`, 'wide act')}
  </tr>`;
}

function contactList(contacts: Contact[], l: Locale): Raw {
  if (contacts.length === 0) return html`<p class="empty">${t(l, 'portal.contacts.empty')}</p>`;
  const head = html`${col(t(l, 'portal.contacts.email'))}${col(t(l, 'portal.contacts.name'))}${col(t(l, 'portal.contacts.addedCol'))}${col(
    html`<span class="sr-only">${t(l, 'portal.contacts.remove')}</span>`,
  )}`;
  return stackedTable('contacts', t(l, 'portal.contacts.heading'), head, contacts.map((c) => contactRow(c, l)));
}

function doneNotice(done: ContactsView['done'], l: Locale): Raw {
  if (done.added) return html`<p class="done" role="status">${rich(l, 'portal.contacts.added', { email: html`<strong>${done.added.email}</strong>` })}</p>`;
  if (done.removed) return html`<p class="done" role="status">${t(l, 'portal.contacts.removed')}</p>`;
  return html``;
}

function field(o: { id: 'email' | 'name'; label: Raw | string; hint: string; value: string; error: AddForm['error']; attrs: Raw; locale: Locale }): Raw {
  const error = o.error?.field === o.id ? o.error.message : null;
  const describedBy = `${o.id}-hint${error ? ` ${o.id}-error` : ''}`;
  return html`<div class="form-row">
    <label for="${o.id}">${o.label}</label>
    <span class="hint" id="${o.id}-hint">${o.hint}</span>
    ${error ? html`<span class="error" id="${o.id}-error"><span class="sr-only">${t(o.locale, 'portal.contacts.errorPrefix')}</span>${error}</span>` : ''}
    <input id="${o.id}" name="${o.id}" value="${o.value}" aria-describedby="${describedBy}"${error ? html` aria-invalid="true"` : ''} ${o.attrs}>
  </div>`;
}

/** At the top of the page after a refused submission: what went wrong, linking to the field. */
function errorSummary(form: AddForm, l: Locale): Raw {
  if (!form.error) return html``;
  return html`<div class="error-summary" role="alert" aria-labelledby="error-title"><h2 id="error-title">${t(l, 'portal.contacts.notAdded')}</h2>
  <p><a href="#${form.error.field}">${form.error.message}</a></p></div>`;
}

function addForm(form: AddForm, token: string, count: number, l: Locale): Raw {
  return html`<h2 id="add">${t(l, 'portal.contacts.addHeading')}</h2>
<form method="post" action="${CONTACTS_PATH}" class="card-form" novalidate>
  <input type="hidden" name="${CSRF_FIELD}" value="${token}">
  ${field({
    id: 'email',
    label: t(l, 'portal.contacts.email'),
    hint: t(l, 'portal.contacts.emailHint'),
    value: form.email,
    error: form.error,
    attrs: html`type="email" autocomplete="email" spellcheck="false" required`,
    locale: l,
  })}
  ${field({
    id: 'name',
    label: html`${t(l, 'portal.contacts.name')} <span class="muted">${t(l, 'portal.contacts.optional')}</span>`,
    hint: t(l, 'portal.contacts.nameHint'),
    value: form.name,
    error: form.error,
    attrs: html`type="text" autocomplete="off"`,
    locale: l,
  })}
  <button class="button" type="submit">${t(l, 'portal.contacts.submit')}</button>
  <p class="muted">${t(l, 'portal.contacts.used', { count, max: MAX_CONTACTS_PER_ACCOUNT })}</p>
</form>`;
}

export function contactsBody(v: ContactsView, l: Locale): Raw {
  return html`<h2 class="sr-only">${t(l, 'portal.tabs.contacts')}</h2>
${errorSummary(v.form, l)}${doneNotice(v.done, l)}
<p>${t(l, 'portal.contacts.intro')}</p>
<h2>${t(l, 'portal.contacts.heading')}</h2>
${contactList(v.contacts, l)}
${addForm(v.form, v.formToken, v.contacts.length, l)}
<h2>${t(l, 'portal.contacts.domains')}</h2>
${
  v.domains.length === 0
    ? html`<p class="empty">${t(l, 'portal.contacts.domainsNone')}</p>`
    : html`<ul class="domains">${v.domains.map((d) => html`<li><strong>${d}</strong></li>`)}</ul>
<p class="muted">${t(l, 'portal.contacts.domainsNote')}</p>`
}`;
}

/** The verified domain an address is at (exactly, case-insensitive: the mail policy's rule), or null. */
export function verifiedDomainOf(email: string, domains: string[]): string | null {
  const at = email.lastIndexOf('@');
  const domain = at < 0 ? '' : email.slice(at + 1).toLowerCase();
  return domains.find((d) => d.toLowerCase() === domain) ?? null;
}

/** "Remove x?": the one step between the Remove link and the removal. */
export function confirmRemoveBody(c: Contact, token: string, domains: string[], l: Locale): Raw {
  const domain = verifiedDomainOf(c.email, domains);
  const effect = domain
    ? rich(l, 'portal.contacts.confirmEffectDomain', { domain: html`<strong>${domain}</strong>` })
    : c.name
      ? t(l, 'portal.contacts.confirmEffectNamed', { name: c.name })
      : t(l, 'portal.contacts.confirmEffect');
  return html`<nav class="crumbs" aria-label="${t(l, 'portal.invoice.breadcrumb')}"><ol>
  <li><a href="/portal/billing">${t(l, 'portal.layout.billing')}</a></li><li><a href="${CONTACTS_PATH}">${t(l, 'portal.tabs.contacts')}</a></li><li aria-current="page">${t(
    l,
    'portal.contacts.remove',
  )}</li>
</ol></nav>
<h2>${rich(l, 'portal.contacts.confirmTitle', { email: html`<span class="email">${c.email}</span>` })}</h2>
<p>${effect}</p>
<form method="post" action="${removePath(c.id)}" class="actions">
  <input type="hidden" name="${CSRF_FIELD}" value="${token}">
  <input type="hidden" name="confirm" value="yes">
  <button class="button danger" type="submit">${t(l, 'portal.contacts.confirmButton', { email: c.email })}</button>
  <a class="button secondary" href="${CONTACTS_PATH}">${t(l, 'portal.contacts.cancel')}</a>
</form>`;
}

export function contactNotFoundBody(l: Locale): Raw {
  return html`<h2>${t(l, 'portal.contacts.notFound')}</h2><p>${rich(l, 'portal.contacts.notFoundText', {
    link: html`<a href="${CONTACTS_PATH}">${t(l, 'portal.contacts.notFoundLink')}</a>`,
  })}</p>`;
}

/** A form refused by the cross-site request checks: nothing changed; `back` is where to reload from (a portal path). */
export function formRefusedBody(l: Locale, back: { href: string; label: string }): Raw {
  return html`<h2>${t(l, 'portal.formRefused.heading')}</h2>
<p>${t(l, 'portal.formRefused.text')}</p>
<p>${rich(l, 'portal.formRefused.again', { link: html`<a href="${back.href}">${back.label}</a>` })}</p>`;
}
