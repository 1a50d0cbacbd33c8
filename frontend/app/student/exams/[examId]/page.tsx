import type { Metadata } from "next";
import { AppShell } from "@/components/AppShell";
import { ServiceProblem } from "@/components/ErrorNotice";
import { ExamRunner } from "@/components/ExamRunner";
import { requireRole } from "@/lib/server/guard";

export const metadata: Metadata = { title: "Exam" };
export const dynamic = "force-dynamic";

export default async function ExamPage({ params }: { params: Promise<{ examId: string }> }) {
  const { examId } = await params;
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
      <ExamRunner examId={examId} />
    </AppShell>
  );
}
