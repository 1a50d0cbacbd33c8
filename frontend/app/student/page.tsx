import type { Metadata } from "next";
import { AppShell } from "@/components/AppShell";
import { ServiceProblem } from "@/components/ErrorNotice";
import { StudentDashboard } from "@/components/StudentDashboard";
import { requireRole } from "@/lib/server/guard";

export const metadata: Metadata = { title: "Dashboard" };
export const dynamic = "force-dynamic";

export default async function StudentPage() {
  const gate = await requireRole(["student"]);
  if ("unavailable" in gate) {
    return (
      <AppShell me={null}>
        <ServiceProblem message={gate.unavailable} />
      </AppShell>
    );
  }
  return (
    <AppShell me={gate.me} current="student">
      <StudentDashboard name={gate.me.display_name} />
    </AppShell>
  );
}
