import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPdfPool, type PdfRenderer } from '../../src/documents/pdf-pool.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { CHROMIUM, describeWithBrowser, looksLikePdf, pdfInfo, pdfText } from '../helpers/browser.js';

/**
 * A memo or a line holding markup: escaped by the template (it prints as text), and even raw
 * markup that bypassed the template cannot make the browser fetch anything (request interception
 * blocks everything but inline content; JavaScript is off). A local HTTP server stands in for an
 * internal service and must see ZERO requests and zero connections.
 */

describeWithBrowser(
  'PDF rendering is inert: escaping, no outbound requests, no JavaScript (real Chromium)',
  () => {
    let server: http.Server;
    let base: string;
    const hits: string[] = [];
    let connections = 0;

    beforeAll(async () => {
      server = http.createServer((req, res) => {
        hits.push(`${req.method} ${req.url}`);
        res.writeHead(200, { 'content-type': 'image/png' });
        res.end();
      });
      server.on('connection', () => connections++);
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      await new Promise((r) => server.close(r));
    });
    beforeEach(() => {
      hits.length = 0;
      connections = 0;
    });

    it('the server is reachable (so zero below means blocked, not unreachable)', async () => {
      const res = await fetch(`${base}/probe`);
      expect(res.status).toBe(200);
      expect(hits).toStrictEqual(['GET /probe']);
    });

    describe('through the app: a hostile memo and line on IN7654323', () => {
      let t: TestApp;
      beforeAll(async () => {
        t = await createTestApp();
      });
      afterAll(async () => {
        await t?.close();
      });

      it('prints the markup as text and fetches nothing', async () => {
        const memo = `<script>document.title='pwned';document.body.innerHTML='JS RAN'</script><img src="${base}/memo.png"><link rel="stylesheet" href="${base}/memo.css"><iframe src="${base}/frame"></iframe><style>body{background:url(${base}/bg.png)}</style>`;
        const db = t.app.services.db;
        await db.updateTable('invoices').set({ memo }).where('number', '=', 'IN7654323').execute();
        const inv = await db.selectFrom('invoices').select('id').where('number', '=', 'IN7654323').executeTakeFirstOrThrow();
        await db.updateTable('invoice_lines').set({ description: `Cat6 cables <img src=${base}/line.png> <b>bold</b>`, reference: `<script src=${base}/ref.js></script>` }).where('invoice_id', '=', inv.id).execute();

        const res = await t.app.inject({ method: 'GET', url: '/v1/billing/invoices/IN7654323/pdf', headers: await t.auth('R10042') });
        expect(res.statusCode).toBe(200);
        const pdf = res.rawPayload;
        expect(looksLikePdf(pdf)).toBe(true);
        const text = pdfText(pdf, { layout: false });
        expect(text).toContain(`<script>document.title='pwned';document.body.innerHTML='JS RAN'</script><img src="${base}/memo.png">`);
        // (A long cell may wrap: compare without whitespace.)
        expect(text.replace(/\s+/g, '')).toContain(`Cat6cables<imgsrc=${base}/line.png><b>bold</b>`);
        expect(text).toContain('Amount due (CAD) $215.40');
        expect(pdfInfo(pdf)['Title']).toBe('Invoice IN7654323 · Maple Leaf IT Solutions Inc. · Randmar');
        // No browser name or version in what customers receive.
        expect(pdfInfo(pdf)['Creator']).toBe('Billing Assistant');
        await new Promise((r) => setTimeout(r, 300));
        expect(hits).toStrictEqual([]);
        expect(connections).toBe(0);
      });
    });

    describe('raw markup straight to the pool (no escaping, no CSP): interception and disabled JavaScript hold', () => {
      let p: PdfRenderer;
      beforeAll(() => {
        p = createPdfPool({ size: 1, queueMax: 5, resolveExecutable: () => CHROMIUM });
      });
      afterAll(async () => {
        await p.close();
      });

      it('blocks images, stylesheets, fonts, frames, scripts, objects, media and file: URLs; runs no script', async () => {
        const raw = `<!doctype html><html><head><title>raw</title>
          <link rel="stylesheet" href="${base}/style.css">
          <link rel="icon" href="${base}/favicon.ico">
          <style>@font-face{font-family:x;src:url(${base}/font.woff2)} body{font-family:x;background-image:url(${base}/bg.png)} @import url(${base}/import.css);</style>
          <script src="${base}/external.js"></script>
          </head><body>
          <h1>Raw document</h1>
          <img src="${base}/img.png"><img srcset="${base}/srcset.png 2x">
          <picture><source srcset="${base}/source.png"><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></picture>
          <iframe src="${base}/iframe"></iframe><iframe src="file:///etc/passwd"></iframe>
          <object data="${base}/object"></object><embed src="${base}/embed">
          <video poster="${base}/poster.png" src="${base}/video.mp4"></video><audio src="${base}/audio.mp3"></audio>
          <svg><image href="${base}/svg.png"/></svg>
          <div style="background:url('${base}/inline-bg.png')">x</div>
          <script>document.body.innerHTML='JS RAN';fetch('${base}/fetch');new Image().src='${base}/js-img.png';</script>
          <noscript>SCRIPTS ARE OFF</noscript>
          </body></html>`;
        const pdf = await p.render(raw);
        expect(looksLikePdf(pdf)).toBe(true);
        const text = pdfText(pdf, { layout: false });
        expect(text).toContain('Raw document');
        expect(text).not.toContain('JS RAN');
        expect(text).toContain('SCRIPTS ARE OFF');
        expect(text).not.toMatch(/root:.*:0:0/);
        await new Promise((r) => setTimeout(r, 500));
        expect(hits).toStrictEqual([]);
        expect(connections).toBe(0);
        // The browser did try: interception is what stopped it.
        expect(p.stats().blockedRequests).toBeGreaterThan(5);
      });

      it('a meta refresh navigation reaches nothing, and the page still renders the next document', async () => {
        const before = p.stats().blockedRequests;
        // The blocked navigation may leave an error page in that PDF (raw markup only: the template escapes it).
        expect(looksLikePdf(await p.render(`<!doctype html><html><head><meta http-equiv="refresh" content="0;url=${base}/refresh"><title>r</title></head><body><p>Refresh page</p></body></html>`))).toBe(true);
        const next = await p.render('<!doctype html><html><head><title>n</title></head><body><p>Next document</p></body></html>');
        expect(pdfText(next, { layout: false })).toContain('Next document');
        await new Promise((r) => setTimeout(r, 1500));
        expect(hits).toStrictEqual([]);
        expect(connections).toBe(0);
        expect(p.stats().blockedRequests).toBeGreaterThanOrEqual(before);
      });
    });
  },
  { pdftotext: true },
);
