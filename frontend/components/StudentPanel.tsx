"use client";

import { useEffect, useRef } from "react";
import type { CodeAttempt, StudentReport } from "@/lib/types";
import { ErrorNotice } from "./ErrorNotice";
import { ago } from "./format";
import { Markdown } from "./Markdown";
import { runStatus } from "./RunOutput";
import type { SelectedStudent } from "./TeacherDashboard";
import { useApi } from "./useApi";

function attemptsOf(body: unknown): CodeAttempt[] {
  if (Array.isArray(body)) return body as CodeAttempt[];
  if (body && typeof body === "object") {
    const record = body as Record<string, unknown>;
    for (const key of ["submissions", "attempts", "items"]) {
      if (Array.isArray(record[key])) return record[key] as CodeAttempt[];
    }
  }
  return [];
}

function Attempt({ attempt }: { attempt: CodeAttempt }) {
  const status = attempt.passed === true ? { label: "Passed", tone: "ok" } : attempt.passed === false ? { label: "Failed", tone: "bad" } : runStatus(attempt.status);
  return (
    <li className="attempt">
      <div className="row small">
        <span className={`badge ${status.tone}`}>{status.label}</span>
        {attempt.error_type && <span className="badge warn">{attempt.error_type}</span>}
        {attempt.exercise_id && <code>{attempt.exercise_id}</code>}
        <span className="spacer" />
        <span className="muted">{ago(attempt.created_at)}</span>
      </div>
      <pre aria-label="Submitted code">
        <code>{attempt.code}</code>
      </pre>
      {attempt.stderr_excerpt && <pre className="stderr small">{attempt.stderr_excerpt}</pre>}
    </li>
  );
}

export function StudentPanel({ student, onClose }: { student: SelectedStudent; onClose: () => void }) {
  const report = useApi<StudentReport>(`students/${student.id}/report`);
  const attempts = useApi<unknown>(`students/${student.id}/submissions`);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [student.id]);
  const list = attemptsOf(attempts.data);

  return (
    <section className="card" aria-labelledby="student-heading" data-testid="student-panel">
      <div className="row">
        <h2 id="student-heading" ref={heading} tabIndex={-1}>
          {student.name}: code attempts
        </h2>
        <span className="spacer" />
        <button type="button" className="link small" onClick={onClose}>
          Close<span className="visually-hidden"> {student.name}&apos;s details</span>
        </button>
      </div>
      <section aria-labelledby="attempts-heading" data-testid="student-attempts">
        <h3 id="attempts-heading">Recent attempts</h3>
        {attempts.loading && <p className="loading">Loading code attempts…</p>}
        <ErrorNotice error={attempts.error} title="Could not load the code attempts" />
        {attempts.data !== null && list.length === 0 && <p className="muted">No code attempts yet.</p>}
        {list.length > 0 && (
          <ul style={{ listStyle: "none", padding: 0, margin: 0 }} aria-label={`Code attempts of ${student.name}`}>
            {list.slice(0, 10).map((attempt) => (
              <Attempt key={attempt.id} attempt={attempt} />
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="report-heading" data-testid="student-report" style={{ marginTop: "1rem" }}>
        <h3 id="report-heading">Report</h3>
        {report.loading && <p className="loading">Writing the report…</p>}
        <ErrorNotice error={report.error} title="Could not load the report" />
        {report.data && (
          <div className="small">
            <Markdown text={report.data.summary} />
            <p>
              Runs: {report.data.runs} ({report.data.failed_runs} failed)
              {Object.keys(report.data.error_types).length > 0 &&
                ` · Errors: ${Object.entries(report.data.error_types)
                  .map(([type, count]) => `${type} ×${count}`)
                  .join(", ")}`}
            </p>
            {report.data.exercises_unsolved.length > 0 && (
              <p>
                Unsolved: {report.data.exercises_unsolved.map((id) => <code key={id}>{id} </code>)}
              </p>
            )}
          </div>
        )}
      </section>
    </section>
  );
}
