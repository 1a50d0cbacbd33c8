/**
 * `POST /api/auth/login`: email + password → triage `POST /auth/login` → the token goes into the
 * httpOnly session cookie, never to the page. Accepts JSON (the login page's script) or a plain
 * HTML form post (works without JavaScript: answers with a redirect).
 */

import { NextResponse, type NextRequest } from "next/server";
import { loginErrorCode } from "@/lib/loginErrors";
import { homeFor } from "@/lib/roles";
import { fromOwnOrigin } from "@/lib/server/origin";
import { clientAddress } from "@/lib/server/proxyTrust";
import { problemResponse, type Problem } from "@/lib/server/problems";
import { sessionCookie } from "@/lib/server/session";
import { callTriage } from "@/lib/server/triage";
import type { LoginReply } from "@/lib/types";

export const dynamic = "force-dynamic";

async function credentials(request: NextRequest): Promise<{ email: string; password: string; form: boolean } | null> {
  const type = request.headers.get("content-type") ?? "";
  if (type.includes("application/x-www-form-urlencoded") || type.includes("multipart/form-data")) {
    const form = await request.formData();
    return { email: String(form.get("email") ?? ""), password: String(form.get("password") ?? ""), form: true };
  }
  try {
    const body = (await request.json()) as Record<string, unknown>;
    return { email: String(body.email ?? ""), password: String(body.password ?? ""), form: false };
  } catch {
    return null;
  }
}

/** A relative redirect: behind `-H 127.0.0.1` Next's request.url says "localhost", another
 * origin for the browser (and the CSP's form-action). */
function redirectTo(path: string): NextResponse {
  return new NextResponse(null, { status: 303, headers: { location: path } });
}

export async function POST(request: NextRequest): Promise<Response> {
  if (!fromOwnOrigin(request)) {
    return problemResponse(403, { error: "cross_site_request", message: "Log in from LearnFlow's own login page." });
  }
  const given = await credentials(request);
  if (given === null) {
    return problemResponse(400, { error: "invalid_input", message: "Send your email and password." });
  }
  // a form post is answered with a redirect to /login?error=<code>: the page shows only the
  // known text of a known code (lib/loginErrors.ts), never text taken from the URL
  const fail = (status: number, problem: Problem) =>
    given.form ? redirectTo(`/login?error=${loginErrorCode(status)}`) : problemResponse(status, problem);
  if (!given.email.trim() || !given.password) {
    return fail(400, { error: "invalid_input", message: "Enter both your email and your password." });
  }
  const result = await callTriage({
    method: "POST",
    path: "auth/login",
    json: { email: given.email.trim(), password: given.password },
    clientAddress: clientAddress(request.headers),
  });
  if (!result.ok) return fail(result.status, result.problem);
  const reply = result.body as LoginReply;
  if (!reply || typeof reply.access_token !== "string") {
    return fail(502, { error: "bad_upstream_response", message: "The LearnFlow API's login answer has no access token." });
  }
  const home = homeFor(reply.role);
  const response = given.form
    ? redirectTo(home)
    : NextResponse.json(
        { user_id: reply.user_id, role: reply.role, expires_in: reply.expires_in, home },
        { headers: { "cache-control": "no-store" } },
      );
  response.cookies.set(sessionCookie(reply.access_token, reply.expires_in, request));
  return response;
}
