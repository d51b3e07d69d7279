import { formatDate } from '../../format/dates.js';
import { html, type Raw } from '../../format/html.js';
import { MAX_CONTACTS_PER_ACCOUNT, type Contact } from '../../mail/contacts.js';
import { CSRF_FIELD } from './csrf.js';
import { cell, col, rowHead, stackedTable } from './pages.js';

/** The bodies of the Contacts tab (routes in contacts.ts). Every value goes through html``. */

export const CONTACTS_PATH = '/portal/billing/contacts';
export const removePath = (id: string) => `${CONTACTS_PATH}/${encodeURIComponent(id)}/remove`;

/** What the add form shows again after a refused submission: what was typed, and why. */
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

function contactRow(c: Contact): Raw {
  const added = c.createdBy ? `${formatDate(day(c.createdAt))} by ${c.createdBy}` : 'With the account';
  return html`<tr role="row" data-contact="${c.email}">
    ${rowHead(html`<span class="email">${c.email}</span>`, 'wide')}
    ${cell('Name', c.name ?? '—')}${cell('Added', added)}
    ${cell(null, html`<a class="button small secondary" href="${removePath(c.id)}">Remove<span class="sr-only"> ${c.email}</span></a>`, 'wide act')}
  </tr>`;
}

function contactList(contacts: Contact[]): Raw {
  if (contacts.length === 0) return html`<p class="empty">No billing contacts yet. Invoices can still be emailed to addresses at your verified domains.</p>`;
  const head = html`${col('Email address')}${col('Name')}${col('Added')}${col(html`<span class="sr-only">Remove</span>`)}`;
  return stackedTable('contacts', 'Billing contacts', head, contacts.map(contactRow));
}

function doneNotice(done: ContactsView['done']): Raw {
  if (done.added) return html`<p class="done" role="status"><strong>${done.added.email}</strong> is now a billing contact: invoices can be emailed to it.</p>`;
  if (done.removed) return html`<p class="done" role="status">The contact was removed: invoices are no longer emailed to that address (unless it is at a verified domain).</p>`;
  return html``;
}

function field(o: { id: 'email' | 'name'; label: Raw | string; hint: string; value: string; error: AddForm['error']; attrs: Raw }): Raw {
  const error = o.error?.field === o.id ? o.error.message : null;
  const describedBy = `${o.id}-hint${error ? ` ${o.id}-error` : ''}`;
  return html`<div class="form-row">
    <label for="${o.id}">${o.label}</label>
    <span class="hint" id="${o.id}-hint">${o.hint}</span>
    ${error ? html`<span class="error" id="${o.id}-error"><span class="sr-only">Error: </span>${error}</span>` : ''}
    <input id="${o.id}" name="${o.id}" value="${o.value}" aria-describedby="${describedBy}"${error ? html` aria-invalid="true"` : ''} ${o.attrs}>
  </div>`;
}

/** At the top of the page after a refused submission: what went wrong, linking to the field. */
function errorSummary(form: AddForm): Raw {
  if (!form.error) return html``;
  return html`<div class="error-summary" role="alert" aria-labelledby="error-title"><h2 id="error-title">The contact was not added</h2>
  <p><a href="#${form.error.field}">${form.error.message}</a></p></div>`;
}

function addForm(form: AddForm, token: string, count: number): Raw {
  return html`<h2 id="add">Add a billing contact</h2>
<form method="post" action="${CONTACTS_PATH}" class="card-form" novalidate>
  <input type="hidden" name="${CSRF_FIELD}" value="${token}">
  ${field({ id: 'email', label: 'Email address', hint: 'One address, such as payables@yourcompany.com.', value: form.email, error: form.error, attrs: html`type="email" autocomplete="email" spellcheck="false" required` })}
  ${field({ id: 'name', label: html`Name <span class="muted">(optional)</span>`, hint: 'Who reads this mailbox, for example "Accounts payable".', value: form.name, error: form.error, attrs: html`type="text" autocomplete="off"` })}
  <button class="button" type="submit">Add contact</button>
  <p class="muted">${count} of ${MAX_CONTACTS_PER_ACCOUNT} contacts used.</p>
</form>`;
}

export function contactsBody(v: ContactsView): Raw {
  return html`<h2 class="sr-only">Contacts</h2>
${errorSummary(v.form)}${doneNotice(v.done)}
<p>Invoices can be emailed, by you or by the Billing Assistant, to your billing contacts and to any address at your verified domains. Anyone signed in to this account can change the list; every change is recorded.</p>
<h2>Billing contacts</h2>
${contactList(v.contacts)}
${addForm(v.form, v.formToken, v.contacts.length)}
<h2>Verified domains</h2>
${
  v.domains.length === 0
    ? html`<p class="empty">No verified domains. Ask Randmar billing to verify your company's domain.</p>`
    : html`<ul class="domains">${v.domains.map((d) => html`<li><strong>${d}</strong></li>`)}</ul>
<p class="muted">Any address at these domains can receive invoices. Domains are verified by Randmar billing.</p>`
}`;
}

/** The verified domain an address is at (exactly, case-insensitive: the mail policy's rule), or null. */
export function verifiedDomainOf(email: string, domains: string[]): string | null {
  const at = email.lastIndexOf('@');
  const domain = at < 0 ? '' : email.slice(at + 1).toLowerCase();
  return domains.find((d) => d.toLowerCase() === domain) ?? null;
}

/** "Remove x?": the one step between the Remove link and the removal. */
export function confirmRemoveBody(c: Contact, token: string, domains: string[]): Raw {
  const domain = verifiedDomainOf(c.email, domains);
  const effect = domain
    ? html`This address is at your verified domain <strong>${domain}</strong>, so invoices can still be emailed to it after it is removed from the list.`
    : html`Invoices will no longer be emailed to this address${c.name ? html` (${c.name})` : ''}, by you or by the Billing Assistant. You can add it again later.`;
  return html`<nav class="crumbs" aria-label="Breadcrumb"><ol>
  <li><a href="/portal/billing">Billing</a></li><li><a href="${CONTACTS_PATH}">Contacts</a></li><li aria-current="page">Remove</li>
</ol></nav>
<h2>Remove <span class="email">${c.email}</span>?</h2>
<p>${effect}</p>
<form method="post" action="${removePath(c.id)}" class="actions">
  <input type="hidden" name="${CSRF_FIELD}" value="${token}">
  <input type="hidden" name="confirm" value="yes">
  <button class="button danger" type="submit">Remove ${c.email}</button>
  <a class="button secondary" href="${CONTACTS_PATH}">Cancel</a>
</form>`;
}

export function contactNotFoundBody(): Raw {
  return html`<h2>Contact not found</h2><p>It may have been removed already. See <a href="${CONTACTS_PATH}">the billing contacts</a>.</p>`;
}

/** A form refused by the cross-site request checks: nothing changed. */
export function formRefusedBody(): Raw {
  return html`<h2>This form could not be accepted</h2>
<p>It did not come from this page of the portal, or it is from an earlier sign-in. Nothing was changed.</p>
<p><a href="${CONTACTS_PATH}">Back to Contacts</a>: reload the page and try again.</p>`;
}
