import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../errors.js';

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

export function registerErrorHandling(app: FastifyInstance): void {
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ error: { code: 'not_found', message: `No route for ${req.method} ${req.url.split('?')[0]}` }, requestId: req.id });
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof AppError) {
      if (err.headers) void reply.headers(err.headers);
      if (err.statusCode >= 500) req.log.error({ err }, 'request failed');
      return reply.code(err.statusCode).send({
        error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) },
        requestId: req.id,
      });
    }
    if (hasZodFastifySchemaValidationErrors(err)) {
      const where = err.validationContext ?? 'request';
      const issues = err.validation.map((v) => {
        const field = v.instancePath.replace(/^\//, '').replace(/\//g, '.') || (v.params as { issue?: { path?: string[] } })?.issue?.path?.join('.') || '';
        return { field: `${where}${field ? `.${field}` : ''}`, message: v.message ?? 'invalid' };
      });
      const message = issues.map((i) => `${i.field}: ${i.message}`).join('; ');
      return reply.code(400).send({ error: { code: 'invalid_request', message, details: { issues } }, requestId: req.id });
    }
    if (isResponseSerializationError(err)) {
      req.log.error({ err, issues: err.cause.issues }, 'response did not match its schema');
      return reply.code(500).send({ error: { code: 'internal', message: 'Internal error' }, requestId: req.id });
    }
    const status = typeof err.statusCode === 'number' ? err.statusCode : 500;
    if (status >= 400 && status < 500) {
      // Fastify's own client errors (bad JSON, body too large, unsupported media type).
      const code = status === 413 ? 'payload_too_large' : status === 415 ? 'unsupported_media_type' : status === 429 ? 'rate_limited' : 'invalid_request';
      return reply.code(status).send({ error: { code, message: err.message }, requestId: req.id });
    }
    req.log.error({ err }, 'unhandled error');
    return reply.code(500).send({ error: { code: 'internal', message: 'Internal error' }, requestId: req.id });
  });
}
