import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { NotFoundError } from '../errors.js';
import { status } from '../i18n/catalogue/status.js';
import { widget } from '../i18n/catalogue/widget.js';
import { isLocale, LOCALES, type Locale } from '../i18n/locales.js';
import { projectPath } from '../paths.js';
import type { WidgetMessages } from './widget/i18n.js';

/**
 * The widget bundle (GET /widget.js). In development and tests it is built in memory from
 * src/web/widget with esbuild (a dev dependency) on first use and cached for the process, so it
 * always matches the sources. Production, and any install without esbuild, serves the committed
 * prebuilt file src/web/static/widget.js (`npm run build:widget` writes it; a test checks that it
 * matches the sources). The widget's words are not in the bundle: it asks for its locale's
 * messages (GET /v1/widget/messages/:locale) once it knows the locale.
 */

export const WIDGET_ENTRY = projectPath('src/web/widget/index.ts');
export const WIDGET_TSCONFIG = projectPath('src/web/widget/tsconfig.json');
export const PREBUILT_WIDGET = projectPath('src/web/static/widget.js');

export interface WidgetBundle {
  code: string;
  etag: string;
  source: 'built' | 'prebuilt';
}

const BANNER = '/* Billing Assistant widget. Built from src/web/widget by esbuild (npm run build:widget). */';

/** `import css from './styles.css'` gives the stylesheet as one minified string (no copy of the source in the bundle). */
function minifiedCssAsText(): import('esbuild').Plugin {
  return {
    name: 'minified-css-as-text',
    setup(build) {
      build.onLoad({ filter: /\.css$/ }, async (args) => {
        const { code } = await build.esbuild.transform(await fs.readFile(args.path, 'utf8'), { loader: 'css', minify: true, target: ['chrome111', 'firefox111', 'safari16.4'] });
        return { contents: code.trim(), loader: 'text' };
      });
    },
  };
}

/**
 * The widget's message keys are written in full in its sources ('widget.invoice.view': the
 * catalogue test looks for them there); the bundle leaves out the `widget.` area, which the
 * widget's lookup assumes for a key without an area (src/web/widget/i18n.ts).
 */
function shortMessageKeys(): import('esbuild').Plugin {
  return {
    name: 'short-message-keys',
    setup(build) {
      // 'status.paid' must stay a status key: the widget area has no top-level `status` (nor `widget`).
      for (const top of ['status', 'widget']) if (top in widget['en-CA']) throw new Error(`the widget area cannot have a top-level key "${top}"`);
      build.onLoad({ filter: /[\\/]src[\\/]web[\\/]widget[\\/][\w-]+\.ts$/ }, async (args) => ({
        contents: (await fs.readFile(args.path, 'utf8')).replace(/'widget\.([\w.]+)'/g, "'$1'"),
        loader: 'ts',
      }));
    },
  };
}

/**
 * Bundles `entry` for a browser page with esbuild's JS API, in memory, and returns the code: one
 * minified iife for the browsers the widget supports, with `options` added (a loader, plugins...).
 * esbuild (a dev dependency) is imported here, on first use: throws when it is not installed. The
 * widget (buildWidget) and the HTML eval report's script (evals/html-report.ts) are built by it.
 */
export async function bundleForBrowser(entry: string, options: Omit<import('esbuild').BuildOptions, 'entryPoints' | 'write'> = {}): Promise<string> {
  const esbuild = await import('esbuild');
  const out = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2022', 'chrome111', 'firefox111', 'safari16.4'],
    minify: true,
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'silent',
    ...options,
    write: false,
  });
  const file = out.outputFiles[0];
  if (!file) throw new Error(`esbuild produced no output for ${entry}`);
  return file.text;
}

/** Builds the widget bundle in memory. Throws when esbuild is not installed. */
export function buildWidget(): Promise<string> {
  return bundleForBrowser(WIDGET_ENTRY, {
    tsconfig: WIDGET_TSCONFIG,
    banner: { js: BANNER },
    plugins: [minifiedCssAsText(), shortMessageKeys()],
  });
}

const etagOf = (text: string): string => `"${createHash('sha256').update(text).digest('base64url').slice(0, 27)}"`;

function bundle(code: string, source: WidgetBundle['source']): WidgetBundle {
  return { code, source, etag: etagOf(code) };
}

/** What the widget reads in one locale: its own catalogue area and the status labels (src/web/widget/i18n.ts). */
export function widgetMessages(locale: Locale): WidgetMessages {
  return { widget: widget[locale], status: status[locale] };
}

let cache: Promise<WidgetBundle> | null = null;

/** The bundle for this process: built once (development, tests) or read from the prebuilt file. */
export function loadWidgetBundle(mode: 'build' | 'prebuilt', log?: (msg: string) => void): Promise<WidgetBundle> {
  cache ??= (async () => {
    if (mode === 'build') {
      try {
        return bundle(await buildWidget(), 'built');
      } catch (err) {
        log?.(`widget: building from sources failed (${err instanceof Error ? err.message.split('\n')[0] : String(err)}); serving the prebuilt bundle`);
      }
    }
    return bundle(await fs.readFile(PREBUILT_WIDGET, 'utf8'), 'prebuilt');
  })();
  // A failure is not cached: the next request tries again.
  cache.catch(() => {
    cache = null;
  });
  return cache;
}

/**
 * GET /widget.js and GET /v1/widget/messages/:locale, cacheable by any origin (they hold no data;
 * CORS for them is in src/http/cors.ts: /widget.js and everything under /v1/).
 */
export const widgetRoutes =
  (config: Config): FastifyPluginAsync =>
  async (app) => {
    const mode = config.NODE_ENV === 'production' ? 'prebuilt' : 'build';
    const load = () => loadWidgetBundle(mode, (m) => app.log.warn(m));
    // In development, build while the server starts so the first page load doesn't wait.
    if (config.NODE_ENV === 'development') app.addHook('onReady', async () => void load().catch(() => undefined));

    const send = (req: FastifyRequest, reply: FastifyReply, type: string, body: string, etag: string) => {
      void reply.headers({
        'content-type': type,
        'cache-control': config.NODE_ENV === 'production' ? 'public, max-age=3600' : 'no-cache',
        etag,
        'x-content-type-options': 'nosniff',
        'cross-origin-resource-policy': 'cross-origin',
      });
      if (req.headers['if-none-match'] === etag) return reply.code(304).send();
      return reply.send(body);
    };

    app.get('/widget.js', { schema: { hide: true } }, async (req, reply) => {
      const b = await load();
      return send(req, reply, 'text/javascript; charset=utf-8', b.code, b.etag);
    });

    const messages = new Map(LOCALES.map((l) => [l, JSON.stringify(widgetMessages(l))]));
    app.get<{ Params: { locale: string } }>('/v1/widget/messages/:locale', { schema: { hide: true } }, async (req, reply) => {
      const { locale } = req.params;
      const json = isLocale(locale) ? messages.get(locale) : undefined;
      if (json === undefined) throw new NotFoundError(`no messages for locale ${locale.slice(0, 20)}: ${LOCALES.join(' or ')}`);
      return send(req, reply, 'application/json; charset=utf-8', json, etagOf(json));
    });
  };
