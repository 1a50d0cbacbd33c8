/**
 * How the BFF reaches the triage app (the public edge API of the mesh).
 *
 * - In the mesh the frontend is its own Dapr app with a sidecar: when `DAPR_HTTP_PORT` is set,
 *   calls go to `http://127.0.0.1:$DAPR_HTTP_PORT/v1.0/invoke/triage/method/<route>` with the
 *   header `dapr-api-token: $DAPR_API_TOKEN` (Dapr service invocation).
 * - Otherwise they go straight to `TRIAGE_URL` (default http://127.0.0.1:8001, triage's app
 *   port under `make up`).
 */

export interface Upstream {
  /** Base URL; a route is appended as `${base}/${route}`. */
  base: string;
  /** Headers every call carries (the Dapr API token in the mesh). */
  headers: Record<string, string>;
  /** Where the calls go, for error messages (never includes a token). */
  describe: string;
}

const DEFAULT_TRIAGE_URL = "http://127.0.0.1:8001";

export class UpstreamConfigError extends Error {}

export function upstream(env: NodeJS.ProcessEnv = process.env): Upstream {
  const daprPort = env.DAPR_HTTP_PORT?.trim();
  if (daprPort) {
    if (!/^\d{1,5}$/.test(daprPort) || Number(daprPort) > 65535) {
      throw new UpstreamConfigError(
        `DAPR_HTTP_PORT must be a port number (it is ${JSON.stringify(daprPort)})`,
      );
    }
    const appId = env.TRIAGE_APP_ID?.trim() || "triage";
    const token = env.DAPR_API_TOKEN?.trim();
    return {
      base: `http://127.0.0.1:${daprPort}/v1.0/invoke/${encodeURIComponent(appId)}/method`,
      headers: token ? { "dapr-api-token": token } : {},
      describe: `the ${appId} app through the Dapr sidecar on 127.0.0.1:${daprPort}`,
    };
  }
  const raw = env.TRIAGE_URL?.trim() || DEFAULT_TRIAGE_URL;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UpstreamConfigError(`TRIAGE_URL is not a URL: ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UpstreamConfigError(`TRIAGE_URL must be http(s): ${JSON.stringify(raw)}`);
  }
  const base = url.toString().replace(/\/+$/, "");
  return { base, headers: {}, describe: `triage at ${base}` };
}

/** Milliseconds before the BFF gives up on triage (chat turns can take a while). */
export function upstreamTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env.TRIAGE_TIMEOUT_MS ?? "");
  return Number.isFinite(value) && value > 0 ? value : 60_000;
}
