"use client";

import type { ClassReport, ReportStudent } from "@/lib/types";
import { ErrorNotice } from "./ErrorNotice";
import { Markdown } from "./Markdown";
import { useApi } from "./useApi";

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BANDS = [
  ["not_started", "Not started"],
  ["beginner", "Beginner (0–40%)"],
  ["learning", "Learning (41–70%)"],
  ["proficient", "Proficient (71–90%)"],
  ["mastered", "Mastered (91–100%)"],
] as const;

/** Minutes with one decimal, halves up, in integer arithmetic — as the CSV writes them
 * (agents/triage/report_csv.py `minutes`). */
export function minutes(seconds: number): string {
  const tenths = Math.floor((Math.trunc(seconds) * 10 + 30) / 60);
  return `${Math.floor(tenths / 10)}.${tenths % 10}`;
}

function when(iso: string | null): string {
  if (!iso) return "";
  return new Date(iso).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" }) + " UTC";
}

function Downloads({ classId }: { classId: string }) {
  const base = `/api/classes/${classId}/report.csv`;
  return (
    <div className="report-actions no-print" role="group" aria-label="Export the report">
      <a className="button secondary" href={`${base}?table=students`} download>
        Download students (CSV)
      </a>
      <a className="button secondary" href={`${base}?table=modules`} download>
        Download modules (CSV)
      </a>
      <a className="button secondary" href={`${base}?table=exercises`} download>
        Download exercises (CSV)
      </a>
      <button type="button" onClick={() => window.print()}>
        Print report
      </button>
    </div>
  );
}

function StudentsTable({ report }: { report: ClassReport }) {
  const modules = report.overview.topics;
  return (
    <section className="card report-section" aria-labelledby="report-students">
      <h2 id="report-students">Students and time on task</h2>
      <p className="small muted">
        Time on task adds up the gaps between a student&apos;s actions (runs, submissions, quizzes, chat messages)
        of at most {Math.round(report.active_gap_s / 60)} minutes; a longer gap is a break. Removed students keep
        their work in this report.
      </p>
      <div className="table-scroll" tabIndex={0} role="region" aria-label="Students of the class report">
        <table id="report-students-table">
          <caption className="visually-hidden">Every student of {report.overview.name}, with their figures</caption>
          <thead>
            <tr>
              <th scope="col">Student</th>
              <th scope="col">Status</th>
              <th scope="col" className="num">Average mastery (%)</th>
              {modules.map((m) => (
                <th scope="col" className="num" key={m.topic}>
                  {m.title} (%)
                </th>
              ))}
              <th scope="col" className="num">Exercises passed</th>
              <th scope="col" className="num">Failed submissions</th>
              <th scope="col" className="num">Time on task (min)</th>
              <th scope="col" className="num">Active days</th>
            </tr>
          </thead>
          <tbody>
            {report.students.map((s: ReportStudent) => (
              <tr key={s.student_id} data-email={s.email}>
                <th scope="row">
                  {s.display_name}
                  <div className="small muted">{s.email}</div>
                </th>
                <td>{s.removed ? <span className="badge neutral">removed</span> : "enrolled"}</td>
                <td className="num">{s.average_mastery}</td>
                {modules.map((m) => (
                  <td className="num" key={m.topic}>
                    {s.mastery[m.topic] ?? ""}
                  </td>
                ))}
                <td className="num">{s.exercises_passed}</td>
                <td className="num">{s.failed_attempts}</td>
                <td className="num">{minutes(s.time_on_task.seconds)}</td>
                <td className="num">{s.time_on_task.active_days}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function SpreadTable({ report }: { report: ClassReport }) {
  return (
    <section className="card report-section" aria-labelledby="report-spread">
      <h2 id="report-spread">Mastery by module</h2>
      <div className="table-scroll" tabIndex={0} role="region" aria-label="Students per level in each module">
        <table id="report-spread-table">
          <caption className="visually-hidden">How many students are at each level in each module</caption>
          <thead>
            <tr>
              <th scope="col">Module</th>
              {BANDS.map(([key, label]) => (
                <th scope="col" className="num" key={key}>
                  {label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {report.mastery_spread.map((m) => (
              <tr key={m.topic}>
                <th scope="row">{m.title}</th>
                {BANDS.map(([key]) => (
                  <td className="num" key={key}>
                    {m[key]}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function FailedTable({ report }: { report: ClassReport }) {
  return (
    <section className="card report-section" aria-labelledby="report-failed">
      <h2 id="report-failed">Most failed exercises</h2>
      {report.most_failed.length === 0 ? (
        <p className="muted">No graded submission has failed yet.</p>
      ) : (
        <div className="table-scroll" tabIndex={0} role="region" aria-label="Most failed exercises">
          <table id="report-failed-table">
            <caption className="visually-hidden">Exercises with the most failed submissions</caption>
            <thead>
              <tr>
                <th scope="col">Exercise</th>
                <th scope="col">Module</th>
                <th scope="col" className="num">Failed submissions</th>
                <th scope="col" className="num">Submissions</th>
                <th scope="col" className="num">Students who failed</th>
                <th scope="col" className="num">Students who passed</th>
              </tr>
            </thead>
            <tbody>
              {report.most_failed.map((e) => (
                <tr key={e.exercise_id}>
                  <th scope="row">{e.title}</th>
                  <td>{e.topic_title ?? ""}</td>
                  <td className="num">{e.failed_attempts}</td>
                  <td className="num">{e.attempts}</td>
                  <td className="num">{e.students_failed}</td>
                  <td className="num">{e.students_passed}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function NeedsHelp({ report }: { report: ClassReport }) {
  const who = report.students.filter((s) => !s.removed && s.needs_help.length > 0);
  return (
    <section className="card report-section" aria-labelledby="report-help">
      <h2 id="report-help">Students who need help</h2>
      {who.length === 0 ? (
        <p className="muted">Nobody at the moment: no open alert and no started module under 41%.</p>
      ) : (
        <ul className="alerts">
          {who.map((s) => (
            <li key={s.student_id}>
              <strong>{s.display_name}</strong>: {s.needs_help.join("; ")}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function ClassReportView({ classId }: { classId: string }) {
  const valid = UUID_RE.test(classId);
  const { data: report, error, loading } = useApi<ClassReport>(valid ? `classes/${classId}/report` : null);
  if (!valid) return <p className="notice error" role="alert">This is not a class id: open the report from your dashboard.</p>;
  return (
    <div className="report">
      <p className="no-print">
        <a href="/teacher">← Back to the dashboard</a>
      </p>
      <h1>Class report{report ? `: ${report.overview.name}` : ""}</h1>
      {loading && !report && <p role="status">Loading the report…</p>}
      <ErrorNotice error={error} title="The report could not be loaded" />
      {report && (
        <>
          <p className="small muted">
            Teacher: {report.overview.teacher_name} · {report.students.length} students (
            {report.students.filter((s) => s.removed).length} removed) · total time on task{" "}
            {minutes(report.time_on_task_s)} min · generated {when(report.generated_at)}
          </p>
          <Downloads classId={classId} />
          {report.summary && (
            <section className="card report-section report-summary" aria-labelledby="report-summary">
              <h2 id="report-summary">Summary</h2>
              <Markdown text={report.summary} headingBase={3} />
            </section>
          )}
          <NeedsHelp report={report} />
          <SpreadTable report={report} />
          <FailedTable report={report} />
          <StudentsTable report={report} />
        </>
      )}
    </div>
  );
}
