import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { luhnValid } from '../../src/redaction/card-data.js';
import { createPaymentsTestApp, payToken, type PaymentsTestApp } from '../helpers/payments.js';
import { NO_LIMITS } from './edge-env.js';

/**
 * Defect 2 of issue #11: a card number or a signed link token in a request URL was written to the
 * log verbatim ("incoming request" line). Every log line the app writes is captured here and every
 * string in it (decoded the way a URL is: %XX and '+') is searched for any 12 consecutive digits
 * of the card, and for the secret parts of a link token.
 */

/** Card-number prefixes of the major schemes (Visa, Mastercard, Amex, Discover, JCB) and their lengths. */
const SCHEMES: ReadonlyArray<{ prefix: string; length: number }> = [
  { prefix: '4', length: 16 },
  { prefix: '52', length: 16 },
  { prefix: '2720', length: 16 },
  { prefix: '37', length: 15 },
  { prefix: '6011', length: 16 },
  { prefix: '3589', length: 16 },
  { prefix: '4', length: 19 },
];

/** A Luhn-valid card number: the prefix, random digits, the check digit. */
function cardNumber(prefix: string, length: number, body: readonly number[]): string {
  const partial = (prefix + body.join('')).slice(0, length - 1);
  for (let d = 0; d <= 9; d++) if (luhnValid(partial + d)) return partial + d;
  throw new Error('unreachable');
}

const cardArb = fc
  .tuple(fc.constantFrom(...SCHEMES), fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 18, maxLength: 18 }))
  .map(([s, body]) => cardNumber(s.prefix, s.length, body));

/** How the digits are written into a URL: bare, grouped by a dash, an encoded space, a '+', an encoded dash. */
const SEPARATORS = ['', '-', '%20', '+', '%2D', '%20%20'] as const;

function grouped(card: string, sep: string): string {
  return (card.match(/.{1,4}/g) ?? []).join(sep);
}

/** Where the number goes: query values and names, path parameters, unknown paths, the pay pages. */
const SHAPES: ReadonlyArray<{ name: string; method: 'GET' | 'POST'; auth: boolean; url: (c: string) => string }> = [
  { name: 'status query (the report)', method: 'GET', auth: true, url: (c) => `/v1/billing/invoices?status=${c}` },
  { name: 'second query value', method: 'GET', auth: true, url: (c) => `/v1/billing/payments?from=2026-01-01&note=${c}` },
  { name: 'query name', method: 'GET', auth: true, url: (c) => `/v1/billing/credits?${c}=1` },
  { name: 'query without a session', method: 'GET', auth: false, url: (c) => `/v1/billing/invoices?status=${c}` },
  { name: 'invoice path parameter', method: 'GET', auth: true, url: (c) => `/v1/billing/invoices/${c}` },
  { name: 'pdf path parameter', method: 'GET', auth: true, url: (c) => `/v1/billing/invoices/${c}/pdf` },
  { name: 'conversation id', method: 'GET', auth: true, url: (c) => `/v1/chat/conversations/${c}/messages` },
  { name: 'unknown API path (404)', method: 'GET', auth: true, url: (c) => `/v1/billing/cards/${c}` },
  { name: 'unknown root path (404)', method: 'GET', auth: false, url: (c) => `/${c}` },
  { name: 'pay page', method: 'GET', auth: false, url: (c) => `/pay/${c}` },
  { name: 'pay checkout', method: 'POST', auth: false, url: (c) => `/pay/${c}/checkout` },
  { name: 'pay return', method: 'GET', auth: false, url: (c) => `/pay/return?session_id=${c}` },
  { name: 'portal invoice', method: 'GET', auth: false, url: (c) => `/portal/billing/invoices/${c}` },
  { name: 'overlong pay path (414)', method: 'GET', auth: false, url: (c) => `/pay/${c}${'x'.repeat(400)}` },
];

/** Every string in a log line (keys too), parsed as JSON when it is JSON. */
function stringsOf(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (typeof value === 'number') out.push(String(value));
  else if (Array.isArray(value)) for (const v of value) stringsOf(v, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if ((k === 'time' || k === 'responseTime' || k === 'pid') && typeof v === 'number') continue;
      out.push(k);
      stringsOf(v, out);
    }
  }
  return out;
}

