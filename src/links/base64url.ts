/**
 * Canonical base64url: the one spelling of some bytes (no padding, the unused low bits of the last
 * character zero). Node's decoder (and jose's atob on Node 20) ignores those bits and a stray last
 * character, so four texts can decode to the same MAC. Hand-written because Node 20 has no strict
 * decoder (Uint8Array.fromBase64 comes later); re-encoding and comparing is the whole check.
 */

const BASE64URL_TEXT = /^[A-Za-z0-9_-]*$/;

/** The bytes `text` spells when it is canonical base64url of at most `maxChars` characters, else null. */
export function decodeCanonicalBase64url(text: string, maxChars = Infinity): Buffer | null {
  if (text.length > maxChars || !BASE64URL_TEXT.test(text)) return null;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : null;
}

/** Characters of base64url (unpadded) for `bytes` bytes. */
export function base64urlLength(bytes: number): number {
  return Math.ceil((bytes * 4) / 3);
}
