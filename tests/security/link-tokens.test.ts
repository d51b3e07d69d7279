import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import * as signerModule from '../../src/links/signer.js';
import { createLinkSigner, LinkError, type LinkPurpose, type LinkSigner } from '../../src/links/signer.js';
import { ACCOUNT_RE, isAccountId, MAX_ACCOUNT_ID_LENGTH } from '../../src/identity/session.js';
import { INVOICE_NUMBER_RE } from '../../src/billing/invoice-number.js';
import { ConfigError, loadConfig } from '../../src/config.js';

/**
 * Issue #11, defects 4 and 5: a pay/PDF link token has exactly one spelling, and every part of it
 * is bounded. fast-check mints tokens for generated claims under key ids of every allowed length
 * and tries every single-character edit of every position; none may verify but the token itself.
 * Oversized or malformed parts are refused as `malformed` before any MAC is computed.
 */

// The real createHmac, wrapped so the tests can see whether verification computed a MAC.
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return { ...actual, createHmac: vi.fn(actual.createHmac) };
});

// Read through the namespace so the test file still loads (and fails) against a signer without them.
const { MAX_LINK_TOKEN_LENGTH, LINK_KEY_ID_RE, LINK_INVOICE_NUMBER_RE } = signerModule as unknown as {
  MAX_LINK_TOKEN_LENGTH: number;
  LINK_KEY_ID_RE: RegExp;
  LINK_INVOICE_NUMBER_RE: RegExp;
};

const BASE = 'https://billing.example.com';
const T0 = new Date('2026-12-03T09:30:00Z');
const NOW_S = T0.getTime() / 1000;
const KID_CHARS = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-'];
/** Every character a URL path segment could bring: the base64url alphabet, the separator and look-alikes. */
const REPLACEMENTS = [...KID_CHARS, '.', '=', '+', '/', '%', ' ', '~', '\u0000', 'é'];
const figures = { tokens: 0, variants: 0, verified: 0 };

function signerWith(keys: Array<{ kid: string; secret: string }>, now = T0): LinkSigner {
  return createLinkSigner({ keys, ttlSeconds: 7 * 86400, baseUrl: BASE, now: () => now });
}

/** The failure reason, or 'verified'. */
function outcome(s: LinkSigner, token: string, purpose: LinkPurpose = 'pay'): string {
  try {
    s.verify(token, purpose);
    return 'verified';
  } catch (err) {
    if (err instanceof LinkError) return err.reason;
    throw err;
  }
}

/** A token signed correctly with `key` over an arbitrary payload text (to reach the checks behind the MAC). */
function forge(key: { kid: string; secret: string }, payload: string, mac?: Buffer): string {
  const sig = mac ?? createHmac('sha256', Buffer.from(key.secret, 'utf8')).update(`v1.${key.kid}.${payload}`).digest();
  return `v1.${key.kid}.${payload}.${sig.toString('base64url')}`;
}
const encode = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

/** Other spellings Node's decoder reads as the same bytes: the last character with other unused low bits. */
function otherSpellings(text: string): string[] {
  const bytes = Buffer.from(text, 'base64url');
  return KID_CHARS.map((c) => text.slice(0, -1) + c).filter((t) => t !== text && Buffer.from(t, 'base64url').equals(bytes));
}

const kidOfLength = (n: number) => fc.string({ unit: fc.constantFrom(...KID_CHARS), minLength: n, maxLength: n });
const digits = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });
const claimsArb = fc.record({
  purpose: fc.constantFrom<LinkPurpose>('pay', 'pdf'),
  accountId: digits(5, 12).map((d) => `R${d}`),
  invoiceNumber: digits(7, 7).map((d) => `IN${d}`),
});
const ttlArb = fc.integer({ min: 60, max: 30 * 86400 });
const secretArb = fc.string({ minLength: 32, maxLength: 48 });

/**
 * Every single-character replacement at every position, every deletion, and every insertion at the
 * ends of the parts (where a part's length, and so its last character, changes): none may verify.
 */
