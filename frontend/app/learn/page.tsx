import type { Metadata } from "next";
import { AppShell } from "@/components/AppShell";
import { ServiceProblem } from "@/components/ErrorNotice";
import { LearnWorkspace } from "@/components/LearnWorkspace";
import { requireRole } from "@/lib/server/guard";

export const metadata: Metadata = { title: "Learn" };
export const dynamic = "force-dynamic";

export default async function LearnPage() {
  const gate = await requireRole(["student"]);
  if ("unavailable" in gate) {
    return (
      <AppShell me={null}>
        <ServiceProblem message={gate.unavailable} />
      </AppShell>
    );
  }
  return (
    <AppShell me={gate.me} current="learn">
      <h1 className="visually-hidden">Learn</h1>
      <LearnWorkspace />
    </AppShell>
  );
}
