/**
 * Event deliveries from the frontend's Dapr sidecar (its subscriptions: app/dapr/subscribe).
 * Only the sidecar may call this: it sends the app API token (`APP_API_TOKEN`) with every
 * delivery; anything else is refused. Delivery is best effort for live pages: an event that
 * reaches no open page is simply acknowledged.
 */

import { timingSafeEqual } from "node:crypto";
import type { NextRequest } from "next/server";
import { deliver, LIVE_TOPICS } from "@/lib/server/bus";

export const dynamic = "force-dynamic";

function fromSidecar(request: NextRequest): boolean {
  const expected = process.env.APP_API_TOKEN ?? "";
  const given = request.headers.get("dapr-api-token") ?? "";
  if (!expected || given.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}

export async function POST(request: NextRequest, context: { params: Promise<{ topic: string }> }): Promise<Response> {
  if (!fromSidecar(request)) {
    return Response.json({ error: "forbidden", message: "Only the frontend's Dapr sidecar delivers events here." }, { status: 403 });
  }
  const { topic } = await context.params;
  if (!LIVE_TOPICS.includes(topic)) return Response.json({ status: "DROP" });
  let envelope: unknown;
  try {
    envelope = JSON.parse(await request.text());
  } catch {
    return Response.json({ status: "DROP" });
  }
  const raw = envelope && typeof envelope === "object" && "data" in envelope ? (envelope as { data: unknown }).data : envelope;
  const data = typeof raw === "string" ? (() => { try { return JSON.parse(raw); } catch { return null; } })() : raw;
  if (data && typeof data === "object") deliver(topic, data as Record<string, unknown>);
  return Response.json({ status: "SUCCESS" });
}
