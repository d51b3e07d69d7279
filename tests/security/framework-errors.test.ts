import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Card } from '../../src/agent/types.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { NO_LIMITS } from './edge-env.js';

/**
 * Defect 5 of issue #11 (the framework's part): a 14-character key id made the server's own pay
 * links longer than fastify's default route-parameter limit (100), so the pay page and the
 * checkout answered 414 with fastify's raw FST_ERR_MAX_PARAM_LENGTH body echoing the URL. Every
 * error the framework raises (414, 413, 415, bad JSON, a URL that does not decode, 404) is now
 * answered in the project's error shape (JSON for the API, an HTML page for the browser pages)
 * and none of them echoes the URL, the body or a header.
 */

interface ErrorJson {
  error: { code: string; message: string; details?: unknown };
  requestId: string;
}

const CANARY = 'CANARY7Q';
const CARD = '5425233430109903';

function expectJsonError(res: LightMyRequestResponse, status: number, code: string): ErrorJson {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const body = res.json<ErrorJson>();
  expect(body).toStrictEqual({ error: { code, message: expect.any(String) }, requestId: expect.any(String) });
  expect(body.error.message.length).toBeGreaterThan(0);
  expect(res.body).not.toMatch(/FST_ERR|statusCode/);
  return body;
}

function expectPage(res: LightMyRequestResponse, status: number): void {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
  expect(String(res.headers['content-security-policy'])).toContain("default-src 'none'");
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  expect(res.body).toMatch(/^<!doctype html>/);
  expect(res.body).not.toMatch(/FST_ERR|<script/);
}

function expectNoEcho(res: LightMyRequestResponse, ...inputs: string[]): void {
  for (const input of [CANARY, CARD, ...inputs]) expect(res.body).not.toContain(input);
}


