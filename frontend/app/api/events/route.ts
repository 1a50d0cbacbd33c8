/**
 * `GET /api/events`: server-sent events for the signed-in user's open pages (live alerts,
 * roster, progress and notifications). The stream carries hints ("alerts changed"); the page
 * then reads the data through the API as usual. Fed by Kafka events through the frontend's
 * Dapr sidecar (lib/server/bus.ts).
 */

import type { NextRequest } from "next/server";
import { problemResponse } from "@/lib/server/problems";
import { SESSION_COOKIE } from "@/lib/server/session";
import { callTriage } from "@/lib/server/triage";
import { listen, type LiveHint } from "@/lib/server/bus";

export const dynamic = "force-dynamic";

const HEARTBEAT_MS = 20_000;

export async function GET(request: NextRequest): Promise<Response> {
  const token = request.cookies.get(SESSION_COOKIE)?.value;
  if (!token) {
    return problemResponse(401, { error: "not_authenticated", message: "Log in to receive live updates." });
  }
  const me = await callTriage({ method: "GET", path: "auth/me", token });
  if (!me.ok) return problemResponse(me.status, me.problem);
  const { user_id: userId, role } = me.body as { user_id: string; role: string };
  const encoder = new TextEncoder();
  let stop = () => {};
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      const write = (text: string) => {
        try {
          controller.enqueue(encoder.encode(text));
        } catch {
          stop();
        }
      };
      write(`retry: 3000\nevent: ready\ndata: {}\n\n`);
      const unlisten = listen({ userId, role, send: (hint: LiveHint) => write(`event: ${hint.type}\ndata: ${JSON.stringify(hint)}\n\n`) });
      const beat = setInterval(() => write(`: keep-alive\n\n`), HEARTBEAT_MS);
      stop = () => {
        clearInterval(beat);
        unlisten();
      };
      request.signal.addEventListener("abort", () => {
        stop();
        try {
          controller.close();
        } catch {
          /* already closed */
        }
      });
    },
    cancel() {
      stop();
    },
  });
  return new Response(stream, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    },
  });
}
