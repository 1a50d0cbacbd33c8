"use client";

import { useEffect, useState } from "react";
import type { ClassAssignment, ClassOverview, ClassSummary } from "@/lib/types";
import { useLive } from "@/lib/useLive";
import { AlertsCard } from "./AlertsCard";
import { ClassAdmissionCard, NewClassCard } from "./ClassAdmissionCard";
import { ExamsCard } from "./ExamResultsView";
import { MasteryHeatmap } from "./MasteryHeatmap";
import { ErrorNotice } from "./ErrorNotice";
import { ExerciseRequestCard } from "./ExerciseRequestCard";
import { ago } from "./format";
import { StudentPanel } from "./StudentPanel";
import { useApi } from "./useApi";

export interface SelectedStudent {
  id: string;
  name: string;
}

function OverviewCard({ overview, onSelect }: { overview: ClassOverview; onSelect: (s: SelectedStudent) => void }) {
  return (
    <section className="card" aria-labelledby="overview-heading">
      <h2 id="overview-heading">
        {overview.name} <span className="badge neutral">{overview.students.length} students</span>
        {overview.open_alerts > 0 && (
          <span className="badge bad">
            {overview.open_alerts} open {overview.open_alerts === 1 ? "alert" : "alerts"}
          </span>
        )}
        <a className="button secondary report-link" href={`/teacher/classes/${overview.id}/report`}>
          Class report<span className="visually-hidden"> of {overview.name}</span>
        </a>
        <a className="button secondary report-link" href={`/teacher/exams/new?class=${overview.id}`}>
          New exam<span className="visually-hidden"> for {overview.name}</span>
        </a>
      </h2>
      <div className="table-scroll" tabIndex={0} role="region" aria-label={`Students of ${overview.name}`}>
      <table>
        <caption className="visually-hidden">Students of {overview.name}</caption>
        <thead>
          <tr>
            <th scope="col">Student</th>
            <th scope="col" className="num">
              Mastery
            </th>
            <th scope="col" className="num">
              Alerts
            </th>
            <th scope="col">Last active</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {overview.students.map((student) => (
            <tr key={student.id}>
              <th scope="row">
                {student.display_name}
                <div className="small muted">{student.email}</div>
              </th>
              <td className="num">{student.average_mastery}%</td>
              <td className="num">{student.open_alerts > 0 ? <span className="badge bad">{student.open_alerts}</span> : "0"}</td>
              <td className="small">{ago(student.last_activity_at)}</td>
              <td>
                <button type="button" className="secondary" onClick={() => onSelect({ id: student.id, name: student.display_name })}>
                  Code attempts<span className="visually-hidden"> of {student.display_name}</span>
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      </div>
    </section>
  );
}

function AssignmentsCard({ assignments }: { assignments: ClassAssignment[] | null }) {
  if (!assignments || assignments.length === 0) return null;
  return (
    <section className="card" aria-labelledby="class-assignments-heading">
      <h2 id="class-assignments-heading">Assignments</h2>
      <ul className="alerts" aria-label="Assignments of the class">
        {assignments.slice(0, 12).map((a) => {
          const done = a.students.filter((s) => s.done).length;
          return (
            <li key={a.assignment_id} data-exercise-id={a.exercise_id}>
              <div className="row">
                <strong>{a.title}</strong>
                <span className={`badge ${done === a.students.length ? "ok" : "neutral"}`} data-testid="assignment-done">
                  {done}/{a.students.length} done
                </span>
              </div>
              <p className="small">
                {a.whole_class ? "Whole class" : a.students.map((s) => s.display_name).join(", ")}
                {a.due_at ? ` · due ${new Date(a.due_at).toLocaleDateString()}` : ""} ·{" "}
                {a.students.map((s) => `${s.display_name} ${s.done ? "✓ done" : "to do"}`).join(", ")}
              </p>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

export function TeacherDashboard({ name }: { name: string }) {
  const classes = useApi<ClassSummary[]>("classes");
  const [classId, setClassId] = useState<string | null>(null);
  const [student, setStudent] = useState<SelectedStudent | null>(null);
  useEffect(() => {
    // the first class is shown until the teacher picks one (the browser stories rely on this
    // order of renders; a derived default changed what the stories saw)
    // eslint-disable-next-line react-hooks/set-state-in-effect
    if (!classId && classes.data && classes.data.length > 0) setClassId(classes.data[0].id);
  }, [classes.data, classId]);
  const overview = useApi<ClassOverview>(classId ? `classes/${classId}/overview` : null);
  const assignments = useApi<ClassAssignment[]>(classId ? `classes/${classId}/assignments` : null);
  const currentClass = classes.data?.find((c) => c.id === classId) ?? null;
  const [target, setTarget] = useState("class");
  useLive(["class", "alerts"], () => {
    overview.reload();
    assignments.reload();
  });

  function onAlertsChanged() {
    overview.reload();
  }

  function assignTo(studentId: string) {
    setTarget(studentId);
    const card = document.getElementById("request-card");
    card?.scrollIntoView({ behavior: "smooth", block: "start" });
    card?.querySelector<HTMLElement>("textarea")?.focus();
  }

  return (
    <>
      <div className="page-title">
        <h1>Hello {name}</h1>
        <p>Your class at a glance: progress, students who need help, and new exercises.</p>
        {classes.data && classes.data.length > 1 && (
          <div>
            <label htmlFor="class-select">Class</label>
            <select id="class-select" value={classId ?? ""} onChange={(event) => setClassId(event.target.value)}>
              {classes.data.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                </option>
              ))}
            </select>
          </div>
        )}
      </div>
      {classes.loading && <p className="loading">Loading your classes…</p>}
      <ErrorNotice error={classes.error} title="Could not load your classes" />
      {classes.data && classes.data.length === 0 && <p>You do not teach a class yet.</p>}
      <div className="grid-2">
        <div>
          {overview.loading && <p className="loading">Loading the class overview…</p>}
          <ErrorNotice error={overview.error} title="Could not load the class overview" />
          {overview.data && <OverviewCard overview={overview.data} onSelect={setStudent} />}
          {overview.data && <MasteryHeatmap overview={overview.data} onSelect={setStudent} />}
          {student && (
            <>
              <StudentPanel student={student} onClose={() => setStudent(null)} />
              <button type="button" className="secondary assign-one" onClick={() => assignTo(student.id)}>
                Assign exercises to {student.name}
              </button>
            </>
          )}
        </div>
        <div>
          {classId && <ClassAdmissionCard key={classId} classId={classId} onChanged={() => overview.reload()} />}
          <AlertsCard onSelect={setStudent} onChanged={onAlertsChanged} />
          <ExamsCard role="teacher" />
          <ExerciseRequestCard
            classId={classId}
            className={currentClass?.name ?? null}
            students={overview.data?.students ?? []}
            target={target}
            onTarget={setTarget}
          />
          <AssignmentsCard assignments={assignments.data} />
          <NewClassCard
            onCreated={(created) => {
              classes.reload();
              setClassId(created.class_id);
            }}
          />
        </div>
      </div>
    </>
  );
}
