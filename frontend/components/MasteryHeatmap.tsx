"use client";

import { levelLabel } from "@/lib/levels";
import type { ClassOverview } from "@/lib/types";
import type { SelectedStudent } from "./TeacherDashboard";

/**
 * Students × modules, each cell the student's mastery there. The colours are a colour-blind-safe
 * sequential scale (light to dark, one per level, from the viridis family) and every cell also
 * says its number and level in words, so nothing is told by colour alone.
 */
export const HEAT_LEVELS: ReadonlyArray<{ label: string; range: string; className: string }> = [
  { label: "Not started", range: "—", className: "heat-none" },
  { label: "Beginner", range: "0–40", className: "heat-1" },
  { label: "Learning", range: "41–70", className: "heat-2" },
  { label: "Proficient", range: "71–90", className: "heat-3" },
  { label: "Mastered", range: "91–100", className: "heat-4" },
];

function heatClass(mastery: number | undefined): string {
  if (mastery === undefined) return "heat-none";
  const level = levelLabel(mastery);
  return HEAT_LEVELS.find((l) => l.label === level)?.className ?? "heat-none";
}

export function MasteryHeatmap({ overview, onSelect }: { overview: ClassOverview; onSelect: (s: SelectedStudent) => void }) {
  return (
    <section className="card" aria-labelledby="heatmap-heading">
      <h2 id="heatmap-heading">Mastery per student and module</h2>
      <div className="table-scroll" tabIndex={0} role="region" aria-label="Mastery heatmap (scrolls sideways)">
        <table className="heatmap">
          <caption className="visually-hidden">Mastery of each student of {overview.name} in each module, 0 to 100</caption>
          <thead>
            <tr>
              <th scope="col">Student</th>
              {overview.topics.map((topic, i) => (
                <th scope="col" key={topic.topic} title={topic.title}>
                  <abbr title={topic.title}>M{i + 1}</abbr>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {overview.students.map((student) => (
              <tr key={student.id}>
                <th scope="row">
                  <button type="button" className="link" onClick={() => onSelect({ id: student.id, name: student.display_name })}>
                    {student.display_name}
                    <span className="visually-hidden">: details</span>
                  </button>
                </th>
                {overview.topics.map((topic) => {
                  const mastery = student.mastery[topic.topic];
                  return (
                    <td
                      key={topic.topic}
                      className={`heat ${heatClass(mastery)}`}
                      data-topic={topic.topic}
                      data-mastery={mastery ?? ""}
                      title={`${student.display_name}, ${topic.title}: ${mastery === undefined ? "not started" : `${mastery}% (${levelLabel(mastery)})`}`}
                    >
                      {mastery === undefined ? <span aria-label="not started">–</span> : mastery}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <ul className="legend" aria-label="Legend">
        {HEAT_LEVELS.map((level) => (
          <li key={level.label}>
            <span className={`swatch heat ${level.className}`} aria-hidden="true" />
            {level.label} <span className="muted">{level.range}</span>
          </li>
        ))}
      </ul>
      <p className="small muted">Columns: {overview.topics.map((t, i) => `M${i + 1} ${t.title.replace(/^Module \d+: /, "")}`).join(" · ")}</p>
    </section>
  );
}
