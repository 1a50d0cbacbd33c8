"use client";

import { useEffect, useRef, useState, type FormEvent } from "react";
import { api } from "@/lib/api";
import { capitalise } from "@/lib/levels";
import type { ClassStudent, GenerateReply, TeacherExercise } from "@/lib/types";
import { ErrorNotice } from "./ErrorNotice";
import { Markdown } from "./Markdown";

const POLL_MS = 1000;

function settled(exercise: TeacherExercise): boolean {
  return exercise.exercise_status === "ready" || (exercise.exercise_status === "draft" && Boolean(exercise.reason)) || exercise.exercise_status === "failed";
}

function validationText(exercise: TeacherExercise): string {
  if (!settled(exercise)) return "Validating in the sandbox…";
  const v = exercise.validation;
  if (exercise.exercise_status === "ready") {
    const tests = v?.tests_total ? `${v.tests_total} tests` : "its tests";
    return `Validated in the sandbox: the reference solution passes ${tests} (the same result twice) and the starter code fails them.`;
  }
  return `Did not pass validation: ${exercise.reason ?? v?.reason ?? "unknown reason"}`;
}

function EditForm({ exercise, onSave, onCancel }: { exercise: TeacherExercise; onSave: (changes: Partial<TeacherExercise>) => void; onCancel: () => void }) {
  const [title, setTitle] = useState(exercise.title);
  const [prompt, setPrompt] = useState(exercise.prompt);
  const [starter, setStarter] = useState(exercise.starter);
  const [tests, setTests] = useState(exercise.tests);
  const [solution, setSolution] = useState(exercise.solution);
  const id = exercise.exercise_id.replace(/[^a-z0-9-]/gi, "-");
  return (
    <form
      className="stack"
      onSubmit={(event) => {
        event.preventDefault();
        onSave({ title, prompt, starter, tests, solution });
      }}
    >
      {(
        [
          ["title", "Title", title, setTitle, 1],
          ["prompt", "Statement (Markdown)", prompt, setPrompt, 6],
          ["starter", "Starter code", starter, setStarter, 4],
          ["tests", "Hidden tests (pytest)", tests, setTests, 8],
          ["solution", "Reference solution", solution, setSolution, 4],
        ] as const
      ).map(([key, label, value, set, rows]) => (
        <div className="field" key={key}>
          <label htmlFor={`${id}-${key}`}>{label}</label>
          <textarea id={`${id}-${key}`} rows={rows} value={value} onChange={(event) => set(event.target.value)} className={key === "title" || key === "prompt" ? "" : "code"} />
        </div>
      ))}
      <div className="row">
        <button type="submit">Save and validate again</button>
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** The teacher asks for exercises in plain words; each is validated, reviewed, then assigned. */
export function ExerciseRequestCard({
  classId,
  className,
  students,
  target,
  onTarget,
}: {
  classId: string | null;
  className: string | null;
  students: ClassStudent[];
  target: string;
  onTarget: (target: string) => void;
}) {
  const [request, setRequest] = useState("");
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [parsed, setParsed] = useState<string | null>(null);
  const [exercises, setExercises] = useState<TeacherExercise[] | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [due, setDue] = useState("");
  const [assigned, setAssigned] = useState<string | null>(null);
  const poll = useRef<ReturnType<typeof setTimeout> | null>(null);

  // Poll the exercises still being validated.
  useEffect(() => {
    if (!exercises || exercises.every(settled)) return;
    poll.current = setTimeout(async () => {
      const fresh = await Promise.all(
        exercises.map((e) => (settled(e) ? e : api<TeacherExercise>(`teacher/exercises/${encodeURIComponent(e.exercise_id)}`).catch(() => e))),
      );
      setExercises(fresh);
    }, POLL_MS);
    return () => {
      if (poll.current) clearTimeout(poll.current);
    };
  }, [exercises]);

  async function generate(event: FormEvent) {
    event.preventDefault();
    if (!request.trim() || !classId) return;
    setBusy("generate");
    setError(null);
    setAssigned(null);
    try {
      const reply = await api<GenerateReply>("exercises/generate", { method: "POST", body: { request: request.trim(), class_id: classId } });
      setParsed(`${reply.exercises.length} ${reply.difficulty} exercise${reply.exercises.length === 1 ? "" : "s"} on ${reply.topic}`);
      setExercises(reply.exercises);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(null);
    }
  }

  function replace(old: string, fresh: TeacherExercise) {
    setExercises((all) => (all ?? []).map((e) => (e.exercise_id === old ? fresh : e)));
  }

  async function review(exercise: TeacherExercise, action: "approve" | "reject") {
    setBusy(`${action}:${exercise.exercise_id}`);
    setError(null);
    try {
      const id = encodeURIComponent(exercise.exercise_id);
      const reviewed =
        action === "approve"
          ? await api<TeacherExercise>(`teacher/exercises/${id}/approve`, { method: "POST" })
          : await api<TeacherExercise>(`teacher/exercises/${id}/reject`, { method: "POST" });
      replace(exercise.exercise_id, reviewed);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(null);
    }
  }

  async function approveAll() {
    for (const exercise of (exercises ?? []).filter((e) => e.exercise_status === "ready" && e.review === "pending")) await review(exercise, "approve");
  }

  async function saveEdit(exercise: TeacherExercise, changes: Partial<TeacherExercise>) {
    setBusy(`edit:${exercise.exercise_id}`);
    setError(null);
    try {
      const fresh = await api<TeacherExercise>(`teacher/exercises/${encodeURIComponent(exercise.exercise_id)}/edit`, { method: "POST", body: changes });
      replace(exercise.exercise_id, fresh);
      setEditing(null);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(null);
    }
  }

  const approved = (exercises ?? []).filter((e) => e.review === "approved" && e.exercise_status === "ready");
  const validated = (exercises ?? []).filter((e) => e.exercise_status === "ready" && e.review === "pending");
  const targetName = target === "class" ? (className ?? "the class") : (students.find((s) => s.id === target)?.display_name ?? "the student");

  async function assign() {
    if (!classId || approved.length === 0) return;
    setBusy("assign");
    setError(null);
    try {
      await api<unknown>(`classes/${classId}/assignments`, {
        method: "POST",
        body: {
          exercise_ids: approved.map((e) => e.exercise_id),
          ...(target === "class" ? {} : { student_ids: [target] }),
          ...(due ? { due_at: new Date(`${due}T23:59:00`).toISOString() } : {}),
          request_id: crypto.randomUUID(),
        },
      });
      setAssigned(`Assigned ${approved.length} exercise${approved.length === 1 ? "" : "s"} to ${targetName}${due ? `, due ${due}` : ""}.`);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(null);
    }
  }

  return (
    <section className="card" aria-labelledby="request-heading" id="request-card">
      <h2 id="request-heading">Request exercises</h2>
      <form onSubmit={generate}>
        <div className="field">
          <label htmlFor="exercise-request">Describe the exercises you want</label>
          <textarea
            id="exercise-request"
            rows={3}
            value={request}
            onChange={(event) => setRequest(event.target.value)}
            placeholder="Create easy exercises on list comprehensions"
            aria-describedby="exercise-request-help"
          />
          <p id="exercise-request-help" className="hint">
            In plain words: the topic, how hard, how many. Each new exercise is checked in the sandbox (the reference solution
            passes, the starter fails, the tests give the same result twice) before you review it.
          </p>
        </div>
        <button type="submit" disabled={busy !== null || !request.trim() || !classId}>
          {busy === "generate" ? "Generating…" : "Generate exercises"}
        </button>
      </form>
      <div aria-live="polite">
        <ErrorNotice error={error} title="That did not work" />
        {parsed && <p className="small muted">Understood: {parsed}.</p>}
        {exercises && exercises.length > 0 && (
          <div style={{ marginTop: "0.75rem" }}>
            <ul className="alerts" aria-label="Generated exercises">
              {exercises.map((exercise) => (
                <li key={exercise.exercise_id} data-exercise-id={exercise.exercise_id} data-status={exercise.exercise_status} data-review={exercise.review}>
                  <div className="row">
                    <strong>{exercise.title}</strong>
                    <span className="badge neutral">{capitalise(exercise.difficulty)}</span>
                    <span className={`badge ${exercise.exercise_status === "ready" ? "ok" : settled(exercise) ? "bad" : "warn"}`}>
                      {exercise.exercise_status === "ready" ? "validated" : settled(exercise) ? "failed validation" : "validating"}
                    </span>
                    {exercise.review !== "pending" && <span className={`badge ${exercise.review === "approved" ? "ok" : "neutral"}`}>{exercise.review}</span>}
                  </div>
                  <p className="small" data-testid="validation">
                    {validationText(exercise)}
                  </p>
                  <details>
                    <summary className="small">Statement, starter and hints</summary>
                    <Markdown text={exercise.prompt} headingBase={4} />
                    <pre tabIndex={0}>
                      <code>{exercise.starter}</code>
                    </pre>
                    <ol className="small">
                      {exercise.hints.map((hint, i) => (
                        <li key={i}>
                          {Object.keys(hint)[0]}: {Object.values(hint)[0]}
                        </li>
                      ))}
                    </ol>
                  </details>
                  {editing === exercise.exercise_id ? (
                    <EditForm exercise={exercise} onSave={(changes) => void saveEdit(exercise, changes)} onCancel={() => setEditing(null)} />
                  ) : (
                    exercise.review !== "rejected" && (
                      <div className="row">
                        {exercise.review === "pending" && (
                          <button type="button" className="small" disabled={busy !== null || exercise.exercise_status !== "ready"} onClick={() => void review(exercise, "approve")}>
                            Approve<span className="visually-hidden"> {exercise.title}</span>
                          </button>
                        )}
                        <button type="button" className="secondary small" disabled={busy !== null || !settled(exercise)} onClick={() => setEditing(exercise.exercise_id)}>
                          Edit<span className="visually-hidden"> {exercise.title}</span>
                        </button>
                        <button type="button" className="link small" disabled={busy !== null} onClick={() => void review(exercise, "reject")}>
                          Reject<span className="visually-hidden"> {exercise.title}</span>
                        </button>
                      </div>
                    )
                  )}
                </li>
              ))}
            </ul>
            {validated.length > 0 && (
              <button type="button" className="secondary" disabled={busy !== null} onClick={() => void approveAll()}>
                Approve all {validated.length} validated
              </button>
            )}
            <div className="assign-row">
              <div className="field">
                <label htmlFor="assign-target">Assign to</label>
                <select id="assign-target" value={target} onChange={(event) => onTarget(event.target.value)}>
                  <option value="class">The whole class ({className ?? "class"})</option>
                  {students.map((s) => (
                    <option key={s.id} value={s.id}>
                      {s.display_name}
                    </option>
                  ))}
                </select>
              </div>
              <div className="field">
                <label htmlFor="assign-due">Due date (optional)</label>
                <input id="assign-due" type="date" value={due} onChange={(event) => setDue(event.target.value)} />
              </div>
            </div>
            <button type="button" onClick={() => void assign()} disabled={busy !== null || approved.length === 0 || !classId}>
              {busy === "assign" ? "Assigning…" : `Assign ${approved.length} to ${targetName}`}
            </button>
            {assigned && (
              <div className="notice info" role="status">
                <p>{assigned}</p>
              </div>
            )}
          </div>
        )}
      </div>
    </section>
  );
}
