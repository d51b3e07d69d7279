import fs from 'node:fs';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLinkSigner, LinkError, type LinkClaims, type LinkPurpose, type LinkSigner, type LinkVerifyFailure } from '../../src/links/signer.js';
import { ForbiddenError } from '../../src/errors.js';

// The real timingSafeEqual, wrapped so the test can see that verification goes through it.
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});

const K1 = { kid: 'k1', secret: 'k1-secret-0123456789abcdef0123456789abcdef' };
const K2 = { kid: 'k2', secret: 'k2-secret-fedcba9876543210fedcba9876543210' };
const BASE = 'https://billing.example.com';
const T0 = new Date('2026-11-25T12:00:00Z');
const TTL = 3600;
const CLAIMS = { purpose: 'pay', accountId: 'R10042', invoiceNumber: 'IN7654321' } as const;

function signer(opts: { keys?: Array<{ kid: string; secret: string }>; now?: Date; baseUrl?: string } = {}): LinkSigner {
  const now = opts.now ?? T0;
  return createLinkSigner({ keys: opts.keys ?? [K1], ttlSeconds: TTL, baseUrl: opts.baseUrl ?? BASE, now: () => now });
}

function failure(s: LinkSigner, token: string, purpose: LinkPurpose = 'pay'): LinkVerifyFailure {
  try {
    s.verify(token, purpose);
  } catch (err) {
    expect(err).toBeInstanceOf(LinkError);
    expect(err).toBeInstanceOf(ForbiddenError);
    return (err as LinkError).reason;
  }
  throw new Error(`token verified but should not have: ${token}`);
}

const parts = (token: string) => {
  const [v, kid, payload, sig] = token.split('.') as [string, string, string, string];
  return { v, kid, payload, sig };
};
const decode = (payload: string) => Buffer.from(payload, 'base64url').toString('utf8');
const encode = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
/** A token signed correctly with `key` over an arbitrary payload text (to reach the checks after the MAC). */
function forge(key: { kid: string; secret: string }, payloadText: string): string {
  const payload = encode(payloadText);
  const mac = createHmac('sha256', Buffer.from(key.secret, 'utf8')).update(`v1.${key.kid}.${payload}`).digest('base64url');
  return `v1.${key.kid}.${payload}.${mac}`;
}
/** Changes one character in the middle of a base64url string (the last character may carry only padding bits). */
function flipMiddle(s: string): string {
  const i = Math.floor(s.length / 2);
  return s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
}

afterEach(() => {
  vi.mocked(timingSafeEqual).mockClear();
});

