"use client";

import { useState, type FormEvent } from "react";
import { api } from "@/lib/api";
import { capitalise } from "@/lib/levels";
import type { GeneratedExercise } from "@/lib/types";
import { ErrorNotice } from "./ErrorNotice";

function exercisesOf(body: unknown): GeneratedExercise[] {
  if (Array.isArray(body)) return body as GeneratedExercise[];
  if (body && typeof body === "object" && Array.isArray((body as { exercises?: unknown }).exercises)) {
    return (body as { exercises: GeneratedExercise[] }).exercises;
  }
  return [];
}

const idOf = (exercise: GeneratedExercise) => exercise.exercise_id ?? exercise.id ?? "";

/** The teacher asks for exercises in plain words; the API generates and validates them. */
export function ExerciseRequestCard({ classId, className }: { classId: string | null; className: string | null }) {
  const [request, setRequest] = useState("");
  const [busy, setBusy] = useState<"generate" | "assign" | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [exercises, setExercises] = useState<GeneratedExercise[] | null>(null);
  const [assigned, setAssigned] = useState<string | null>(null);

  async function generate(event: FormEvent) {
    event.preventDefault();
    if (!request.trim()) return;
    setBusy("generate");
    setError(null);
    setAssigned(null);
    try {
      const body = await api<unknown>("exercises/generate", {
        method: "POST",
        body: { request: request.trim(), ...(classId ? { class_id: classId } : {}) },
      });
      setExercises(exercisesOf(body));
    } catch (caught) {
      setExercises(null);
      setError(caught);
    } finally {
      setBusy(null);
    }
  }

  const ready = (exercises ?? []).filter((e) => (e.status ?? "ready") === "ready" && idOf(e));

  async function assign() {
    if (!classId || ready.length === 0) return;
    setBusy("assign");
    setError(null);
    try {
      await api<unknown>(`classes/${classId}/assignments`, {
        method: "POST",
        body: { exercise_ids: ready.map(idOf) },
      });
      setAssigned(`Assigned ${ready.length} exercise${ready.length === 1 ? "" : "s"} to ${className ?? "the class"}.`);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(null);
    }
  }

  return (
    <section className="card" aria-labelledby="request-heading">
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
            In plain words: the topic, how hard, how many. Each generated exercise is checked in the sandbox before you can
            assign it.
          </p>
        </div>
        <button type="submit" disabled={busy !== null || !request.trim()}>
          {busy === "generate" ? "Generating…" : "Generate exercises"}
        </button>
      </form>
      <div aria-live="polite">
        <ErrorNotice error={error} title={exercises ? "Could not assign the exercises" : "Could not generate exercises"} />
        {exercises && exercises.length === 0 && <p className="muted">The API generated no exercises for this request.</p>}
        {exercises && exercises.length > 0 && (
          <div style={{ marginTop: "0.75rem" }}>
            <ul className="alerts" aria-label="Generated exercises">
              {exercises.map((exercise) => (
                <li key={idOf(exercise) || exercise.title}>
                  <div className="row">
                    <strong>{exercise.title}</strong>
                    {exercise.difficulty && <span className="badge neutral">{capitalise(exercise.difficulty)}</span>}
                    {exercise.status && (
                      <span className={`badge ${exercise.status === "ready" ? "ok" : exercise.status === "failed" ? "bad" : "warn"}`}>
                        {exercise.status}
                      </span>
                    )}
                  </div>
                  {exercise.prompt && <p className="small">{exercise.prompt.slice(0, 240)}</p>}
                  {exercise.failure_reason && <p className="small">{exercise.failure_reason}</p>}
                </li>
              ))}
            </ul>
            <button type="button" onClick={() => void assign()} disabled={busy !== null || ready.length === 0 || !classId || assigned !== null}>
              {busy === "assign" ? "Assigning…" : `Assign ${ready.length} to ${className ?? "the class"}`}
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
