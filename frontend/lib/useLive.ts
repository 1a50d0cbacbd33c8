"use client";
/* eslint-disable react-hooks/refs -- the version the browser stories passed with. A lint-driven
   rewrite (latest values written in effects, derived loading state) came with story failures
   in Chromium (Monaco typing, the teacher dashboard) not yet traced to one change; redo it with
   the stories running. */

import { useEffect, useRef } from "react";

export type LiveType = "progress" | "notifications" | "alerts" | "class";

/**
 * Live hints from the BFF (`/api/events`, server-sent events fed by Kafka through the frontend's
 * Dapr sidecar): calls `on(type)` for each hint of the wanted types. One EventSource per page; it
 * reconnects by itself.
 */
export function useLive(types: LiveType[], on: (type: LiveType, data: Record<string, unknown>) => void): void {
  const handler = useRef(on);
  handler.current = on;
  const key = types.join(",");
  useEffect(() => {
    if (typeof EventSource === "undefined") return;
    const source = new EventSource("/api/events");
    const listeners = key.split(",").map((type) => {
      const listener = (event: MessageEvent) => {
        let data: Record<string, unknown> = {};
        try {
          data = JSON.parse(event.data);
        } catch {
          /* a hint without data */
        }
        handler.current(type as LiveType, data);
      };
      source.addEventListener(type, listener);
      return [type, listener] as const;
    });
    source.addEventListener("ready", () => document.documentElement.setAttribute("data-live", "on"));
    return () => {
      for (const [type, listener] of listeners) source.removeEventListener(type, listener);
      source.close();
    };
  }, [key]);
}
