/** `POST /api/auth/logout`: revoke the session's access token (triage `POST /auth/logout`: it is
 * refused from then on, even if a copy of the cookie survives) and forget the cookie (JSON, or a
 * redirect for a form post). */

import { NextResponse, type NextRequest } from "next/server";
import { fromOwnOrigin } from "@/lib/server/origin";
import { problemResponse } from "@/lib/server/problems";
import { clearedSessionCookie, sessionToken } from "@/lib/server/session";
import { callTriage } from "@/lib/server/triage";

export const dynamic = "force-dynamic";

export async function POST(request: NextRequest): Promise<Response> {
  if (!fromOwnOrigin(request)) {
    return problemResponse(403, { error: "cross_site_request", message: "Log out from LearnFlow's own pages." });
  }
  const token = await sessionToken();
  if (token) {
    // an expired or already revoked token answers 401: the cookie goes either way
    await callTriage({ method: "POST", path: "auth/logout", token });
  }
  const type = request.headers.get("content-type") ?? "";
  const form = type.includes("application/x-www-form-urlencoded") || type.includes("multipart/form-data");
  const response = form
    ? new NextResponse(null, { status: 303, headers: { location: "/login" } }) // relative: see login
    : NextResponse.json({ ok: true }, { headers: { "cache-control": "no-store" } });
  response.cookies.set(clearedSessionCookie(request));
  return response;
}
