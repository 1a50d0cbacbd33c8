import type { Metadata } from "next";
import { AppShell } from "@/components/AppShell";
import { ServiceProblem } from "@/components/ErrorNotice";
import { TeacherDashboard } from "@/components/TeacherDashboard";
import { requireRole } from "@/lib/server/guard";

export const metadata: Metadata = { title: "Class dashboard" };
export const dynamic = "force-dynamic";

export default async function TeacherPage() {
  const gate = await requireRole(["teacher", "admin"]);
  if ("unavailable" in gate) {
    return (
      <AppShell me={null}>
        <ServiceProblem message={gate.unavailable} />
      </AppShell>
    );
  }
  return (
    <AppShell me={gate.me} current="teacher">
      <TeacherDashboard name={gate.me.display_name} />
    </AppShell>
  );
}
