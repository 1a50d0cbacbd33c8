/**
 * One function that calls triage for the BFF and the server-rendered pages.
 *
 * It asks for problems "in a header" (`x-learnflow-problems: in-header`, learnflow.api.guard):
 * triage answers a 4xx or busy 503 as HTTP 200 with the real status in `x-learnflow-status`.
 * Through Dapr, every non-2xx answer counts as a failure toward the circuit breaker in front of
 * triage — five wrong passwords in a row would otherwise shut every learner out for a while.
 */

import { normaliseProblem, type Problem } from "./problems";
import { upstream, upstreamTimeoutMs, UpstreamConfigError } from "./upstream";

export type TriageResult =
  | { ok: true; status: number; body: unknown }
  | { ok: false; status: number; problem: Problem };

export interface TriageCall {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** The route without a leading slash, e.g. `chat` or `alerts/<id>/resolve`. */
  path: string;
  /** Query string without `?` (already encoded), if any. */
  search?: string;
  /** The caller's access token (from the session cookie). */
  token?: string | null;
  /** A JSON body. */
  json?: unknown;
  /** The browser's address, when a trusted proxy told us (login throttling per address). */
  clientAddress?: string | null;
}

function causeOf(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: unknown }).cause;
    if (cause instanceof Error) {
      const code = (cause as Error & { code?: string }).code;
      return code ? `${code} (${cause.message})` : cause.message;
    }
    return error.message;
  }
  return String(error);
}

export async function callTriage(call: TriageCall): Promise<TriageResult> {
  let target;
  try {
    target = upstream();
  } catch (error) {
    if (error instanceof UpstreamConfigError) {
      return { ok: false, status: 500, problem: { error: "bff_misconfigured", message: error.message } };
    }
    throw error;
  }
  const url = `${target.base}/${call.path}${call.search ? `?${call.search}` : ""}`;
  const headers: Record<string, string> = {
    accept: "application/json",
    "x-learnflow-problems": "in-header",
    ...target.headers,
  };
  if (call.token) headers.authorization = `Bearer ${call.token}`;
  if (call.clientAddress) headers["x-learnflow-client-address"] = call.clientAddress;
  if (call.json !== undefined) headers["content-type"] = "application/json";
  const timeoutMs = upstreamTimeoutMs();

  let response: Response;
  try {
    response = await fetch(url, {
      method: call.method,
      headers,
      body: call.json === undefined ? undefined : JSON.stringify(call.json),
      cache: "no-store",
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === "TimeoutError") {
      return {
        ok: false,
        status: 504,
        problem: {
          error: "upstream_timeout",
          message: `The LearnFlow API did not answer within ${Math.round(timeoutMs / 1000)} s; try again.`,
        },
      };
    }
    return {
      ok: false,
      status: 502,
      problem: {
        error: "upstream_unreachable",
        message: `Cannot reach the LearnFlow API (${target.describe}): ${causeOf(error)}. Is the stack running (make up)?`,
      },
    };
  }

  const marked = response.headers.get("x-learnflow-status");
  const status = marked && /^\d{3}$/.test(marked) ? Number(marked) : response.status;
  const text = await response.text();
  let body: unknown = undefined;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
  }
  if (status >= 200 && status < 300) {
    if (text && body === undefined) {
      return {
        ok: false,
        status: 502,
        problem: {
          error: "bad_upstream_response",
          message: `The LearnFlow API answered ${call.method} /${call.path} with something that is not JSON: ${text.slice(0, 200)}`,
        },
      };
    }
    return { ok: true, status, body: body ?? null };
  }
  return {
    ok: false,
    status,
    problem: normaliseProblem(status, body, text, call),
  };
}

/** The byte-range headers of a file's answer (RFC 9110 §14), passed back to the browser as is. */
export interface RangeHeaders {
  acceptRanges?: string | null;
  contentRange?: string | null;
}

export type DownloadResult =
  | ({ ok: true; status: number; bytes: ArrayBuffer; contentType: string; disposition: string | null } & RangeHeaders)
  | ({ ok: false; status: number; problem: Problem } & RangeHeaders);

/** A GET whose answer is a file (e.g. a report's CSV): the bytes as triage sent them. Problems
 * (4xx in a header, as above) come back as a Problem, like `callTriage`'s. `range` is the
 * browser's `Range` header (a media element asks `bytes=0-`): triage answers 206 or 416. */
