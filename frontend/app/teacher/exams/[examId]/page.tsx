import type { Metadata } from "next";
import { AppShell } from "@/components/AppShell";
import { ServiceProblem } from "@/components/ErrorNotice";
import { ExamResultsView } from "@/components/ExamResultsView";
import { requireRole } from "@/lib/server/guard";

export const metadata: Metadata = { title: "Exam results" };
export const dynamic = "force-dynamic";

export default async function ExamResultsPage({ params }: { params: Promise<{ examId: string }> }) {
  const { examId } = await params;
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
      <ExamResultsView examId={examId} />
    </AppShell>
  );
}
