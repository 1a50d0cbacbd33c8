/**
 * A second line against cross-site requests (the cookie is already SameSite=Strict): a
 * state-changing request that says where it comes from must come from this app's own origin.
 * "Own origin" is the `Host` the request was sent to; `X-Forwarded-Host` counts only behind a
 * configured reverse proxy (proxyTrust.ts), since anyone can send one.
 */

import { requestHost } from "./proxyTrust";

export function fromOwnOrigin(request: Request): boolean {
  const origin = request.headers.get("origin");
  if (!origin || origin === "null") {
    // Browsers send Origin on every cross-site POST; no Origin means a same-origin navigation
    // (older browsers) or a non-browser client, which has no victim's cookie to abuse.
    return origin !== "null";
  }
  const host = requestHost(request.headers);
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}
