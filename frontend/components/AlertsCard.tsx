"use client";

import { useState } from "react";
import { api } from "@/lib/api";
import type { AlertView } from "@/lib/types";
import { ErrorNotice } from "./ErrorNotice";
import { ago, triggerName } from "./format";
import type { SelectedStudent } from "./TeacherDashboard";
import { useApi } from "./useApi";

export function AlertsCard({
  onSelect,
  onChanged,
}: {
  onSelect: (student: SelectedStudent) => void;
  onChanged: (alerts: AlertView[]) => void;
}) {
  const alerts = useApi<AlertView[]>("alerts");
  const [resolved, setResolved] = useState<Set<string>>(new Set());
  const [pending, setPending] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
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
          {open.map((alert) => (
            <li key={alert.id} data-alert-id={alert.id} data-created-at={alert.created_at}>
              <div className="row">
                <strong>{alert.student_name}</strong>
                <span className="badge warn">{triggerName(alert.trigger)}</span>
                {alert.topic_title && <span className="badge neutral">{alert.topic_title}</span>}
                <span className="spacer" />
                <span className="small muted">{ago(alert.created_at)}</span>
              </div>
              <p className="small" style={{ margin: "0.35rem 0" }}>
                {alert.detail}
              </p>
              <div className="row">
                <button type="button" className="secondary" onClick={() => onSelect({ id: alert.student_id, name: alert.student_name })}>
                  Code attempts<span className="visually-hidden"> of {alert.student_name}</span>
                </button>
                <button type="button" onClick={() => void resolve(alert)} disabled={pending === alert.id}>
                  {pending === alert.id ? "Resolving…" : "Resolve"}
                  <span className="visually-hidden"> the alert about {alert.student_name}</span>
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
