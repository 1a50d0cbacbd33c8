"use client";

import { describeSeconds } from "@/lib/examDraft";
import type { ExamResults, ExamView } from "@/lib/types";
import { ErrorNotice } from "./ErrorNotice";
import { useApi } from "./useApi";

const MARK = { right: "✓", wrong: "✗", unanswered: "–" } as const;
const MARK_TEXT = { right: "right", wrong: "wrong", unanswered: "not answered" } as const;

/** A teacher's view of one exam: each student's score and marks, and each question's figures. */
export function ExamResultsView({ examId }: { examId: string }) {
  const results = useApi<ExamResults>(`exams/${examId}/results`);
  if (results.error) return <ErrorNotice error={results.error} />;
  if (!results.data) return <p className="loading">Loading the results…</p>;
  const { exam, students, questions } = results.data;
  return (
    <>
      <section className="card" aria-labelledby="results-title" data-testid="exam-results">
        <h1 id="results-title">{exam.title}: results</h1>
        <p className="small muted">
          {exam.class_name} · {exam.items} items · {describeSeconds(exam.time_limit_s)} each · {students.length} started
        </p>
        <h2 id="per-student">Per student</h2>
        {students.length === 0 ? (
          <p className="muted small">Nobody has started this exam yet.</p>
        ) : (
          <div className="table-scroll">
            <table aria-labelledby="per-student">
              <thead>
                <tr>
                  <th scope="col">Student</th>
                  <th scope="col">Score</th>
                  <th scope="col">Answered</th>
                  {questions.map((q) => (
                    <th scope="col" key={q.id} title={q.title}>
                      {q.position + 1}
                      <span className="visually-hidden"> {q.title}</span>
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {students.map((s) => (
                  <tr key={s.student_id} data-email={s.email}>
                    <th scope="row">{s.display_name}</th>
                    <td>{s.submitted ? `${s.score} / ${s.total}` : "in progress"}</td>
                    <td>{s.answered ?? "—"}</td>
                    {questions.map((q) => {
                      const mark = s.items[q.id];
                      return (
                        <td key={q.id} className={`mark ${mark ?? ""}`}>
                          {mark ? (
                            <>
                              <span aria-hidden="true">{MARK[mark]}</span>
                              <span className="visually-hidden">{MARK_TEXT[mark]}</span>
                            </>
                          ) : (
                            "…"
                          )}
                        </td>
                      );
                    })}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section className="card" aria-labelledby="per-question">
        <h2 id="per-question">Per question</h2>
        <div className="table-scroll">
          <table aria-labelledby="per-question">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Item</th>
                <th scope="col">Right</th>
                <th scope="col">Wrong</th>
                <th scope="col">Not answered</th>
              </tr>
            </thead>
            <tbody>
              {questions.map((q) => (
                <tr key={q.id} data-item-id={q.id}>
                  <td>{q.position + 1}</td>
                  <th scope="row">
                    {q.kind === "exercise" ? "Exercise: " : ""}
                    {q.title}
                  </th>
                  <td>{q.right}</td>
                  <td>{q.wrong}</td>
                  <td>{q.unanswered}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </>
  );
}

/** Exams listed on a dashboard: students get Start/Continue/Result, teachers the results. */
export function ExamsCard({ role }: { role: "student" | "teacher" }) {
  const exams = useApi<ExamView[]>("exams");
  return (
    <section className="card" aria-labelledby="exams-heading" data-testid="exams-card">
      <h2 id="exams-heading">Exams</h2>
      <ErrorNotice error={exams.error} />
      {exams.data && exams.data.length === 0 && <p className="muted small">No exams {role === "student" ? "set for your classes" : "set yet"}.</p>}
      {exams.data && exams.data.length > 0 && (
        <ul className="alerts" aria-label="Exams">
          {exams.data.map((e) => {
            const a = e.attempt;
            const label = role === "teacher" ? "Results" : a?.submitted ? "See your result" : a ? "Continue" : e.state === "open" ? "Open" : null;
            const href = role === "teacher" ? `/teacher/exams/${e.id}` : `/student/exams/${e.id}`;
            return (
              <li key={e.id} data-exam-id={e.id}>
                <div className="row">
                  <strong>{e.title}</strong>
                  <span className={`badge ${e.state === "open" ? "ok" : "neutral"}`}>{e.state}</span>
                </div>
                <p className="small">
                  {e.class_name} · {e.items} items · {describeSeconds(e.time_limit_s)} · closes {new Date(e.closes_at).toLocaleString()}
                </p>
                {label && (
                  <a className="button" href={href}>
                    {label}
                    <span className="visually-hidden"> {e.title}</span>
                  </a>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
