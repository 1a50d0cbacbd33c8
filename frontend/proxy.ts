/**
 * Every response gets a Content-Security-Policy with a fresh nonce: scripts run only if they
 * carry it (Next.js stamps it on its own scripts while rendering, reading it from the request's
 * CSP header) or were loaded by one that does ('strict-dynamic'). No 'unsafe-inline' for scripts:
 * an injected <script> or inline handler does not run. Styles keep 'unsafe-inline' (Monaco adds
 * <style> elements at run time; a style cannot run code).
 */

import { NextResponse, type NextRequest } from "next/server";

export function contentSecurityPolicy(nonce: string, dev = process.env.NODE_ENV === "development"): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "font-src 'self' data:",
    "img-src 'self' data:",
    "worker-src 'self' blob:",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "form-action 'self'",
    "base-uri 'self'",
    "object-src 'none'",
  ].join("; ");
}

export function proxy(request: NextRequest): NextResponse {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  const nonce = Buffer.from(bytes).toString("base64");
  const policy = contentSecurityPolicy(nonce);
  const headers = new Headers(request.headers);
  headers.set("x-nonce", nonce);
  headers.set("content-security-policy", policy);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set("content-security-policy", policy);
  return response;
}

export const config = {
  // not the build's static files (immutable, no HTML)
  matcher: ["/((?!_next/static|_next/image|favicon.ico).*)"],
};
