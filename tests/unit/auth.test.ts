import type { FastifyRequest } from 'fastify';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { testConfig } from '../../src/config.js';
import { UnauthorizedError } from '../../src/errors.js';
import { bearerToken, requireSession } from '../../src/http/auth.js';
import { signSessionToken, verifySessionToken } from '../../src/identity/session.js';

const config = testConfig();
const claims = { accountId: 'R10042', userId: 'jordan@mycompany.com', userName: 'Jordan Lee' };

function b64url(obj: unknown): string {
  return Buffer.from(JSON.stringify(obj)).toString('base64url');
}

function request(authorization?: string): FastifyRequest {
  return { headers: authorization === undefined ? {} : { authorization }, session: null } as unknown as FastifyRequest;
}

/** Verifies and returns the UnauthorizedError; fails when the token is accepted. */
async function rejection(token: string): Promise<UnauthorizedError> {
  const err: unknown = await verifySessionToken(config, token).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, 'token was accepted').toBeInstanceOf(UnauthorizedError);
  const u = err as UnauthorizedError;
  expect(u.statusCode).toBe(401);
  expect(u.code).toBe('unauthorized');
  expect(u.headers).toStrictEqual({ 'www-authenticate': 'Bearer' });
  return u;
}

/** A token signed with the configured secret but with arbitrary header and claims. */
function custom(payload: Record<string, unknown>, alg = 'HS256', secret = config.AUTH_JWT_SECRET): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg, typ: 'JWT' }).sign(new TextEncoder().encode(secret));
}

const now = () => Math.floor(Date.now() / 1000);
const validPayload = () => ({
  acct: 'R10042',
  sub: 'jordan@mycompany.com',
  iss: config.AUTH_JWT_ISSUER,
  aud: config.AUTH_JWT_AUDIENCE,
  iat: now(),
  exp: now() + 600,
});

describe('session tokens', () => {
  it('round-trips the claims the portal signs', async () => {
    const token = await signSessionToken(config, claims);
    expect(await verifySessionToken(config, token)).toStrictEqual({ accountId: 'R10042', userId: 'jordan@mycompany.com', userName: 'Jordan Lee', locale: null });
    const noName = await signSessionToken(config, { accountId: 'R20077', userId: 'sam@northernbyte.ca' });
    expect(await verifySessionToken(config, noName)).toStrictEqual({ accountId: 'R20077', userId: 'sam@northernbyte.ca', userName: null, locale: null });
  });

  it('carries the optional locale claim (en-CA | fr-CA); any other value is ignored, never an error', async () => {
    const fr = await signSessionToken(config, { ...claims, locale: 'fr-CA' });
    expect((await verifySessionToken(config, fr)).locale).toBe('fr-CA');
    for (const locale of ['fr', 'de-DE', 42, '', 'FR-CA']) {
      const s = await verifySessionToken(config, await custom({ ...validPayload(), locale }));
      expect(s.locale, String(locale)).toBeNull();
      expect(s.accountId).toBe('R10042');
    }
  });

  it('accepts a hand-built token with the right claims (the baseline of the cases below)', async () => {
    expect(await verifySessionToken(config, await custom(validPayload()))).toStrictEqual({
      accountId: 'R10042',
      userId: 'jordan@mycompany.com',
      userName: null,
      locale: null,
    });
  });

  it('rejects an expired token', async () => {
    const token = await signSessionToken(config, claims, { expiresIn: now() - 60 });
    expect((await rejection(token)).message).toBe('Token expired');
  });

  it('rejects a token whose signature was altered', async () => {
    const token = await signSessionToken(config, claims);
    const [h, p, s] = token.split('.') as [string, string, string];
    const mid = Math.floor(s.length / 2);
    const flipped = `${s.slice(0, mid)}${s[mid] === 'A' ? 'B' : 'A'}${s.slice(mid + 1)}`;
    expect((await rejection(`${h}.${p}.${flipped}`)).message).toBe('Invalid token');
  });

  it('rejects a token whose payload was altered (another account) under the original signature', async () => {
    const token = await signSessionToken(config, claims);
    const [h, p, s] = token.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
    expect(payload['acct']).toBe('R10042');
    const forged = `${h}.${b64url({ ...payload, acct: 'R20077' })}.${s}`;
    expect((await rejection(forged)).message).toBe('Invalid token');
  });

  it('rejects a token signed with another secret', async () => {
    const token = await signSessionToken(config, claims, { secret: 'another-secret-of-sufficient-length-0123456789' });
    expect((await rejection(token)).message).toBe('Invalid token');
  });

  it('rejects a wrong issuer or audience', async () => {
    const wrongIss = await signSessionToken({ ...config, AUTH_JWT_ISSUER: 'someone-else' }, claims);
    expect((await rejection(wrongIss)).message).toBe('Invalid token');
    const wrongAud = await signSessionToken({ ...config, AUTH_JWT_AUDIENCE: 'another-service' }, claims);
    expect((await rejection(wrongAud)).message).toBe('Invalid token');
  });

  it('rejects alg "none"', async () => {
    const unsigned = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(validPayload())}.`;
    expect((await rejection(unsigned)).message).toBe('Invalid token');
  });

  it('rejects another HMAC algorithm than HS256', async () => {
    expect((await rejection(await custom(validPayload(), 'HS512'))).message).toBe('Invalid token');
  });

  it('rejects tokens missing a required claim or with a malformed account', async () => {
    const { exp: _exp, ...noExp } = validPayload();
    await rejection(await custom(noExp));
    const { sub: _sub, ...noSub } = validPayload();
    await rejection(await custom(noSub));
    const { acct: _acct, ...noAcct } = validPayload();
    await rejection(await custom(noAcct));
    expect((await rejection(await custom({ ...validPayload(), acct: 'X10042' }))).message).toBe('Invalid token claims');
    expect((await rejection(await custom({ ...validPayload(), acct: 'R1' }))).message).toBe('Invalid token claims');
    expect((await rejection(await custom({ ...validPayload(), acct: 10042 }))).message).toBe('Invalid token claims');
    expect((await rejection(await custom({ ...validPayload(), acct: "R10042' or '1'='1" }))).message).toBe('Invalid token claims');
  });

  it('rejects garbage', async () => {
    for (const t of ['', 'abc', 'a.b.c', 'a.b', `${b64url({ alg: 'HS256' })}.e30.`]) {
      expect((await rejection(t)).message, t).toBe('Invalid token');
    }
  });
});

describe('bearer header', () => {
  it('extracts the token from "Bearer <token>", case-insensitively', () => {
    expect(bearerToken(request('Bearer abc.def.ghi'))).toBe('abc.def.ghi');
    expect(bearerToken(request('bearer abc.def.ghi'))).toBe('abc.def.ghi');
    expect(bearerToken(request('Bearer   abc.def-_.ghi  '))).toBe('abc.def-_.ghi');
  });

  it('returns null for a missing or malformed header', () => {
    for (const h of [undefined, '', 'Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', 'abc.def.ghi', 'Bearer abc def', 'Bearer abc,def', 'Token abc.def.ghi', 'Bearerabc.def']) {
      expect(bearerToken(request(h)), String(h)).toBeNull();
    }
  });

  it('requireSession answers 401 without a session', () => {
    expect(() => requireSession(request())).toThrow(UnauthorizedError);
    const req = request();
    req.session = { accountId: 'R10042', userId: 'u', userName: null };
    expect(requireSession(req)).toStrictEqual({ accountId: 'R10042', userId: 'u', userName: null });
  });
});
