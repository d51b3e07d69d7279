import { createHash } from 'node:crypto';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyPluginAsync } from 'fastify';

/**
 * The API documentation (Swagger UI) at /docs, with its security headers. Swagger UI's page loads
 * only its own files from /docs/static (the bundle, the preset and swagger-initializer.js are
 * external scripts, the CSS is external, the logo is a data: image set by the initializer) and
 * fetches /docs/json, so it works under a policy with no inline script, no eval and no other host
 * (one inline style, allowed by its hash).
 * tests/e2e/docs-csp.test.ts renders it in Chromium and watches for violations.
 */

export const DOCS_PREFIX = '/docs';

/**
 * The one inline <style> Swagger UI renders: the top bar's SVG logo (swagger-ui-standalone-preset.js),
 * shown until the initializer swaps in the plugin's logo. Allowed by its hash, not 'unsafe-inline';
 * after an upgrade of @fastify/swagger-ui, tests/e2e/docs-csp.test.ts says if it changed.
 */
const SWAGGER_LOGO_STYLE = '.logo_small_svg__cls-2{fill:#fff}.logo_small_svg__cls-3{fill:#85ea2d}';
const styleHash = (css: string) => `'sha256-${createHash('sha256').update(css).digest('base64')}'`;

/** The page's policy: our own origin for scripts, styles, fonts and the spec; nobody may frame it. */
export const DOCS_CSP = {
  'default-src': ["'none'"],
  'script-src': ["'self'"],
  'style-src': ["'self'", styleHash(SWAGGER_LOGO_STYLE)],
  'img-src': ["'self'", 'data:'],
  'font-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'form-action': ["'self'"],
  'base-uri': ["'none'"],
  'frame-ancestors': ["'none'"],
};

/** The other headers of every docs response (the page, its static files, the OpenAPI document). */
export const DOCS_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

/**
 * Swagger UI with the headers. Encapsulated on purpose: the hook covers only the routes
 * registered inside (the docs page, /docs/static/* served by @fastify/static, /docs/json and
 * /docs/yaml), which the plugin's own `uiHooks` would not (they skip the static files).
 */
export const docsUi: FastifyPluginAsync = async (app) => {
  app.addHook('onRequest', async (_req, reply) => {
    void reply.headers(DOCS_HEADERS);
  });
  // `staticCSP` as an object: @fastify/swagger-ui sets the header on all of its responses.
  await app.register(swaggerUi, { routePrefix: DOCS_PREFIX, staticCSP: DOCS_CSP });
};
