import type { HTTPRequest, Page } from 'puppeteer-core';

/**
 * The page a document is printed on, locked down: JavaScript is disabled and every request the
 * document makes (images, stylesheets, fonts, frames, navigations) is aborted except our own
 * inline content (`data:` and `about:blank`), so a memo holding `<img src=http://...>` cannot
 * reach anything even if it escaped the template's escaping.
 */

const INLINE = /^(?:data:|about:blank$)/;

function handleRequest(req: HTTPRequest, onBlocked: () => void): void {
  // Puppeteer throws if a request is handled twice; interception is ours alone.
  if (INLINE.test(req.url())) {
    void req.continue().catch(() => undefined);
    return;
  }
  onBlocked();
  void req.abort('blockedbyclient').catch(() => undefined);
}

/** Locks a fresh page down (see above); `onBlocked` counts each request it aborts. */
export async function preparePage(page: Page, opts: { renderTimeoutMs: number; onBlocked: () => void }): Promise<Page> {
  page.setDefaultTimeout(opts.renderTimeoutMs);
  await page.setJavaScriptEnabled(false);
  await page.setRequestInterception(true);
  page.on('request', (req) => handleRequest(req, opts.onBlocked));
  return page;
}

/** Self-contained HTML to PDF on a prepared page: `setContent` (no navigation), then print. */
export async function printPdf(page: Page, html: string, timeoutMs: number): Promise<Buffer> {
  await page.setContent(html, { waitUntil: 'load', timeout: timeoutMs });
  const pdf = await page.pdf({ printBackground: true, preferCSSPageSize: true, timeout: timeoutMs });
  return Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength);
}
