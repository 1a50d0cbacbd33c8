/** The pages' calls to the BFF (`/api/...`): JSON in, JSON out, problems as `ApiError`. */

import type { ApiProblem } from "./types";

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly problem: ApiProblem;

  constructor(status: number, problem: ApiProblem) {
    super(problem.message);
    this.status = status;
    this.code = problem.error;
    this.problem = problem;
  }
}

function asProblem(status: number, body: unknown, text: string): ApiProblem {
  if (body && typeof body === "object" && "message" in body && "error" in body) {
    return body as ApiProblem;
  }
  return {
    error: `http_${status}`,
    message: text.trim() ? text.trim().slice(0, 300) : `The request failed (HTTP ${status}).`,
  };
}

export async function api<T>(path: string, init: { method?: "GET" | "POST" | "PATCH" | "DELETE"; body?: unknown } = {}): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`/api/${path}`, {
      method: init.method ?? "GET",
      headers: init.body === undefined ? { accept: "application/json" } : { accept: "application/json", "content-type": "application/json" },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch (error) {
    throw new ApiError(0, {
      error: "network_error",
      message: `Could not reach the LearnFlow server: ${error instanceof Error ? error.message : String(error)}`,
    });
  }
  const text = await response.text();
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = undefined;
  }
  if (!response.ok) throw new ApiError(response.status, asProblem(response.status, body, text));
  return body as T;
}

/** GET `/api/<path>` for a file (audio, CSV): its bytes as a Blob; a problem throws ApiError. */
export async function apiBlob(path: string): Promise<Blob> {
  let response: Response;
  try {
    response = await fetch(`/api/${path}`, { credentials: "same-origin", cache: "no-store" });
  } catch (error) {
    throw new ApiError(0, {
      error: "network_error",
      message: `Could not reach the LearnFlow server: ${error instanceof Error ? error.message : String(error)}`,
    });
  }
  if (!response.ok) {
    const text = await response.text();
    let body: unknown = undefined;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = undefined;
    }
    throw new ApiError(response.status, asProblem(response.status, body, text));
  }
  return response.blob();
}
