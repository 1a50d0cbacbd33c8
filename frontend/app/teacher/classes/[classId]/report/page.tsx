import type { Metadata } from "next";
import { AppShell } from "@/components/AppShell";
import { ClassReportView } from "@/components/ClassReportView";
import { ServiceProblem } from "@/components/ErrorNotice";
import { requireRole } from "@/lib/server/guard";

export const metadata: Metadata = { title: "Class report" };
export const dynamic = "force-dynamic";

export default async function ClassReportPage({ params }: { params: Promise<{ classId: string }> }) {
  const { classId } = await params;
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
      <ClassReportView classId={classId} />
    </AppShell>
  );
}
