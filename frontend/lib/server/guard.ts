/** Server-side gate of each page: who may see it, and where everyone else goes. */

import { redirect } from "next/navigation";
import { homeFor } from "@/lib/roles";
import type { Me, Role } from "@/lib/types";
import { currentSession } from "./session";

export type Gate = { me: Me } | { unavailable: string };

export async function requireRole(roles: readonly Role[]): Promise<Gate> {
  const session = await currentSession();
  if (session.kind === "signed-out") {
    redirect(session.reason ? `/login?expired=1` : "/login");
  }
  if (session.kind === "unavailable") return { unavailable: session.message };
  if (!roles.includes(session.me.role)) redirect(homeFor(session.me.role));
  return { me: session.me };
}
