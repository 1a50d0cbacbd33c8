"use client";

import dynamic from "next/dynamic";
import type { MonacoEditorProps } from "./MonacoEditor";

// Monaco needs `window`: load it in the browser only, from the app's own bundle.
const MonacoEditor = dynamic(() => import("./MonacoEditor"), {
  ssr: false,
  loading: () => <p className="loading">Loading the editor…</p>,
});

export function CodeEditor(props: MonacoEditorProps & { describedBy?: string }) {
  const { describedBy, ...rest } = props;
  return (
    <div className="editor-frame" data-testid="code-editor" aria-describedby={describedBy}>
      <MonacoEditor {...rest} />
    </div>
  );
}
