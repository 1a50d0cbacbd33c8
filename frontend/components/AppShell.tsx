import type { ReactNode } from "react";
import type { Me } from "@/lib/types";
import { NotificationsBell } from "./NotificationsBell";

type Place = "student" | "learn" | "teacher";

const LINKS: Record<string, Array<{ href: string; label: string; place: Place }>> = {
  student: [
    { href: "/student", label: "Dashboard", place: "student" },
    { href: "/learn", label: "Learn", place: "learn" },
  ],
  teacher: [{ href: "/teacher", label: "Class dashboard", place: "teacher" }],
  admin: [{ href: "/teacher", label: "Class dashboard", place: "teacher" }],
};

export function AppShell({ me, current, children }: { me: Me | null; current?: Place; children: ReactNode }) {
  const links = me ? (LINKS[me.role] ?? []) : [];
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <a className="brand" href="/">
          Learn<span>Flow</span>
        </a>
        {links.length > 0 && (
          <nav aria-label="Main">
            <ul>
              {links.map((link) => (
                <li key={link.href}>
                  <a href={link.href} aria-current={link.place === current ? "page" : undefined}>
                    {link.label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
        )}
        {me && (
          <div className="who">
            {me.role === "student" && <NotificationsBell />}
            <span>
              Signed in as <strong>{me.display_name}</strong> ({me.role})
            </span>
            <form action="/api/auth/logout" method="post">
              <button type="submit" className="secondary">
                Log out
              </button>
            </form>
          </div>
        )}
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