function assertNoEditVerifies(s: LinkSigner, token: string, purpose: LinkPurpose): void {
  const edits = new Set<string>();
  const boundaries = [0, ...[...token.matchAll(/\./g)].flatMap((m) => [m.index, m.index + 1]), token.length];
  for (let i = 0; i < token.length; i++) {
    edits.add(token.slice(0, i) + token.slice(i + 1));
    for (const c of REPLACEMENTS) edits.add(token.slice(0, i) + c + token.slice(i + 1));
  }
  for (const i of boundaries) for (const c of REPLACEMENTS) edits.add(token.slice(0, i) + c + token.slice(i));
  edits.delete(token);
  for (const edit of edits) {
    figures.variants++;
    const result = outcome(s, edit, purpose);
    if (result === 'verified') figures.verified++;
    if (result === 'verified') expect.fail(`${JSON.stringify(edit)} verified (minted ${token})`);
  }
  vi.mocked(createHmac).mockClear();
}

afterAll(() => {
  // The figures for SECURITY.md.
  // eslint-disable-next-line no-console -- a report line, like the evals' summary
  console.info(`link-tokens: ${figures.tokens} minted tokens, ${figures.variants} single-character edits, ${figures.verified} verified`);
});

beforeEach(() => {
  vi.mocked(createHmac).mockClear();
});

describe('pay-link tokens have one spelling (defect 4)', () => {
  it('a token whose signature ends in another spelling of the same MAC bytes does not verify', () => {
    const key = { kid: 'main', secret: 'a-signing-key-for-this-test-0123456789' };
    const s = signerWith([key]);
    const token = s.mint({ purpose: 'pay', accountId: 'R31415', invoiceNumber: 'IN2718281' });
    const sig = token.split('.')[3]!;
    const spellings = otherSpellings(sig);
    expect(spellings).toHaveLength(3); // 32 bytes: the last of 43 characters carries 2 unused bits
    for (const other of spellings) expect(outcome(s, `${token.slice(0, -sig.length)}${other}`)).toBe('malformed');
  });

  it('a payload in a non-canonical spelling is refused even when the MAC covers that spelling', () => {
    const key = { kid: 'kx', secret: 'another-signing-key-0123456789abcdefgh' };
    const s = signerWith([key]);
    // 35 bytes: 47 characters, the last one carries 2 unused bits.
    const payload = encode(`pdf|R271828|IN1414213|${NOW_S + 900}`);
    const spellings = otherSpellings(payload);
    expect(spellings.length).toBeGreaterThan(0);
    expect(outcome(s, forge(key, payload), 'pdf')).toBe('verified');
    for (const other of spellings) expect(outcome(s, forge(key, other), 'pdf'), other).toBe('malformed');
  });

  it('no single-character edit of a minted token verifies, for key ids of every length 1..16', () => {
    for (let kidLength = 1; kidLength <= 16; kidLength++) {
      fc.assert(
        fc.property(kidOfLength(kidLength), secretArb, claimsArb, ttlArb, (kid, secret, claims, ttl) => {
          const s = signerWith([{ kid, secret }, { kid: kid === 'prev' ? 'prev2' : 'prev', secret: `${secret}-previous` }]);
          const token = s.mint(claims, ttl);
          figures.tokens++;
          expect(s.verify(token, claims.purpose)).toEqual({ ...claims, exp: NOW_S + ttl });
          assertNoEditVerifies(s, token, claims.purpose);
          expect(token.length).toBeLessThanOrEqual(MAX_LINK_TOKEN_LENGTH);
        }),
        { numRuns: 2 },
      );
    }
  }, 120_000);
});

