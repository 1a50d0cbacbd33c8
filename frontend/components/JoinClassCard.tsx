"use client";

import { useState, type FormEvent } from "react";
import { api } from "@/lib/api";
import type { ClassSummary, JoinReply } from "@/lib/types";
import { ErrorNotice } from "./ErrorNotice";
import { useApi } from "./useApi";

/** A student joins a class with the code their teacher gave them; refusals say why. */
export function JoinClassCard() {
  const classes = useApi<ClassSummary[]>("classes");
  const [code, setCode] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [joined, setJoined] = useState<string | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setJoined(null);
    try {
      const reply = await api<JoinReply>("classes/join", { method: "POST", body: { code: code.trim() } });
      setJoined(reply.message);
      setCode("");
      classes.reload();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card" aria-labelledby="join-heading">
      <h2 id="join-heading">Your classes</h2>
      {classes.data && classes.data.length > 0 && (
        <ul className="small" aria-label="Classes you are in">
          {classes.data.map((c) => (
            <li key={c.id}>{c.name}</li>
          ))}
        </ul>
      )}
      {classes.data && classes.data.length === 0 && <p className="small muted">You are not in a class yet.</p>}
      <form className="row" onSubmit={submit}>
        <label htmlFor="join-code">Join code</label>
        <input
          id="join-code"
          type="text"
          value={code}
          onChange={(e) => setCode(e.target.value)}
          placeholder="ABCD-EFGH"
          autoComplete="off"
          spellCheck={false}
          maxLength={40}
          required
        />
        <button type="submit" disabled={busy || !code.trim()}>
          {busy ? "Joining…" : "Join the class"}
        </button>
      </form>
      {joined && (
        <div className="notice ok" role="status">
          <p>{joined}</p>
        </div>
      )}
      <ErrorNotice error={error} title="Not joined" />
    </section>
  );
}
