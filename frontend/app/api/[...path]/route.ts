/**
 * The BFF: `/api/<route>` → triage `/<route>`, with the session's token as the bearer. An event
 * stream (`chat/stream`) is passed on as it comes; the learner leaving aborts it upstream.
 */

import { NextResponse, type NextRequest } from "next/server";
import { fromOwnOrigin } from "@/lib/server/origin";
import { problemResponse, type Problem } from "@/lib/server/problems";
import { isDownloadRoute, isEdgeRoute, isStreamRoute, type Method } from "@/lib/server/routes";
import { clearedSessionCookie, SESSION_COOKIE } from "@/lib/server/session";
import { callTriage, downloadFromTriage, streamFromTriage } from "@/lib/server/triage";

export const dynamic = "force-dynamic";

interface Context {
  params: Promise<{ path: string[] }>;
}

async function readJson(request: NextRequest): Promise<{ ok: true; value: unknown } | { ok: false }> {
  const text = await request.text();
  if (!text.trim()) return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

async function forward(request: NextRequest, context: Context): Promise<Response> {
  const { path } = await context.params;
  const method = request.method as Method;
  if (isDownloadRoute(method, path)) return download(request, path);
  if (!isEdgeRoute(method, path)) {
    return problemResponse(404, {
      error: "no_such_route",
      message: `The frontend does not forward ${method} /api/${path.join("/")} to the LearnFlow API.`,
    });
  }
  if (method !== "GET" && !fromOwnOrigin(request)) {
    return problemResponse(403, {
      error: "cross_site_request",
      message: "This request came from another site; LearnFlow only accepts its own pages' requests.",
    });
  }
  const token = request.cookies.get(SESSION_COOKIE)?.value;
  if (!token) {
    return problemResponse(401, {
      error: "not_authenticated",
      message: "You are not logged in, or your session has ended: log in again.",
    });
  }
  let json: unknown = undefined;
  if (method === "POST" || method === "PATCH") {
    const body = await readJson(request);
    if (!body.ok) {
      return problemResponse(400, { error: "invalid_input", message: "The request body is not valid JSON." });
    }
    json = body.value;
  }
  const call = {
    method,
    path: path.map(encodeURIComponent).join("/"),
    search: request.nextUrl.search.replace(/^\?/, ""),
    token,
    json,
  };
  if (isStreamRoute(method, path)) {
    const stream = await streamFromTriage({ ...call, signal: request.signal });
    if (!stream.ok) return failure(request, stream.status, stream.problem);
    // no-transform: Next's compression would hold the events back until the stream ends
    return new Response(stream.body, {
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store, no-transform",
        "x-accel-buffering": "no",
      },
    });
  }
  const result = await callTriage(call);
  if (!result.ok) return failure(request, result.status, result.problem);
  return Response.json(result.body, { status: result.status, headers: { "cache-control": "no-store" } });
}

/** Triage's problem, as JSON with its status. */
function failure(request: NextRequest, status: number, problem: Problem): Response {
  const response = NextResponse.json(problem, { status, headers: { "cache-control": "no-store" } });
  if (status === 401) {
    // the token expired or was revoked: drop it; the page offers to log in again
    response.cookies.set(clearedSessionCookie(request));
  }
  return response;
}

/** A file from triage (a report's CSV), passed through byte for byte with its name. */
async function download(request: NextRequest, path: string[]): Promise<Response> {
  const token = request.cookies.get(SESSION_COOKIE)?.value;
  if (!token) {
    return problemResponse(401, {
      error: "not_authenticated",
      message: "You are not logged in, or your session has ended: log in again.",
    });
  }
  const result = await downloadFromTriage({
    path: path.map(encodeURIComponent).join("/"),
    search: request.nextUrl.search.replace(/^\?/, ""),
    token,
    range: request.headers.get("range"),
  });
  // byte ranges pass through unchanged (206 + content-range, 416 + `bytes */N`): a media element
  // that gets no `accept-ranges` takes the file for a live stream (infinite duration, no seeking)
  const rangeHeaders: Record<string, string> = {};
  if (result.acceptRanges) rangeHeaders["accept-ranges"] = result.acceptRanges;
  if (result.contentRange) rangeHeaders["content-range"] = result.contentRange;
  if (!result.ok) {
    return NextResponse.json(result.problem, {
      status: result.status,
      headers: { "cache-control": "no-store", ...rangeHeaders },
    });
  }
  // No content-length: Next (16, send-response.js) drops it from every route handler's answer
  // and sends the body chunked; a media element learns the size from content-range instead.
  const headers: Record<string, string> = {
    "content-type": result.contentType,
    "cache-control": "no-store",
    ...rangeHeaders,
  };
  if (result.disposition) headers["content-disposition"] = result.disposition;
  return new Response(result.bytes, { status: result.status, headers });
}

export { forward as GET, forward as POST, forward as PATCH, forward as DELETE };
