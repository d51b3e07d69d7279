import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';

describe('smoke', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t.close());

  it('serves the R10042 balance', async () => {
    const res = await t.app.inject({ url: '/v1/billing/balance', headers: await t.auth('R10042') });
    expect(res.statusCode).toBe(200);
    expect(res.json().balance.amount).toBe('2494.96');
  });
});
