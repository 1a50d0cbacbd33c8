import type { Metadata } from "next";
import type { ReactNode } from "react";
import "./globals.css";

// Every page renders per request: its scripts carry that response's CSP nonce (proxy.ts); a page
// prerendered at build time would carry none, and its scripts would be blocked.
export const dynamic = "force-dynamic";

export const metadata: Metadata = {
  title: { default: "LearnFlow", template: "%s · LearnFlow" },
  description: "Learn Python with AI tutors: chat, write and run code, get exercises and feedback.",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
