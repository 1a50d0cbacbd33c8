/**
 * The edge routes the BFF forwards to triage: `/api/<route>` → triage `/<route>`.
 *
 * An allow-list, not a blanket proxy: through Dapr, the sidecar vouches for every call it
 * delivers, so forwarding anything would let a browser reach triage's internal routes
 * (e.g. its pub/sub deliveries). Only the public API is listed here.
 */

export type Method = "GET" | "POST" | "PATCH" | "DELETE";

const ID = "[A-Za-z0-9_.:-]{1,200}";
const UUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";

const route = (method: Method, pattern: string) => ({ method, regex: new RegExp(`^${pattern}$`) });

export const EDGE_ROUTES = [
  route("GET", "auth/me"),
  // learning
  route("POST", "chat"),
  route("POST", "chat/stream"), // server-sent events: see STREAM_ROUTES
  route("GET", "chat/history"),
  route("GET", `drafts/${ID}`),
  route("POST", `drafts/${ID}`),
  route("POST", "quizzes"),
  route("GET", `quizzes/${ID}`),
  route("POST", `quizzes/${ID}/answers`),
  route("GET", "assignments"),
  route("POST", "code/run"),
  route("GET", "progress/me"),
  route("GET", "progress/me/report"),
  route("GET", "exercises/next"),
  route("GET", `exercises/${ID}`),
  route("POST", `exercises/${ID}/submit`),
  route("POST", "sessions"),
  route("GET", `sessions/${ID}`),
  route("POST", `sessions/${ID}/events`),
  route("GET", "exams"),
  route("GET", `exams/${UUID}`),
  route("POST", `exams/${UUID}/(start|answers|submit)`),
  route("GET", `exams/${UUID}/debrief`),
  route("GET", "notifications"),
  route("POST", `notifications/${ID}/read`),
  // teaching
  route("GET", "classes"),
  route("POST", "classes"),
  route("POST", "classes/join"),
  route("GET", `classes/${UUID}/admission`),
  route("PATCH", `classes/${UUID}/admission`),
  route("DELETE", `classes/${UUID}/students/${UUID}`),
  route("GET", `classes/${UUID}/(overview|report|assignments)`),
  route("POST", `classes/${UUID}/assignments`),
  route("GET", `students/${UUID}/(progress|report|submissions|trend)`),
  route("GET", "exams/bank"),
  route("POST", "exams"),
  route("GET", `exams/${UUID}/results`),
  route("GET", "alerts"),
  route("POST", `alerts/${UUID}/resolve`),
  route("POST", "exercises/generate"),
  route("GET", `teacher/exercises/${ID}`),
  route("POST", `teacher/exercises/${ID}/(approve|reject|edit)`),
];

/** Whether `method /path` (decoded segments joined by "/") is a forwarded edge route. */
export function isEdgeRoute(method: string, segments: readonly string[]): boolean {
  if (segments.length === 0 || segments.some((s) => s === "" || s === "." || s === ".." || s.includes("/"))) {
    return false;
  }
  const path = segments.join("/");
  return EDGE_ROUTES.some((r) => r.method === method && r.regex.test(path));
}

/** Routes whose answer is a file (CSV, WAV), passed through as bytes with its name, never parsed. */
export const DOWNLOAD_ROUTES = [
  route("GET", `exams/${UUID}/debrief/speech`),
  route("GET", `classes/${UUID}/report[.]csv`),
  route("GET", "progress/me/report[.]csv"),
];

/** Whether `method /path` is a forwarded download (see DOWNLOAD_ROUTES). */
export function isDownloadRoute(method: string, segments: readonly string[]): boolean {
  if (segments.length === 0 || segments.some((s) => s === "" || s === "." || s === ".." || s.includes("/"))) {
    return false;
  }
  const path = segments.join("/");
  return DOWNLOAD_ROUTES.some((r) => r.method === method && r.regex.test(path));
}

/** Edge routes whose answer is a stream of server-sent events, passed on as it comes. */
export const STREAM_ROUTES = [route("POST", "chat/stream")];

/** Whether `method /path` is a forwarded event stream (see STREAM_ROUTES). */
export function isStreamRoute(method: string, segments: readonly string[]): boolean {
  const path = segments.join("/");
  return isEdgeRoute(method, segments) && STREAM_ROUTES.some((r) => r.method === method && r.regex.test(path));
}
