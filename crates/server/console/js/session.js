// The signed-in session: temporary credentials (or an access key pair) kept in this tab's
// sessionStorage only, never in localStorage, a cookie or a URL. Closing the tab or signing
// out forgets them.

const KEY = "coffer.console.session";

/** The current session, or null (none, or expired). */
export function current() {
  const text = sessionStorage.getItem(KEY);
  if (!text) return null;
  try {
    const session = JSON.parse(text);
    if (session.expiration && session.expiration * 1000 <= Date.now()) {
      clear();
      return null;
    }
    return session;
  } catch {
    clear();
    return null;
  }
}

/** Keeps a session: {accessKeyId, secretAccessKey, sessionToken?, expiration?, region, arn, accountId, label}. */
export function save(session) {
  sessionStorage.setItem(KEY, JSON.stringify(session));
}

/** Forgets the session (sign out). */
export function clear() {
  sessionStorage.removeItem(KEY);
}
