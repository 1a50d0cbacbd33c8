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

/** What `send` got: triage's answer, or the Problem that stands for a call that never got one. */
type Sent =
  | { ok: true; response: Response; status: number; release: () => void }
  | { ok: false; status: number; problem: Problem };

interface SendOptions {
  /** The `accept` header; none for the event stream (see `streamFromTriage`). */
  accept?: string;
  /** Headers that follow the bearer token (the client address, a byte range). */
  headers?: Record<string, string | null | undefined>;
  /**
   * The browser's request. When given, the timeout covers only the start of the answer (status
   * and headers) and this signal aborts the call, body included, until `release()`. Without it,
   * `AbortSignal.timeout` covers the whole exchange, reading the body too.
   */
  signal?: AbortSignal;
  /** A timeout is a 504 `upstream_timeout`; otherwise (the download) a 502 like any failure. */
  timeoutIs504?: boolean;
}

function isTimeout(value: unknown): boolean {
  return value instanceof DOMException && value.name === "TimeoutError";
}

/**
 * The steps every call to triage shares: find triage (a misconfigured BFF is a 500), ask for
 * problems in a header, send the token and a JSON body, give up after the upstream timeout
 * (504) or on a network failure (502), and read the real status from `x-learnflow-status`.
 */
async function send(call: TriageCall, options: SendOptions): Promise<Sent> {
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
    ...(options.accept ? { accept: options.accept } : {}),
    "x-learnflow-problems": "in-header",
    ...target.headers,
  };
  if (call.token) headers.authorization = `Bearer ${call.token}`;
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    if (value) headers[name] = value;
  }
  if (call.json !== undefined) headers["content-type"] = "application/json";
  const timeoutMs = upstreamTimeoutMs();

  let signal: AbortSignal;
  let timedOut: (error: unknown) => boolean;
  let release = () => {};
  let timer: ReturnType<typeof setTimeout> | undefined;
  const browser = options.signal;
  if (browser) {
    const aborter = new AbortController();
    const leave = () => aborter.abort(browser.reason);
    browser.addEventListener("abort", leave, { once: true });
    timer = setTimeout(() => aborter.abort(new DOMException("no answer in time", "TimeoutError")), timeoutMs);
    signal = aborter.signal;
    timedOut = () => isTimeout(aborter.signal.reason);
    release = () => browser.removeEventListener("abort", leave);
  } else {
    signal = AbortSignal.timeout(timeoutMs);
    timedOut = isTimeout;
  }

  let response: Response;
  try {
    response = await fetch(url, {
      method: call.method,
      headers,
      body: call.json === undefined ? undefined : JSON.stringify(call.json),
      cache: "no-store",
      redirect: "manual",
      signal,
    });
  } catch (error) {
    release();
    if (options.timeoutIs504 && timedOut(error)) {
      const until = browser ? "start answering" : "answer";
      return {
        ok: false,
        status: 504,
        problem: {
          error: "upstream_timeout",
          message: `The LearnFlow API did not ${until} within ${Math.round(timeoutMs / 1000)} s; try again.`,
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
  return { ok: true, response, status, release };
}

/** The answer's text, and its JSON if it is JSON. */
async function readBody(response: Response): Promise<{ text: string; body: unknown }> {
  const text = await response.text();
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { text, body };
}

/** Triage's problem (a 4xx, maybe in a header), in the shape the pages show. */
async function problemOf(response: Response, status: number, call: { method: string; path: string }): Promise<Problem> {
  const { text, body } = await readBody(response);
  return normaliseProblem(status, body, text, call);
}

export async function callTriage(call: TriageCall): Promise<TriageResult> {
  const sent = await send(call, {
    accept: "application/json",
    headers: { "x-learnflow-client-address": call.clientAddress },
    timeoutIs504: true,
  });
  if (!sent.ok) return sent;
  const { status } = sent;
  if (status < 200 || status >= 300) {
    return { ok: false, status, problem: await problemOf(sent.response, status, call) };
  }
  const { text, body } = await readBody(sent.response);
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
  const sent = await send(
    { method: "GET", path: call.path, search: call.search, token: call.token },
    { accept: "text/csv, audio/wav, application/json", headers: { range: call.range } },
  );
  if (!sent.ok) return sent;
  const { response, status } = sent;
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
  return { ok: false, ...ranges, status, problem: await problemOf(response, status, { method: "GET", ...call }) };
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
  const sent = await send(call, { signal: call.signal, timeoutIs504: true });
  if (!sent.ok) return sent;
  const { response, status, release } = sent;
  const isStream = (response.headers.get("content-type") ?? "").startsWith("text/event-stream");
  if (status >= 200 && status < 300 && isStream && response.body) {
    return { ok: true, body: response.body };
  }
  release();
  if (status >= 200 && status < 300) {
    const { text } = await readBody(response);
    return {
      ok: false,
      status: 502,
      problem: {
        error: "bad_upstream_response",
        message: `The LearnFlow API answered ${call.method} /${call.path} without an event stream: ${text.slice(0, 200)}`,
      },
    };
  }
  return { ok: false, status, problem: await problemOf(response, status, call) };
}
