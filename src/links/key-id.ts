/**
 * Key ids of LINK_SIGNING_KEYS (config parses with this pattern, the signer bounds tokens with it).
 * Its own module so src/config.ts can import it without importing the signer's dependencies.
 */

export const MAX_LINK_KEY_ID_LENGTH = 16;

/** 1 to 16 of [A-Za-z0-9_-]: safe in a URL path and free of the token's `.` separator. */
export const LINK_KEY_ID_RE = new RegExp(`^[A-Za-z0-9_-]{1,${MAX_LINK_KEY_ID_LENGTH}}$`);
