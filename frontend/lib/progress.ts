/** Mastery before and after something that changes it (a quiz, a passed exercise). */

import { api } from "./api";
import type { StudentProgress, TopicProgress } from "./types";

export async function topicProgress(topic: string): Promise<TopicProgress | null> {
  const progress = await api<StudentProgress>("progress/me");
  return progress.topics.find((t) => t.topic === topic) ?? null;
}

/**
 * Wait (bounded) until the topic's progress differs from `before` — the result travels as an
 * event through Kafka to debrief, so it lands a moment after the answer. Resolves with the new
 * progress, or the last one read when nothing changed in time.
 */
export async function progressAfter(
  topic: string,
  before: TopicProgress | null,
  changed: (now: TopicProgress, before: TopicProgress | null) => boolean,
  timeoutMs = 20_000,
): Promise<TopicProgress | null> {
  const deadline = Date.now() + timeoutMs;
  let delay = 300;
  let now = await topicProgress(topic);
  while (!(now && changed(now, before)) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 1.6, 2000);
    now = await topicProgress(topic);
  }
  return now;
}
