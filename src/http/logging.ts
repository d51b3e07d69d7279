import { createRequire } from 'node:module';
import { LogController, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { stdSerializers, type LoggerOptions } from 'pino';
import type { Config } from '../config.js';
import { scrubCardNumbers } from '../redaction/card-data.js';

/**
 * What the log may carry. Every line passes through pino's own hooks (a maintained place to do
 * it, applied to every logger Fastify derives per request):
 * - `redact`: credentials in headers (authorization, cookies, webhook signatures), wherever a
 *   headers object is logged;
 * - `serializers.req`: the request URL with card data removed from the path and the query (in
 *   every spelling a URL allows: %XX, '+') and signed link tokens shortened;
 * - `serializers.err`: the error's message, stack and own fields scrubbed the same way;
 * - `formatters.log` and `hooks.logMethod`: every other string in a line (fields, messages,
 *   interpolated values), so a service that logs user text cannot leak a card number either.
 */

/** Header names whose values are credentials. */
const SECRET_HEADERS = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'stripe-signature', 'x-api-key'];

/** pino redaction paths: those headers at the top level and one level down (req.headers, res.headers, ...). */
export const LOG_REDACT = ['', '*.'].flatMap((prefix) => SECRET_HEADERS.map((h) => `${prefix}headers["${h}"]`));

/** How much of a link token or session token a log line keeps: enough to tell which kind it was. */
export const TOKEN_LOG_PREFIX = 10;
const ELLIPSIS = '…';
/** A logged URL longer than this is cut (a 414 probe can be kilobytes). */
const MAX_LOGGED_URL = 512;

/** Signed link tokens (`v1.<kid>.<payload>.<mac>`, src/links/signer.ts) and JWTs (`eyJ<header>.<payload>.<signature>`). */
const TOKENS = /\bv1\.[A-Za-z0-9_-]{1,64}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}|\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;
/** Path segments after these are link tokens, whatever their shape: `/pay/<token>`, `/doc/<token>`. */
const TOKEN_PATHS = new Set(['pay', 'doc']);
/** Pages under a token path that are not tokens. */
const NOT_TOKENS = new Set(['return']);
/** Query parameters whose values are credentials or capabilities. */
const SECRET_PARAM = /token|sig|secret|password|session|auth|key|jwt|code/i;

function shorten(value: string): string {
  return value.length > TOKEN_LOG_PREFIX ? `${value.slice(0, TOKEN_LOG_PREFIX)}${ELLIPSIS}` : value;
}

/** Percent-decodes what decodes; a malformed escape stays as typed (a log must never throw). */
function decodeLoosely(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return run;
      }
    });
  }
}

/**
 * A string with card numbers removed and tokens shortened. Text that carries URL escapes is also
 * read decoded ('%20' and '+' as spaces): when the decoded form holds a card number, the decoded
 * form is what is logged, scrubbed.
 */
export function scrubLogText(s: string): string {
  let out = scrubCardNumbers(s);
  if (out === s && /%[0-9A-Fa-f]{2}|\+/.test(s)) {
    for (const form of [decodeLoosely(s), decodeLoosely(s.replace(/\+/g, ' '))]) {
      const scrubbed = scrubCardNumbers(form);
      if (scrubbed !== form) {
        out = scrubbed;
        break;
      }
    }
  }
  return out.replace(TOKENS, shorten);
}

/** One path segment: a link token is shortened, anything else scrubbed. */
function redactSegment(segment: string, previous: string | undefined): string {
  if (previous !== undefined && TOKEN_PATHS.has(previous) && segment !== '' && !NOT_TOKENS.has(segment)) return shorten(scrubLogText(segment));
  return scrubLogText(segment);
}

/** One `name=value` pair of a query string. */
function redactParam(pair: string): string {
  const eq = pair.indexOf('=');
  if (eq < 0) return scrubLogText(pair);
  const name = scrubLogText(pair.slice(0, eq));
  const value = pair.slice(eq + 1);
  return `${name}=${SECRET_PARAM.test(decodeLoosely(pair.slice(0, eq))) ? shorten(scrubLogText(value)) : scrubLogText(value)}`;
}

/** A request URL as the log shows it: card data removed from the path and the query, tokens shortened. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const segments = path.split('/');
  let out = segments.map((s, i) => redactSegment(s, segments[i - 1])).join('/');
  if (q >= 0) out += `?${url.slice(q + 1).split('&').map(redactParam).join('&')}`;
  return out.length > MAX_LOGGED_URL ? `${out.slice(0, MAX_LOGGED_URL)}${ELLIPSIS}` : out;
}

/** Plain data (objects, arrays, strings) scrubbed to a bounded depth; class instances are left to their serializers. */
export function scrubLogValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubLogText(value);
  if (value === null || typeof value !== 'object' || depth > 8) return value;
  if (Array.isArray(value)) return value.map((v) => scrubLogValue(v, depth + 1));
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[scrubLogText(k)] = scrubLogValue(v, depth + 1);
  return out;
}

interface LoggedRequest {
  method?: unknown;
  url?: unknown;
  host?: unknown;
  ip?: unknown;
  socket?: { remotePort?: unknown } | null;
}

/** The request as a log line shows it (Fastify's default fields, the URL redacted, no headers). */
function serializeRequest(req: LoggedRequest): Record<string, unknown> {
  return {
    method: req.method,
    url: typeof req.url === 'string' ? redactUrl(req.url) : undefined,
    host: typeof req.host === 'string' ? scrubLogText(req.host) : undefined,
    remoteAddress: req.ip,
    remotePort: req.socket ? req.socket.remotePort : undefined,
  };
}

