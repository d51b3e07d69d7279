import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Database } from '../../src/db/index.js';
import { describeWithBrowser } from '../helpers/browser.js';
import { freshDatabase } from '../helpers/db.js';
import { artifactPath, launchBrowser, newPage, startE2eApp, startHostServer, W, waitForAnswers, widgetState, type E2eApp } from '../helpers/e2e.js';

/**
 * The widget embedded in someone else's page (another origin, must-show 4): the host page has
 * hostile global CSS and a strict CSP (script-src and connect-src: our origin; style-src 'self'
 * only, so the widget cannot rely on inline <style>). The widget still looks right, talks to the
 * API through CORS, and leaves the host's styles exactly as they were.
 */

const T = 90_000;

const HOSTILE_CSS = `
* { all: unset; font-size: 40px !important; color: red !important; font-family: "Comic Sans MS", cursive !important; line-height: 3 !important; }
button { display: none !important; }
div, p, h1, section { display: block; }
head { display: none !important; }
billing-assistant, billing-assistant * { font-size: 60px !important; color: lime !important; }
`;

/** Every computed style of the host's own elements. */
function hostStyles(): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const sel of ['html', 'body', 'h1', 'p', 'a', 'button', 'input', '#box']) {
    const el = document.querySelector(sel);
    if (!el) continue;
    const cs = getComputedStyle(el);
    const props: Record<string, string> = {};
    for (let i = 0; i < cs.length; i++) {
      const name = cs.item(i);
      props[name] = cs.getPropertyValue(name);
    }
    out[sel] = props;
  }
  return out;
}

