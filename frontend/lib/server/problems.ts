/**
 * Every error the BFF answers with has the API's own shape: `{"error": <code>, "message": …}`.
 * Triage's problems pass through untouched; Dapr's errors, bare 404s and transport failures are
 * turned into that shape here, in one place.
 */

export interface Problem {
  error: string;
  message: string;
  [detail: string]: unknown;
}

export function problemResponse(status: number, problem: Problem): Response {
  return Response.json(problem, { status, headers: { "cache-control": "no-store" } });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The problem to show for an upstream answer with an error status. */
export function normaliseProblem(
  status: number,
  body: unknown,
  text: string,
  route: { method: string; path: string },
): Problem {
  const where = `${route.method} /${route.path}`;
  if (isRecord(body)) {
    const { error, message } = body;
    if (typeof error === "string" && typeof message === "string") {
      // A route the API does not have (yet): FastAPI's bare 404 says only "Not Found".
      if (status === 404 && error === "http_error" && message === "Not Found") {
        return {
          error: "route_not_available",
          message: `The LearnFlow API has no ${where} route yet (HTTP 404 Not Found).`,
        };
      }
      if (status === 405 && error === "http_error") {
        return {
          error: "route_not_available",
          message: `The LearnFlow API does not accept ${where} (HTTP 405 ${message}).`,
        };
      }
      return body as Problem;
    }
    // Dapr's own errors (the sidecar could not deliver the call)
    if (typeof body.errorCode === "string") {
      return {
        error: "mesh_error",
        message: `The Dapr sidecar could not reach the LearnFlow API (${body.errorCode}): ${String(
          body.message ?? "",
        )}`,
      };
    }
    if (typeof body.detail === "string") {
      return { error: `http_${status}`, message: body.detail };
    }
  }
  const snippet = text.trim().slice(0, 300);
  return {
    error: `http_${status}`,
    message: snippet
      ? `The LearnFlow API answered ${where} with HTTP ${status}: ${snippet}`
      : `The LearnFlow API answered ${where} with HTTP ${status} and no details.`,
  };
}
