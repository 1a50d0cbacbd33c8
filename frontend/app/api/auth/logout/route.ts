/** `POST /api/auth/logout`: forget the session cookie (JSON, or a redirect for a form post). */

import { NextResponse, type NextRequest } from "next/server";
import { fromOwnOrigin } from "@/lib/server/origin";
import { problemResponse } from "@/lib/server/problems";
import { clearedSessionCookie } from "@/lib/server/session";

export const dynamic = "force-dynamic";

export async function POST(request: NextRequest): Promise<Response> {
  if (!fromOwnOrigin(request)) {
    return problemResponse(403, { error: "cross_site_request", message: "Log out from LearnFlow's own pages." });
  }
  const type = request.headers.get("content-type") ?? "";
  const form = type.includes("application/x-www-form-urlencoded") || type.includes("multipart/form-data");
  const response = form
    ? new NextResponse(null, { status: 303, headers: { location: "/login" } }) // relative: see login
    : NextResponse.json({ ok: true }, { headers: { "cache-control": "no-store" } });
  response.cookies.set(clearedSessionCookie(request));
  return response;
}
