import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import type { FastifyPluginAsync } from 'fastify';
import type { Config } from '../config.js';
import { projectPath } from '../paths.js';

/**
 * The widget bundle (GET /widget.js). In development and tests it is built in memory from
 * src/web/widget with esbuild (a dev dependency) on first use and cached for the process, so it
 * always matches the sources. Production, and any install without esbuild, serves the committed
 * prebuilt file src/web/static/widget.js (`npm run build:widget` writes it; a test checks that it
 * matches the sources).
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
function minifiedCssAsText(esbuild: typeof import('esbuild')): import('esbuild').Plugin {
  return {
    name: 'minified-css-as-text',
    setup(build) {
      build.onLoad({ filter: /\.css$/ }, async (args) => {
        const { code } = await esbuild.transform(await fs.readFile(args.path, 'utf8'), { loader: 'css', minify: true, target: ['chrome111', 'firefox111', 'safari16.4'] });
        return { contents: code.trim(), loader: 'text' };
      });
    },
  };
}

/** Builds the bundle with esbuild's JS API, in memory. Throws when esbuild is not installed. */
export async function buildWidget(): Promise<string> {
  const esbuild = await import('esbuild');
  const out = await esbuild.build({
    entryPoints: [WIDGET_ENTRY],
    tsconfig: WIDGET_TSCONFIG,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2022', 'chrome111', 'firefox111', 'safari16.4'],
    minify: true,
    legalComments: 'none',
    charset: 'utf8',
    banner: { js: BANNER },
    plugins: [minifiedCssAsText(esbuild)],
    write: false,
    logLevel: 'silent',
  });
  const file = out.outputFiles[0];
  if (!file) throw new Error('esbuild produced no output');
  return file.text;
}

function bundle(code: string, source: WidgetBundle['source']): WidgetBundle {
  return { code, source, etag: `"${createHash('sha256').update(code).digest('base64url').slice(0, 27)}"` };
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

/** GET /widget.js, cacheable by any origin (it holds no data; CORS for it is in src/http/cors.ts). */
export const widgetRoutes =
  (config: Config): FastifyPluginAsync =>
  async (app) => {
    const mode = config.NODE_ENV === 'production' ? 'prebuilt' : 'build';
    const load = () => loadWidgetBundle(mode, (m) => app.log.warn(m));
    // In development, build while the server starts so the first page load doesn't wait.
    if (config.NODE_ENV === 'development') app.addHook('onReady', async () => void load().catch(() => undefined));

    app.get('/widget.js', { schema: { hide: true } }, async (req, reply) => {
      const b = await load();
      void reply.headers({
        'content-type': 'text/javascript; charset=utf-8',
        'cache-control': config.NODE_ENV === 'production' ? 'public, max-age=3600' : 'no-cache',
        etag: b.etag,
        'x-content-type-options': 'nosniff',
        'cross-origin-resource-policy': 'cross-origin',
      });
      if (req.headers['if-none-match'] === b.etag) return reply.code(304).send();
      return reply.send(b.code);
    });
  };
