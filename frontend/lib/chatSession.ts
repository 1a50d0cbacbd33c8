/** The chat's session id, kept per browser tab (sessionStorage: it is not a secret) so the
 * conversation survives a reload and code runs are tied to the same learning session. */

const KEY = "learnflow.chat.session";

export function chatSession(): string | null {
  return window.sessionStorage.getItem(KEY);
}

export function rememberChatSession(sessionId: string | null): void {
  if (sessionId) window.sessionStorage.setItem(KEY, sessionId);
  else window.sessionStorage.removeItem(KEY);
}
