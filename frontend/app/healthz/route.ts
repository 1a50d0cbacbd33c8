/** Liveness for daprd's app health check and the supervisor (does not call triage). */

export const dynamic = "force-dynamic";

export function GET(): Response {
  return Response.json({ status: "ok", app_id: "frontend" }, { headers: { "cache-control": "no-store" } });
}
