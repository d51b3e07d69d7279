/**
 * What the widget keeps in the browser, per signed-in user: the conversation (local storage, so
 * it survives page loads and tabs) and whether the panel is open (session storage, this tab).
 */

const STORAGE_PREFIX = 'billing-assistant:v1';

/**
 * The token's claims, read without verifying it: only to key local storage and pick a language
 * (the server verifies the token; nothing here is a security decision). {} when it is not a JWT.
 */
export function tokenClaims(token: string): Record<string, unknown> {
  try {
    const part = token.split('.')[1] ?? '';
    const claims: unknown = JSON.parse(atob(part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=')));
    if (typeof claims === 'object' && claims !== null) return claims as Record<string, unknown>;
  } catch {
    // Not a JWT we can read.
  }
  return {};
}

/** Who the token is for (one shared key when the token does not say). */
function tokenSubject(token: string): string {
  const { acct, sub } = tokenClaims(token);
  return typeof acct === 'string' ? `${acct}:${typeof sub === 'string' ? sub : ''}` : 'default';
}

function storageGet(store: Storage | null, key: string): string | null {
  try {
    return store?.getItem(key) ?? null;
  } catch {
    return null;
  }
}

function storageSet(store: Storage | null, key: string, value: string | null): void {
  try {
    if (value === null) store?.removeItem(key);
    else store?.setItem(key, value);
  } catch {
    // Storage disabled (private mode, sandboxed iframe): the conversation lasts for this page.
  }
}

function safeStorage(kind: 'localStorage' | 'sessionStorage'): Storage | null {
  try {
    return window[kind];
  } catch {
    return null;
  }
}

/** The widget's stored state, keyed by the token's user once `useToken` has seen it. */
export class WidgetStore {
  #key = `${STORAGE_PREFIX}:default`;
  readonly #local = safeStorage('localStorage');
  readonly #session = safeStorage('sessionStorage');

  useToken(token: string): void {
    this.#key = `${STORAGE_PREFIX}:${tokenSubject(token)}`;
  }

  get conversation(): string | null {
    return storageGet(this.#local, `${this.#key}:conversation`);
  }

  set conversation(id: string | null) {
    storageSet(this.#local, `${this.#key}:conversation`, id);
  }

  get open(): boolean {
    return storageGet(this.#session, `${this.#key}:open`) === '1';
  }

  set open(open: boolean) {
    storageSet(this.#session, `${this.#key}:open`, open ? '1' : null);
  }
}
