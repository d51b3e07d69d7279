import { describe, expect, it } from 'vitest';
import { testConfig } from '../../src/config.js';
import { UnauthorizedError } from '../../src/errors.js';
import { signSessionToken, verifySessionToken } from '../../src/identity/session.js';

/**
 * Issue #11, defect 4, for the other tokens the project verifies: portal JWTs (Bearer header and
 * the portal cookie) are checked by jose, which on Node 20 decodes base64url with atob and so
 * ignores the unused low bits of a part's last character. A JWT must have one spelling too: no
 * single-character edit of a real token may verify.
 */

const config = testConfig();
const ALPHABET = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-', '.', '=', '+', '/'];

async function verifies(token: string): Promise<boolean> {
  try {
    await verifySessionToken(config, token);
    return true;
  } catch (err) {
    expect(err).toBeInstanceOf(UnauthorizedError);
    return false;
  }
}

describe('portal tokens have one spelling', () => {
  it('no replacement of the last character of any part verifies', async () => {
    for (const claims of [
      { accountId: 'R20077', userId: 'u-77', userName: 'Dana' },
      { accountId: 'R123456789012', userId: 'u' },
      { accountId: 'R30001', userId: 'a-much-longer-user-identifier-0123456789' },
    ]) {
      const token = await signSessionToken(config, claims);
      expect(await verifies(token)).toBe(true);
      const ends = [...token.matchAll(/[^.](?=\.|$)/g)].map((m) => m.index);
      expect(ends).toHaveLength(3);
      const accepted: string[] = [];
      for (const i of ends) {
        for (const c of ALPHABET) {
          const variant = token.slice(0, i) + c + token.slice(i + 1);
          if (variant !== token && (await verifies(variant))) accepted.push(variant);
        }
      }
      expect(accepted).toEqual([]);
    }
  });

  it('no single-character replacement anywhere in a token verifies', async () => {
    const token = await signSessionToken(config, { accountId: 'R10042', userId: 'ops@example.com' });
    let tried = 0;
    for (let i = 0; i < token.length; i++) {
      for (const c of ALPHABET) {
        const variant = token.slice(0, i) + c + token.slice(i + 1);
        if (variant === token) continue;
        tried++;
        expect(await verifies(variant), variant).toBe(false);
      }
    }
    expect(tried).toBeGreaterThan(10_000);
  });

  it('an account number longer than R and 12 digits is refused, as a link would refuse it', async () => {
    expect(await verifies(await signSessionToken(config, { accountId: `R${'4'.repeat(12)}`, userId: 'u' }))).toBe(true);
    expect(await verifies(await signSessionToken(config, { accountId: `R${'4'.repeat(13)}`, userId: 'u' }))).toBe(false);
  });
});
