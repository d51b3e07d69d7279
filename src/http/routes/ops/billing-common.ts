import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import type { Transaction } from 'kysely';
import { z } from 'zod';
import { isUniqueViolation } from '../../../billing/ops/apply.js';
import { answerKey, claimKey, requestHash } from '../../../billing/ops/idempotency.js';
import type { Change } from '../../../billing/ops/upsert.js';
import type { DB } from '../../../db/schema.js';
import { AppError, NotFoundError } from '../../../errors.js';
import type { Services } from '../../../services.js';
import { errorBody, errorResponses } from '../../errors.js';
import { auditAccount, opsSecurity, requireScope } from '../../ops-auth.js';

/**
 * What the billing-data routes of the operator API share (README "Connecting your billing
 * system", "Upserts"): the scopes, the Idempotency-Key every write carries, the answers.
 */

/** Scopes are checked before the body is read: a token without them gets its 403 whatever it sent. */
const canWrite: onRequestHookHandler = async (req) => {
  requireScope(req, 'billing:write');
};
const canRead: onRequestHookHandler = async (req) => {
  requireScope(req, 'billing:read');
};

/** The header of every write: printable ASCII, at most 255 characters (a UUID is a good key). */
const idempotencyHeaders = z.looseObject({
  'idempotency-key': z
    .string()
    .regex(/^[\x21-\x7e]{1,255}$/, 'required on every write: 1 to 255 printable ASCII characters, e.g. a UUID')
    .describe('one key per intended write: a retry sends the same key and body and gets the same answer, without writing again'),
});

/** A GET of one record (billing:read), documented under the tag ops. */
export function readRoute<P extends z.ZodType, V extends z.ZodType>(summary: string, params: P, view: V) {
  return { onRequest: canRead, schema: { tags: ['ops'], summary: `${summary} (billing:read)`, security: opsSecurity, params, response: { 200: view, ...errorResponses } } };
}

/**
 * A write (billing:write) with its Idempotency-Key header, documented under the tag ops. Answers:
 * 201 created, 200 updated or unchanged (or a replay's stored status); 409 a conflict with what is
 * stored; 422 a key reused for another request.
 */
export function writeRoute<P extends z.ZodType, B extends z.ZodType | undefined, V extends z.ZodType>(o: { summary: string; description?: string; params: P; body: B; view: V }) {
  return {
    onRequest: canWrite,
    schema: {
      tags: ['ops'],
      summary: `${o.summary} (billing:write)`,
      ...(o.description ? { description: o.description } : {}),
      security: opsSecurity,
      headers: idempotencyHeaders,
      params: o.params,
      body: o.body,
      response: { 200: o.view, 201: o.view, ...errorResponses, 409: errorBody, 422: errorBody },
    },
  };
}

export interface Written {
  status: number;
  body: { accountId: string };
}

/** The answer of a write: 201 when it created the record, 200 otherwise, with the record as it now is. */
export function written<V extends { accountId: string }>(change: Change | 'removed' | 'absent', view: V | null): { status: number; body: V } {
  // The record was just written in this transaction: it is there.
  if (!view) throw new Error('written record not found');
  return { status: change === 'created' ? 201 : 200, body: view };
}

/** A record read by id, or 404. */
export function found<V extends { accountId: string }>(req: FastifyRequest, view: V | null, what: string): V {
  if (!view) throw new NotFoundError(`${what} not found`);
  auditAccount(req, view.accountId);
  return view;
}

/** Once: what one run of the write answered, or the stored answer of its key. */
async function runOnce(
  services: Services,
  key: { operatorId: string; key: string; request: string; hash: string },
  write: (trx: Transaction<DB>) => Promise<Written>,
): Promise<Written & { replayed: boolean }> {
  return services.db.transaction().execute(async (trx) => {
    const claim = await claimKey(trx, key);
    if (claim.kind === 'mismatch') {
      throw new AppError(
        422,
        'idempotency_key_reused',
        `headers.idempotency-key: this key was used for another request (${claim.request}, or the same URL with another body); send a new key for a new request`,
        { details: { field: 'headers.idempotency-key', firstRequest: claim.request } },
      );
    }
    if (claim.kind === 'replay') return { status: claim.status, body: claim.body as Written['body'], replayed: true };
    const out = await write(trx);
    await answerKey(trx, key, out.status, out.body);
    return { ...out, replayed: false };
  });
}

/**
 * Runs a write under its Idempotency-Key, in one transaction with the key's claim and answer: a
 * replay (same key, same request) answers what the first answered (with `Idempotent-Replayed:
 * true`) and writes nothing; the same key with another request is a 422. A refused write (4xx)
 * keeps nothing, its key included. When a concurrent request with another key created the same
 * record first (a unique violation), the write runs once more and finds it: an update.
 */
export async function idempotentWrite(services: Services, req: FastifyRequest, reply: FastifyReply, write: (trx: Transaction<DB>) => Promise<Written>): Promise<FastifyReply> {
  const operator = requireScope(req, 'billing:write');
  const request = `${req.method} ${req.url.split('?')[0]}`;
  const key = {
    operatorId: operator.operatorId,
    key: String(req.headers['idempotency-key']),
    request,
    hash: requestHash(req.method, `${req.routeOptions.url} ${JSON.stringify(req.params)}`, req.body),
  };
  // The account for the audit row, also when the write is refused (auditAccount keeps only a valid account id).
  const named = (req.body as { accountId?: unknown } | undefined)?.accountId;
  if (typeof named === 'string') auditAccount(req, named);
  let out: Written & { replayed: boolean };
  try {
    out = await runOnce(services, key, write);
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    out = await runOnce(services, key, write);
  }
  auditAccount(req, out.body.accountId);
  if (out.replayed) void reply.header('idempotent-replayed', 'true');
  return reply.code(out.status).send(out.body);
}
