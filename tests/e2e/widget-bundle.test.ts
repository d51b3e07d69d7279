import fs from 'node:fs';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { widget } from '../../src/i18n/catalogue/widget.js';
import { buildWidget, loadWidgetBundle, PREBUILT_WIDGET, widgetMessages } from '../../src/web/widget-bundle.js';
import { pickWidgetLocale, t, useMessages, type MessageKey } from '../../src/web/widget/i18n.js';
import { createSseParser, toTurnEvent, type SseMessage } from '../../src/web/widget/sse.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

/** The widget bundle as served (no browser needed) and the widget's SSE parser. */

describe('widget bundle', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t?.close());

  it('the committed prebuilt bundle (served in production) matches the sources: run npm run build:widget when this fails', async () => {
    const fresh = await buildWidget();
    expect(fs.readFileSync(PREBUILT_WIDGET, 'utf8') === fresh, `${PREBUILT_WIDGET} is stale: run npm run build:widget`).toBe(true);
    const prebuilt = await loadWidgetBundle('prebuilt');
    // (The cache is per process: whichever mode loaded first is what this process serves.)
    expect(prebuilt.code).toBe(fresh);
  });

  it('is small: under 40 KiB minified and 15 KiB gzipped, with no framework or zod inside', async () => {
    const code = await buildWidget();
    expect(Buffer.byteLength(code)).toBeLessThan(40 * 1024);
    expect(gzipSync(code).length).toBeLessThan(15 * 1024);
    expect(code).not.toMatch(/ZodType|zod|i18next/);
    expect(code).not.toContain('innerHTML');
    // Its words come from the server, one locale at a time: none in the bundle, in any language.
    for (const locale of ['en-CA', 'fr-CA'] as const) {
      expect(code).not.toContain(widget[locale].footnote);
      expect(code).not.toContain(widget[locale].invoice.amountDue);
    }
    // The keys are shortened in the bundle (the sources keep them whole for the catalogue test).
    expect(code).toContain('"invoice.amountDue"');
    expect(code).not.toContain('"widget.invoice.amountDue"');
  });

  it('GET /v1/widget/messages/:locale: the widget and status areas of one locale, small and cacheable by any origin', async () => {
    for (const locale of ['en-CA', 'fr-CA'] as const) {
      const res = await t.app.inject({ url: `/v1/widget/messages/${locale}`, headers: { origin: 'http://elsewhere.test' } });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin');
      expect(res.json()).toEqual(widgetMessages(locale));
      // A page downloads the bundle and one locale's messages: keep that small too.
      expect(Buffer.byteLength(res.body)).toBeLessThan(6 * 1024);
      expect(gzipSync(res.body).length).toBeLessThan(2.5 * 1024);
      const again = await t.app.inject({ url: `/v1/widget/messages/${locale}`, headers: { 'if-none-match': String(res.headers.etag) } });
      expect(again.statusCode).toBe(304);
    }
    expect((await t.app.inject({ url: '/v1/widget/messages/fr-CA' })).json().widget.invoice.amountDue).toBe('Montant dû');
    const unknown = await t.app.inject({ url: '/v1/widget/messages/de-DE' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('not_found');
  });

  it('GET /widget.js serves JavaScript with an ETag (304 when unchanged) that any origin may load', async () => {
    const res = await t.app.inject({ url: '/widget.js' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(res.body).toContain('billing-assistant');
    const again = await t.app.inject({ url: '/widget.js', headers: { 'if-none-match': String(res.headers.etag) } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });
});

describe('widget SSE parser', () => {
  const parse = (chunks: string[]): SseMessage[] => {
    const out: SseMessage[] = [];
    const p = createSseParser((m) => out.push(m));
    for (const c of chunks) p.push(c);
    p.end();
    return out;
  };

  it('parses events split anywhere, CRLF and CR line endings, comments and multi-line data', () => {
    const stream = ': stream open\n\nevent: text_delta\ndata: {"type":"text_delta","text":"Hi"}\n\nevent: completed\r\ndata: {"type":"completed",\r\ndata: "messageId":"m","text":"Hi","cards":[]}\r\n\r\ndata: x\r\r';
    const whole = parse([stream]);
    expect(whole).toEqual([
      { event: 'text_delta', data: '{"type":"text_delta","text":"Hi"}' },
      { event: 'completed', data: '{"type":"completed",\n"messageId":"m","text":"Hi","cards":[]}' },
      { event: 'message', data: 'x' },
    ]);
    // Every split point gives the same events (including a CRLF split between chunks).
    for (let i = 1; i < stream.length; i++) expect(parse([stream.slice(0, i), stream.slice(i)])).toEqual(whole);
    expect(parse([...stream])).toEqual(whole);
  });

  it('drops an event cut off before its blank line, and anything that is not a known turn event', () => {
    expect(parse(['data: {"type":"text_delta","text":"cut"}'])).toEqual([]);
    expect(toTurnEvent({ event: 'x', data: 'not json' })).toBeNull();
    expect(toTurnEvent({ event: 'x', data: '{"type":"exploit"}' })).toBeNull();
    expect(toTurnEvent({ event: 'x', data: '"string"' })).toBeNull();
    expect(toTurnEvent({ event: 'text_delta', data: '{"type":"text_delta","text":"ok"}' })).toEqual({ type: 'text_delta', text: 'ok' });
  });
});

describe('widget lookup (src/web/widget/i18n.ts)', () => {
  it('picks data-locale, then the token claim, then the first English or French browser language, then en-CA', () => {
    expect(pickWidgetLocale('fr-CA', 'en-CA', ['en-US'])).toBe('fr-CA');
    expect(pickWidgetLocale(undefined, 'fr-CA', ['en-US'])).toBe('fr-CA');
    expect(pickWidgetLocale('de-DE', null, ['de-DE', 'fr-FR', 'en-US'])).toBe('fr-CA');
    expect(pickWidgetLocale(undefined, undefined, ['fr'])).toBe('fr-CA');
    expect(pickWidgetLocale(undefined, undefined, ['en-GB', 'fr-CA'])).toBe('en-CA');
    expect(pickWidgetLocale(undefined, 'xx', ['de-DE', 'free'])).toBe('en-CA');
    expect(pickWidgetLocale(undefined, undefined, [])).toBe('en-CA');
  });

  it('looks keys up in one locale, full or without their widget area (as the bundle writes them), with plurals and numbers for the locale', () => {
    useMessages('fr-CA', widgetMessages('fr-CA'));
    expect(t('widget.invoice.title', { invoice: 'IN7654321' })).toBe('Facture IN7654321');
    expect(t('invoice.title' as MessageKey, { invoice: 'IN1' })).toBe('Facture IN1');
    expect(t('status.overdue_partially_paid')).toBe('En retard (partiellement payée)');
    expect(t('widget.balance.overdueCount', { amount: '5,00 $', count: 1 })).toBe('5,00 $ (1 facture)');
    expect(t('widget.balance.overdueCount', { amount: '5,00 $', count: 3 })).toBe('5,00 $ (3 factures)');
    expect(t('widget.balance.overdueCount', { amount: '5,00 $', count: 1_000_000 })).toBe(`5,00 $ (${(1_000_000).toLocaleString('fr-CA')} de factures)`);
    expect(t('widget.net.busy', { seconds: 20 })).toBe('Service occupé. Nouvelle tentative dans 20 s…');
    expect(t('widget.nope' as MessageKey)).toBe('widget.nope');
    useMessages('en-CA', widgetMessages('en-CA'));
    expect(t('widget.balance.overdueCount', { amount: '$5.00', count: 1 })).toBe('$5.00 (1 invoice)');
    expect(t('widget.balance.overdueCount', { amount: '$5.00', count: 1200 })).toBe('$5.00 (1,200 invoices)');
    expect(t('status.paid')).toBe('Paid');
  });
});
