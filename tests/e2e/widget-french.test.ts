import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FIXTURE_ACCOUNTS } from '../../src/billing/fixture.js';
import type { Database } from '../../src/db/index.js';
import type { Locale } from '../../src/i18n/locales.js';
import { signSessionToken } from '../../src/identity/session.js';
import { describeWithBrowser } from '../helpers/browser.js';
import { freshDatabase } from '../helpers/db.js';
import { artifactPath, ask, launchBrowser, newPage, openWidget, runAxe, serious, startE2eApp, startHostServer, W, waitForAnswers, type E2eApp } from '../helpers/e2e.js';

/**
 * The widget in French (issue 13): the page's data-locale, else the token's `locale` claim, else
 * the browser's languages choose the widget's language; its chrome, card labels, status pills and
 * dates follow it, and the amounts are the server's, formatted for the locale the widget sends.
 * (The reply text follows the language of the message: not asserted here.)
 */

const T = 90_000;
const NBSP = '\u00a0';

/** The widget's chrome as shown, read from its shadow root. */
function chrome(page: Page) {
  return page.evaluate(() => {
    const root = document.querySelector('billing-assistant')!.shadowRoot!;
    const text = (sel: string) => root.querySelector(sel)?.textContent ?? null;
    const attr = (sel: string, name: string) => root.querySelector(sel)?.getAttribute(name) ?? null;
    return {
      lang: attr('.root', 'lang'),
      launcher: text('.launcher'),
      title: text('#ba-title'),
      close: attr('.panel-head button:last-child', 'aria-label'),
      placeholder: attr('textarea', 'placeholder'),
      send: text('.send'),
      intro: text('#ba-suggest-title'),
      suggestions: [...root.querySelectorAll('.suggestions .chip')].map((b) => b.textContent),
      footnote: text('.footnote'),
    };
  });
}

/** The invoice cards of the last answer: pill, facts (label → value). */
function invoiceCards(page: Page) {
  return page.evaluate(() => {
    const answers = [...document.querySelector('billing-assistant')!.shadowRoot!.querySelectorAll('.msg-assistant')];
    return [...(answers.at(-1)?.querySelectorAll<HTMLElement>('article[data-invoice]') ?? [])].map((c) => ({
      invoice: c.dataset['invoice'],
      label: c.getAttribute('aria-label'),
      pill: c.querySelector('.pill')?.textContent ?? null,
      facts: Object.fromEntries([...c.querySelectorAll('.facts .row')].map((r) => [r.querySelector('dt')?.textContent ?? '', r.querySelector('dd')?.textContent ?? ''])),
      actions: [...c.querySelectorAll('.actions a')].map((a) => [a.textContent, a.getAttribute('aria-label')]),
    }));
  });
}

