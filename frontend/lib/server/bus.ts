/**
 * Live updates inside the BFF process: Kafka events delivered by the frontend's Dapr sidecar
 * (`/dapr/events/<topic>`) are turned into small hints and handed to the browsers connected to
 * `/api/events` (server-sent events).
 *
 * Hints carry no data a browser could not read through the API anyway: a student gets their own
 * progress and notification hints; teachers get "something changed" hints and fetch what they
 * may see through the API (which checks whose data it is).
 */

export interface LiveHint {
  type: "progress" | "notifications" | "alerts" | "class";
  topic?: string;
  mastery?: number;
}

interface Listener {
  userId: string;
  role: string;
  send: (hint: LiveHint) => void;
}

interface Bus {
  listeners: Set<Listener>;
}

const globalBus = globalThis as typeof globalThis & { __learnflowLiveBus?: Bus };

function bus(): Bus {
  globalBus.__learnflowLiveBus ??= { listeners: new Set() };
  return globalBus.__learnflowLiveBus;
}

export function listen(listener: Listener): () => void {
  bus().listeners.add(listener);
  return () => bus().listeners.delete(listener);
}

const isStaff = (role: string) => role === "teacher" || role === "admin";

/** Route one delivered event (its topic and data) to the connected browsers it concerns. */
export function deliver(topic: string, data: Record<string, unknown>): number {
  const userId = typeof data.user_id === "string" ? data.user_id : null;
  let sent = 0;
  for (const listener of bus().listeners) {
    let hint: LiveHint | null = null;
    if (topic === "progress.updated") {
      if (listener.userId === userId) {
        hint = { type: "progress", topic: String(data.topic_id ?? ""), mastery: Number(data.mastery ?? 0) };
      } else if (isStaff(listener.role)) {
        hint = { type: "class" };
      }
    } else if (topic === "struggle.detected" && isStaff(listener.role)) {
      hint = { type: "alerts" };
    } else if (topic === "notification.created" && listener.userId === userId) {
      hint = { type: "notifications" };
    } else if (topic === "exercise.assigned" && isStaff(listener.role)) {
      hint = { type: "class" };
    }
    if (hint) {
      listener.send(hint);
      sent++;
    }
  }
  return sent;
}

/** The topics the frontend's sidecar subscribes to (see app/dapr/subscribe). */
export const LIVE_TOPICS = ["progress.updated", "struggle.detected", "notification.created", "exercise.assigned"];
