import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_ACCOUNTS } from '../../src/billing/fixture.js';
import { signSessionToken } from '../../src/identity/session.js';
import { formToken } from '../../src/web/portal/csrf.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

/**
 * The portal in French (issue 13, Must show 2 without a browser): which locale a portal page is in
 * (the language switch's choice, then the token's claim, then Accept-Language, then en-CA), the
 * switch itself (a CSRF-checked form post that keeps the choice and goes back to the same portal
 * page, never elsewhere), and the HTML error pages in the page's language.
 */

const NBSP = '\u00a0';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

describe('portal pages in en-CA and fr-CA', () => {
  let t: TestApp;
  let token: string;
  let csrf: string;

  const cookieFor = (tok: string, locale?: string) => `ba_portal=${tok}${locale ? `; ba_portal_locale=${locale}` : ''}`;
  const get = (url: string, headers: Record<string, string> = {}, tok = token) => t.app.inject({ method: 'GET', url, headers: { cookie: cookieFor(tok), ...headers } });
  const switchTo = (body: Record<string, string>, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url: '/portal/language', headers: { ...FORM, cookie: cookieFor(token), ...headers }, payload: new URLSearchParams(body).toString() });
  const h1 = (res: LightMyRequestResponse) => /<h1>([^<]*)<\/h1>/.exec(res.body)?.[1];
  const stat = (res: LightMyRequestResponse, name: string) => new RegExp(`data-stat="${name}">\\s*<dt>([^<]*)</dt>\\s*<dd><span class="value">([^<]*)</span>`).exec(res.body)?.slice(1);
  const setCookies = (res: LightMyRequestResponse) => [res.headers['set-cookie'] ?? []].flat().map(String);

  beforeAll(async () => {
    t = await createTestApp();
    const fx = FIXTURE_ACCOUNTS.find((a) => a.id === 'R10042')!;
    token = await signSessionToken(t.app.services.config, { accountId: fx.id, userId: fx.user, userName: fx.userName });
    csrf = formToken(t.app.services.config.AUTH_JWT_SECRET, token);
  });
  afterAll(async () => t.close());

  it('GET /portal/billing with Accept-Language: fr-CA is in French: Solde, amounts and dates through Intl, French statuses, lang and the widget follow', async () => {
    const res = await get('/portal/billing', { 'accept-language': 'fr-CA,fr;q=0.9,en;q=0.5' });
    expect(res.statusCode).toBe(200);
    const body = res.body;
    expect(body).toContain('<html lang="fr-CA">');
    expect(h1(res)).toBe('Facturation');
    expect(stat(res, 'balance')).toEqual(['Solde actuel', `2${NBSP}494,96${NBSP}$`]);
    expect(stat(res, 'overdue')).toEqual(['En retard', `1${NBSP}714,56${NBSP}$`]);
    expect(stat(res, 'next-due')).toEqual(['Prochaine échéance', '5 déc. 2026']);
    expect(body).toContain(`<title>Aperçu · Facturation · Portail des revendeurs</title>`);
    expect(body).toMatch(/status-overdue">En retard</);
    expect(body).toMatch(/status-overdue">En retard \(partiellement payée\)</);
    expect(body).toContain('<span class="sr-only"> la facture IN7654321</span>');
    expect(body).toContain('Factures impayées');
    expect(body).toContain(`data-locale="fr-CA"`);
    // The language switch: both languages named in their own, French marked current.
    expect(body).toMatch(/<button type="submit" name="locale" value="fr-CA" lang="fr-CA" aria-current="true">Français<\/button>/);
    expect(body).toMatch(/<button type="submit" name="locale" value="en-CA" lang="en-CA">English<\/button>/);
    // Pay Now opens the pay page in the portal's language (lang is not part of the signature).
    expect(body).toMatch(/href="http[^"]+\/pay\/v1\.[^"?]+\?lang=fr-CA"/);
    // Nothing English left in the page's own words.
    for (const english of ['Current balance', 'Overdue<', 'Next due', 'Pay Now', 'Outstanding invoices', 'Sign out', 'Skip to main content']) expect(body, english).not.toContain(english);
  });

  it('any French (fr, fr-FR) gets fr-CA; English, other languages and no header get en-CA', async () => {
    for (const header of ['fr', 'fr-FR', 'de-DE, fr;q=0.5']) expect(stat(await get('/portal/billing', { 'accept-language': header }), 'balance')?.[0], header).toBe('Solde actuel');
    for (const header of ['en-CA', 'en-US,en;q=0.9', 'de-DE', 'es, en;q=0.1', undefined]) {
      const res = await get('/portal/billing', header ? { 'accept-language': header } : {});
      expect(res.body, String(header)).toContain('<html lang="en-CA">');
      expect(stat(res, 'balance'), String(header)).toEqual(['Current balance', '$2,494.96']);
    }
  });

  it('the token’s locale claim beats Accept-Language; the switch’s choice beats both', async () => {
    const fx = FIXTURE_ACCOUNTS.find((a) => a.id === 'R10042')!;
    const french = await signSessionToken(t.app.services.config, { accountId: fx.id, userId: fx.user, userName: fx.userName, locale: 'fr-CA' });
    expect(stat(await get('/portal/billing', { 'accept-language': 'en-CA' }, french), 'balance')?.[0]).toBe('Solde actuel');
    const chosenEnglish = await t.app.inject({ url: '/portal/billing', headers: { cookie: cookieFor(french, 'en-CA'), 'accept-language': 'fr-CA' } });
    expect(stat(chosenEnglish, 'balance')?.[0]).toBe('Current balance');
    const chosenFrench = await t.app.inject({ url: '/portal/billing/invoices', headers: { cookie: cookieFor(token, 'fr-CA'), 'accept-language': 'en-CA' } });
    expect(chosenFrench.body).toContain('<html lang="fr-CA">');
    expect(chosenFrench.body).toMatch(/aria-current="page">Factures<\/a>/);
    // A value that is not one of our locales is ignored.
    const junk = await t.app.inject({ url: '/portal/billing', headers: { cookie: cookieFor(token, 'xx-YY'), 'accept-language': 'fr' } });
    expect(stat(junk, 'balance')?.[0]).toBe('Solde actuel');
  });

  it('every Billing page speaks French: invoices, payments, credits, an invoice, contacts', async () => {
    const fr = { cookie: cookieFor(token, 'fr-CA') };
    const invoices = await t.app.inject({ url: '/portal/billing/invoices', headers: fr });
    expect(invoices.body).toMatch(
      /data-invoice="IN7654321">[\s\S]*?data-label="Date">21 oct\. 2026<[\s\S]*?data-label="Échéance">20 nov\. 2026<[\s\S]*?data-label="Montant">1\u00a0234,56\u00a0\$<[\s\S]*?data-label="Solde dû">1\u00a0234,56\u00a0\$</,
    );
    expect(invoices.body).toMatch(/status-paid">Payée</);
    const payments = await t.app.inject({ url: '/portal/billing/payments', headers: fr });
    expect(payments.body).toContain('data-label="Mode de paiement">Chèque<');
    expect(payments.body).toContain('data-label="Mode de paiement">Carte de crédit<');
    const credits = await t.app.inject({ url: '/portal/billing/credits', headers: fr });
    expect(credits.body).toContain('Notes de crédit, les plus récentes d’abord');
    expect(credits.body).toMatch(/<a href="\/portal\/billing\/invoices\/IN7653310">IN7653310<\/a> le \d+ [a-zéû]+\.? 2026/);
    const invoice = await t.app.inject({ url: '/portal/billing/invoices/IN7654321', headers: fr });
    expect(invoice.body).toContain('<title>Facture IN7654321 · Facturation · Portail des revendeurs</title>');
    expect(invoice.body).toContain('Télécharger le PDF');
    // The invoice itself (the PDF's template) is in French too, with its phone labels.
    expect(invoice.body).toContain('Date de facturation');
    expect(invoice.body).toContain('Montant dû (CAD)');
    expect(invoice.body).toContain('"Prix unitaire"');
    expect(invoice.body).toMatch(/<a class="button" href="[^"]+\?lang=fr-CA">Payer<span class="sr-only"> la facture IN7654321<\/span><\/a>/);
    const contacts = await t.app.inject({ url: '/portal/billing/contacts', headers: fr });
    expect(contacts.body).toContain('Ajouter un contact de facturation');
    expect(contacts.body).toContain('Adresse courriel');
    // A refused address is explained in French, with what was typed kept.
    const refused = await t.app.inject({
      method: 'POST',
      url: '/portal/billing/contacts',
      headers: { ...FORM, ...fr },
      payload: new URLSearchParams({ csrf, email: 'not an address', name: 'Comptes' }).toString(),
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('<title>Erreur\u00a0: Contacts · Facturation · Portail des revendeurs</title>');
    expect(refused.body).toContain('Entrez une seule adresse courriel, par exemple comptesapayer@votreentreprise.com.');
    expect(refused.body).toContain('value="Comptes"');
    const missing = await t.app.inject({ url: '/portal/billing/invoices/IN0000001', headers: fr });
    expect(missing.statusCode).toBe(404);
    expect(missing.body).toContain('Facture introuvable');
  });

  describe('the language switch', () => {
    it('keeps the choice in the portal session and goes back to the same page, which then stays French across pages', async () => {
      const res = await switchTo({ csrf, locale: 'fr-CA', next: '/portal/billing/invoices?offset=0' }, { origin: 'null', 'sec-fetch-site': 'same-origin' });
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toBe('/portal/billing/invoices?offset=0');
      expect(setCookies(res)).toEqual(['ba_portal_locale=fr-CA; Path=/portal; HttpOnly; SameSite=Lax; Max-Age=28800']);
      for (const page of ['/portal/billing/invoices?offset=0', '/portal/billing/payments', '/portal/billing']) {
        const next = await t.app.inject({ url: page, headers: { cookie: cookieFor(token, 'fr-CA'), 'accept-language': 'en-CA' } });
        expect(next.body, page).toContain('<html lang="fr-CA">');
      }
      const back = await switchTo({ csrf, locale: 'en-CA', next: '/portal/billing/payments' });
      expect(back.statusCode).toBe(303);
      expect(back.headers.location).toBe('/portal/billing/payments');
      expect(setCookies(back)[0]).toMatch(/^ba_portal_locale=en-CA;/);
    });

    it('each page’s switch posts this session’s form token and that page’s own path', async () => {
      const res = await get('/portal/billing/credits?offset=0');
      const form = /<form class="lang" method="post" action="\/portal\/language"[^>]*>\s*<input type="hidden" name="csrf" value="([^"]+)">\s*<input type="hidden" name="next" value="([^"]+)">/.exec(res.body);
      expect(form?.slice(1)).toEqual([csrf, '/portal/billing/credits?offset=0']);
    });

    it('goes back only to a portal path: anything else goes to the Billing dashboard (no open redirect)', async () => {
      for (const next of ['https://evil.example/', '//evil.example', '/portal//evil.example', '/\\evil.example', '/portalx', '/portal/../v1/balance', 'javascript:alert(1)', '/portal/language', '']) {
        const res = await switchTo({ csrf, locale: 'fr-CA', next });
        expect(res.statusCode, next).toBe(303);
        expect(res.headers.location, next).toBe('/portal/billing');
      }
      const none = await switchTo({ csrf, locale: 'fr-CA' });
      expect(none.headers.location).toBe('/portal/billing');
    });

    it('refuses a post without this session’s form token, or from another site: 403 page, nothing kept', async () => {
      const other = await signSessionToken(t.app.services.config, { accountId: 'R10042', userId: 'someone@else.test' });
      const cases: Array<[string, Record<string, string>, Record<string, string>]> = [
        ['no token', { locale: 'fr-CA', next: '/portal/billing' }, {}],
        ['wrong token', { csrf: 'x'.repeat(43), locale: 'fr-CA', next: '/portal/billing' }, {}],
        ['another session’s token', { csrf: formToken(t.app.services.config.AUTH_JWT_SECRET, other), locale: 'fr-CA', next: '/portal/billing' }, {}],
        ['cross-site (Sec-Fetch-Site)', { csrf, locale: 'fr-CA', next: '/portal/billing' }, { 'sec-fetch-site': 'cross-site' }],
        ['same-site, other origin', { csrf, locale: 'fr-CA', next: '/portal/billing' }, { 'sec-fetch-site': 'same-site' }],
        ['another Origin', { csrf, locale: 'fr-CA', next: '/portal/billing' }, { origin: 'https://evil.example' }],
      ];
      for (const [what, body, headers] of cases) {
        const res = await switchTo(body, { 'accept-language': 'en-CA', ...headers });
        expect(res.statusCode, what).toBe(403);
        expect(res.headers.location, what).toBeUndefined();
        expect(setCookies(res), what).toEqual([]);
        expect(res.body, what).toContain('This form could not be accepted');
        expect(res.body, what).toContain('<a href="/portal/billing">Back to the page</a>');
      }
      // The refusal is in the page's own language.
      const fr = await switchTo({ locale: 'en-CA', next: '/portal/billing/credits' }, { 'accept-language': 'fr-CA' });
      expect(fr.statusCode).toBe(403);
      expect(fr.body).toContain('Ce formulaire n’a pas pu être accepté');
      expect(fr.body).toContain('<a href="/portal/billing/credits">Retour à la page</a>');
    });

    it('refuses a locale that is not ours (400, nothing kept), and needs a session', async () => {
      const bad = await switchTo({ csrf, locale: 'de-DE', next: '/portal/billing' });
      expect(bad.statusCode).toBe(400);
      expect(setCookies(bad)).toEqual([]);
      const signedOut = await t.app.inject({ method: 'POST', url: '/portal/language', headers: FORM, payload: 'locale=fr-CA&next=%2Fportal%2Fbilling' });
      expect(signedOut.statusCode).toBe(303);
      expect(signedOut.headers.location).toMatch(/^\/portal\/sign-in\?next=/);
      expect(setCookies(signedOut)).toEqual([]);
    });
  });

  it('signed-out pages follow the choice and Accept-Language too: the development sign-in page', async () => {
    const res = await t.app.inject({ url: '/portal/sign-in', headers: { 'accept-language': 'fr-CA' } });
    expect(res.body).toContain('<html lang="fr-CA">');
    expect(res.body).toContain('Connexion au portail des revendeurs');
    expect(res.body).toContain('Se connecter en tant que Jordan');
  });

  it('HTML error pages are in the page’s language; JSON API errors stay as they are', async () => {
    const portal404 = await get('/portal/nothing-here', { 'accept-language': 'fr-CA', accept: 'text/html' });
    expect(portal404.statusCode).toBe(404);
    expect(portal404.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(portal404.body).toContain('<html lang="fr-CA">');
    expect(portal404.body).toContain('<h1>Page introuvable</h1>');
    expect(portal404.body).toContain('<a href="/portal/billing">Facturation</a>');
    // On a portal path the switch's choice counts as well.
    const chosen = await t.app.inject({ url: '/portal/nothing-here', headers: { cookie: cookieFor(token, 'fr-CA'), 'accept-language': 'en-CA' } });
    expect(chosen.body).toContain('<h1>Page introuvable</h1>');
    const english = await get('/portal/nothing-here');
    expect(english.body).toContain('<h1>Page not found</h1>');

    const pay404 = await t.app.inject({ url: '/pay/x/y/z', headers: { 'accept-language': 'fr' } });
    expect(pay404.statusCode).toBe(404);
    expect(pay404.body).toContain('<h1>Page introuvable</h1>');
    expect(pay404.body).toContain('Demandez un nouveau lien de paiement à l’Assistant de facturation');
    const lang = await t.app.inject({ url: '/pay/x/y/z?lang=fr-CA', headers: { 'accept-language': 'en-CA' } });
    expect(lang.body).toContain('<h1>Page introuvable</h1>');
    const tooLong = await t.app.inject({ method: 'POST', url: '/pay/abc/checkout', headers: { ...FORM, 'accept-language': 'fr-CA' }, payload: `x=${'a'.repeat(5000)}` });
    expect(tooLong.statusCode).toBe(413);
    expect(tooLong.body).toContain('Le formulaire était trop volumineux');

    const api = await t.app.inject({ url: '/v1/nothing-here', headers: { 'accept-language': 'fr-CA' } });
    expect(api.statusCode).toBe(404);
    expect(api.headers['content-type']).toContain('application/json');
    expect(api.json()).toMatchObject({ error: { code: 'not_found', message: 'No route for GET /v1/nothing-here' } });
  });
});
