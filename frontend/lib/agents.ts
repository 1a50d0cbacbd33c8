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
