import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../errors.js';
import { errorPage, errorPageLocale, pageFamily, PAGE_HEADERS } from '../web/routes.js';

/** The one error body every route answers with. */
export const errorBody = z
  .object({
    error: z.object({
      code: z.string().describe('stable machine-readable code'),
      message: z.string().describe('what went wrong, for people'),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
    requestId: z.string(),
  })
  .describe('Error');

export type ErrorBody = z.infer<typeof errorBody>;

/** Response schemas for the errors a route may produce, keyed by status. */
export const errorResponses = {
  400: errorBody,
  401: errorBody,
  403: errorBody,
  404: errorBody,
  429: errorBody,
  500: errorBody,
} as const;

/** An error as the client gets it. */
interface Problem {
  status: number;
  code: string;
  message: string;
  details?: Record<string, unknown> | undefined;
  headers?: Record<string, string> | undefined;
}

/**
 * Fastify's own client errors, each with a fixed sentence: the framework's messages can quote the
 * URL ("'/pay/…' is exceeding the max param length"), a header ("Unsupported Media Type: …") or the
 * body, and nothing a client sent is ever repeated back.
 */
const FRAMEWORK_ERRORS: Record<string, [number, string, string]> = {
  FST_ERR_MAX_PARAM_LENGTH: [414, 'uri_too_long', 'A path parameter is longer than any valid value'],
  FST_ERR_BAD_URL: [400, 'invalid_request', 'The URL could not be decoded'],
  FST_ERR_INVALID_URL: [400, 'invalid_request', 'The URL could not be read'],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'invalid_request', 'The request body is not valid JSON'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'invalid_request', 'The request body is empty; send a JSON object'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'invalid_request', 'The request body does not match its Content-Length'],
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'payload_too_large', 'The request body is too large'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'unsupported_media_type', 'Unsupported media type: send application/json'],
};

/** Any other client error by status, for errors without a known code (a parser's SyntaxError, a plugin's error). */
const STATUS_ERRORS: Record<number, [string, string]> = {
  400: ['invalid_request', 'The request could not be read'],
  413: ['payload_too_large', 'The request body is too large'],
  414: ['uri_too_long', 'The URL is too long'],
  415: ['unsupported_media_type', 'Unsupported media type: send application/json'],
  429: ['rate_limited', 'Too many requests'],
};

/** Paths answered with HTML pages (a browser opened them): the pay pages, the sandbox checkout, the portal. */
const PAGE_PREFIXES = ['/pay', '/sandbox', '/portal'];

function isBrowserPage(url: string): boolean {
  const path = url.split('?')[0]!;
  return PAGE_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`));
}

/** A name from the request (a field, a key) shown in a message only when it is a plain identifier. */
function shownName(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_-]{0,39}$/.test(name) || /^[0-9]{1,6}$/.test(name) ? name : '…';
}

/** A path from the request named in a 404 only when it is plain and short (an unknown path can be anything the client typed). */
function shownPath(url: string): string | null {
  const path = url.split('?')[0]!;
  return path.length <= 100 && /^[A-Za-z0-9/_.-]*$/.test(path) && !/\d{8,}/.test(path.replace(/[-_.]/g, '')) ? path : null;
}

/** The schema's complaints, one per issue, naming fields but never their values. */
function validationProblem(err: FastifyError & { validation: NonNullable<FastifyError['validation']> }): Problem {
  const where = err.validationContext ?? 'request';
  const issues = err.validation.map((v) => {
    const path = v.instancePath.replace(/^\//, '').split('/').filter(Boolean).map(shownName).join('.');
    // zod names unknown keys in its message ("Unrecognized key: \"foo\""): a key that is not a plain name is not repeated.
    const keys = (v.params as { keys?: unknown } | undefined)?.keys;
    const hidden = Array.isArray(keys) && keys.some((k) => shownName(String(k)) !== String(k));
    const message = hidden ? `Unrecognized key(s): ${keys.map((k) => `"${shownName(String(k))}"`).join(', ')}` : (v.message ?? 'invalid');
    return { field: `${where}${path ? `.${path}` : ''}`, message };
  });
  return { status: 400, code: 'invalid_request', message: issues.map((i) => `${i.field}: ${i.message}`).join('; '), details: { issues } };
}

/** What the client is told for an error, and whether it is ours to log. */
function problemOf(err: FastifyError, req: FastifyRequest): Problem {
  if (err instanceof AppError) {
    if (err.statusCode >= 500) req.log.error({ err }, 'request failed');
    return { status: err.statusCode, code: err.code, message: err.message, details: err.details, headers: err.headers };
  }
  if (hasZodFastifySchemaValidationErrors(err)) return validationProblem(err);
  if (isResponseSerializationError(err)) {
    req.log.error({ err, issues: err.cause.issues }, 'response did not match its schema');
    return { status: 500, code: 'internal', message: 'Internal error' };
  }
  const known = err.code ? FRAMEWORK_ERRORS[err.code] : undefined;
  if (known) return { status: known[0], code: known[1], message: known[2] };
  const status = typeof err.statusCode === 'number' ? err.statusCode : 500;
  if (status >= 400 && status < 500) {
    const [code, message] = STATUS_ERRORS[status] ?? ['invalid_request', STATUS_CODES[status] ?? 'Bad request'];
    return { status, code, message };
  }
  req.log.error({ err }, 'unhandled error');
  return { status: 500, code: 'internal', message: 'Internal error' };
}

/** Sends a problem: the JSON error body, or the error page for a browser page (in the page's locale). */
function answer(req: FastifyRequest, reply: FastifyReply, p: Problem): FastifyReply {
  if (p.headers) void reply.headers(p.headers);
  if (isBrowserPage(req.url)) return reply.code(p.status).headers(PAGE_HEADERS).send(errorPage(p.status, errorPageLocale(req), pageFamily(req.url)));
  return reply.code(p.status).send({ error: { code: p.code, message: p.message, ...(p.details ? { details: p.details } : {}) }, requestId: req.id });
}

function notFound(req: FastifyRequest, reply: FastifyReply): void {
  const path = shownPath(req.url);
  void answer(req, reply, { status: 404, code: 'not_found', message: path ? `No route for ${req.method} ${path}` : `No route for ${req.method} at this path` });
}

/** Every error of every route. */
export function handleError(err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  return answer(req, reply, problemOf(err, req));
}

/**
 * Fastify's `frameworkErrors` option: errors raised before routing (a parameter over
 * maxParamLength, a URL that does not decode), which otherwise get fastify's raw body quoting the URL.
 */
export function frameworkErrors(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  void handleError(err, req, reply);
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setNotFoundHandler(notFound);
  app.setErrorHandler(handleError);
}
