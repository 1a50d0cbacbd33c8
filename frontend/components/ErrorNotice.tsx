import { ApiError } from "@/lib/api";

/** An API problem, shown as the API worded it, with its code for reference. */
export function ErrorNotice({
  error,
  title,
  loginLink = true,
}: {
  error: unknown;
  title?: string;
  loginLink?: boolean;
}) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof ApiError ? error.code : null;
  const status = error instanceof ApiError && error.status ? error.status : null;
  const signedOut = loginLink && error instanceof ApiError && error.status === 401;
  return (
    <div className="notice error" role="alert">
      <p>
        {title && <strong>{title}: </strong>}
        {message}
      </p>
      {signedOut && (
        <p>
          <a href="/login?expired=1">Log in again</a>
        </p>
      )}
      {code && (
        <p className="code">
          {code}
          {status ? ` · HTTP ${status}` : ""}
        </p>
      )}
    </div>
  );
}

export function ServiceProblem({ message }: { message: string }) {
  return (
    <div className="notice error" role="alert">
      <p>
        <strong>LearnFlow cannot load this page right now.</strong> {message}
      </p>
    </div>
  );
}
