/**
 * A chat turn as it is written: `POST /api/chat/stream` (server-sent events, learnflow.sse) —
 * `delta {text}` events as the tutor writes, then `done` with the same reply `POST /api/chat`
 * gives, or `error` with a problem. Falls back to `POST /api/chat` when the stream route is not
 * there (an older API) or the browser cannot read a stream.
 */

import { api, ApiError } from "./api";
import type { ApiProblem, ChatReply } from "./types";

interface Event {
  event: string;
  data: unknown;
}

/** The events in `text`, and what is left of it (an event not finished yet). */
function parseEvents(text: string): { events: Event[]; rest: string } {
  const events: Event[] = [];
  const blocks = text.replace(/\r\n?/g, "\n").split("\n\n");
  const rest = blocks.pop() ?? "";
  for (const block of blocks) {
    let name = "message";
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "event") name = value;
      else if (field === "data") data.push(value);
    }
    if (data.length > 0) events.push({ event: name, data: JSON.parse(data.join("\n")) });
  }
  return { events, rest };
}

function asProblem(data: unknown): ApiProblem {
  if (data && typeof data === "object" && "message" in data && "error" in data) return data as ApiProblem;
  return { error: "stream_error", message: "The answer could not be finished; send your message again." };
}

/** Whether to ask `POST /api/chat` instead: the stream route is missing, or unreadable here. */
function streamUnavailable(error: unknown): boolean {
  return error instanceof ApiError && (error.code === "route_not_available" || error.code === "no_such_route");
}

async function readStream(response: Response, onText: (text: string) => void): Promise<ChatReply> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  let text = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    const { events, rest } = parseEvents(buffered + value);
    buffered = rest;
    for (const { event, data } of events) {
      if (event === "delta") {
        text += String((data as { text?: unknown }).text ?? "");
        onText(text);
      } else if (event === "done") {
        await reader.cancel().catch(() => undefined);
        return data as ChatReply;
      } else if (event === "error") {
        const problem = asProblem(data);
        const status = typeof problem.status === "number" ? problem.status : 502;
        throw new ApiError(status, problem);
      }
    }
  }
  throw new ApiError(502, {
    error: "stream_cut",
    message: "The answer was cut off before it was finished, so it was not saved. Send your message again.",
  });
}

/**
 * Send a chat message and get its reply, calling `onText` with the text so far as it is
 * written. `signal` aborts it (the learner left the page): the server cancels the generation.
 */
export async function streamChat(body: Record<string, unknown>, onText: (text: string) => void, signal?: AbortSignal): Promise<ChatReply> {
  if (typeof TextDecoderStream === "undefined") return api<ChatReply>("chat", { method: "POST", body });
  let response: Response;
  try {
    response = await fetch("/api/chat/stream", {
      method: "POST",
      headers: { accept: "text/event-stream", "content-type": "application/json" },
      body: JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
      signal,
    });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ApiError(0, {
      error: "network_error",
      message: `Could not reach the LearnFlow server: ${error instanceof Error ? error.message : String(error)}`,
    });
  }
  const type = response.headers.get("content-type") ?? "";
  if (response.ok && type.startsWith("text/event-stream") && response.body) return readStream(response, onText);
  const text = await response.text();
  let problem: unknown = undefined;
  try {
    problem = text ? JSON.parse(text) : undefined;
  } catch {
    problem = undefined;
  }
  const error = new ApiError(response.ok ? 502 : response.status, asProblem(problem));
  if (streamUnavailable(error)) return api<ChatReply>("chat", { method: "POST", body });
  throw error;
}
