import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signSessionToken } from '../../src/identity/session.js';
import { testConfig } from '../../src/config.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

/**
 * Which locale wins (French issue): cards and labels follow the page's `locale`, then the token's
 * claim, then Accept-Language, then en-CA; the REST API's display strings follow Accept-Language only.
 * fr-CA money is Intl's: `2 494,96 $` with no-break spaces (U+00A0).
 */
const NBSP = '\u00a0';
const FR_BALANCE = `2${NBSP}494,96${NBSP}$`;

interface Card {
  type: string;
  title?: string;
  statusLabel?: string;
  balance?: { display: string };
  total?: { display: string } | null;
  items?: Array<{ statusLabel: string; amountDue: { display: string } }>;
}

describe('locale of cards, labels and REST display strings', () => {
  let t: TestApp;
  const config = testConfig();

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t.close());

  const bearer = async (locale?: 'en-CA' | 'fr-CA') => ({
    authorization: `Bearer ${await signSessionToken(config, { accountId: 'R10042', userId: 'jordan@mycompany.com', locale: locale ?? null })}`,
  });

  async function ask(text: string, headers: Record<string, string>, locale?: string) {
    const conv = await t.app.inject({ method: 'POST', url: '/v1/chat/conversations', headers });
    expect(conv.statusCode).toBe(201);
    const res = await t.app.inject({
      method: 'POST',
      url: `/v1/chat/conversations/${conv.json<{ id: string }>().id}/messages`,
      headers,
      payload: locale === undefined ? { text } : { text, locale },
    });
    return res;
  }

  it('REST: Accept-Language fr-CA gives French display strings; none, English; the token claim does not change the API', async () => {
    const fr = await t.app.inject({ url: '/v1/billing/balance', headers: { ...(await bearer()), 'accept-language': 'fr-CA,fr;q=0.9' } });
    expect(fr.json<{ balance: { display: string; amount: string } }>().balance).toMatchObject({ display: FR_BALANCE, amount: '2494.96' });
    const frFR = await t.app.inject({ url: '/v1/billing/invoices/IN7654321', headers: { ...(await bearer()), 'accept-language': 'fr-FR' } });
    expect(frFR.json<{ statusLabel: string; status: string }>().statusLabel).not.toBe(frFR.json<{ status: string }>().status);
    expect(frFR.json<{ statusLabel: string }>().statusLabel).toMatch(/^(Payée|À payer|En retard|Partiellement payée|En retard \(partiellement payée\)|Annulée)$/);
    const en = await t.app.inject({ url: '/v1/billing/balance', headers: await bearer('fr-CA') });
    expect(en.json<{ balance: { display: string } }>().balance.display).toBe('$2,494.96');
    const other = await t.app.inject({ url: '/v1/billing/balance', headers: { ...(await bearer()), 'accept-language': 'de-DE, es;q=0.5' } });
    expect(other.json<{ balance: { display: string } }>().balance.display).toBe('$2,494.96');
  });

  it('chat: the body locale makes the cards French (amounts, status labels, list titles); the model-facing figures stay en-CA', async () => {
    const res = await ask('What is my balance?', await bearer(), 'fr-CA');
    expect(res.statusCode, res.body).toBe(200);
    const card = res.json<{ cards: Card[] }>().cards.find((c) => c.type === 'balance');
    expect(card?.balance?.display).toBe(FR_BALANCE);

    const list = await ask('List my outstanding invoices', await bearer(), 'fr-CA');
    const listCard = list.json<{ cards: Card[] }>().cards.find((c) => c.type === 'invoice_list');
    expect(listCard?.title).toBe('Factures impayées');
    for (const item of listCard?.items ?? []) {
      expect(item.amountDue.display).toMatch(/^\d{1,3}(\u00a0\d{3})*,\d{2}\u00a0\$$/);
      expect(['À payer', 'En retard', 'Partiellement payée', 'En retard (partiellement payée)']).toContain(item.statusLabel);
    }
    expect(listCard?.items?.length).toBeGreaterThan(0);
  });

  it('chat: the token claim gives French cards when the page says nothing; the page beats the claim; Accept-Language comes last', async () => {
    const byClaim = await ask('What is my balance?', await bearer('fr-CA'));
    expect(byClaim.json<{ cards: Card[] }>().cards[0]?.balance?.display).toBe(FR_BALANCE);
    const pageWins = await ask('What is my balance?', await bearer('fr-CA'), 'en-CA');
    expect(pageWins.json<{ cards: Card[] }>().cards[0]?.balance?.display).toBe('$2,494.96');
    const byHeader = await ask('What is my balance?', { ...(await bearer()), 'accept-language': 'fr' });
    expect(byHeader.json<{ cards: Card[] }>().cards[0]?.balance?.display).toBe(FR_BALANCE);
    const claimBeatsHeader = await ask('What is my balance?', { ...(await bearer('en-CA')), 'accept-language': 'fr' });
    expect(claimBeatsHeader.json<{ cards: Card[] }>().cards[0]?.balance?.display).toBe('$2,494.96');
  });

  it('chat: an unknown locale in the body is a 400 naming the field', async () => {
    const res = await ask('What is my balance?', await bearer(), 'fr-FR');
    expect(res.statusCode).toBe(400);
    expect(res.body).toMatch(/locale/);
  });

  it('chat (SSE): the tool progress label is in the page locale', async () => {
    const headers = { ...(await bearer()), accept: 'text/event-stream' };
    const conv = await t.app.inject({ method: 'POST', url: '/v1/chat/conversations', headers: await bearer() });
    const res = await t.app.inject({
      method: 'POST',
      url: `/v1/chat/conversations/${conv.json<{ id: string }>().id}/messages`,
      headers,
      payload: { text: 'show me invoice IN7654321', locale: 'fr-CA' },
    });
    expect(res.body).toContain('"label":"Recherche de la facture IN7654321"');
  });
});
