import type { Role } from "./types";

/** Where each role lands after logging in. */
export function homeFor(role: Role | string | undefined): string {
  return role === "teacher" || role === "admin" ? "/teacher" : "/student";
}
