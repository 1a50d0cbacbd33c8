/**
 * The session: the access token from `POST /auth/login`, kept in an httpOnly, SameSite=Strict
 * cookie that only the BFF reads. The browser's JavaScript never sees it (no localStorage).
 */

import { cookies } from "next/headers";
import { forwardedProto } from "./proxyTrust";
import { callTriage } from "./triage";
import type { Me } from "@/lib/types";

export const SESSION_COOKIE = "lf_session";

export interface CookieSpec {
  name: string;
  value: string;
  httpOnly: true;
  sameSite: "strict";
  secure: boolean;
  path: "/";
  maxAge: number;
}

/** Secure cookies when the browser talks https (directly or through a TLS-terminating proxy);
 * `SESSION_COOKIE_SECURE=1|0` decides explicitly. */
function secureCookies(request?: Request): boolean {
  const setting = process.env.SESSION_COOKIE_SECURE?.trim().toLowerCase();
  if (setting === "1" || setting === "true") return true;
  if (setting === "0" || setting === "false") return false;
  if (!request) return false;
  const forwarded = forwardedProto(request.headers);
  return (forwarded ?? new URL(request.url).protocol.replace(":", "")) === "https";
}

export function sessionCookie(token: string, maxAgeS: number, request?: Request): CookieSpec {
  return {
    name: SESSION_COOKIE,
    value: token,
    httpOnly: true,
    sameSite: "strict",
    secure: secureCookies(request),
    path: "/",
    maxAge: Math.max(60, Math.floor(maxAgeS)),
  };
}

export function clearedSessionCookie(request?: Request): CookieSpec {
  return { ...sessionCookie("", 0, request), maxAge: 0 };
}

export async function sessionToken(): Promise<string | null> {
  const store = await cookies();
  return store.get(SESSION_COOKIE)?.value || null;
}

export type SessionState =
  | { kind: "signed-in"; me: Me }
  | { kind: "signed-out"; reason?: string }
  | { kind: "unavailable"; message: string };

/** Who is signed in, as the API says (`GET /auth/me`), for server-rendered pages. */
export async function currentSession(): Promise<SessionState> {
  const token = await sessionToken();
  if (!token) return { kind: "signed-out" };
  const result = await callTriage({ method: "GET", path: "auth/me", token });
  if (result.ok) return { kind: "signed-in", me: result.body as Me };
  if (result.status === 401) return { kind: "signed-out", reason: result.problem.message };
  return { kind: "unavailable", message: result.problem.message };
}
