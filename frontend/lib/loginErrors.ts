/**
 * The only messages `/login?error=<code>` shows. A link carrying its own text
 * (`/login?error=Your+account+is+locked,+call+...`) shows nothing of it: unknown codes get the
 * generic message, so the login page can't be used to put words in LearnFlow's mouth.
 */

export const LOGIN_ERRORS = {
  wrong_credentials: "Wrong email or password.",
  missing_fields: "Enter both your email and your password.",
  too_many_attempts: "Too many failed logins. Wait a few minutes, then try again.",
  unavailable: "LearnFlow could not check your login right now. Try again in a moment.",
  failed: "Could not log you in. Try again.",
} as const;

export type LoginErrorCode = keyof typeof LOGIN_ERRORS;

export function loginErrorText(code: unknown): string | null {
  if (typeof code !== "string" || !code) return null;
  return code in LOGIN_ERRORS ? LOGIN_ERRORS[code as LoginErrorCode] : LOGIN_ERRORS.failed;
}

/** The code for a failed login, from the status the API answered with. */
export function loginErrorCode(status: number): LoginErrorCode {
  if (status === 401) return "wrong_credentials";
  if (status === 400 || status === 422) return "missing_fields";
  if (status === 429) return "too_many_attempts";
  if (status >= 500) return "unavailable";
  return "failed";
}