describeWithBrowser('widget on a hostile host page (browser)', () => {
  let database: Database;
  let e2e: E2eApp;
  let browser: Browser;
  let host: Awaited<ReturnType<typeof startHostServer>>;
  const pages: Record<string, string> = {};

  beforeAll(async () => {
    database = await freshDatabase();
    host = await startHostServer(pages);
    e2e = await startE2eApp({ database, env: { CORS_ORIGINS: host.origin } });
    pages['/hostile.css'] = HOSTILE_CSS;
    pages['/'] = `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'self' ${e2e.baseUrl}; connect-src 'self' ${e2e.baseUrl}; style-src 'self'; img-src 'self' data:">
<title>A reseller's own page</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/hostile.css">
</head><body>
<h1>Partner dashboard</h1>
<p>Some host text with <a href="#somewhere">a host link</a>.</p>
<button type="button">A host button</button>
<input aria-label="host field" value="host input">
<div id="box">A host box</div>
</body></html>`;
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await e2e?.close();
    await host?.close();
    await database?.close();
  });

  it(
    'looks right despite hostile global CSS, works across origins through CORS, and leaves the host styles unchanged',
    async () => {
      const page = await newPage(browser);
      const cspViolations: string[] = [];
      page.on('console', (m) => {
        if (/Content Security Policy|CORS/i.test(m.text())) cspViolations.push(m.text());
      });
      await page.goto(`${host.origin}/`);
      const before = await page.evaluate(hostStyles);
      expect(before['h1']!['color']).toBe('rgb(255, 0, 0)');
      expect(before['button']!['display']).toBe('none');

      // Embed: one script tag from our origin, with the portal token.
      const token = await e2e.token('R10042');
      await page.evaluate(
        (src, t) => {
          const s = document.createElement('script');
          s.src = src;
          s.dataset['token'] = t;
          document.body.append(s);
        },
        `${e2e.baseUrl}/widget.js`,
        token,
      );
      const launcher = await page.waitForSelector(W.launcher, { visible: true });
      const box = await launcher!.boundingBox();
      expect(box!.width).toBeGreaterThan(120);
      expect(box!.height).toBeGreaterThanOrEqual(44);
      expect(box!.height).toBeLessThan(70);
      // Bottom right of the viewport.
      expect(box!.x + box!.width).toBeGreaterThan(1280 - 40);
      expect(box!.y + box!.height).toBeGreaterThan(860 - 40);

      await launcher!.click();
      await page.waitForSelector(W.panel, { visible: true });
      const input = await page.waitForSelector(W.input, { visible: true });
      await input!.type('Show me invoice IN7654321');
      await page.keyboard.press('Enter');
      const [answer] = await waitForAnswers(page, 1);
      expect(answer!.invoices).toEqual(['IN7654321']);
      expect(answer!.text).toContain('1,234.56');

      const look = await page.evaluate(() => {
        const root = document.querySelector('billing-assistant')!.shadowRoot!;
        const style = (sel: string) => {
          const el = root.querySelector(sel)!;
          const cs = getComputedStyle(el);
          const r = el.getBoundingClientRect();
          return { display: cs.display, fontSize: cs.fontSize, color: cs.color, family: cs.fontFamily, lineHeight: cs.lineHeight, width: Math.round(r.width), height: Math.round(r.height) };
        };
        return {
          launcher: style('.launcher'),
          panel: style('.panel'),
          title: style('.panel-head h2'),
          userBubble: style('.msg-user .bubble'),
          answerBubble: style('.msg-assistant .bubble'),
          pay: style('article[data-invoice] a.btn-primary'),
          send: style('.send'),
          textarea: style('textarea'),
          styleElements: root.querySelectorAll('style').length,
          adopted: root.adoptedStyleSheets.length,
        };
      });
      // (inline-flex items of a flex container compute to flex.)
      expect(look.launcher).toMatchObject({ display: 'flex', fontSize: '15px', color: 'rgb(255, 255, 255)' });
      expect(look.panel).toMatchObject({ display: 'flex', fontSize: '14px', color: 'rgb(27, 36, 48)', width: 400 });
      expect(look.title).toMatchObject({ fontSize: '16px', color: 'rgb(255, 255, 255)' });
      expect(look.userBubble).toMatchObject({ fontSize: '14px', color: 'rgb(255, 255, 255)' });
      expect(look.answerBubble).toMatchObject({ fontSize: '14px', color: 'rgb(27, 36, 48)' });
      expect(look.answerBubble.family).toContain('system-ui');
      expect(look.answerBubble.lineHeight).not.toBe('42px');
      expect(look.pay).toMatchObject({ display: 'flex', color: 'rgb(255, 255, 255)' });
      expect(look.pay.height).toBeGreaterThanOrEqual(34);
      expect(look.send).toMatchObject({ display: 'flex' });
      expect(look.textarea.fontSize).toBe('14px');
      // Styles came from a constructed stylesheet, so style-src 'self' on the host was enough.
      expect(look).toMatchObject({ styleElements: 0, adopted: 1 });
      await page.screenshot({ path: artifactPath('widget-hostile-css.png') });

      // The host page is exactly as it was: same computed styles, no stylesheet added to it.
      const after = await page.evaluate(hostStyles);
      expect(after).toEqual(before);
      expect(await page.evaluate(() => [document.styleSheets.length, document.adoptedStyleSheets.length])).toEqual([1, 0]);
      // And the widget never touched the host's cookies or storage beyond its own keys.
      expect(await page.evaluate(() => Object.keys(localStorage).every((k) => k.startsWith('billing-assistant:v1:')))).toBe(true);

      expect(cspViolations).toEqual([]);
      expect(page.errors).toEqual([]);
      expect((await widgetState(page)).open).toBe(true);
      await page.close();
    },
    T,
  );

  it(
    'also starts from code: BillingAssistant.init({ apiBase, getToken }) with a token callback',
    async () => {
      // A fresh context: no conversation stored by the previous test.
      const context = await browser.createBrowserContext();
      const page = await newPage(context as unknown as Browser);
      await page.goto(`${host.origin}/`);
      const token = await e2e.token('R10042');
      await page.evaluate((src) => {
        const s = document.createElement('script');
        s.src = src;
        document.body.append(s);
        return new Promise((resolve) => s.addEventListener('load', resolve));
      }, `${e2e.baseUrl}/widget.js`);
      // No data-token: nothing mounts until the host calls init.
      expect(await page.$('billing-assistant')).toBeNull();
      await page.evaluate(
        (apiBase, t) => {
          let calls = 0;
          const w = window as unknown as { BillingAssistant: { init(o: object): { open(): void } }; tokenCalls: () => number };
          w.tokenCalls = () => calls;
          w.BillingAssistant.init({
            apiBase,
            getToken: async () => {
              calls++;
              return t;
            },
            open: true,
          });
        },
        e2e.baseUrl,
        token,
      );
      // Under a loaded machine the messages fetch and the first paint can be slow: wait longer, and
      // when it never opens, say what the page saw (its console, failed requests, the element's state).
      await page.waitForSelector(W.panel, { visible: true, timeout: 40_000 }).catch(async (err: unknown) => {
        const state = await page.evaluate(() => {
          const el = document.querySelector('billing-assistant');
          return el ? `mounted; shadow: ${el.shadowRoot?.innerHTML.slice(0, 300) ?? 'none'}` : 'not mounted';
        });
        throw new Error(`the panel never opened (${state}); page saw: ${JSON.stringify([...page.errors, ...page.warnings])}`, { cause: err });
      });
      const input = await page.waitForSelector(W.input, { visible: true });
      await input!.type('What is my current account balance?');
      await page.keyboard.press('Enter');
      const [answer] = await waitForAnswers(page, 1);
      expect(answer!.text).toContain('$2,494.96');
      expect(answer!.cardTypes).toEqual(['card card-balance']);
      expect(await page.evaluate(() => (window as unknown as { tokenCalls: () => number }).tokenCalls())).toBeGreaterThanOrEqual(1);
      expect(page.errors).toEqual([]);
      await context.close();
    },
    T,
  );

  it('CORS: listed origins only, never credentials; other origins get no CORS headers', async () => {
    const token = await e2e.token('R10042');
    const ok = await e2e.app.inject({
      method: 'OPTIONS',
      url: '/v1/chat/conversations',
      headers: { origin: host.origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    expect(ok.statusCode).toBe(204);
    expect(ok.headers['access-control-allow-origin']).toBe(host.origin);
    expect(ok.headers['access-control-allow-credentials']).toBeUndefined();
    expect(String(ok.headers['access-control-allow-headers']).toLowerCase()).toContain('authorization');

    const get = await e2e.app.inject({ url: '/v1/billing/balance', headers: { origin: host.origin, authorization: `Bearer ${token}` } });
    expect(get.headers['access-control-allow-origin']).toBe(host.origin);
    expect(get.headers['access-control-expose-headers']).toContain('Retry-After');

    for (const origin of ['http://evil.example', 'null', `${host.origin}.evil.example`]) {
      const pre = await e2e.app.inject({ method: 'OPTIONS', url: '/v1/chat/conversations', headers: { origin, 'access-control-request-method': 'POST' } });
      expect(pre.headers['access-control-allow-origin'], origin).toBeUndefined();
      const res = await e2e.app.inject({ url: '/v1/billing/balance', headers: { origin, authorization: `Bearer ${token}` } });
      expect(res.headers['access-control-allow-origin'], origin).toBeUndefined();
    }
    // Portal pages are same-origin only.
    const portal = await e2e.app.inject({ url: '/portal/sign-in', headers: { origin: host.origin } });
    expect(portal.headers['access-control-allow-origin']).toBeUndefined();
    const widget = await e2e.app.inject({ url: '/widget.js', headers: { origin: host.origin } });
    expect(widget.headers['access-control-allow-origin']).toBe(host.origin);
  });
});