describe('framework errors in our own shape, never echoing input (issue #11, defect 5)', () => {
  let t: TestApp;
  let auth: { authorization: string };

  beforeAll(async () => {
    t = await createTestApp(NO_LIMITS);
    auth = await t.auth('R10042');
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('414: a route parameter longer than any valid one', () => {
    it('API routes answer JSON', async () => {
      const long = `${CANARY}${'9'.repeat(300)}`;
      for (const url of [`/v1/billing/invoices/${long}`, `/v1/billing/invoices/${long}/pdf`, `/v1/chat/conversations/${long}/messages`, `/v1/billing/contacts/${long}`]) {
        const res = await t.app.inject({ method: url.includes('contacts') ? 'DELETE' : 'GET', url, headers: auth });
        expectJsonError(res, 414, 'uri_too_long');
        expectNoEcho(res, long);
      }
    });

    it('browser pages (pay, checkout, portal) answer an HTML page', async () => {
      const long = `${CANARY}${CARD}${'a'.repeat(900)}`;
      for (const [method, url] of [
        ['GET', `/pay/${long}`],
        ['POST', `/pay/${long}/checkout`],
        ['GET', `/portal/billing/invoices/${long}`],
        ['GET', `/sandbox/checkout/${long}`],
      ] as const) {
        const res = await t.app.inject({ method, url, ...(method === 'POST' ? { headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: '' } : {}) });
        expectPage(res, 414);
        expectNoEcho(res, long);
      }
    });
  });

  describe('400: a URL that does not decode', () => {
    it('API and pages', async () => {
      const api = await t.app.inject({ method: 'GET', url: `/v1/billing/invoices/${CANARY}%E0%A4%A`, headers: auth });
      expectJsonError(api, 400, 'invalid_request');
      expectNoEcho(api);
      const pay = await t.app.inject({ method: 'GET', url: `/pay/${CANARY}%zz` });
      expectPage(pay, 400);
      expectNoEcho(pay);
    });
  });

  describe('413: a body over the limit', () => {
    it('JSON routes', async () => {
      const conv = (await t.app.inject({ method: 'POST', url: '/v1/chat/conversations', headers: auth })).json<{ id: string }>().id;
      const big = JSON.stringify({ text: `${CANARY} ${CARD} ${'x'.repeat(80 * 1024)}` });
      const res = await t.app.inject({ method: 'POST', url: `/v1/chat/conversations/${conv}/messages`, headers: { ...auth, 'content-type': 'application/json' }, payload: big });
      expectJsonError(res, 413, 'payload_too_large');
      expectNoEcho(res);
    });

    it('form posts to the pay pages', async () => {
      const token = t.app.services.links.mint({ purpose: 'pay', accountId: 'R10042', invoiceNumber: 'IN7654321' });
      const res = await t.app.inject({
        method: 'POST',
        url: `/pay/${token}/checkout`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: `note=${CANARY}${'y'.repeat(8000)}`,
      });
      expectPage(res, 413);
      expectNoEcho(res, token);
    });
  });

  describe('415: a content type no route reads', () => {
    it('JSON routes never repeat the content type', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/billing/contacts',
        headers: { ...auth, 'content-type': `application/x-${CANARY}; card=${CARD}` },
        payload: `${CANARY}`,
      });
      expectJsonError(res, 415, 'unsupported_media_type');
      expectNoEcho(res);
    });

    it('pay pages', async () => {
      const token = t.app.services.links.mint({ purpose: 'pay', accountId: 'R10042', invoiceNumber: 'IN7654321' });
      const res = await t.app.inject({ method: 'POST', url: `/pay/${token}/checkout`, headers: { 'content-type': `text/x-${CANARY}` }, payload: CANARY });
      expectPage(res, 415);
      expectNoEcho(res, token);
    });
  });

  describe('400: a body that is not JSON', () => {
    it.each([
      ['a syntax error right after the card number', `{"text": "${CARD} ${CANARY}`],
      ['a stray token', `{"text": ${CANARY}}`],
      ['a truncated body', `{"email":"${CANARY}@mycompany.com","name":`],
      ['a number that is not JSON', `{"text": 0x${CARD}}`],
    ])('%s: the parser message is not repeated', async (_label, payload) => {
      for (const url of ['/v1/billing/contacts', '/v1/chat/conversations']) {
        const res = await t.app.inject({ method: 'POST', url, headers: { ...auth, 'content-type': 'application/json' }, payload });
        const body = expectJsonError(res, 400, 'invalid_request');
        expect(body.error.message).toMatch(/JSON/);
        expectNoEcho(res);
      }
    });

    it('an unknown field named by a card number is refused without repeating its name', async () => {
      const conv = (await t.app.inject({ method: 'POST', url: '/v1/chat/conversations', headers: auth })).json<{ id: string }>().id;
      const res = await t.app.inject({ method: 'POST', url: `/v1/chat/conversations/${conv}/messages`, headers: auth, payload: { text: 'hi', [`${CARD.slice(0, 8)} ${CARD.slice(8)}`]: 1, [`note ${CANARY}`]: 2 } });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json<ErrorJson>().error.message).toMatch(/Unrecognized key/);
      expectNoEcho(res, CARD.slice(0, 8));
      const query = await t.app.inject({ method: 'GET', url: `/v1/billing/invoices/outstanding?${CARD}=1`, headers: auth });
      expect(query.statusCode, query.body).toBe(400);
      expectNoEcho(query);
      // A plain unknown name is still named (the API's existing behaviour).
      const plain = await t.app.inject({ method: 'GET', url: '/v1/billing/credits?from=2026-01-01', headers: auth });
      expect(plain.json<ErrorJson>().error.message).toContain('from');
    });

    it('an empty JSON body', async () => {
      const res = await t.app.inject({ method: 'POST', url: '/v1/billing/contacts', headers: { ...auth, 'content-type': 'application/json' }, payload: '' });
      expectJsonError(res, 400, 'invalid_request');
    });
  });

  describe('404: unknown paths', () => {
    it('the API answers JSON, never with the card number or a long path', async () => {
      for (const url of [`/v1/cards/${CARD}`, `/v1/${CANARY}/${'z'.repeat(300)}`, `/${CARD.replace(/(\d{4})(?=\d)/g, '$1-')}`, `/v1/x?${CANARY}=1`]) {
        const res = await t.app.inject({ method: 'GET', url, headers: auth });
        expectJsonError(res, 404, 'not_found');
        expectNoEcho(res, 'z'.repeat(60));
        expect(res.body.replace(/\D/g, '')).not.toContain(CARD.slice(0, 12));
      }
    });

    it('a short plain path is still named (the existing message)', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/v1/nope' });
      expect(res.json<ErrorJson>().error.message).toBe('No route for GET /v1/nope');
    });

    it('browser pages answer an HTML page', async () => {
      const token = t.app.services.links.mint({ purpose: 'pay', accountId: 'R10042', invoiceNumber: 'IN7654321' });
      for (const url of [`/pay/${token}/receipt`, `/pay/${CANARY}/x/y`, `/portal/${CANARY}`]) {
        const res = await t.app.inject({ method: 'GET', url });
        expectPage(res, 404);
        expectNoEcho(res, token);
      }
    });
  });

  describe('a 14-character key id gives working links (and the longest key id, 16)', () => {
    it.each([
      ['14', 'reseller-2026a'],
      ['16', 'reseller-2026-q4'],
    ])('kid of %s characters: pay page 200, checkout 303, sandbox page 200', async (_n, kid) => {
      const k = await createTestApp({ ...NO_LIMITS, LINK_SIGNING_KEYS: `${kid}:${'s'.repeat(40)},k1:${'t'.repeat(40)}` });
      try {
        expect(kid).toHaveLength(Number(_n));
        // Minted by the chat, as a customer gets it.
        const conv = (await k.app.inject({ method: 'POST', url: '/v1/chat/conversations', headers: await k.auth('R10042') })).json<{ id: string }>().id;
        const reply = await k.app.inject({ method: 'POST', url: `/v1/chat/conversations/${conv}/messages`, headers: await k.auth('R10042'), payload: { text: 'Show me invoice IN7654321' } });
        expect(reply.statusCode, reply.body).toBe(200);
        const card = reply.json<{ cards: Card[] }>().cards.find((c) => c.type === 'invoice');
        const payUrl = card?.type === 'invoice' ? card.payUrl : null;
        expect(payUrl).toMatch(new RegExp(`/pay/v1\\.${kid}\\.`));
        const path = new URL(payUrl!).pathname;
        expect(path.length).toBeGreaterThan(100 + '/pay/'.length);

        const page = await k.app.inject({ method: 'GET', url: path });
        expect(page.statusCode, page.body).toBe(200);
        expect(page.body).toContain('Invoice IN7654321');
        const pay = await k.app.inject({ method: 'POST', url: `${path}/checkout`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: '' });
        expect(pay.statusCode, pay.body).toBe(303);
        const sandbox = await k.app.inject({ method: 'GET', url: String(pay.headers.location) });
        expect(sandbox.statusCode).toBe(200);

        // Minted by the service for every fixture account and purpose: each fits the route.
        for (const accountId of ['R10042', 'R20077']) {
          const token = k.app.services.links.mint({ purpose: 'pay', accountId, invoiceNumber: 'IN7654321' }, 60 * 60 * 24 * 30);
          const res = await k.app.inject({ method: 'GET', url: `/pay/${token}` });
          expect([200, 404], res.body).toContain(res.statusCode);
        }
      } finally {
        await k.close();
      }
    });
  });
});
