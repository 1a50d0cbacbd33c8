"use client";

import { capitalise, levelLabel } from "@/lib/levels";
import type { MyAssignment, NextExercise, StudentProgress, TopicProgress } from "@/lib/types";
import { useLive } from "@/lib/useLive";
import { ErrorNotice } from "./ErrorNotice";
import { useApi } from "./useApi";

function due(iso: string | null): string {
  if (!iso) return "no due date";
  return `due ${new Date(iso).toLocaleDateString(undefined, { weekday: "short", day: "numeric", month: "short" })}`;
}

function AssignmentsCard() {
  const assignments = useApi<MyAssignment[]>("assignments");
  useLive(["notifications", "progress"], () => assignments.reload());
  return (
    <section className="card" aria-labelledby="assignments-heading">
      <h2 id="assignments-heading">Assigned to you</h2>
      <ErrorNotice error={assignments.error} />
      {assignments.data && assignments.data.length === 0 && <p className="muted small">Nothing assigned right now.</p>}
      {assignments.data && assignments.data.length > 0 && (
        <ul className="alerts" aria-label="Your assignments">
          {assignments.data.map((a) => (
            <li key={a.assignment_id} data-exercise-id={a.exercise_id} data-done={a.done}>
              <div className="row">
                <strong>{a.title}</strong>
                <span className={`badge ${a.done ? "ok" : "warn"}`}>{a.done ? "Done" : "To do"}</span>
              </div>
              <p className="small">
                Assigned by {a.assigned_by} · {due(a.due_at)} · {a.topic_title}
              </p>
              {!a.done && (
                <a className="button" href={`/learn?exercise=${encodeURIComponent(a.exercise_id)}`}>
                  Start<span className="visually-hidden"> {a.title}</span>
                </a>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function moduleLine(topic: TopicProgress): string {
  if (topic.label) return topic.label;
  const prefix = topic.module_number ? `Module ${topic.module_number}: ` : "";
  return `${prefix}${topic.title} — ${topic.mastery}%`;
}

function ModuleRow({ topic }: { topic: TopicProgress }) {
  const level = topic.level_label ?? (topic.level ? capitalise(topic.level) : levelLabel(topic.mastery));
  const line = moduleLine(topic);
  return (
    <li data-topic={topic.topic}>
      <div className="module-line">
        <span className="label">{line}</span>
        <span className={`badge ${topic.started ? "" : "neutral"}`}>{level}</span>
      </div>
      <div
        className={`bar level-${level.toLowerCase()}`}
        role="progressbar"
        aria-label={`${topic.title} mastery`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={topic.mastery}
        aria-valuetext={`${topic.mastery}% — ${level}`}
      >
        <span style={{ width: `${Math.max(0, Math.min(100, topic.mastery))}%` }} />
      </div>
      {topic.started && (
        <div className="module-parts">
          Exercises {Math.round(topic.exercise_score ?? 0)} · Quizzes {Math.round(topic.quiz_score ?? 0)} · Code
          quality {Math.round(topic.code_quality_score ?? 0)} · Streak {topic.streak_days ?? 0}{" "}
          {topic.streak_days === 1 ? "day" : "days"}
        </div>
      )}
    </li>
  );
}

function NextExerciseCard() {
  const next = useApi<NextExercise>("exercises/next");
  return (
    <section className="card" aria-labelledby="next-heading">
      <h2 id="next-heading">Next exercise</h2>
      {next.loading && <p className="loading">Finding your next exercise…</p>}
      <ErrorNotice error={next.error} />
      {next.data && next.data.exercise && (
        <div className="stack">
          <div>
            <h3 id="next-title">{next.data.exercise.title}</h3>
            <div className="row small">
              <span className="badge">{next.data.exercise.topic_title}</span>
              <span className="badge neutral">{capitalise(next.data.exercise.difficulty)}</span>
              {next.data.exercise.source === "assignment" && <span className="badge warn">Assigned by your teacher</span>}
            </div>
          </div>
          <p className="muted small">{next.data.reason}</p>
          <a className="button" href="/learn">
            Start this exercise
          </a>
        </div>
      )}
      {next.data && !next.data.exercise && <p>{next.data.reason}</p>}
    </section>
  );
}

export function StudentDashboard({ name }: { name: string }) {
  const progress = useApi<StudentProgress>("progress/me");
  useLive(["progress"], () => progress.reload());
  const topics = progress.data?.topics ?? [];
  return (
    <>
      <div className="page-title">
        <h1>Hi {name}</h1>
        <p>Your mastery per module (0–100) and what to do next.</p>
      </div>
      <div className="grid-dashboard">
        <section className="card" aria-labelledby="progress-heading">
          <h2 id="progress-heading">Your progress</h2>
          {progress.loading && <p className="loading">Loading your progress…</p>}
          <ErrorNotice error={progress.error} />
          {progress.data && (
            <ul className="modules" aria-label="Mastery per module">
              {topics.map((topic) => (
                <ModuleRow key={topic.topic} topic={topic} />
              ))}
            </ul>
          )}
        </section>
        <div>
          {progress.data && (
            <section className="card" aria-labelledby="overall-heading">
              <h2 id="overall-heading">Overall</h2>
              <p className="overall">{progress.data.overall_mastery}%</p>
              <p className="muted small">
                {levelLabel(progress.data.overall_mastery)} · mastery averaged over the {topics.length} modules
              </p>
            </section>
          )}
          <AssignmentsCard />
          <NextExerciseCard />
          <section className="card" aria-labelledby="levels-heading">
            <h2 id="levels-heading">How mastery works</h2>
            <p className="small muted">
              Exercises 40%, quizzes 30%, code quality 20%, daily streak 10%. Levels: 0–40 Beginner, 41–70 Learning,
              71–90 Proficient, 91–100 Mastered.
            </p>
          </section>
        </div>
      </div>
    </>
  );
}
