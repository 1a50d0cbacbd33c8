/** How the pages name the agent that answered a chat message (`routed_to`). */

const AGENT_NAMES: Record<string, string> = {
  concepts: "Concepts agent",
  tutor: "Tutor agent",
  debrief: "Debrief agent",
  triage: "Triage",
  "code-runner": "Code runner",
};

export function agentName(agent: string): string {
  return AGENT_NAMES[agent] ?? `${agent} agent`;
}

/**
 * Who wrote an answer (`ChatReply.model`), as the page says it: the offline tutor (built from
 * the lessons, not an AI) or the named model; null when no model wrote it (triage's own words).
 */
export function writtenBy(model: string | null | undefined): string | null {
  if (!model) return null;
  if (model === "offline") return "Offline tutor — built from the lessons";
  return `Written by ${model} from the lessons`;
}
