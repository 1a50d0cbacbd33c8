/**
 * What the BFF believes about forwarded headers. `X-Forwarded-Host`, `-Proto` and `-For` are
 * whatever the client sent (Next.js keeps a client's own values and only fills in missing ones),
 * so they count only behind a reverse proxy that sets them itself: say how many with
 * `LEARNFLOW_TRUSTED_PROXY_HOPS` (e.g. 1 behind Kong or an ingress). Unset or 0: they are ignored.
 */

export function trustedProxyHops(env: NodeJS.ProcessEnv = process.env): number {
  const hops = Number(env.LEARNFLOW_TRUSTED_PROXY_HOPS ?? "0");
  return Number.isInteger(hops) && hops > 0 ? hops : 0;
}

/** The host the browser asked for: `Host`, or the proxy's `X-Forwarded-Host` behind one. */
export function requestHost(headers: Headers, env: NodeJS.ProcessEnv = process.env): string | null {
  if (trustedProxyHops(env) > 0) {
    const forwarded = headers.get("x-forwarded-host")?.split(",")[0]?.trim();
    if (forwarded) return forwarded;
  }
  return headers.get("host");
}

/** The scheme the browser used: `X-Forwarded-Proto` counts only behind a trusted proxy. */
export function forwardedProto(headers: Headers, env: NodeJS.ProcessEnv = process.env): string | null {
  if (trustedProxyHops(env) === 0) return null;
  return headers.get("x-forwarded-proto")?.split(",")[0]?.trim() || null;
}

/** The browser's address as the nearest trusted proxy saw it (the entry it appended to
 * X-Forwarded-For), or null when no proxy is trusted: then nobody trustworthy says. */
export function clientAddress(headers: Headers, env: NodeJS.ProcessEnv = process.env): string | null {
  const hops = trustedProxyHops(env);
  if (hops === 0) return null;
  const chain = (headers.get("x-forwarded-for") ?? "")
    .split(",")
    .map((hop) => hop.trim())
    .filter(Boolean);
  const address = chain[chain.length - hops];
  return address && /^[0-9A-Fa-f:.]{2,45}$/.test(address) ? address : null;
}
