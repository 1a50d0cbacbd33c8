/** Dates as people read them: "3 min ago", "yesterday, 14:05". */

export function ago(iso: string | null | undefined): string {
  if (!iso) return "never";
  const then = new Date(iso);
  if (Number.isNaN(then.getTime())) return iso;
  const seconds = Math.round((Date.now() - then.getTime()) / 1000);
  if (seconds < 60) return "just now";
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return then.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

const TRIGGERS: Record<string, string> = {
  repeated_error: "Same error again and again",
  stuck_on_exercise: "Stuck on an exercise",
  low_quiz_score: "Low quiz score",
  says_confused: "Says they are confused",
  failed_run_streak: "Many failed runs in a row",
};

export function triggerName(trigger: string): string {
  return TRIGGERS[trigger] ?? trigger.replace(/_/g, " ");
}
