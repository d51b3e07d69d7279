import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';

/**
 * Defect 8b: /docs (Swagger UI) sent no Content-Security-Policy, nosniff or frame-ancestors.
 * Every response of the docs (the page, its static files, the initializer script, the OpenAPI
 * document) now carries them. That Swagger UI still works under the policy is shown in a real
 * browser by tests/e2e/docs-csp.test.ts.
 */

const DOCS_URLS = [
  '/docs',
  '/docs/',
  '/docs/static/swagger-ui.css',
  '/docs/static/index.css',
  '/docs/static/swagger-ui-bundle.js',
  '/docs/static/swagger-ui-standalone-preset.js',
  '/docs/static/swagger-initializer.js',
  '/docs/static/favicon-32x32.png',
  '/docs/static/index.html',
  '/docs/json',
  '/docs/yaml',
];

/** The directives of a CSP header, by name. */
function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((parts) => parts[0])
      .map(([name, ...values]) => [name!.toLowerCase(), values]),
  );
}

describe('security headers on /docs', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it.each(DOCS_URLS)('%s: CSP without inline or eval script, no framing, nosniff, no referrer', async (url) => {
    const res = await t.app.inject({ method: 'GET', url });
    expect(res.statusCode, url).toBeLessThan(400);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    const csp = res.headers['content-security-policy'];
    expect(typeof csp, 'content-security-policy').toBe('string');
    const d = directives(csp as string);
    expect(d.get('frame-ancestors')).toStrictEqual(["'none'"]);
    expect(d.get('default-src')).toStrictEqual(["'none'"]);
    expect(d.get('base-uri')).toStrictEqual(["'none'"]);
    expect(d.get('object-src') ?? ["'none'"]).toStrictEqual(["'none'"]);
    // Scripts only from our own origin: no inline script, no eval, no other host.
    expect(d.get('script-src')).toStrictEqual(["'self'"]);
    expect(d.has('script-src-elem')).toBe(false);
    for (const [name, values] of d) {
      expect(values, name).not.toContain("'unsafe-eval'");
      expect(values, name).not.toContain('*');
      expect(values.filter((v) => /^(https?:)?(\/\/)?[a-z0-9.-]+\.[a-z]{2,}/i.test(v)), `${name}: no other host`).toStrictEqual([]);
      expect(values, name).not.toContain('https:');
    }
  });

  it('the OpenAPI document is still JSON, and the page still links its static files', async () => {
    const json = await t.app.inject({ method: 'GET', url: '/docs/json' });
    expect(json.headers['content-type']).toMatch(/^application\/json/);
    expect(json.json<{ openapi: string }>().openapi).toMatch(/^3\./);
    const page = await t.app.inject({ method: 'GET', url: '/docs/' });
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('./static/swagger-ui-bundle.js');
    expect(page.body).toContain('./static/swagger-initializer.js');
  });

  it('other pages keep their own policy (the docs policy is scoped to /docs)', async () => {
    const health = await t.app.inject({ method: 'GET', url: '/portal/sign-in' });
    expect(health.headers['content-security-policy']).toContain("form-action 'self'");
    expect(health.headers['x-frame-options']).toBeUndefined();
  });
});
