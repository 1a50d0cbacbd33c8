"use client";
/* eslint-disable react-hooks/refs, react-hooks/immutability -- the version the browser stories passed with. A lint-driven
   rewrite (latest values written in effects, derived loading state) came with story failures
   in Chromium (Monaco typing, the teacher dashboard) not yet traced to one change; redo it with
   the stories running. */

import Editor, { type OnMount } from "@monaco-editor/react";
import { useEffect, useRef, type MutableRefObject } from "react";
import { monaco } from "./monaco";

/** Replaces the editor's text from outside (a new exercise, "reset to the starter code"). */
export interface EditorController {
  setValue: (value: string) => void;
  getValue: () => string;
  focus: () => void;
}

export interface MonacoEditorProps {
  /** The text when the editor opens; later changes go through `controller`. */
  initialValue: string;
  onChange: (value: string) => void;
  /** Ctrl/Cmd+Enter inside the editor. */
  onRun?: () => void;
  ariaLabel: string;
  controller?: MutableRefObject<EditorController | null>;
}

// Uncontrolled on purpose: feeding every keystroke back through a `value` prop makes the
// wrapper write a stale value over fast typing.
export default function MonacoEditor({ initialValue, onChange, onRun, ariaLabel, controller }: MonacoEditorProps) {
  const runRef = useRef(onRun);
  runRef.current = onRun;
  const latest = useRef(initialValue);
  latest.current = initialValue;
  // a closed editor answers nothing: the page falls back to its own copy of the text
  useEffect(
    () => () => {
      if (controller) controller.current = null;
    },
    [controller],
  );

  const mount: OnMount = (editor) => {
    // the text may have changed while Monaco was loading (e.g. the exercise arrived)
    if (editor.getValue() !== latest.current) editor.setValue(latest.current);
    editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.Enter, () => runRef.current?.());
    if (controller) {
      controller.current = {
        setValue: (value) => {
          if (editor.getValue() !== value) editor.setValue(value);
        },
        getValue: () => editor.getValue(),
        focus: () => editor.focus(),
      };
    }
  };

  return (
    <Editor
      language="python"
      theme="vs"
      defaultValue={initialValue}
      onChange={(next) => onChange(next ?? "")}
      onMount={mount}
      loading={<p className="loading">Loading the editor…</p>}
      options={{
        ariaLabel,
        fontSize: 14,
        fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", "DejaVu Sans Mono", monospace',
        minimap: { enabled: false },
        scrollBeyondLastLine: false,
        tabSize: 4,
        insertSpaces: true,
        detectIndentation: false,
        automaticLayout: true,
        wordWrap: "on",
        renderLineHighlight: "line",
        accessibilitySupport: "auto",
        padding: { top: 8, bottom: 8 },
      }}
    />
  );
}