type SerializedError = { [key: string]: unknown; type: string; message: string; stack: string };

/** pino's error serializer (type, message, stack, causes, own fields), every string scrubbed. */
function serializeError(err: Error): SerializedError {
  if (!(err instanceof Error)) return scrubLogValue(err) as SerializedError;
  // The serializer's result has its own prototype: its fields are copied to plain data first.
  return scrubLogValue({ ...stdSerializers.err(err) }) as SerializedError;
}

/** What decides how the app logs. */
export type LoggingConfig = Pick<Config, 'LOG_LEVEL' | 'LOG_PRETTY' | 'NODE_ENV'>;

/** The logger options of the app and the controller that writes one line per request. */
export interface AppLogging {
  logger: FastifyServerOptions['logger'] & LoggerOptions;
  logController: LogController;
  pretty: boolean;
}

/**
 * How the app logs: JSON lines to `stream` (tests) or stdout, or human-readable lines through
 * pino-pretty when LOG_PRETTY says so (unset: outside production, when stdout is a terminal).
 * `stdoutIsTTY` is a parameter for tests.
 */
export function appLogging(config: LoggingConfig, stream?: { write(msg: string): void }, stdoutIsTTY = process.stdout.isTTY === true): AppLogging {
  const target = stream || config.LOG_LEVEL === 'silent' ? undefined : prettyTarget(config, stdoutIsTTY);
  const options = loggerOptions(config.LOG_LEVEL, stream);
  if (target) {
    options.transport = {
      target,
      // Runs in pino's worker thread: redaction, serializers and formatters have already applied.
      options: {
        colorize: stdoutIsTTY,
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname,reqId',
        messageFormat: '{msg}{if reqId} [{reqId}]{end}',
      },
    };
  }
  return { logger: options, logController: new OneLinePerRequest(target !== undefined), pretty: target !== undefined };
}

/** pino-pretty's entry point when pretty output is wanted and installed; else undefined (JSON). */
function prettyTarget(config: LoggingConfig, stdoutIsTTY: boolean): string | undefined {
  const wanted = config.LOG_PRETTY ?? (config.NODE_ENV !== 'production' && stdoutIsTTY);
  if (!wanted) return undefined;
  try {
    // A devDependency: the production image (npm ci --omit=dev) has none, and logs JSON.
    return createRequire(import.meta.url).resolve('pino-pretty');
  } catch {
    if (config.LOG_PRETTY) process.stderr.write('LOG_PRETTY=true but pino-pretty is not installed (npm install): logging JSON lines\n');
    return undefined;
  }
}

/** The level of a request's line: server errors are errors, client errors warnings, the rest info. */
export function requestLogLevel(statusCode: number): 'error' | 'warn' | 'info' {
  return statusCode >= 500 ? 'error' : statusCode >= 400 ? 'warn' : 'info';
}

/**
 * Fastify's log controller (its supported way to change the request lines) writing ONE line per
 * request when the response is sent, instead of "incoming request" + "request completed". The JSON
 * line keeps Fastify's fields (req through the serializer above, res.statusCode, responseTime, and
 * reqId from the request's logger) under the message "incoming request" that log searches and
 * tests/security/logs.test.ts look for; the pretty line reads "GET /url 200 3.1 ms".
 */
class OneLinePerRequest extends LogController {
  constructor(private readonly pretty: boolean) {
    super();
  }

  override incomingRequest(request: FastifyRequest, reply: FastifyReply): void {
    // Routed requests are written by requestCompleted. A request refused before routing (a URL that
    // does not decode, a parameter over maxParamLength: `params` is null) never reaches it in Fastify.
    if (request.params !== null || this.isLogDisabled(request)) return;
    const started = performance.now();
    reply.raw.once('finish', () => this.writeLine(null, request, reply, performance.now() - started));
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    this.writeLine(error, request, reply, reply.elapsedTime);
  }

  private writeLine(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply, responseTime: number): void {
    const level = error ? 'error' : requestLogLevel(reply.statusCode);
    const fields = error ? { err: error } : {};
    if (this.pretty) {
      const url = typeof request.url === 'string' ? redactUrl(request.url) : '';
      reply.log[level](fields, `${request.method} ${url} ${reply.statusCode} ${responseTime.toFixed(1)} ms`);
    } else {
      reply.log[level]({ ...fields, req: request, res: reply, responseTime }, 'incoming request');
    }
  }
}

/** The logger options of the app: level and destination come from the caller. */
export function loggerOptions(level: string, stream?: { write(msg: string): void }): FastifyServerOptions['logger'] & LoggerOptions {
  return {
    level,
    redact: { paths: LOG_REDACT, censor: '[redacted]' },
    serializers: { req: serializeRequest, err: serializeError },
    formatters: { log: (obj) => scrubLogValue(obj) as Record<string, unknown> },
    hooks: {
      logMethod(args, method) {
        // The message and interpolated values (`log.info('… %s', value)`); a leading object is the formatter's.
        const scrubbed = args.map((a, i) => (i === 0 && typeof a === 'object' ? a : scrubLogValue(a))) as Parameters<typeof method>;
        method.apply(this, scrubbed);
      },
    },
    ...(stream ? { stream } : {}),
  };
}