describe('every part of a token is bounded (defect 5)', () => {
  it('MAX_LINK_TOKEN_LENGTH is the longest valid token, and url() keeps the token within it', () => {
    const key = { kid: 'K'.repeat(16), secret: 'the-longest-key-id-secret-0123456789' };
    const s = signerWith([key]);
    const claims = { purpose: 'pay', accountId: `R${'9'.repeat(12)}`, invoiceNumber: 'IN9999999' } as const;
    const longest = s.mint(claims, 9_999_999_999 - NOW_S);
    expect(longest.length).toBe(MAX_LINK_TOKEN_LENGTH);
    expect(s.verify(longest, 'pay').exp).toBe(9_999_999_999);
    const url = s.url(claims);
    expect(url.startsWith(`${BASE}/pay/`)).toBe(true);
    expect(url.slice(`${BASE}/pay/`.length).length).toBeLessThanOrEqual(MAX_LINK_TOKEN_LENGTH);
    expect(MAX_LINK_TOKEN_LENGTH).toBeLessThan(128);
  });

  it('a 14-character key id gives tokens and urls that verify', () => {
    const key = { kid: 'rotation-2026b', secret: 'fourteen-character-kid-secret-0123456789' };
    expect(key.kid).toHaveLength(14);
    const s = signerWith([key]);
    for (const purpose of ['pay', 'pdf'] as const) {
      const url = s.url({ purpose, accountId: 'R10042', invoiceNumber: 'IN7654321' });
      const token = url.slice(url.lastIndexOf('/') + 1);
      expect(token.length).toBeLessThanOrEqual(MAX_LINK_TOKEN_LENGTH);
      expect(s.verify(token, purpose)).toMatchObject({ purpose, accountId: 'R10042', invoiceNumber: 'IN7654321' });
      expect(s.isMinted(url)).toBe(true);
    }
  });

  it('minted tokens never exceed MAX_LINK_TOKEN_LENGTH (generated claims, key ids 1..16, any ttl)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 16 }).chain(kidOfLength), claimsArb, fc.integer({ min: -NOW_S + 1, max: 9_999_999_999 - NOW_S }), (kid, claims, ttl) => {
        const token = signerWith([{ kid, secret: 's'.repeat(32) }]).mint(claims, ttl);
        expect(token.length).toBeLessThanOrEqual(MAX_LINK_TOKEN_LENGTH);
      }),
      { numRuns: 500 },
    );
  });

  it('oversized or malformed parts are refused as malformed before any MAC work', () => {
    const key = { kid: 'k1', secret: 'k1-secret-for-bounds-0123456789abcdef' };
    const s = signerWith([key]);
    const good = s.mint({ purpose: 'pay', accountId: 'R10042', invoiceNumber: 'IN7654321' });
    const [, , payload, sig] = good.split('.') as [string, string, string, string];
    const longPayload = encode(`pay|R10042|IN7654321|${NOW_S + 60}${'0'.repeat(40)}`);
    const cases = [
      `v1.${'k'.repeat(17)}.${payload}.${sig}`, // key id of 17 characters
      `v1.${'k1'.repeat(300)}.${payload}.${sig}`,
      `v1.k.1.${payload}.${sig}`,
      `v1.k1.${longPayload}.${sig}`, // payload longer than any valid one
      `v1.k1.${payload}=.${sig}`, // padding
      `v1.k1.${payload}.${sig}=`,
      `v1.k1.${payload}.${otherSpellings(sig)[0]}`, // non-canonical MAC
      `v1.k1.${payload.slice(0, payload.length - ((payload.length - 1) % 4))}.${sig}`, // a stray final character (length 1 mod 4)
      `v1.k1.${payload}.${sig.slice(0, 41)}`,
      `v1.k1..${sig}`,
      `v1.k1.${payload}.`,
      `v1.k1.${payload}.${sig}${'A'.repeat(600)}`,
      ...otherSpellings(payload).map((p) => `v1.k1.${p}.${sig}`), // non-canonical payload
    ];
    for (const token of cases) {
      vi.mocked(createHmac).mockClear();
      expect(outcome(s, token), token.slice(0, 80)).toBe('malformed');
      expect(vi.mocked(createHmac), token.slice(0, 80)).not.toHaveBeenCalled();
    }
  });

  it('a payload with out-of-bounds claims is refused as malformed, even when signed with the key', () => {
    const key = { kid: 'k1', secret: 'k1-secret-for-bounds-0123456789abcdef' };
    const s = signerWith([key]);
    const exp = NOW_S + 600;
    const texts = [
      `pay|R${'1'.repeat(13)}|IN7654321|${exp}`, // account id longer than R + 12 digits
      `pay|R1234|IN7654321|${exp}`,
      `pay|r10042|IN7654321|${exp}`,
      `pay|R10042|IN76543210|${exp}`, // invoice numbers are IN + 7 digits
      `pay|R10042|in7654321|${exp}`,
      `pay|R10042|IN765432|${exp}`,
      `pay|R10042|IN7654321|1e10`, // expiry: one decimal spelling, at most 10 digits
      `pay|R10042|IN7654321|0${exp}`,
      `pay|R10042|IN7654321|+${exp}`,
      `pay|R10042|IN7654321| ${exp}`,
      `pay|R10042|IN7654321|${exp}.0`,
      `pay|R10042|IN7654321|0x${exp.toString(16)}`,
      `pay|R10042|IN7654321|${'9'.repeat(11)}`,
      `pay|R10042|IN7654321|${exp}|`,
      `PAY|R10042|IN7654321|${exp}`,
      `pay|R10042|IN7654321|${exp}\u0000`,
    ];
    for (const text of texts) {
      expect(outcome(s, forge(key, encode(text))), JSON.stringify(text)).toBe('malformed');
    }
  });

  it('random strings never verify, and nothing longer than MAX_LINK_TOKEN_LENGTH costs a MAC', () => {
    const s = signerWith([{ kid: 'k1', secret: 'k1-secret-for-bounds-0123456789abcdef' }]);
    const good = s.mint({ purpose: 'pay', accountId: 'R10042', invoiceNumber: 'IN7654321' });
    const tokenish = fc.oneof(
      fc.string({ unit: fc.constantFrom(...REPLACEMENTS), maxLength: 700 }),
      fc.tuple(fc.string({ unit: fc.constantFrom(...KID_CHARS), minLength: 1, maxLength: 400 }), fc.nat(good.length)).map(([extra, at]) => good.slice(0, at) + extra + good.slice(at)),
    );
    fc.assert(
      fc.property(tokenish, (token) => {
        fc.pre(token !== good);
        vi.mocked(createHmac).mockClear();
        expect(outcome(s, token)).not.toBe('verified');
        if (token.length > MAX_LINK_TOKEN_LENGTH) expect(vi.mocked(createHmac)).not.toHaveBeenCalled();
      }),
      { numRuns: 2000 },
    );
  });

  it('mint refuses claims it could not verify, and the signer refuses key ids outside the pattern', () => {
    const s = signerWith([{ kid: 'k1', secret: 'k1-secret-for-bounds-0123456789abcdef' }]);
    for (const claims of [
      { purpose: 'pay', accountId: `R${'1'.repeat(13)}`, invoiceNumber: 'IN7654321' },
      { purpose: 'pay', accountId: 'R10042|x', invoiceNumber: 'IN7654321' },
      { purpose: 'pay', accountId: 'R10042', invoiceNumber: 'IN7654321|1' },
    ] as const) {
      expect(() => s.mint(claims), claims.accountId + claims.invoiceNumber).toThrow();
    }
    expect(() => s.mint({ purpose: 'pay', accountId: 'R10042', invoiceNumber: 'IN7654321' }, 10_000_000_000)).toThrow();
    for (const kid of ['k'.repeat(17), 'a.b', 'k:1', '', 'é']) {
      expect(() => signerWith([{ kid, secret: 'x'.repeat(40) }]), kid).toThrow();
    }
  });

  it('one owner per bound: config parses key ids with the signer pattern; account and invoice numbers are the domain patterns', () => {
    expect(LINK_KEY_ID_RE.source).toBe('^[A-Za-z0-9_-]{1,16}$');
    // Account numbers: the database's pattern (unbounded) plus the owner's maximum, R and 12 digits.
    expect(MAX_ACCOUNT_ID_LENGTH).toBe(13);
    expect([`R${'1'.repeat(12)}`, `R${'1'.repeat(13)}`, 'R1234'].map((id) => [ACCOUNT_RE.test(id), isAccountId(id)])).toEqual([
      [true, true],
      [true, false],
      [false, false],
    ]);
    // src/links sits in the foundation and cannot import src/billing: its copy must stay identical.
    expect(LINK_INVOICE_NUMBER_RE.source).toBe(INVOICE_NUMBER_RE.source);
    const kidArb = fc.string({ unit: fc.constantFrom(...KID_CHARS, '.', '!', 'é', '+', '/'), maxLength: 20 });
    fc.assert(
      fc.property(kidArb, (kid) => {
        const secret = 'y'.repeat(40);
        let configAccepts = true;
        try {
          loadConfig({ LINK_SIGNING_KEYS: `${kid}:${secret}` });
        } catch (err) {
          expect(err).toBeInstanceOf(ConfigError);
          configAccepts = false;
        }
        let signerAccepts = true;
        try {
          signerWith([{ kid, secret }]);
        } catch {
          signerAccepts = false;
        }
        expect([configAccepts, signerAccepts]).toEqual([LINK_KEY_ID_RE.test(kid), LINK_KEY_ID_RE.test(kid)]);
      }),
      { numRuns: 300 },
    );
  });
});
