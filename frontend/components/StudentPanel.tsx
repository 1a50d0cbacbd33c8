"use client";

import { useEffect, useRef } from "react";
import type { CodeAttempt, StudentReport } from "@/lib/types";
import { useLive } from "@/lib/useLive";
import { ErrorNotice } from "./ErrorNotice";
import { ago } from "./format";
import { Markdown } from "./Markdown";
import { runStatus } from "./RunOutput";
import type { SelectedStudent } from "./TeacherDashboard";
import { useApi } from "./useApi";

interface Trend {
  topics: Record<string, { title: string; points: Array<{ at: string; mastery: number }>; change_7d: number }>;
}

function attemptsOf(body: unknown): CodeAttempt[] {
  return Array.isArray(body) ? (body as CodeAttempt[]) : [];
}

function testTone(status: string): string {
  return status === "pass" ? "ok" : status === "fail" ? "bad" : "warn";
}

function Attempt({ attempt }: { attempt: CodeAttempt }) {
  const status =
    attempt.passed === true ? { label: "Passed", tone: "ok" } : attempt.passed === false ? { label: "Failed", tone: "bad" } : runStatus(attempt.status);
  return (
    <li className="attempt">
      <div className="row small">
        <span className={`badge ${status.tone}`}>{status.label}</span>
        {attempt.error_type && <span className="badge warn">{attempt.error_type}</span>}
        {attempt.exercise_id && <code>{attempt.exercise_id}</code>}
        {typeof attempt.duration_ms === "number" && <span className="muted">{attempt.duration_ms} ms</span>}
        <span className="spacer" />
        <time className="muted" dateTime={attempt.created_at}>
          {ago(attempt.created_at)}
        </time>
      </div>
      <pre aria-label="Submitted code" tabIndex={0}>
        <code>{attempt.code}</code>
      </pre>
      {attempt.tests && attempt.tests.length > 0 && (
        <ul className="tests small" aria-label="Tests">
          {attempt.tests.map((t) => (
            <li key={t.name}>
              <span className={`badge ${testTone(t.status)}`}>{t.status}</span> <code>{t.name}</code>
            </li>
          ))}
        </ul>
      )}
      {attempt.stderr_excerpt && <pre className="stderr small" tabIndex={0}>{attempt.stderr_excerpt}</pre>}
    </li>
  );
}

function Sparkline({ points }: { points: Array<{ mastery: number }> }) {
  if (points.length < 2) return null;
  const width = 80;
  const height = 20;
  const step = width / (points.length - 1);
  const path = points.map((p, i) => `${i === 0 ? "M" : "L"}${(i * step).toFixed(1)},${(height - (p.mastery / 100) * height).toFixed(1)}`).join(" ");
  return (
    <svg width={width} height={height} viewBox={`0 0 ${width} ${height}`} aria-hidden="true" className="sparkline">
      <path d={path} fill="none" stroke="currentColor" strokeWidth="2" />
    </svg>
  );
}

export function StudentPanel({ student, onClose }: { student: SelectedStudent; onClose: () => void }) {
  const report = useApi<StudentReport>(`students/${student.id}/report`);
  const attempts = useApi<unknown>(`students/${student.id}/submissions`);
  const trend = useApi<Trend>(`students/${student.id}/trend`);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [student.id]);
  useLive(["class"], () => {
    attempts.reload();
    trend.reload();
    report.reload();
  });
  const list = attemptsOf(attempts.data);
  const started = report.data?.student.topics.filter((t) => t.started) ?? [];

  return (
    <section className="card" aria-labelledby="student-heading" data-testid="student-panel">
      <div className="row">
        <h2 id="student-heading" ref={heading} tabIndex={-1}>
          {student.name}: code attempts and progress
        </h2>
        <span className="spacer" />
        <button type="button" className="link small" onClick={onClose}>
          Close<span className="visually-hidden"> {student.name}&apos;s details</span>
        </button>
      </div>
      <section aria-labelledby="breakdown-heading" data-testid="student-breakdown">
        <h3 id="breakdown-heading">Topics</h3>
        {started.length === 0 && report.data && <p className="muted small">No topic started yet.</p>}
        {started.length > 0 && (
          <div className="table-scroll" tabIndex={0} role="region" aria-label={`${student.name}'s topics`}>
            <table>
              <caption className="visually-hidden">Mastery of {student.name} per started topic, its parts and its trend</caption>
              <thead>
                <tr>
                  <th scope="col">Module</th>
                  <th scope="col" className="num">Mastery</th>
                  <th scope="col" className="num">Exercises</th>
                  <th scope="col" className="num">Quizzes</th>
                  <th scope="col" className="num">Quality</th>
                  <th scope="col">Last 7 days</th>
                </tr>
              </thead>
              <tbody>
                {started.map((t) => {
                  const line = trend.data?.topics[t.topic];
                  const change = line?.change_7d ?? 0;
                  return (
                    <tr key={t.topic} data-topic={t.topic}>
                      <th scope="row">{t.title}</th>
                      <td className="num">
                        {t.mastery}% <span className="small muted">{t.level_label}</span>
                      </td>
                      <td className="num">{Math.round(t.exercise_score ?? 0)}</td>
                      <td className="num">{Math.round(t.quiz_score ?? 0)}</td>
                      <td className="num">{Math.round(t.code_quality_score ?? 0)}</td>
                      <td>
                        {line && <Sparkline points={line.points} />}{" "}
                        <span className={change > 0 ? "trend-up" : change < 0 ? "trend-down" : "muted"}>
                          {change > 0 ? `▲ +${change}` : change < 0 ? `▼ ${change}` : "no change"}
                        </span>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section aria-labelledby="attempts-heading" data-testid="student-attempts" style={{ marginTop: "1rem" }}>
        <h3 id="attempts-heading">Recent code attempts (newest first)</h3>
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