export async function downloadFromTriage(
  call: Omit<TriageCall, "method" | "json"> & { range?: string | null },
): Promise<DownloadResult> {
  let target;
  try {
    target = upstream();
  } catch (error) {
    if (error instanceof UpstreamConfigError) {
      return { ok: false, status: 500, problem: { error: "bff_misconfigured", message: error.message } };
    }
    throw error;
  }
  const url = `${target.base}/${call.path}${call.search ? `?${call.search}` : ""}`;
  const headers: Record<string, string> = {
    accept: "text/csv, audio/wav, application/json",
    "x-learnflow-problems": "in-header",
    ...target.headers,
  };
  if (call.token) headers.authorization = `Bearer ${call.token}`;
  if (call.range) headers.range = call.range;
  let response: Response;
  try {
    response = await fetch(url, {
      headers,
      cache: "no-store",
      redirect: "manual",
      signal: AbortSignal.timeout(upstreamTimeoutMs()),
    });
  } catch (error) {
    return {
      ok: false,
      status: 502,
      problem: {
        error: "upstream_unreachable",
        message: `Cannot reach the LearnFlow API (${target.describe}): ${causeOf(error)}. Is the stack running (make up)?`,
      },
    };
  }
  const marked = response.headers.get("x-learnflow-status");
  const status = marked && /^\d{3}$/.test(marked) ? Number(marked) : response.status;
  const ranges: RangeHeaders = {
    acceptRanges: response.headers.get("accept-ranges"),
    contentRange: response.headers.get("content-range"),
  };
  if (status >= 200 && status < 300) {
    return {
      ok: true,
      ...ranges,
      status,
      bytes: await response.arrayBuffer(),
      contentType: response.headers.get("content-type") ?? "application/octet-stream",
      disposition: response.headers.get("content-disposition"),
    };
  }
  const text = await response.text();
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { ok: false, ...ranges, status, problem: normaliseProblem(status, body, text, { method: "GET", ...call }) };
}

export type TriageStream =
  | { ok: true; body: ReadableStream<Uint8Array> }
  | { ok: false; status: number; problem: Problem };

/**
 * A POST whose answer is a stream of server-sent events (`chat/stream`, learnflow.sse): the
 * open body, to pass on as it comes. Only the status and headers must come within the upstream
 * timeout (they come once the specialist has started); a problem before the stream comes back
 * as a Problem, like `callTriage`'s. `signal` (the browser's request) aborts the call when the
 * learner leaves: the stream closes through Dapr, and the specialist cancels the generation.
 *
 * No `accept: text/event-stream`: Dapr would route the call through its separate SSE path; its
 * ordinary invocation path streams the body as triage writes it.
 */
export async function streamFromTriage(call: TriageCall & { signal: AbortSignal }): Promise<TriageStream> {
  let target;
  try {
    target = upstream();
  } catch (error) {
    if (error instanceof UpstreamConfigError) {
      return { ok: false, status: 500, problem: { error: "bff_misconfigured", message: error.message } };
    }
    throw error;
  }
  const url = `${target.base}/${call.path}${call.search ? `?${call.search}` : ""}`;
  const headers: Record<string, string> = { "x-learnflow-problems": "in-header", ...target.headers };
  if (call.token) headers.authorization = `Bearer ${call.token}`;
  if (call.json !== undefined) headers["content-type"] = "application/json";
  const timeoutMs = upstreamTimeoutMs();
  const aborter = new AbortController();
  const leave = () => aborter.abort(call.signal.reason);
  call.signal.addEventListener("abort", leave, { once: true });
  const timer = setTimeout(() => aborter.abort(new DOMException("no answer in time", "TimeoutError")), timeoutMs);

  let response: Response;
  try {
    response = await fetch(url, {
      method: call.method,
      headers,
      body: call.json === undefined ? undefined : JSON.stringify(call.json),
      cache: "no-store",
      redirect: "manual",
      signal: aborter.signal,
    });
  } catch (error) {
    call.signal.removeEventListener("abort", leave);
    if (aborter.signal.reason instanceof DOMException && aborter.signal.reason.name === "TimeoutError") {
      return {
        ok: false,
        status: 504,
        problem: {
          error: "upstream_timeout",
          message: `The LearnFlow API did not start answering within ${Math.round(timeoutMs / 1000)} s; try again.`,
        },
      };
    }
    return {
      ok: false,
      status: 502,
      problem: {
        error: "upstream_unreachable",
        message: `Cannot reach the LearnFlow API (${target.describe}): ${causeOf(error)}. Is the stack running (make up)?`,
      },
    };
  } finally {
    clearTimeout(timer);
  }

  const marked = response.headers.get("x-learnflow-status");
  const status = marked && /^\d{3}$/.test(marked) ? Number(marked) : response.status;
  const isStream = (response.headers.get("content-type") ?? "").startsWith("text/event-stream");
  if (status >= 200 && status < 300 && isStream && response.body) {
    return { ok: true, body: response.body };
  }
  call.signal.removeEventListener("abort", leave);
  const text = await response.text();
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (status >= 200 && status < 300) {
    return {
      ok: false,
      status: 502,
      problem: {
        error: "bad_upstream_response",
        message: `The LearnFlow API answered ${call.method} /${call.path} without an event stream: ${text.slice(0, 200)}`,
      },
    };
  }
  return { ok: false, status, problem: normaliseProblem(status, body, text, call) };
}
