import fs from 'node:fs';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWidget, loadWidgetBundle, PREBUILT_WIDGET } from '../../src/web/widget-bundle.js';
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
    expect(code).not.toMatch(/ZodType|zod/);
    expect(code).not.toContain('innerHTML');
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
