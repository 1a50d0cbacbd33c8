"use client";

import { useState, type FormEvent } from "react";
import { api } from "@/lib/api";
import type { Admission } from "@/lib/types";
import { ErrorNotice } from "./ErrorNotice";
import { useApi } from "./useApi";

/** A teacher opens a new class; the new class's code shows in the admission card. */
export function NewClassCard({ onCreated }: { onCreated: (admission: Admission) => void }) {
  const [name, setName] = useState("");
  const [capacity, setCapacity] = useState(30);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const created = await api<Admission>("classes", { method: "POST", body: { name: name.trim(), capacity } });
      setName("");
      onCreated(created);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card" aria-labelledby="new-class-heading">
      <h2 id="new-class-heading">New class</h2>
      <form className="stack" onSubmit={submit}>
        <div>
          <label htmlFor="new-class-name">Class name</label>
          <input id="new-class-name" type="text" value={name} onChange={(e) => setName(e.target.value)} required maxLength={120} />
        </div>
        <div>
          <label htmlFor="new-class-cap">Places (1–500)</label>
          <input
            id="new-class-cap"
            type="number"
            min={1}
            max={500}
            value={capacity}
            onChange={(e) => setCapacity(Number(e.target.value))}
            required
          />
        </div>
        <button type="submit" disabled={busy || !name.trim()}>
          {busy ? "Opening…" : "Open the class"}
        </button>
      </form>
      <ErrorNotice error={error} title="The class was not opened" />
    </section>
  );
}

/** The class's join code (copy it), its cap, open/closed, and the roster with Remove. */
export function ClassAdmissionCard({ classId, onChanged }: { classId: string; onChanged?: () => void }) {
  const loaded = useApi<Admission>(`classes/${classId}/admission`);
  // what a change answered wins over the first load (derived, not copied in an effect)
  const [changed, setView] = useState<Admission | null>(null);
  const view = changed ?? loaded.data ?? null;
  const [editedCapacity, setCapacity] = useState<number | null>(null);
  const capacity = editedCapacity ?? view?.capacity ?? null;
  const [error, setError] = useState<unknown>(null);
  const [copied, setCopied] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function change(call: () => Promise<Admission>) {
    setBusy(true);
    setError(null);
    try {
      const next = await call();
      setView(next);
      setCapacity(next.capacity);
      onChanged?.();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
      setConfirming(null);
    }
  }

  const patch = (body: Record<string, unknown>) =>
    change(() => api<Admission>(`classes/${classId}/admission`, { method: "PATCH", body }));

  async function copy(code: string) {
    try {
      await navigator.clipboard.writeText(code);
      setCopied("Copied to the clipboard");
    } catch {
      setCopied("Copying is blocked here: select the code and copy it");
    }
  }

  const active = view?.roster.filter((r) => !r.removed_at) ?? [];
  const removed = view?.roster.filter((r) => r.removed_at) ?? [];
  return (
    <section className="card" aria-labelledby="admission-heading" data-testid="admission">
      <h2 id="admission-heading">
        Joining {view ? view.name : "the class"}
        {view && <span className={`badge ${view.closed ? "bad" : "ok"}`}>{view.closed ? "Closed" : "Open"}</span>}
      </h2>
      {loaded.loading && !view && <p className="loading">Loading the join code…</p>}
      <ErrorNotice error={loaded.error} title="Could not load the class's join code" />
      {view && (
        <div className="stack">
          <div className="row">
            <span className="join-code" data-testid="join-code" aria-label={`Join code ${view.join_code}`}>
              {view.join_code}
            </span>
            <button type="button" className="secondary" onClick={() => copy(view.join_code)}>
              Copy<span className="visually-hidden"> the join code</span>
            </button>
            <span className="small muted" role="status">
              {copied}
            </span>
          </div>
          <p className="small muted" data-testid="seats">
            {view.enrolled} of {view.capacity} places taken
            {view.closed ? " · closed: nobody can join" : " · students join from their dashboard with this code"}
          </p>
          <form
            className="row"
            onSubmit={(event) => {
              event.preventDefault();
              if (capacity !== null) void patch({ capacity });
            }}
          >
            <label htmlFor="admission-cap">Places</label>
            <input
              id="admission-cap"
              type="number"
              min={1}
              max={500}
              className="narrow"
              value={capacity ?? ""}
              onChange={(e) => setCapacity(Number(e.target.value))}
            />
            <button type="submit" className="secondary" disabled={busy || capacity === view.capacity}>
              Set the cap
            </button>
            <button type="button" className="secondary" disabled={busy} onClick={() => patch({ closed: !view.closed })}>
              {view.closed ? "Reopen the class" : "Close the class"}
            </button>
            <button type="button" className="secondary" disabled={busy} onClick={() => patch({ new_code: true })}>
              New code
            </button>
          </form>
          <ErrorNotice error={error} title="Not changed" />
          <h3>Roster ({active.length})</h3>
          {active.length === 0 && <p className="small muted">Nobody has joined yet.</p>}
          {active.length > 0 && (
            <ul className="alerts" aria-label={`Roster of ${view.name}`}>
              {active.map((r) => (
                <li key={r.student_id} className="row">
                  <span>
                    <strong>{r.display_name}</strong> <span className="small muted">{r.email}</span>
                  </span>
                  {confirming === r.student_id ? (
                    <>
                      <button
                        type="button"
                        className="danger"
                        disabled={busy}
                        onClick={() =>
                          change(() =>
                            api<Admission>(`classes/${classId}/students/${r.student_id}`, { method: "DELETE" }),
                          )
                        }
                      >
                        Remove {r.display_name} now
                      </button>
                      <button type="button" className="secondary" onClick={() => setConfirming(null)}>
                        Keep<span className="visually-hidden"> {r.display_name}</span>
                      </button>
                    </>
                  ) : (
                    <button type="button" className="secondary" onClick={() => setConfirming(r.student_id)}>
                      Remove<span className="visually-hidden"> {r.display_name}</span>
                    </button>
                  )}
                </li>
              ))}
            </ul>
          )}
          {removed.length > 0 && (
            <p className="small muted">
              Removed (their past work stays in your reports): {removed.map((r) => r.display_name).join(", ")}
            </p>
          )}
        </div>
      )}
    </section>
  );
}
