import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../../src/config.js';
import { bannerLines, bannerRecord, databaseLabel, localUrl } from '../../src/http/start-banner.js';
import { appLogging, requestLogLevel } from '../../src/http/logging.js';
import { spawnServer, type ServerProcess as Server } from '../helpers/server-process.js';

/**
 * The first run (issue #12): `src/server.ts` prints where to go once it listens (sign-in page,
 * API docs, outbox, widget, model, database, terminal commands), and logs ONE line per request:
 * JSON when stdout is not a terminal, human-readable with LOG_PRETTY=true; both without the card
 * number or the link token a URL carried.
 */

const CARD = '4539148803436467';
/** A link token's shape (src/links/signer.ts): the payload and the MAC must not be logged. */
const LINK = 'v1.k1.cGF5bG9hZC1vZi1hLWxpbmstdG9rZW4.bWFjLW9mLWEtbGluay10b2tlbi0xMjM0';

/** The server as a new user starts it: a shell with none of our settings but spawnServer's and `extra`, stdout a pipe (not a terminal). */
const startServer = (extra: Record<string, string>): Promise<Server> => spawnServer({ tmpPrefix: 'ba-banner-', env: extra });

/** Waits for the end of the start banner (the process still running). */
const bannerPrinted = (server: Server): Promise<void> => server.waitForStart((s) => s.stdout.includes('npm run token -- R10042'), 'the start banner', 90_000);

/**
 * GET a URL (carrying `marker`) and return every stdout line of that request: the line that shows
 * the marker and any other line with its request id.
 */
async function get(server: Server, url: string, marker: string): Promise<string[]> {
  const res = await fetch(`http://127.0.0.1:${server.port}${url}`);
  await res.arrayBuffer();
  await server.waitFor((s) => s.stdout.includes(marker), `the log line of ${url}`, 10_000);
  // Anything else the request writes would follow within a moment.
  await new Promise((r) => setTimeout(r, 300));
  const lines = server.stdout.split('\n');
  const ids = new Set(lines.filter((l) => l.includes(marker)).flatMap((l) => l.match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g) ?? []));
  expect(ids.size, 'the request id is on its line').toBe(1);
  return lines.filter((l) => l.includes(marker) || [...ids].some((id) => l.includes(id)));
}

function parsed(line: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

describe('npm start: the banner and one JSON line per request (stdout not a terminal)', () => {
  let server: Server | undefined;
  beforeAll(async () => {
    server = await startServer({});
    await bannerPrinted(server);
  }, 120_000);
  afterAll(() => server?.stop('SIGTERM'));

  it('prints where to go, which model answers and which database is used, with the real port', () => {
    const base = `http://127.0.0.1:${server!.port}`;
    const out = server!.stdout;
    expect(out).toContain(`Billing Assistant on ${base}\n`);
    expect(out).toMatch(new RegExp(`Sign in +${base}/portal/sign-in\\n`));
    expect(out).toMatch(new RegExp(`API docs +${base}/docs\\n`));
    expect(out).toMatch(new RegExp(`Outbox +${base}/portal/dev/outbox\\n`));
    expect(out).toMatch(new RegExp(`Widget +${base}/widget\\.js\\n`));
    expect(out).toMatch(/Model +offline engine/);
    expect(out).toContain(`Database  PGlite (embedded) at ${path.join(server!.dataDir, 'pglite')}\n`);
    expect(out).toContain('npm run chat -- R10042');
    // One block, after the start-up lines (the last of them is fastify's "Server listening").
    expect(out.indexOf('Billing Assistant on')).toBeGreaterThan(out.indexOf('Server listening at'));
    expect(out.match(/Billing Assistant on/g)).toHaveLength(1);
  });

  it('every other stdout line is one JSON record', () => {
    const banner = new Set(bannerLines(testConfig({ HOST: '127.0.0.1', PORT: String(server!.port), PGLITE_DATA_DIR: path.join(server!.dataDir, 'pglite') }), 'pglite', server!.port));
    const other = server!.stdout.split('\n').filter((l) => l !== '' && !banner.has(l));
    expect(other.length).toBeGreaterThan(0);
    for (const line of other) expect(parsed(line), line).toBeDefined();
  });

  it('a request writes exactly one line: method, sanitised URL, status, response time, request id', async () => {
    const marker = `probe-${Date.now()}`;
    const lines = await get(server!, `/v1/billing/invoices?status=${CARD}&note=${marker}`, marker);
    expect(lines).toHaveLength(1);
    const line = parsed(lines[0]!) as { level: number; msg: string; reqId: string; req: { method: string; url: string }; res: { statusCode: number }; responseTime: number };
    expect(line.req.method).toBe('GET');
    expect(line.req.url).toBe(`/v1/billing/invoices?status=[card number removed]&note=${marker}`);
    expect(line.res.statusCode).toBe(401);
    expect(line.level).toBe(40); // a 4xx is a warning
    expect(line.responseTime).toBeGreaterThanOrEqual(0);
    expect(line.reqId).toMatch(/^[0-9a-f-]{36}$/);
    expect(server!.stdout).not.toContain(CARD);
    // A request refused before routing (the token over maxParamLength) is one line too.
    const refused = await get(server!, `/pay/${LINK}${'x'.repeat(400)}?m=${marker}-long`, `${marker}-long`);
    expect(refused).toHaveLength(1);
    expect((parsed(refused[0]!) as { res: { statusCode: number } }).res.statusCode).toBe(414);
  });

  it('a 200 is info and keeps its URL', async () => {
    const marker = `ok-${Date.now()}`;
    const lines = await get(server!, `/healthz?m=${marker}`, marker);
    expect(lines).toHaveLength(1);
    expect(parsed(lines[0]!)).toMatchObject({ level: 30, msg: 'incoming request', req: { url: `/healthz?m=${marker}` }, res: { statusCode: 200 } });
  });
});

describe('LOG_PRETTY=true: human-readable lines, still redacted', () => {
  let server: Server | undefined;
  beforeAll(async () => {
    server = await startServer({ LOG_PRETTY: 'true' });
    await bannerPrinted(server);
  }, 120_000);
  afterAll(() => server?.stop('SIGTERM'));

  it('start-up lines and request lines are text, not JSON, and carry neither the card number nor the link token', async () => {
    expect(server!.stdout).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: Server listening at http:\/\/127\.0\.0\.1:\d+$/m);
    expect(server!.stdout).toContain(`Billing Assistant on http://127.0.0.1:${server!.port}\n`);
    const marker = `pretty-${Date.now()}`;
    const lines = await get(server!, `/v1/billing/invoices?status=${CARD.replace(/(\d{4})(?=\d)/g, '$1-')}&m=${marker}`, marker);
    expect(lines).toHaveLength(1);
    expect(parsed(lines[0]!)).toBeUndefined();
    expect(lines[0]).toMatch(new RegExp(`^\\[[\\d:.]+\\] WARN: GET /v1/billing/invoices\\?status=\\[card number removed\\]&m=${marker} 401 [\\d.]+ ms \\[[0-9a-f-]{36}\\]$`));
    const pay = await get(server!, `/pay/${LINK}?m=${marker}-pay`, `${marker}-pay`);
    expect(pay).toHaveLength(1);
    expect(pay[0]).toContain('GET /pay/v1.k1.cGF5…?m=');
    for (const secret of [CARD, LINK.split('.')[2]!, LINK.split('.')[3]!]) expect(server!.stdout).not.toContain(secret);
    expect(server!.stdout.split('\n').filter((l) => parsed(l) !== undefined)).toStrictEqual([]);
  });
});

