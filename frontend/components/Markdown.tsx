import type { ReactNode } from "react";
import ReactMarkdown, { type Components } from "react-markdown";
import rehypeHighlight from "rehype-highlight";
import remarkGfm from "remark-gfm";

/**
 * Markdown from tutors, exercises and learners, rendered by react-markdown (never as raw HTML:
 * embedded HTML is shown as text) with GitHub tables and lists (remark-gfm) and highlighted code
 * (rehype-highlight). Links open safely: only http(s), mailto and same-site links are kept, and
 * links to other sites open in a new tab without access to this page. A pasted traceback keeps
 * its line breaks (it is shown as a code block).
 */

const TRACEBACK = /(^|\n)(Traceback \(most recent call last\):\n(?:[ \t].*\n|\n)*?[A-Za-z_][\w.]*(?:Error|Exception|Warning|Interrupt|Exit)\b[^\n]*)/g;

/** Wrap unfenced tracebacks (and other error lines pasted as text) in ```text fences. */
export function fenceTracebacks(text: string): string {
  const parts = text.replace(/\r\n?/g, "\n").split(/(```[\s\S]*?```)/g);
  return parts
    .map((part) => (part.startsWith("```") ? part : part.replace(TRACEBACK, (_m, lead: string, tb: string) => `${lead}\n\`\`\`text\n${tb}\n\`\`\`\n`)))
    .join("");
}

function safeUrl(url: string): string {
  const trimmed = url.trim();
  if (/^(https?:|mailto:)/i.test(trimmed) || /^[/#?]/.test(trimmed)) return trimmed;
  return "";
}

function headingComponents(base: number): Components {
  const level = (n: number) => `h${Math.min(6, base + n - 1)}` as "h3";
  const make = (n: number) =>
    function Heading({ children }: { children?: ReactNode }) {
      const Tag = level(n);
      return <Tag>{children}</Tag>;
    };
  return { h1: make(1), h2: make(2), h3: make(3), h4: make(4), h5: make(5), h6: make(6) };
}

export function Markdown({ text, headingBase = 3 }: { text: string; headingBase?: number }) {
  const components: Components = {
    ...headingComponents(headingBase),
    a({ href, children }) {
      const url = safeUrl(href ?? "");
      if (!url) return <span>{children}</span>;
      const external = /^https?:/i.test(url);
      return (
        <a href={url} {...(external ? { target: "_blank", rel: "noopener noreferrer nofollow" } : {})}>
          {children}
        </a>
      );
    },
    table({ children }) {
      return (
        <div className="table-scroll" tabIndex={0} role="region" aria-label="Table">
          <table>{children}</table>
        </div>
      );
    },
    pre({ children }) {
      return <pre tabIndex={0}>{children}</pre>;
    },
  };
  return (
    <ReactMarkdown
      remarkPlugins={[remarkGfm]}
      rehypePlugins={[[rehypeHighlight, { detect: false }]]}
      skipHtml
      urlTransform={safeUrl}
      components={components}
    >
      {fenceTracebacks(text)}
    </ReactMarkdown>
  );
}
