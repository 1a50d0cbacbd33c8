import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { LoginForm } from "@/components/LoginForm";
import { loginErrorText } from "@/lib/loginErrors";
import { homeFor } from "@/lib/roles";
import { currentSession } from "@/lib/server/session";

export const metadata: Metadata = { title: "Log in" };
export const dynamic = "force-dynamic";

export default async function LoginPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const params = await searchParams;
  const session = await currentSession();
  if (session.kind === "signed-in") redirect(homeFor(session.me.role));
  const error = loginErrorText(params.error);
  const notice =
    session.kind === "unavailable"
      ? session.message
      : params.expired
        ? "Your session has ended. Please log in again."
        : null;
  return (
    <main id="main" className="login-wrap">
      <div className="card login-card">
        <p className="brand" aria-hidden="true">
          Learn<span style={{ color: "var(--accent)" }}>Flow</span>
        </p>
        <h1>Log in</h1>
        <p className="muted">Learn Python with AI tutors: ask questions, write and run code, get feedback.</p>
        <LoginForm initialError={error} notice={notice} />
        <p className="hint">
          Demo accounts: <code>maya@learnflow.dev</code> and <code>james@learnflow.dev</code> (students),{" "}
          <code>rodriguez@learnflow.dev</code> (teacher). Their passwords are in <code>.run/dev/demo-logins.json</code>.
        </p>
      </div>
    </main>
  );
}
