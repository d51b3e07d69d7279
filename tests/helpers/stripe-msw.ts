import { randomInt } from 'node:crypto';
import { http, HttpResponse, type HttpHandler } from 'msw';

/**
 * A small Stripe API for msw, enough for the real `stripe` SDK: create (form-encoded, honouring
 * the Idempotency-Key header like Stripe: same key → the same session), expire, list with
 * pagination (`created[gte]`, `status`, `limit`, `starting_after`). Every request is recorded.
 */

export const STRIPE_API = 'https://api.stripe.com';

export interface MockSession {
  id: string;
  object: 'checkout.session';
  amount_subtotal: number;
  amount_total: number;
  cancel_url: string | null;
  client_reference_id: string | null;
  created: number;
  currency: string;
  customer: null;
  customer_email: null;
  expires_at: number;
  livemode: false;
  metadata: Record<string, string>;
  mode: 'payment';
  payment_intent: string | null;
  payment_status: 'paid' | 'unpaid';
  status: 'open' | 'complete' | 'expired';
  success_url: string | null;
  url: string | null;
}

export interface RecordedRequest {
  method: string;
  path: string;
  idempotencyKey: string | null;
  body: URLSearchParams;
  query: URLSearchParams;
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
/** Ids made of letters only: no digit run in a test database can look like a card number. */
export const letters = (n: number) => Array.from({ length: n }, () => LETTERS[randomInt(LETTERS.length)]).join('');

export function createStripeMock() {
  const sessions = new Map<string, MockSession>();
  const byKey = new Map<string, string>();
  const requests: RecordedRequest[] = [];
  let createFailures = 0;

  const record = async (request: Request): Promise<RecordedRequest> => {
    const url = new URL(request.url);
    const text = request.method === 'GET' ? '' : await request.text();
    const r = { method: request.method, path: url.pathname, idempotencyKey: request.headers.get('idempotency-key'), body: new URLSearchParams(text), query: url.searchParams };
    requests.push(r);
    return r;
  };

  const handlers: HttpHandler[] = [
    http.post(`${STRIPE_API}/v1/checkout/sessions`, async ({ request }) => {
      const r = await record(request);
      if (createFailures > 0) {
        createFailures--;
        return HttpResponse.json({ error: { type: 'api_error', message: 'Something went wrong on Stripe' } }, { status: 500 });
      }
      const existing = r.idempotencyKey ? byKey.get(r.idempotencyKey) : undefined;
      if (existing) return HttpResponse.json(sessions.get(existing)!, { headers: { 'idempotent-replayed': 'true' } });
      const b = r.body;
      const id = `cs_test_${letters(32)}`;
      const metadata: Record<string, string> = {};
      for (const [k, v] of b) {
        const m = /^metadata\[(.+)\]$/.exec(k);
        if (m) metadata[m[1]!] = v;
      }
      const amount = Number(b.get('line_items[0][price_data][unit_amount]'));
      const s: MockSession = {
        id,
        object: 'checkout.session',
        amount_subtotal: amount,
        amount_total: amount,
        cancel_url: b.get('cancel_url'),
        client_reference_id: b.get('client_reference_id'),
        created: Math.floor(Date.now() / 1000),
        currency: b.get('line_items[0][price_data][currency]') ?? '',
        customer: null,
        customer_email: null,
        expires_at: Number(b.get('expires_at')),
        livemode: false,
        metadata,
        mode: 'payment',
        payment_intent: null,
        payment_status: 'unpaid',
        status: 'open',
        success_url: b.get('success_url'),
        url: `https://checkout.stripe.com/c/pay/${id}`,
      };
      sessions.set(id, s);
      if (r.idempotencyKey) byKey.set(r.idempotencyKey, id);
      return HttpResponse.json(s);
    }),
    http.post(`${STRIPE_API}/v1/checkout/sessions/:id/expire`, async ({ request, params }) => {
      await record(request);
      const s = sessions.get(String(params['id']));
      if (!s) return HttpResponse.json({ error: { type: 'invalid_request_error', message: 'No such checkout.session' } }, { status: 404 });
      if (s.status !== 'open') return HttpResponse.json({ error: { type: 'invalid_request_error', message: 'Only open sessions can be expired' } }, { status: 400 });
      s.status = 'expired';
      s.url = null;
      return HttpResponse.json(s);
    }),
    http.get(`${STRIPE_API}/v1/checkout/sessions`, async ({ request }) => {
      const r = await record(request);
      const q = r.query;
      const gte = Number(q.get('created[gte]') ?? '0');
      const status = q.get('status');
      const limit = Number(q.get('limit') ?? '10');
      const after = q.get('starting_after');
      let list = [...sessions.values()].filter((s) => s.created >= gte && (!status || s.status === status)).sort((a, b) => b.created - a.created || (a.id < b.id ? -1 : 1));
      if (after) list = list.slice(list.findIndex((s) => s.id === after) + 1);
      const page = list.slice(0, limit);
      return HttpResponse.json({ object: 'list', url: '/v1/checkout/sessions', has_more: list.length > limit, data: page });
    }),
  ];

  return {
    handlers,
    sessions,
    requests,
    creates: () => requests.filter((r) => r.method === 'POST' && r.path === '/v1/checkout/sessions'),
    /** The next n session creations answer 500. */
    failNextCreates(n: number) {
      createFailures = n;
    },
    /** The customer pays: the session completes (what Stripe then sends in checkout.session.completed). */
    complete(id: string, opts: { paid?: boolean } = {}): MockSession {
      const s = sessions.get(id);
      if (!s) throw new Error(`no mock session ${id}`);
      s.status = 'complete';
      s.payment_status = opts.paid === false ? 'unpaid' : 'paid';
      s.payment_intent = `pi_${letters(24)}`;
      s.url = null;
      return structuredClone(s);
    },
    /** A session created outside our app (another integration), or a fabricated one. */
    add(s: MockSession) {
      sessions.set(s.id, s);
    },
    reset() {
      sessions.clear();
      byKey.clear();
      requests.length = 0;
      createFailures = 0;
    },
  };
}
export type StripeMock = ReturnType<typeof createStripeMock>;
