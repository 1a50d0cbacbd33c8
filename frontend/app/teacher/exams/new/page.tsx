import type { Metadata } from "next";
import { AppShell } from "@/components/AppShell";
import { ServiceProblem } from "@/components/ErrorNotice";
import { ExamBuilder } from "@/components/ExamBuilder";
import { requireRole } from "@/lib/server/guard";

export const metadata: Metadata = { title: "New exam" };
export const dynamic = "force-dynamic";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export default async function NewExamPage({ searchParams }: { searchParams: Promise<{ class?: string | string[] }> }) {
  const { class: wanted } = await searchParams;
  const classId = typeof wanted === "string" && UUID.test(wanted) ? wanted : null;
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
      <ExamBuilder initialClassId={classId} />
    </AppShell>
  );
}
