import { redirect } from "next/navigation";
import { AppShell } from "@/components/AppShell";
import { ServiceProblem } from "@/components/ErrorNotice";
import { homeFor } from "@/lib/roles";
import { currentSession } from "@/lib/server/session";

export const dynamic = "force-dynamic";

export default async function Home() {
  const session = await currentSession();
  if (session.kind === "signed-in") redirect(homeFor(session.me.role));
  if (session.kind === "signed-out") redirect("/login");
  return (
    <AppShell me={null}>
      <ServiceProblem message={session.message} />
    </AppShell>
  );
}