function lineStrings(line: string): string[] {
  try {
    return stringsOf(JSON.parse(line));
  } catch {
    return [line];
  }
}

/** A string as a URL decoder would read it ('+' as a space, %XX decoded byte by byte when whole sequences fail). */
function decoded(s: string): string {
  const plus = s.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(plus);
  } catch {
    return plus.replace(/%([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
  }
}

/** Log strings holding 12 consecutive digits of the card (in any spelling the URL allowed). */
function leaks(logs: readonly string[], card: string): string[] {
  const windows = Array.from({ length: card.length - 11 }, (_, i) => card.slice(i, i + 12));
  const found: string[] = [];
  for (const line of logs) {
    for (const s of lineStrings(line)) {
      const digits = [s, decoded(s)].map((x) => x.replace(/\D/g, ''));
      if (windows.some((w) => digits.some((d) => d.includes(w)))) found.push(s);
    }
  }
  return found;
}


describe('logs never carry card data or link tokens (issue #11, defect 2)', () => {
  let t: PaymentsTestApp;
  let auth: { authorization: string };

  beforeAll(async () => {
    t = await createPaymentsTestApp({ env: NO_LIMITS });
    auth = await t.auth('R10042');
  });
  afterAll(async () => {
    await t?.close();
  });

  async function request(shape: (typeof SHAPES)[number], url: string) {
    const before = t.logs.length;
    const res = await t.app.inject({
      method: shape.method,
      url,
      headers: { ...(shape.auth ? auth : {}), ...(shape.method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      ...(shape.method === 'POST' ? { payload: '' } : {}),
    });
    return { res, logs: t.logs.slice(before) };
  }

  it.each(SHAPES.map((s) => [s.name, s] as const))('%s: the number is not in the log, and the request is still logged', async (_name, shape) => {
    const card = '4539 1488 0343 6467'.replace(/ /g, '');
    for (const sep of SEPARATORS) {
      const { res, logs } = await request(shape, shape.url(grouped(card, sep)));
      expect(res.statusCode, `${shape.name} ${sep}`).toBeLessThan(500);
      expect(leaks(logs, card), `${shape.name} with separator "${sep}"`).toStrictEqual([]);
      // Still logged: the incoming request line names the method and a (redacted) URL.
      expect(logs.some((l) => l.includes('"incoming request"'))).toBe(true);
    }
  });

  it('generated: any scheme, any separator, any place in the URL (fast-check)', async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(cardArb, fc.constantFrom(...SEPARATORS), fc.constantFrom(...SHAPES), async (card, sep, shape) => {
        runs++;
        const { res, logs } = await request(shape, shape.url(grouped(card, sep)));
        expect(res.statusCode).toBeLessThan(500);
        expect(leaks(logs, card), `${shape.name} "${sep}" ${card}`).toStrictEqual([]);
      }),
      { numRuns: 300, seed: 1111 },
    );
    expect(runs).toBe(300);
  });

  it('the incoming-request line keeps what is not card data (method, path, other parameters)', async () => {
    const { logs } = await request(SHAPES[1]!, '/v1/billing/payments?from=2026-01-01&note=5105105105105100&limit=5');
    const line = logs.map((l) => JSON.parse(l) as { msg: string; req?: { method: string; url: string } }).find((l) => l.msg === 'incoming request');
    expect(line?.req?.method).toBe('GET');
    expect(line?.req?.url).toMatch(/^\/v1\/billing\/payments\?from=2026-01-01&note=.+&limit=5$/);
    expect(line?.req?.url).not.toContain('5105');
  });

  describe('signed link tokens are shortened', () => {
    const tokenShapes: ReadonlyArray<[string, 'GET' | 'POST', (tok: string) => string]> = [
      ['pay page', 'GET', (tok) => `/pay/${tok}`],
      ['pay page with a query', 'GET', (tok) => `/pay/${tok}?utm_source=mail`],
      ['checkout', 'POST', (tok) => `/pay/${tok}/checkout`],
      ['unknown page under the token (404)', 'GET', (tok) => `/pay/${tok}/receipt`],
      ['document link (404)', 'GET', (tok) => `/doc/${tok}`],
      ['token as a query parameter', 'GET', (tok) => `/v1/billing/invoices/IN7654321/pdf?token=${tok}`],
      ['token in another query parameter', 'GET', (tok) => `/v1/billing/invoices?status=open&link=${encodeURIComponent(tok)}`],
    ];

    it.each(tokenShapes)('%s: neither the payload nor the signature is logged', async (_name, method, url) => {
      for (const purpose of ['pay', 'pdf'] as const) {
        const tok = purpose === 'pay' ? payToken(t, 'IN7654321') : t.app.services.links.mint({ purpose, accountId: 'R10042', invoiceNumber: 'IN7654321' });
        const [, , payload, sig] = tok.split('.') as [string, string, string, string];
        const before = t.logs.length;
        const res = await t.app.inject({
          method,
          url: url(tok),
          headers: { ...auth, ...(method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
          ...(method === 'POST' ? { payload: '' } : {}),
        });
        expect(res.statusCode).toBeLessThan(500);
        const logs = t.logs.slice(before);
        const text = logs.map((l) => lineStrings(l).map(decoded).join('\n')).join('\n');
        expect(text).not.toContain(tok);
        expect(text).not.toContain(sig.slice(0, 12));
        expect(text).not.toContain(payload);
        // Shortened, not dropped: the log still shows which kind of link it was.
        expect(text).toContain('v1.');
        expect(text).toContain('…');
      }
    });
  });

  describe('the logger itself (anything the app logs, not only requests)', () => {
    it('messages, interpolated values, nested fields, arrays and errors are scrubbed', () => {
      const before = t.logs.length;
      const log = t.app.log;
      log.info({ note: { typed: 'my card is 3782 822463 10005 exp 04/29' }, list: ['ok', '6011-0009-9013-9424'] }, 'customer wrote 5555 5555 5555 4444');
      log.warn('interpolated %s and %o', '4012888888881881', { nested: '4000 0566 5566 5556' });
      log.error({ err: new Error('declined: 4242424242424242 could not be charged') }, 'payment failed');
      const failure = new Error('wrapper');
      (failure as Error & { input?: string }).input = '3530 1113 3330 0000';
      log.error({ err: failure, cause: 'was 5200 8282 8282 8210' }, 'with own fields');
      const logs = t.logs.slice(before);
      expect(logs).toHaveLength(4);
      for (const card of ['378282246310005', '6011000990139424', '5555555555554444', '4012888888881881', '4000056655665556', '4242424242424242', '3530111333300000', '5200828282828210']) {
        expect(leaks(logs, card), card).toStrictEqual([]);
      }
      expect(logs.join('\n')).toContain('[card number removed]');
    });

    it('authorization, cookies and webhook signatures are redacted wherever headers are logged', () => {
      const before = t.logs.length;
      t.app.log.info({ req: { headers: { authorization: 'Bearer SECRET-A', cookie: 'ba_portal=SECRET-B' } } }, 'req headers');
      t.app.log.info({ headers: { authorization: 'Bearer SECRET-C', cookie: 'ba_portal=SECRET-D', 'stripe-signature': 't=1,v1=SECRET-E', 'set-cookie': 'ba_portal=SECRET-F' } }, 'headers');
      t.app.log.info({ res: { headers: { 'set-cookie': 'ba_portal=SECRET-G' } } }, 'res headers');
      const text = t.logs.slice(before).join('\n');
      expect(text).not.toMatch(/SECRET-/);
      expect(text).toContain('[redacted]');
    });

    it('a bearer token or a session token in a URL is not logged', async () => {
      const jwt = (await t.auth('R10042')).authorization.slice('Bearer '.length);
      const before = t.logs.length;
      await t.app.inject({ method: 'GET', url: `/v1/billing/invoices?access_token=${jwt}` });
      await t.app.inject({ method: 'GET', url: `/widget.js?token=${jwt}` });
      const text = t.logs.slice(before).join('\n');
      expect(text).not.toContain(jwt.split('.')[2]!);
      expect(text).not.toContain(jwt.split('.')[1]!);
    });
  });
});
