import { Fragment, type ReactNode } from "react";

/**
 * The small Markdown subset the tutors and exercises write — headings, paragraphs, lists,
 * fenced code, `code`, **bold**, _italic_ — rendered as React elements (never as raw HTML).
 */

type Block =
  | { kind: "code"; lang: string; text: string }
  | { kind: "heading"; level: number; text: string }
  | { kind: "list"; ordered: boolean; items: string[] }
  | { kind: "paragraph"; text: string };

function parseBlocks(source: string): Block[] {
  const lines = source.replace(/\r\n?/g, "\n").split("\n");
  const blocks: Block[] = [];
  let paragraph: string[] = [];
  const flush = () => {
    if (paragraph.length) blocks.push({ kind: "paragraph", text: paragraph.join("\n") });
    paragraph = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const fence = line.match(/^\s*```\s*([\w+-]*)\s*$/);
    if (fence) {
      flush();
      const body: string[] = [];
      i++;
      while (i < lines.length && !/^\s*```\s*$/.test(lines[i])) body.push(lines[i++]);
      blocks.push({ kind: "code", lang: fence[1] || "", text: body.join("\n") });
      continue;
    }
    const heading = line.match(/^(#{1,6})\s+(.*)$/);
    if (heading) {
      flush();
      blocks.push({ kind: "heading", level: heading[1].length, text: heading[2] });
      continue;
    }
    const bullet = line.match(/^\s*[-*]\s+(.*)$/);
    const numbered = line.match(/^\s*\d+[.)]\s+(.*)$/);
    if (bullet || numbered) {
      flush();
      const ordered = Boolean(numbered);
      const last = blocks[blocks.length - 1];
      const text = (bullet ?? numbered)![1];
      if (last && last.kind === "list" && last.ordered === ordered) last.items.push(text);
      else blocks.push({ kind: "list", ordered, items: [text] });
      continue;
    }
    if (!line.trim()) {
      flush();
      continue;
    }
    paragraph.push(line);
  }
  flush();
  return blocks;
}

const INLINE = /(`[^`]+`|\*\*[^*]+\*\*|__[^_]+__|(?<![\w*])\*[^*\s][^*]*\*(?![\w*])|(?<![\w_])_[^_\s][^_]*_(?![\w_]))/g;

function inline(text: string): ReactNode[] {
  const out: ReactNode[] = [];
  let last = 0;
  let key = 0;
  for (const match of text.matchAll(INLINE)) {
    const token = match[0];
    const at = match.index ?? 0;
    if (at > last) out.push(text.slice(last, at));
    if (token.startsWith("`")) out.push(<code key={key++}>{token.slice(1, -1)}</code>);
    else if (token.startsWith("**") || token.startsWith("__")) out.push(<strong key={key++}>{inline(token.slice(2, -2))}</strong>);
    else out.push(<em key={key++}>{inline(token.slice(1, -1))}</em>);
    last = at + token.length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

/** Lines of a paragraph flow together (Markdown), except answer options such as "A) …". */
function paragraphLines(text: string): ReactNode[] {
  const lines = text.split("\n");
  return lines.flatMap((line, i) => {
    const parts = inline(line);
    if (i === 0) return [<Fragment key={i}>{parts}</Fragment>];
    const separator = /^\s*[A-Za-z0-9]\)\s/.test(line) ? <br key={`b${i}`} /> : " ";
    return [<Fragment key={`s${i}`}>{separator}</Fragment>, <Fragment key={i}>{parts}</Fragment>];
  });
}

export function Markdown({ text, headingBase = 3 }: { text: string; headingBase?: number }) {
  return (
    <>
      {parseBlocks(text).map((block, i) => {
        switch (block.kind) {
          case "code":
            return (
              <pre key={i} data-lang={block.lang || undefined}>
                <code>{block.text}</code>
              </pre>
            );
          case "heading": {
            const level = Math.min(6, headingBase + block.level - 1);
            const Tag = `h${level}` as "h3";
            return <Tag key={i}>{inline(block.text)}</Tag>;
          }
          case "list": {
            const Tag = block.ordered ? "ol" : "ul";
            return (
              <Tag key={i}>
                {block.items.map((item, j) => (
                  <li key={j}>{inline(item)}</li>
                ))}
              </Tag>
            );
          }
          default:
            return <p key={i}>{paragraphLines(block.text)}</p>;
        }
      })}
    </>
  );
}
