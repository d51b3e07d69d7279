/**
 * What the widget keeps in the browser, per signed-in user: the conversation (local storage, so
 * it survives page loads and tabs) and whether the panel is open (session storage, this tab).
 */

const STORAGE_PREFIX = 'billing-assistant:v1';

/** Who the token is for (unverified: only used to key local storage, the server verifies). */
function tokenSubject(token: string): string {
  try {
    const part = token.split('.')[1] ?? '';
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '='));
    const claims = JSON.parse(json) as { acct?: unknown; sub?: unknown };
    if (typeof claims.acct === 'string') return `${claims.acct}:${typeof claims.sub === 'string' ? claims.sub : ''}`;
  } catch {
    // Not a JWT we can read: one shared key.
  }
  return 'default';
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
