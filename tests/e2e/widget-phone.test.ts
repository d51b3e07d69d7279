import http from 'node:http';
import type net from 'node:net';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Database } from '../../src/db/index.js';
import { buildWidget, widgetMessages } from '../../src/web/widget-bundle.js';
import { describeWithBrowser } from '../helpers/browser.js';
import { freshDatabase } from '../helpers/db.js';
import { artifactPath, ask, launchBrowser, newPage, runAxe, serious, startE2eApp, startHostServer, W, waitForAnswers, type E2eApp } from '../helpers/e2e.js';

/**
 * The widget on phones (issue 12): from 320 to 430 px wide, and on its side, the launcher is on
 * screen, the open panel is a full-screen sheet with a close button, nothing scrolls sideways,
 * the composer stays in view when the keyboard takes half the height, and axe finds nothing
 * serious; at 1280 × 800 the desktop panel is where it was. Then the answers' markdown subset,
 * rendered by the built bundle in a page under Trusted Types, against hostile text from a
 * stand-in API.
 */

const T = 90_000;
const PHONES = [
  { width: 390, height: 844, shot: 'widget-phone.png' },
  { width: 320, height: 640, shot: 'widget-phone-320.png' },
  { width: 430, height: 932, shot: 'widget-phone-430.png' },
  // A phone on its side: wide, but too short for the floating panel.
  { width: 844, height: 390, shot: 'widget-phone-landscape.png' },
];
const PHONE = { isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

/** A host page made for phones: viewport meta with viewport-fit=cover, the one-tag embed. */
function hostPage(widgetSrc: string, token: string, extra = ''): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<title>A reseller's page</title><link rel="icon" href="data:,">
</head><body>
<main><h1>Partner dashboard</h1>
<p>${'Some host text that fills the page. '.repeat(30)}</p>${extra}</main>
<script src="${widgetSrc}" data-token="${token}" defer></script>
</body></html>`;
}

type Box = { left: number; top: number; right: number; bottom: number; width: number; height: number };

interface Layout {
  /** What is on screen: the visual viewport, in the same coordinates as the boxes. */
  screen: Box;
  scrollWidth: number;
  clientWidth: number;
  open: boolean;
  focused: string | null;
  launcher: Box | null;
  panel: Box | null;
  close: Box | null;
  input: Box | null;
  send: Box | null;
}

/** Where the widget's parts are (null when not rendered) and whether the document scrolls sideways. */
function layout(page: Page): Promise<Layout> {
  return page.evaluate(() => {
    const root = document.querySelector('billing-assistant')!.shadowRoot!;
    const box = (sel: string) => {
      const r = root.querySelector(sel)?.getBoundingClientRect();
      return r && r.width > 0 && r.height > 0 ? { left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: r.width, height: r.height } : null;
    };
    const vv = window.visualViewport!;
    return {
      screen: { left: vv.offsetLeft, top: vv.offsetTop, right: vv.offsetLeft + vv.width, bottom: vv.offsetTop + vv.height, width: vv.width, height: vv.height },
      scrollWidth: document.documentElement.scrollWidth,
      clientWidth: document.documentElement.clientWidth,
      open: !root.querySelector<HTMLElement>('.panel')!.hidden,
      focused: root.activeElement?.id ?? null,
      launcher: box('.launcher'),
      panel: box('.panel'),
      close: box('.panel-head button[aria-label="Close the billing assistant"]'),
      input: box('textarea'),
      send: box('.send'),
    };
  });
}

/** Every edge of `inner` within `outer` (half a pixel of rounding allowed). */
function expectInside(inner: Box | null, outer: Box, what: string): void {
  expect(inner, `${what} is not rendered`).not.toBeNull();
  const b = inner!;
  expect(b.left, `${what} left`).toBeGreaterThanOrEqual(outer.left - 0.5);
  expect(b.top, `${what} top`).toBeGreaterThanOrEqual(outer.top - 0.5);
  expect(b.right, `${what} right`).toBeLessThanOrEqual(outer.right + 0.5);
  expect(b.bottom, `${what} bottom`).toBeLessThanOrEqual(outer.bottom + 0.5);
}

describeWithBrowser('widget on phones (browser)', () => {
  let database: Database;
  let e2e: E2eApp;
  let browser: Browser;
  let host: Awaited<ReturnType<typeof startHostServer>>;
  const pages: Record<string, string> = {};

  beforeAll(async () => {
    database = await freshDatabase();
    host = await startHostServer(pages);
    e2e = await startE2eApp({ database, env: { CORS_ORIGINS: host.origin } });
    const token = await e2e.token('R10042');
    pages['/'] = hostPage(`${e2e.baseUrl}/widget.js`, token);
    // A host page wider than the phone (its own table does not fit): the widget still stays on screen.
    pages['/wide'] = hostPage(`${e2e.baseUrl}/widget.js`, token, '<table style="width:700px;border:1px solid"><tr><td>A host table wider than the phone</td></tr></table>');
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await e2e?.close();
    await host?.close();
    await database?.close();
  });

  /** The host page in a fresh context (no stored conversation) at a phone's size, touch and all. */
  async function phone(size: { width: number; height: number }, path = '/'): Promise<Page & { errors: string[] }> {
    const context = await browser.createBrowserContext();
    const page = await newPage(context as unknown as Browser, { width: size.width, height: size.height, ...PHONE } as never);
    await page.goto(`${host.origin}${path}`);
    await page.waitForSelector(W.launcher, { visible: true });
    return page;
  }

  async function tapLauncher(page: Page): Promise<void> {
    await (await page.waitForSelector(W.launcher, { visible: true }))!.tap();
    await page.waitForSelector(W.panel, { visible: true });
  }

  for (const size of PHONES) {
    it(
      `${size.width} × ${size.height}: the launcher on screen, the open panel a full-screen sheet with a close button, no sideways scroll, axe clean`,
      async () => {
        const page = await phone(size);
        const closed = await layout(page);
        expect(closed.screen).toMatchObject({ width: size.width, height: size.height });
        expectInside(closed.launcher, closed.screen, 'launcher');
        expect(closed.launcher!.height).toBeGreaterThanOrEqual(44);
        expect(closed.scrollWidth).toBeLessThanOrEqual(closed.clientWidth);
        if (size.width === 390) await page.screenshot({ path: artifactPath('widget-phone-closed.png') });

        await tapLauncher(page);
        const open = await layout(page);
        expect(open.open).toBe(true);
        expectInside(open.panel, open.screen, 'panel');
        // The whole screen: a sheet, not a floating box.
        expect(open.panel!.width).toBeCloseTo(size.width, 0);
        expect(open.panel!.height).toBeCloseTo(size.height, 0);
        expectInside(open.close, open.screen, 'close button');
        expect(open.close!.width).toBeGreaterThanOrEqual(24);
        expectInside(open.input, open.screen, 'message input');
        expectInside(open.send, open.screen, 'send button');
        expect(open.scrollWidth).toBeLessThanOrEqual(open.clientWidth);
        // A tap does not raise the keyboard over the sheet: focus is on the dialog, not the input.
        expect(open.focused).toBe('ba-panel');

        await ask(page, 'List my outstanding invoices');
        await waitForAnswers(page, 1);
        const answered = await layout(page);
        expectInside(answered.panel, answered.screen, 'panel with an answer');
        expect(answered.scrollWidth).toBeLessThanOrEqual(answered.clientWidth);
        const violations = await runAxe(page);
        expect(serious(violations), JSON.stringify(violations, null, 1)).toEqual([]);
        await page.screenshot({ path: artifactPath(size.shot) });

        // The close button in the header closes the sheet; the launcher is back on screen.
        await (await page.waitForSelector('billing-assistant >>> .panel-head button[aria-label="Close the billing assistant"]', { visible: true }))!.tap();
        await page.waitForSelector(W.panel, { hidden: true });
        const again = await layout(page);
        expectInside(again.launcher, again.screen, 'launcher after closing');
        expect(page.errors).toEqual([]);
        await page.browserContext().close();
      },
      T,
    );
  }

  it(
    '390 × 844 with the keyboard up (the viewport down to 500 px high): the composer and the header stay on screen',
    async () => {
      const page = await phone({ width: 390, height: 844 });
      await tapLauncher(page);
      await (await page.waitForSelector(W.input, { visible: true }))!.tap();
      await page.setViewport({ width: 390, height: 500, ...PHONE });
      await page.waitForFunction(() => window.visualViewport!.height === 500);
      // The resize reaches the widget through the visual viewport's resize event.
      await page.waitForFunction(() => document.querySelector('billing-assistant')!.shadowRoot!.querySelector('.panel')!.getBoundingClientRect().height <= 500);
      const kb = await layout(page);
      expectInside(kb.panel, kb.screen, 'panel');
      expect(kb.panel!.height).toBeCloseTo(500, 0);
      expectInside(kb.input, kb.screen, 'message input');
      expectInside(kb.send, kb.screen, 'send button');
      expectInside(kb.close, kb.screen, 'close button');
      expect(kb.scrollWidth).toBeLessThanOrEqual(kb.clientWidth);
      expect(kb.focused).toBe('ba-input');
      await page.screenshot({ path: artifactPath('widget-phone-keyboard.png') });
      // Typing still works there.
      await ask(page, 'What is my current account balance?');
      const [answer] = await waitForAnswers(page, 1);
      expect(answer!.text).toContain('$2,494.96');
      expectInside((await layout(page)).input, kb.screen, 'message input after the answer');
      expect(page.errors).toEqual([]);
      await page.browserContext().close();
    },
    T,
  );

  it(
    'on a host page wider than the phone, the launcher and the sheet stay on what is on screen',
    async () => {
      const page = await phone({ width: 390, height: 844 }, '/wide');
      const closed = await layout(page);
      // The host's own table makes its page scroll sideways (not the widget's doing), and the
      // layout viewport grows past the screen; the widget follows the visual viewport.
      expect(closed.scrollWidth).toBeGreaterThan(closed.clientWidth);
      expectInside(closed.launcher, closed.screen, 'launcher');
      await tapLauncher(page);
      const open = await layout(page);
      expectInside(open.panel, open.screen, 'panel');
      expect(open.panel!.width).toBeCloseTo(390, 0);
      await page.screenshot({ path: artifactPath('widget-phone-wide-host.png') });
      expect(page.errors).toEqual([]);
      await page.browserContext().close();
    },
    T,
  );

  it(
    '1280 × 800: the desktop panel as before, 400 px wide at the bottom right above the launcher',
    async () => {
      const context = await browser.createBrowserContext();
      const page = await newPage(context as unknown as Browser, { width: 1280, height: 800 });
      await page.goto(`${host.origin}/`);
      const launcher = await page.waitForSelector(W.launcher, { visible: true });
      await launcher!.click();
      await page.waitForSelector(W.panel, { visible: true });
      const l = await layout(page);
      // 20 px from the right and bottom edges of the viewport (less its scroll bar), as before.
      const right = l.screen.right - 20;
      expect(l.screen.height).toBe(800);
      expect(l.launcher).toMatchObject({ right, bottom: 780, height: 48 });
      expect(l.panel).toMatchObject({ width: 400, height: 620, right, bottom: 780 - 48 - 12 });
      // With a mouse, focus goes to the message input.
      expect(l.focused).toBe('ba-input');
      expect(l.scrollWidth).toBeLessThanOrEqual(l.clientWidth);
      await page.screenshot({ path: artifactPath('widget-desktop.png') });
      expect(page.errors).toEqual([]);
      await context.close();
    },
    T,
  );
});

// ---- markdown ---------------------------------------------------------------------------------

/** A node as a compact tree: "text", or ["tag attr=value", ...children] (empty text left out). */
type Tree = string | [string, ...Tree[]];

interface StandIn {
  origin: string;
  /** What the next messages are answered with, in order. */
  replies: string[];
  /** The stored conversation (the widget reads it on a reload). */
  history: unknown[];
  close(): Promise<void>;
}

const stored = (id: string, role: 'user' | 'assistant', text: string) => ({ id, role, text, cards: [], status: 'complete', createdAt: new Date().toISOString() });

/** Answers a message: the reply streamed in 7-character pieces that cut through the markers, then completed. */
function streamReply(api: StandIn, res: http.ServerResponse): void {
  const text = api.replies.shift() ?? '';
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (let i = 0; i < text.length; i += 7) res.write(`event: text_delta\ndata: ${JSON.stringify({ type: 'text_delta', text: text.slice(i, i + 7) })}\n\n`);
  const n = api.history.length;
  res.end(`event: completed\ndata: ${JSON.stringify({ type: 'completed', messageId: `m${n + 1}`, text, cards: [] })}\n\n`);
  api.history.push(stored(`m${n}`, 'user', 'q'), stored(`m${n + 1}`, 'assistant', text));
}

/** A stand-in API on one origin: the built bundle, a host page under Trusted Types, replies from a queue. */
async function startStandIn(widget: string): Promise<StandIn> {
  const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Markdown</title></head>
<body><main><h1>Host</h1></main><script src="/widget.js" data-token="t" data-open="true" defer></script></body></html>`;
  // Trusted Types enforced with no policy at all: any HTML string put into the page would throw.
  const csp = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; require-trusted-types-for 'script'; trusted-types 'none'";
  const server = http.createServer((req, res) => {
    const route = `${req.method} ${(req.url ?? '').split('?')[0]}`;
    const json = (body: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (route === 'GET /') res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': csp }).end(page);
    else if (route === 'GET /widget.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(widget);
    else if (route === 'GET /favicon.ico') res.writeHead(204).end();
    else if (route === 'GET /v1/widget/messages/en-CA') json(widgetMessages('en-CA'));
    else if (route === 'POST /v1/chat/conversations') json({ id: 'c1' });
    else if (route === 'GET /v1/chat/conversations/c1/messages') json({ messages: api.history });
    else if (route === 'GET /v1/chat/conversations/c1/events') res.writeHead(200, { 'content-type': 'text/event-stream' }).write(': open\n\n');
    else if (route === 'POST /v1/chat/conversations/c1/messages') streamReply(api, res);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const api: StandIn = {
    origin: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    replies: [],
    history: [],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return api;
}

const HOSTILE = [
  '<img src=x onerror="window.pwned=1"> <script>window.pwned=2</script> <b>not bold</b> &lt;i&gt; <a href="javascript:window.pwned=3">link</a>',
  '- [click](javascript:window.pwned=4)\n- <iframe src="javascript:window.pwned=5"></iframe>\n- javascript:alert(1)',
  '**<svg onload="window.pwned=6">** `<script>window.pwned=7</script>`',
].join('\n');

/** The assistant bubbles as trees. */
function bubbles(page: Page): Promise<Tree[]> {
  return page.evaluate(() => {
    const tree = (n: Node): Tree => {
      if (n.nodeType === Node.TEXT_NODE) return n.textContent ?? '';
      const el = n as Element;
      const attrs = [...el.attributes].map((a) => `${a.name}=${a.value}`);
      return [[el.localName, ...attrs].join(' '), ...[...el.childNodes].map(tree).filter((k) => k !== '')];
    };
    return [...document.querySelector('billing-assistant')!.shadowRoot!.querySelectorAll('.msg-assistant .bubble')].map(tree);
  });
}

describeWithBrowser('widget markdown (built bundle, browser)', () => {
  let browser: Browser;
  let api: StandIn;

  beforeAll(async () => {
    api = await startStandIn(await buildWidget());
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  it(
    'renders lists, bold, code and headings as elements, the same streamed and from history; hostile text stays text',
    async () => {
      const context = await browser.createBrowserContext();
      const page = await newPage(context as unknown as Browser, { width: 390, height: 844 });
      await page.evaluateOnNewDocument(() => {
        document.addEventListener('securitypolicyviolation', (e) => ((window as unknown as { violations: string[] }).violations ??= []).push(`${e.violatedDirective} ${e.blockedURI}`));
      });
      await page.goto(`${api.origin}/`);
      await page.waitForSelector(W.panel, { visible: true });

      api.replies.push(
        'Your open invoices:\n- **IN7654321** is overdue\n* `IN7654322` is due\n\n- IN7654323, with a\n  second line\n\n3. third\n4) fourth\n## Total **$2,494.96** ##\nDone.\nSecond line.',
        HOSTILE,
        '- - nested marker\n**unclosed bold and `unclosed code\n***three stars*** and **bold with `code` inside**\n1.no space\n-no space',
      );
      for (let i = 1; i <= 3; i++) {
        await ask(page, `question ${i}`);
        await waitForAnswers(page, i);
      }
      const live = await bubbles(page);
      expect(live[0]).toEqual([
        'div class=bubble md',
        ['p', 'Your open invoices:'],
        '\n',
        ['ul', ['li', ['strong', 'IN7654321'], ' is overdue'], '\n', ['li', ['code', 'IN7654322'], ' is due'], '\n', ['li', 'IN7654323, with a', '\n', 'second line']],
        '\n',
        ['ol start=3', ['li', 'third'], '\n', ['li', 'fourth']],
        '\n',
        ['p', ['strong', 'Total ', ['strong', '$2,494.96']]],
        '\n',
        ['p', 'Done.\nSecond line.'],
      ]);
      // Hostile text: every tag, entity and javascript: URL is shown as the characters it is.
      expect(live[1]).toEqual([
        'div class=bubble md',
        ['p', HOSTILE.split('\n')[0]!],
        '\n',
        ['ul', ['li', '[click](javascript:window.pwned=4)'], '\n', ['li', '<iframe src="javascript:window.pwned=5"></iframe>'], '\n', ['li', 'javascript:alert(1)']],
        '\n',
        ['p', ['strong', '<svg onload="window.pwned=6">'], ' ', ['code', '<script>window.pwned=7</script>']],
      ]);
      // Nested and unclosed markers: one level of markup, the rest literal.
      expect(live[2]).toEqual([
        'div class=bubble md',
        ['ul', ['li', '- nested marker']],
        '\n',
        ['p', '**unclosed bold and `unclosed code\n', ['strong', '*three stars'], '* and ', ['strong', 'bold with `code` inside'], '\n1.no space\n-no space'],
      ]);
      await page.screenshot({ path: artifactPath('widget-markdown.png') });

      // History renders the same trees (a reload reads the stored messages).
      await page.reload();
      await page.waitForFunction(() => document.querySelector('billing-assistant')?.shadowRoot?.querySelectorAll('.msg-assistant .bubble').length === 3);
      expect(await bubbles(page)).toEqual(live);

      const outcome = await page.evaluate(() => ({
        pwned: (window as unknown as { pwned?: number }).pwned ?? null,
        // Every element the messages could have made, outside the widget's own controls (the thumbs-down's icon is an svg).
        made: [...document.querySelector('billing-assistant')!.shadowRoot!.querySelectorAll('.log :is(a, img, script, iframe, svg, b):not(.fb *)')].map((e) => e.localName),
        violations: (window as unknown as { violations?: string[] }).violations ?? [],
      }));
      expect(outcome).toEqual({ pwned: null, made: [], violations: [] });
      expect(page.errors).toEqual([]);
      await context.close();
    },
    T,
  );

  it(
    'very long input: 3,000 list items and a 100,000-character line of markers render quickly and stay text',
    async () => {
      const context = await browser.createBrowserContext();
      const page = await newPage(context as unknown as Browser, { width: 1280, height: 800 });
      await page.goto(`${api.origin}/`);
      await page.waitForSelector(W.panel, { visible: true });
      // A conversation first (its id is stored), then long answers in its history, read on a reload.
      api.replies.push('ok');
      await ask(page, 'hi');
      await waitForAnswers(page, 1);
      const items = Array.from({ length: 3000 }, (_, i) => `- item **${i}** <b>x</b>`).join('\n');
      const markers = '**`*<'.repeat(20_000);
      api.history.push(stored('l1', 'user', 'long'), stored('l2', 'assistant', items), stored('l3', 'user', 'markers'), stored('l4', 'assistant', markers));
      const started = Date.now();
      await page.reload();
      await page.waitForFunction(
        (n) => document.querySelector('billing-assistant')?.shadowRoot?.querySelectorAll('.msg-assistant .bubble').length === n,
        { timeout: 10_000 },
        api.history.length / 2,
      );
      expect(Date.now() - started).toBeLessThan(10_000);
      const got = await page.evaluate(() => {
        const [list, mark] = [...document.querySelector('billing-assistant')!.shadowRoot!.querySelectorAll('.msg-assistant .bubble')].slice(-2) as [HTMLElement, HTMLElement];
        return {
          items: list.querySelectorAll('li').length,
          bold: list.querySelectorAll('li strong').length,
          tags: list.querySelectorAll('b').length,
          markText: mark.textContent?.length ?? 0,
          strong: mark.querySelectorAll('strong').length,
          code: mark.querySelectorAll('code').length,
          kinds: [...new Set([...mark.querySelectorAll('*')].map((e) => e.localName))].sort(),
        };
      });
      expect(got).toMatchObject({ items: 3000, bold: 3000, tags: 0 });
      // Every character is still there: shown, or one of the markers of a bold or code span.
      expect(got.kinds).toEqual(['code', 'p', 'strong']);
      expect(got.markText + 4 * got.strong + 2 * got.code).toBe(markers.length);
      expect(page.errors).toEqual([]);
      await context.close();
    },
    T,
  );
});
