"use client";

import { useState, type FormEvent } from "react";
import { ApiError, api } from "@/lib/api";
import { ErrorNotice } from "./ErrorNotice";

/** Posts to the BFF; without JavaScript the same form posts natively and gets a redirect. */
export function LoginForm({ initialError, notice }: { initialError: string | null; notice: string | null }) {
  const [error, setError] = useState<unknown>(initialError ? new Error(initialError) : null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    try {
      const reply = await api<{ home: string }>("auth/login", {
        method: "POST",
        body: { email: String(form.get("email") ?? ""), password: String(form.get("password") ?? "") },
      });
      window.location.assign(reply.home);
    } catch (caught) {
      setError(caught instanceof ApiError ? caught : new Error(String(caught)));
      setBusy(false);
    }
  }

  return (
    <form action="/api/auth/login" method="post" onSubmit={submit} noValidate aria-describedby="login-status">
      {notice && (
        <div className="notice info" role="status">
          <p>{notice}</p>
        </div>
      )}
      <div id="login-status">
        <ErrorNotice error={error} title="Could not log in" loginLink={false} />
      </div>
      <div className="field">
        <label htmlFor="email">Email</label>
        <input id="email" name="email" type="email" autoComplete="username" required autoFocus />
      </div>
      <div className="field">
        <label htmlFor="password">Password</label>
        <input id="password" name="password" type="password" autoComplete="current-password" required />
      </div>
      <button type="submit" disabled={busy}>
        {busy ? "Logging in…" : "Log in"}
      </button>
    </form>
  );
}
