"use client";

import { useState } from "react";
import { api } from "@/lib/api";
import type { AlertView } from "@/lib/types";
import { useLive } from "@/lib/useLive";
import { ErrorNotice } from "./ErrorNotice";
import { ago, triggerName } from "./format";
import type { SelectedStudent } from "./TeacherDashboard";
import { useApi } from "./useApi";

interface Group {
  studentId: string;
  name: string;
  alerts: AlertView[];
}

function groups(alerts: AlertView[]): Group[] {
  const byStudent = new Map<string, Group>();
  for (const alert of alerts) {
    const group = byStudent.get(alert.student_id) ?? { studentId: alert.student_id, name: alert.student_name, alerts: [] };
    group.alerts.push(alert);
    byStudent.set(alert.student_id, group);
  }
  return [...byStudent.values()];
}

/** Open struggle alerts, grouped per student, in plain words; live via SSE. */
export function AlertsCard({ onSelect, onChanged }: { onSelect: (student: SelectedStudent) => void; onChanged: (alerts: AlertView[]) => void }) {
  const alerts = useApi<AlertView[]>("alerts");
  const [resolved, setResolved] = useState<Set<string>>(new Set());
  const [pending, setPending] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  useLive(["alerts"], () => alerts.reload());
  const open = (alerts.data ?? []).filter((alert) => !resolved.has(alert.id));

  async function resolve(alert: AlertView) {
    setPending(alert.id);
    setError(null);
    try {
      await api<AlertView>(`alerts/${alert.id}/resolve`, { method: "POST" });
      const next = new Set(resolved).add(alert.id);
      setResolved(next);
      onChanged(open.filter((a) => a.id !== alert.id));
    } catch (caught) {
      setError(caught);
    } finally {
      setPending(null);
    }
  }

  return (
    <section className="card" aria-labelledby="alerts-heading">
      <div className="row">
        <h2 id="alerts-heading">
          Struggle alerts {alerts.data && <span className={`badge ${open.length ? "bad" : "ok"}`}>{open.length} open</span>}
        </h2>
        <span className="spacer" />
        <button type="button" className="link small" onClick={alerts.reload}>
          Refresh
        </button>
      </div>
      {alerts.loading && <p className="loading">Loading alerts…</p>}
      <ErrorNotice error={alerts.error} title="Could not load the alerts" />
      <ErrorNotice error={error} title="Could not resolve the alert" />
      {alerts.data && open.length === 0 && <p className="muted">No open alerts: nobody is stuck right now.</p>}
      {open.length > 0 && (
        <ul className="alerts" aria-label="Open struggle alerts">
          {groups(open).map((group) => (
            <li key={group.studentId} data-student-id={group.studentId} className="alert-group">
              <div className="row">
                <strong>{group.name}</strong>
                <span className="badge bad">
                  {group.alerts.length} {group.alerts.length === 1 ? "alert" : "alerts"}
                </span>
                <span className="spacer" />
                <button type="button" className="secondary" onClick={() => onSelect({ id: group.studentId, name: group.name })}>
                  Code attempts<span className="visually-hidden"> of {group.name}</span>
                </button>
              </div>
              <ul className="alert-items">
                {group.alerts.map((alert) => (
                  <li key={alert.id} data-alert-id={alert.id} data-created-at={alert.created_at}>
                    <p className="small" style={{ margin: "0.35rem 0" }}>
                      <strong>{triggerName(alert.trigger)}</strong>
                      {alert.topic_title ? ` in ${alert.topic_title}` : ""} — {alert.detail}{" "}
                      <span className="muted">({ago(alert.created_at)})</span>
                    </p>
                    <button type="button" className="small" onClick={() => void resolve(alert)} disabled={pending === alert.id}>
                      {pending === alert.id ? "Resolving…" : "Resolve"}
                      <span className="visually-hidden"> the alert about {alert.student_name}: {triggerName(alert.trigger)}</span>
                    </button>
                  </li>
                ))}
              </ul>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