describe('what the banner and the logger choose (no process)', () => {
  it('a wildcard interface reads as localhost; IPv6 literals are bracketed', () => {
    expect(localUrl('0.0.0.0', 3000)).toBe('http://localhost:3000');
    expect(localUrl('::', 3000)).toBe('http://localhost:3000');
    expect(localUrl('::1', 8080)).toBe('http://[::1]:8080');
    expect(localUrl('127.0.0.1', 3001)).toBe('http://127.0.0.1:3001');
  });

  it('names the model and the database without a key or a password', () => {
    const config = testConfig({
      HOST: '0.0.0.0',
      OPENAI_API_KEY: 'sk-secret-key-123',
      OPENAI_MODEL: 'llama3.1',
      OPENAI_BASE_URL: 'http://user:pw-123@ollama.lan:11434/v1',
      DATABASE_URL: 'postgres://billing:db-pass-456@db.internal:6543/billing_prod?sslmode=require',
    });
    const text = bannerLines(config, 'postgres', 4000).join('\n');
    expect(text).toContain('Model     llama3.1 at ollama.lan:11434');
    expect(text).toContain('Database  PostgreSQL db.internal:6543/billing_prod');
    expect(text).toContain('http://localhost:4000/portal/sign-in');
    expect(JSON.stringify(bannerRecord(config, 'postgres', 4000))).not.toMatch(/secret-key|pw-123|db-pass|billing:/);
    expect(text).not.toMatch(/secret-key|pw-123|db-pass|billing:/);
    expect(databaseLabel('postgres', { DATABASE_URL: 'postgresql:///billing?host=/var/run/postgresql', PGLITE_DATA_DIR: 'x' })).toBe('PostgreSQL /var/run/postgresql:5432/billing');
  });

  it('production: no sign-in, outbox or terminal lines (those pages and commands are development only)', () => {
    const config = { ...testConfig(), NODE_ENV: 'production' as const };
    const text = bannerLines(config, 'pglite', 3000).join('\n');
    expect(text).not.toMatch(/sign-in|outbox|npm run/);
    expect(text).toContain('/docs');
  });

  it('pretty only when asked or on a development terminal, never for a test stream or a silent logger', () => {
    const config = (env: Record<string, string>) => testConfig({ LOG_LEVEL: 'info', ...env });
    expect(appLogging(config({ NODE_ENV: 'development' }), undefined, true).pretty).toBe(true);
    expect(appLogging(config({ NODE_ENV: 'development' }), undefined, false).pretty).toBe(false);
    expect(appLogging(config({ NODE_ENV: 'development', LOG_PRETTY: 'false' }), undefined, true).pretty).toBe(false);
    expect(appLogging(config({ LOG_PRETTY: 'true' }), undefined, false).pretty).toBe(true);
    expect(appLogging(config({ LOG_PRETTY: 'true' }), { write: () => undefined }, true).pretty).toBe(false);
    expect(appLogging(config({ LOG_PRETTY: 'true', LOG_LEVEL: 'silent' }), undefined, true).pretty).toBe(false);
    expect([requestLogLevel(200), requestLogLevel(302), requestLogLevel(404), requestLogLevel(503)]).toStrictEqual(['info', 'info', 'warn', 'error']);
  });
});