describe('signed links: mint and verify', () => {
  it('round-trips the claims with the configured expiry', () => {
    const s = signer();
    const token = s.mint(CLAIMS);
    expect(token).toMatch(/^v1\.k1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    const claims: LinkClaims = s.verify(token, 'pay');
    expect(claims).toEqual({ ...CLAIMS, exp: T0.getTime() / 1000 + TTL });
    expect(decode(parts(token).payload)).toBe(`pay|R10042|IN7654321|${T0.getTime() / 1000 + TTL}`);
  });

  it('honours a per-link ttl and the pdf purpose', () => {
    const s = signer();
    const token = s.mint({ ...CLAIMS, purpose: 'pdf' }, 60);
    expect(s.verify(token, 'pdf')).toEqual({ ...CLAIMS, purpose: 'pdf', exp: T0.getTime() / 1000 + 60 });
  });

  it('is still valid one second before expiry, and expired at it', () => {
    const token = signer().mint(CLAIMS);
    expect(signer({ now: new Date(T0.getTime() + (TTL - 1) * 1000) }).verify(token, 'pay').invoiceNumber).toBe('IN7654321');
    expect(failure(signer({ now: new Date(T0.getTime() + TTL * 1000) }), token)).toBe('expired');
  });

  it('refuses an expired link (negative ttl) with a message saying so', () => {
    const s = signer();
    const token = s.mint(CLAIMS, -1);
    expect(failure(s, token)).toBe('expired');
    expect(() => s.verify(token, 'pay')).toThrow('This link has expired');
  });

  it('refuses a link minted for another purpose', () => {
    const s = signer();
    expect(failure(s, s.mint({ ...CLAIMS, purpose: 'pdf' }), 'pay')).toBe('wrong_purpose');
    expect(failure(s, s.mint(CLAIMS), 'pdf')).toBe('wrong_purpose');
    expect(() => s.verify(s.mint(CLAIMS), 'pdf')).toThrow('This link is not valid');
  });

  it('refuses a tampered payload (another invoice, another account, a later expiry)', () => {
    const s = signer();
    const { kid, payload, sig } = parts(s.mint(CLAIMS));
    const exp = T0.getTime() / 1000 + TTL;
    for (const text of [`pay|R10042|IN7654322|${exp}`, `pay|R20077|IN7654321|${exp}`, `pay|R10042|IN7654321|${exp + 86400}`, `pdf|R10042|IN7654321|${exp}`]) {
      expect(failure(s, `v1.${kid}.${encode(text)}.${sig}`), text).toBe('bad_signature');
    }
    expect(failure(s, `v1.${kid}.${flipMiddle(payload)}.${sig}`)).toBe('bad_signature');
  });

  it('refuses a tampered signature', () => {
    const s = signer();
    const { kid, payload, sig } = parts(s.mint(CLAIMS));
    expect(failure(s, `v1.${kid}.${payload}.${flipMiddle(sig)}`)).toBe('bad_signature');
    const bytes = Buffer.from(sig, 'base64url');
    bytes[0] = bytes[0]! ^ 0x01;
    expect(failure(s, `v1.${kid}.${payload}.${bytes.toString('base64url')}`)).toBe('bad_signature');
  });

  it('refuses a signature of the wrong length', () => {
    const s = signer();
    const { kid, payload, sig } = parts(s.mint(CLAIMS));
    const mac = Buffer.from(sig, 'base64url');
    for (const wrong of [mac.subarray(0, 31), mac.subarray(0, 16), Buffer.concat([mac, Buffer.from([0])]), Buffer.alloc(64, 1)]) {
      expect(failure(s, `v1.${kid}.${payload}.${wrong.toString('base64url')}`), `${wrong.length} bytes`).toBe('bad_signature');
    }
  });

  it('refuses a token signed with another secret under the same key id', () => {
    const other = signer({ keys: [{ kid: 'k1', secret: 'another-secret-0123456789abcdef0123456789' }] });
    expect(failure(signer(), other.mint(CLAIMS))).toBe('bad_signature');
  });

  it('refuses an unknown key id', () => {
    const s = signer();
    const { payload, sig } = parts(s.mint(CLAIMS));
    expect(failure(s, `v1.k9.${payload}.${sig}`)).toBe('unknown_key');
    expect(failure(s, signer({ keys: [K2] }).mint(CLAIMS))).toBe('unknown_key');
  });

  it('refuses garbage as malformed', () => {
    const s = signer();
    const { kid, payload, sig } = parts(s.mint(CLAIMS));
    const garbage = [
      '',
      'abc',
      'v1',
      'v1.k1',
      `v1.${kid}.${payload}`,
      `v2.${kid}.${payload}.${sig}`,
      `${kid}.${payload}.${sig}`,
      `v1.${kid}.${payload}.${sig}.extra`,
      `v1.${kid}.${payload}.${sig.slice(0, 10)}+/=${sig.slice(13)}`,
      `v1.${kid}.${payload.slice(0, 4)}!${payload.slice(5)}.${sig}`,
      `v1.${kid}.${'A'.repeat(600)}.${sig}`,
    ];
    for (const token of garbage) expect(failure(s, token), JSON.stringify(token.slice(0, 40))).toBe('malformed');
  });

  it('refuses a correctly signed payload that is not a link (after the MAC check)', () => {
    const s = signer();
    for (const text of ['pay|R10042|IN7654321', 'pay|R10042|IN7654321|x', 'pay|R10042|IN7654321|1.5', 'pay|R10042|IN7654321|1|2', '']) {
      expect(failure(s, forge(K1, text)), JSON.stringify(text)).toBe('malformed');
    }
    // A forged but well-formed payload signed with the right key is, of course, accepted: the key is the secret.
    expect(s.verify(forge(K1, `pay|R10042|IN7654321|${T0.getTime() / 1000 + 5}`), 'pay').invoiceNumber).toBe('IN7654321');
  });

  it('compares MACs with crypto.timingSafeEqual', () => {
    const s = signer();
    const token = s.mint(CLAIMS);
    const spy = vi.mocked(timingSafeEqual);
    spy.mockClear();
    s.verify(token, 'pay');
    expect(spy).toHaveBeenCalledTimes(1);
    const [given, expected] = spy.mock.calls[0]!;
    expect(Buffer.from(given as Uint8Array).toString('base64url')).toBe(parts(token).sig);
    expect((expected as Uint8Array).length).toBe(32);
    spy.mockClear();
    failure(s, `v1.k1.${parts(token).payload}.${flipMiddle(parts(token).sig)}`);
    expect(spy).toHaveBeenCalledTimes(1);
    // And no other comparison of the MAC bytes in the source.
    const src = fs.readFileSync(new URL('../../src/links/signer.ts', import.meta.url), 'utf8');
    expect(src).toContain('timingSafeEqual(');
    expect(src).not.toMatch(/\.equals\(|sig\s*===|===\s*sig|compare\(/);
  });
});

describe('signed links: key rotation', () => {
  it('keeps old links valid while the old key is configured, signs new ones with the first key, and drops them once retired', () => {
    const before = signer({ keys: [K1] });
    const old = before.mint(CLAIMS);
    expect(parts(old).kid).toBe('k1');

    const rotated = signer({ keys: [K2, K1] });
    expect(rotated.verify(old, 'pay')).toEqual(before.verify(old, 'pay'));
    const fresh = rotated.mint(CLAIMS);
    expect(parts(fresh).kid).toBe('k2');
    expect(rotated.verify(fresh, 'pay').accountId).toBe('R10042');
    // A replica still on the old configuration does not know k2.
    expect(failure(before, fresh)).toBe('unknown_key');

    const retired = signer({ keys: [K2] });
    expect(failure(retired, old)).toBe('unknown_key');
    expect(retired.verify(fresh, 'pay').invoiceNumber).toBe('IN7654321');
  });

  it('binds the key id into the MAC: relabelling a k1 token as k2 fails', () => {
    const both = signer({ keys: [K2, K1] });
    const { payload, sig } = parts(signer({ keys: [K1] }).mint(CLAIMS));
    expect(failure(both, `v1.k2.${payload}.${sig}`)).toBe('bad_signature');
  });

  it('refuses to build without keys', () => {
    expect(() => signer({ keys: [] })).toThrow(/no keys/);
  });
});

describe('signed links: urls and isMinted', () => {
  it('builds pay and pdf urls under the base url', () => {
    const s = signer();
    expect(s.url(CLAIMS)).toMatch(new RegExp(`^${BASE}/pay/v1\\.k1\\.`));
    expect(s.url({ ...CLAIMS, purpose: 'pdf' })).toMatch(new RegExp(`^${BASE}/doc/v1\\.k1\\.`));
  });

  it('accepts urls it minted', () => {
    const s = signer();
    expect(s.isMinted(s.url(CLAIMS))).toBe(true);
    expect(s.isMinted(s.url({ ...CLAIMS, purpose: 'pdf' }))).toBe(true);
    // Minted under the previous key, still configured.
    expect(signer({ keys: [K2, K1] }).isMinted(s.url(CLAIMS))).toBe(true);
  });

  it('rejects everything else', () => {
    const s = signer();
    const url = s.url(CLAIMS);
    const token = url.slice(`${BASE}/pay/`.length);
    const rejected = [
      'https://evil.example/pay',
      `https://evil.example/pay/${token}`,
      `${BASE}/pay/${flipMiddle(token)}`,
      `${BASE}/pay/${token}x`,
      `${BASE}/doc/${token}`, // a pay token on the pdf path
      `${BASE}/pay/${s.mint(CLAIMS, -1)}`, // expired
      `${BASE}/pay/${signer({ keys: [K2] }).mint(CLAIMS)}`, // unknown key
      `${BASE}/pay/v1.k1.abc.def`,
      `${BASE}/other/${token}`,
      `${BASE}/pay/${token}?next=https://evil.example`,
      `${BASE}.evil.example/pay/${token}`, // same prefix, another host
      `${BASE}@evil.example/pay/${token}`, // userinfo trick: the host is evil.example
      `${BASE}/redirect?to=/pay/${token}`,
      `http://billing.example.com/pay/${token}`, // another scheme
      '',
    ];
    for (const u of rejected) expect(s.isMinted(u), u).toBe(false);
    expect(signer({ baseUrl: 'https://other.example.com' }).isMinted(url)).toBe(false);
  });
});
