import type { AddressInfo } from 'node:net';
import type { Config } from '../config.js';
import type { Database } from '../db/index.js';

/**
 * What `npm start` prints once the server listens: where to go (sign-in page, API docs, outbox,
 * widget), which model answers and which database is used, and the two terminal commands. Nothing
 * secret: the model shows its id and the host of its base URL, the database its host, port and
 * name (no user, no password).
 */

/** The account of the demo fixture the terminal commands are shown with. */
const DEMO_ACCOUNT = 'R10042';

type BannerConfig = Pick<
  Config,
  'NODE_ENV' | 'HOST' | 'PORT' | 'PUBLIC_BASE_URL' | 'publicBaseUrl' | 'OPENAI_MODEL' | 'OPENAI_BASE_URL' | 'openai' | 'DATABASE_URL' | 'PGLITE_DATA_DIR' | 'RESEND_API_KEY'
>;

/** The URL a browser on this machine reaches the server at: a wildcard interface reads as localhost. */
export function localUrl(host: string, port: number): string {
  const shown = host === '0.0.0.0' || host === '::' || host === '' ? 'localhost' : host;
  return `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}`;
}

/** The port the server really listens on (PORT=0 picks one), else the configured one. */
export function listeningPort(address: string | AddressInfo | null, configured: number): number {
  return address !== null && typeof address === 'object' ? address.port : configured;
}

/** Which model answers: the offline engine, or the model id and the host it is asked at. */
export function modelLabel(config: Pick<BannerConfig, 'OPENAI_MODEL' | 'OPENAI_BASE_URL' | 'openai'>): string {
  if (!config.openai.enabled) return 'offline engine (set OPENAI_MODEL to use a model)';
  const host = config.OPENAI_BASE_URL ? new URL(config.OPENAI_BASE_URL).host : 'api.openai.com';
  return `${config.OPENAI_MODEL} at ${host}`;
}

/** Which database: PGlite and its data directory, or PostgreSQL host:port/name (no credentials). */
export function databaseLabel(kind: Database['kind'], config: Pick<BannerConfig, 'DATABASE_URL' | 'PGLITE_DATA_DIR'>): string {
  if (kind === 'pglite' || !config.DATABASE_URL) return `PGlite (embedded) at ${config.PGLITE_DATA_DIR}`;
  try {
    const url = new URL(config.DATABASE_URL);
    // A socket directory may come as ?host=/var/run/postgresql.
    const host = decodeURIComponent(url.hostname) || url.searchParams.get('host') || 'localhost';
    return `PostgreSQL ${host}:${url.port || '5432'}/${decodeURIComponent(url.pathname.slice(1))}`;
  } catch {
    // Several hosts (postgres://a,b/db) or other shapes the URL parser refuses: say no more than the kind.
    return 'PostgreSQL';
  }
}

/** The banner's lines, for a terminal (development and test). */
export function bannerLines(config: BannerConfig, kind: Database['kind'], port: number): string[] {
  const base = localUrl(config.HOST, port);
  const dev = config.NODE_ENV !== 'production';
  const publicNote = config.PUBLIC_BASE_URL && config.publicBaseUrl !== base ? ` (links use ${config.publicBaseUrl})` : '';
  const row = (label: string, value: string) => `  ${label.padEnd(10)}${value}`;
  return [
    `Billing Assistant on ${base}${publicNote}`,
    ...(dev ? [row('Sign in', `${base}/portal/sign-in`)] : []),
    row('API docs', `${base}/docs`),
    ...(dev ? [row('Outbox', config.RESEND_API_KEY ? 'mail goes through Resend (RESEND_API_KEY)' : `${base}/portal/dev/outbox`)] : []),
    row('Widget', `${base}/widget.js`),
    row('Model', modelLabel(config)),
    row('Database', databaseLabel(kind, config)),
    ...(dev ? [row('Terminal', `npm run chat -- ${DEMO_ACCOUNT}  ·  a token: npm run token -- ${DEMO_ACCOUNT}`)] : []),
  ];
}

/** The banner as one log record (production: the JSON log is the only output). */
export function bannerRecord(config: BannerConfig, kind: Database['kind'], port: number): Record<string, string> {
  const base = localUrl(config.HOST, port);
  return { url: base, publicUrl: config.publicBaseUrl, docs: `${base}/docs`, widget: `${base}/widget.js`, model: modelLabel(config), database: databaseLabel(kind, config) };
}