describeWithBrowser('the widget in French (browser)', () => {
  let database: Database;
  let e2e: E2eApp;
  let browser: Browser;
  let host: Awaited<ReturnType<typeof startHostServer>>;
  const pages: Record<string, string> = {};

  /** A portal token for R10042's user, with a `locale` claim when given. */
  const tokenFor = (locale?: Locale) => {
    const fx = FIXTURE_ACCOUNTS.find((a) => a.id === 'R10042')!;
    return signSessionToken(e2e.config, { accountId: fx.id, userId: fx.user, userName: fx.userName, ...(locale ? { locale } : {}) });
  };

  /** A host page (another origin) embedding the widget with this token and data-locale. */
  const hostPage = (path: string, token: string, dataLocale?: string) => {
    pages[path] = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host</title><link rel="icon" href="data:,"></head>
<body><h1>Partner page</h1>
<script src="${e2e.baseUrl}/widget.js" data-token="${token}"${dataLocale ? ` data-locale="${dataLocale}"` : ''} defer></script></body></html>`;
    return `${host.origin}${path}`;
  };

  /** A fresh browser context (no stored conversation), optionally with other browser languages. */
  const freshPage = async (languages?: string[]) => {
    const context = await browser.createBrowserContext();
    const page = await newPage(context as unknown as Browser);
    if (languages) await page.evaluateOnNewDocument((l) => Object.defineProperty(navigator, 'languages', { get: () => l }), languages);
    return page;
  };

  beforeAll(async () => {
    database = await freshDatabase();
    host = await startHostServer(pages);
    e2e = await startE2eApp({ database, env: { CORS_ORIGINS: host.origin } });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await e2e?.close();
    await host?.close();
    await database?.close();
  });

  it(
    'data-locale="fr-CA" (over an English token and browser): French chrome, and cards with French labels, status pills, dates and amounts; the locale goes with each request',
    async () => {
      const page = await freshPage(['en-US']);
      const sent: Array<{ url: string; body: string | undefined; language: string | undefined }> = [];
      page.on('request', (r) => {
        if (r.url().startsWith(`${e2e.baseUrl}/v1/chat/`) && r.method() !== 'OPTIONS') sent.push({ url: r.url(), body: r.postData(), language: r.headers()['accept-language'] });
      });
      await page.goto(hostPage('/fr-page', await tokenFor('en-CA'), 'fr-CA'));
      await openWidget(page);
      expect(await chrome(page)).toEqual({
        lang: 'fr-CA',
        launcher: 'Assistant de facturation',
        title: 'Assistant de facturation',
        close: 'Fermer l’assistant de facturation',
        placeholder: 'Posez une question sur votre facturation…',
        send: 'Envoyer',
        intro: `Posez vos questions sur vos factures, vos paiements et votre solde. Essayez${NBSP}:`,
        suggestions: [
          `Quel est le solde de mon compte${NBSP}?`,
          'Montrez-moi la facture IN7654321',
          'Montrez-moi mes factures impayées',
          'Envoyez une copie PDF de IN7654321 par courriel à accounting@mycompany.com',
        ],
        footnote: 'Les paiements se font sur notre page de paiement sécurisée. Ne communiquez jamais les données de votre carte dans la conversation.',
      });

      // An English question: the cards still follow the page's locale.
      await ask(page, 'List my outstanding invoices');
      await waitForAnswers(page, 1);
      const cards = await invoiceCards(page);
      const byNumber = Object.fromEntries(cards.map((c) => [c.invoice, c]));
      expect(Object.keys(byNumber).sort()).toEqual(['IN7654320', 'IN7654321', 'IN7654322', 'IN7654323']);
      // Due 2026-11-20, five days before the fixture's today: overdue.
      expect(byNumber['IN7654321']).toMatchObject({ label: 'Facture IN7654321', pill: 'En retard' });
      expect(byNumber['IN7654321']!.facts).toMatchObject({ 'Émise le': '21 oct. 2026', Échéance: '20 nov. 2026' });
      // Overdue with a payment on it: both, in one French label.
      expect(byNumber['IN7654322']!.pill).toBe('En retard (partiellement payée)');
      expect(byNumber['IN7654320']!.pill).toBe('À payer');
      for (const c of cards) {
        expect(Object.keys(c.facts)).toEqual(['Émise le', 'Échéance', 'Total', 'Montant dû']);
        // Amounts as Intl writes them in fr-CA: "1 234,56 $" with no-break spaces.
        for (const v of [c.facts['Total'], c.facts['Montant dû']]) expect(v).toMatch(/^\d{1,3}(?:[\u00a0\u202f]\d{3})*,\d{2}\u00a0\$$/);
      }
      expect(byNumber['IN7654321']!.actions).toEqual([
        ['Voir', 'Voir la facture IN7654321'],
        ['Payer', 'Payer la facture IN7654321'],
      ]);
      expect(await page.$eval('billing-assistant >>> .list-total', (p) => p.textContent)).toMatch(/^Total dû\u00a0: \d[\d\u00a0\u202f]*,\d{2}\u00a0\$$/);

      // The balance card: its labels and a French plural.
      await ask(page, 'What is my current account balance?');
      await waitForAnswers(page, 2);
      const balance = await page.$eval('billing-assistant >>> .card-balance', (c) => ({
        title: c.querySelector('.card-title')?.textContent,
        facts: Object.fromEntries([...c.querySelectorAll('.facts .row')].map((r) => [r.querySelector('dt')?.textContent ?? '', r.querySelector('dd')?.textContent ?? ''])),
      }));
      expect(balance.title).toBe('Solde du compte');
      expect(Object.keys(balance.facts)).toEqual(['Impayé', 'En retard', 'Crédits non appliqués', 'Prochaine échéance', 'En date du']);
      expect(balance.facts['En retard']).toMatch(/ \(2 factures\)$/);
      expect(balance.facts['En date du']).toBe('25 nov. 2026');

      // Every chat request said which locale the page wants.
      const messages = sent.filter((s) => s.url.endsWith('/messages') && s.body);
      expect(messages.map((m) => JSON.parse(m.body!).locale)).toEqual(['fr-CA', 'fr-CA']);
      expect(sent.filter((s) => s.url.includes('/events')).every((s) => s.url.endsWith('/events?locale=fr-CA'))).toBe(true);
      expect(sent.filter((s) => s.language !== 'fr-CA')).toEqual([]);

      expect(serious(await runAxe(page))).toEqual([]);
      await page.screenshot({ path: artifactPath('widget-french-cards.png') });
      expect(page.errors).toEqual([]);
      await page.browserContext().close();
    },
    T,
  );

  it(
    "no data-locale: a fr-CA token's claim gives French (even in an English browser); data-locale en-CA wins over the claim",
    async () => {
      const page = await freshPage(['en-US', 'en']);
      await page.goto(hostPage('/claim', await tokenFor('fr-CA')));
      await openWidget(page);
      expect(await chrome(page)).toMatchObject({ lang: 'fr-CA', launcher: 'Assistant de facturation', send: 'Envoyer' });
      await ask(page, 'Show me invoice IN7654321');
      await waitForAnswers(page, 1);
      const [card] = await invoiceCards(page);
      expect(card).toMatchObject({ invoice: 'IN7654321', pill: 'En retard', facts: { Échéance: '20 nov. 2026' } });
      expect(page.errors).toEqual([]);

      const english = await freshPage(['fr-CA']);
      await english.goto(hostPage('/claim-but-english-page', await tokenFor('fr-CA'), 'en-CA'));
      await openWidget(english);
      expect(await chrome(english)).toMatchObject({ lang: 'en-CA', launcher: 'Billing Assistant', send: 'Send', placeholder: 'Ask about your billing…' });
      expect(english.errors).toEqual([]);
      await page.browserContext().close();
      await english.browserContext().close();
    },
    T,
  );

  it(
    'with neither data-locale nor a claim, the browser decides: French for fr-FR, English otherwise',
    async () => {
      const token = await tokenFor();
      for (const [languages, lang, launcher] of [
        [['fr-FR', 'en'], 'fr-CA', 'Assistant de facturation'],
        [['de-DE', 'en-GB', 'fr'], 'en-CA', 'Billing Assistant'],
      ] as const) {
        const page = await freshPage([...languages]);
        await page.goto(hostPage('/browser', token));
        await page.waitForSelector(W.launcher, { visible: true });
        expect(await chrome(page)).toMatchObject({ lang, launcher });
        expect(page.errors).toEqual([]);
        await page.browserContext().close();
      }
    },
    T,
  );
});
