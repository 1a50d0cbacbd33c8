/**
 * daprd asks every app for programmatic subscriptions at start. The frontend subscribes to the
 * events that change what an open page shows; they reach browsers as server-sent events
 * (`/api/events`, lib/server/bus.ts).
 */

import { LIVE_TOPICS } from "@/lib/server/bus";

export const dynamic = "force-dynamic";

export function GET(): Response {
  return Response.json(
    LIVE_TOPICS.map((topic) => ({
      pubsubname: "pubsub",
      topic,
      route: `/dapr/events/${topic}`,
    })),
  );
}
