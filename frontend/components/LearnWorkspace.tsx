"use client";

import { useEffect, useRef, useState } from "react";
import { api } from "@/lib/api";
import { chatSession } from "@/lib/chatSession";
import { capitalise } from "@/lib/levels";
import type { GradeReply, NextExercise, RunResult } from "@/lib/types";
import { ChatPanel } from "./ChatPanel";
import { CodeEditor } from "./editor/CodeEditor";
import type { EditorController } from "./editor/MonacoEditor";
import { ErrorNotice } from "./ErrorNotice";
import { GradeOutput } from "./GradeOutput";
import { Markdown } from "./Markdown";
import { RunOutput } from "./RunOutput";
import { useApi } from "./useApi";

const SCRATCH = "# Write Python here, then press Run (Ctrl+Enter).\n";

type Outcome = { kind: "run"; result: RunResult } | { kind: "grade"; grade: GradeReply } | null;

export function LearnWorkspace() {
  const next = useApi<NextExercise>("exercises/next");
  const exercise = next.data?.exercise ?? null;
  const [code, setCode] = useState(SCRATCH);
  const [stdin, setStdin] = useState("");
  const [busy, setBusy] = useState<"run" | "submit" | null>(null);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const [error, setError] = useState<{ action: "run" | "submit"; error: unknown } | null>(null);
  const editor = useRef<EditorController | null>(null);

  function replaceCode(text: string) {
    setCode(text);
    editor.current?.setValue(text); // not mounted yet: it opens with `code`
  }

  useEffect(() => {
    if (exercise) replaceCode(exercise.starter || SCRATCH);
  }, [exercise]);

  function context() {
    const session = chatSession();
    return {
      ...(session ? { session_id: session } : {}),
      ...(exercise ? { exercise_id: exercise.exercise_id } : {}),
    };
  }

  /** The editor's text right now (state can trail the last keystroke by a render). */
  const current = () => editor.current?.getValue() ?? code;

  async function run() {
    const code = current();
    if (busy || !code.trim()) return;
    setBusy("run");
    setError(null);
    try {
      const result = await api<RunResult>("code/run", { method: "POST", body: { code, stdin, ...context() } });
      setOutcome({ kind: "run", result });
    } catch (caught) {
      setOutcome(null);
      setError({ action: "run", error: caught });
    } finally {
      setBusy(null);
    }
  }

  async function submit() {
    const code = current();
    if (busy || !exercise) return;
    setBusy("submit");
    setError(null);
    try {
      const grade = await api<GradeReply>(`exercises/${encodeURIComponent(exercise.exercise_id)}/submit`, {
        method: "POST",
        body: { code },
      });
      setOutcome({ kind: "grade", grade });
    } catch (caught) {
      setOutcome(null);
      setError({ action: "submit", error: caught });
    } finally {
      setBusy(null);
    }
  }

  return (
    <div className="learn">
      <ChatPanel code={code} />
      <div>
        <section className="card" aria-labelledby="exercise-heading">
          <h2 id="exercise-heading">{exercise ? exercise.title : "Exercise"}</h2>
          {next.loading && <p className="loading">Loading your exercise…</p>}
          <ErrorNotice error={next.error} title="No exercise loaded" />
          {exercise && (
            <>
              <div className="row small" style={{ marginBottom: "0.5rem" }}>
                <span className="badge">{exercise.topic_title}</span>
                <span className="badge neutral">{capitalise(exercise.difficulty)}</span>
                {exercise.source === "assignment" && <span className="badge warn">Assigned by your teacher</span>}
              </div>
              <div className="exercise-prompt">
                <Markdown text={exercise.prompt} headingBase={3} />
              </div>
            </>
          )}
          {next.data && !exercise && <p className="muted">{next.data.reason}</p>}
        </section>
        <section className="card" aria-labelledby="editor-heading">
          <div className="row">
            <h2 id="editor-heading">Your code</h2>
            <span className="spacer" />
            {exercise && (
              <button type="button" className="link small" onClick={() => replaceCode(exercise.starter || SCRATCH)}>
                Reset to the starter code
              </button>
            )}
          </div>
          <p id="editor-help" className="hint">
            Python editor. <kbd>Ctrl</kbd>+<kbd>Enter</kbd> runs your code. <kbd>Tab</kbd> indents; press{" "}
            <kbd>Ctrl</kbd>+<kbd>M</kbd> first to move focus out of the editor with <kbd>Tab</kbd>.
          </p>
          <CodeEditor
            initialValue={code}
            onChange={setCode}
            onRun={run}
            controller={editor}
            ariaLabel="Python code editor"
            describedBy="editor-help"
          />
          <details style={{ marginTop: "0.6rem" }}>
            <summary className="small">Input for the program (stdin)</summary>
            <label htmlFor="stdin" className="visually-hidden">
              Input for the program
            </label>
            <textarea id="stdin" rows={3} value={stdin} onChange={(event) => setStdin(event.target.value)} placeholder="Lines your program reads with input()" />
          </details>
          <div className="editor-toolbar">
            <button type="button" onClick={run} disabled={busy !== null || !code.trim()}>
              {busy === "run" ? "Running…" : "Run"}
            </button>
            <button
              type="button"
              className="secondary"
              onClick={submit}
              disabled={busy !== null || !exercise}
              title={exercise ? `Run the hidden tests of “${exercise.title}”` : "No exercise loaded"}
            >
              {busy === "submit" ? "Checking…" : "Submit for grading"}
            </button>
            <span className="small muted">Runs in a sandbox: 5 s, 50 MB, no network.</span>
          </div>
          <div aria-live="polite">
            {error && (
              <ErrorNotice
                error={error.error}
                title={error.action === "run" ? "Could not run your code" : "Could not grade your code"}
              />
            )}
            {outcome?.kind === "run" && <RunOutput result={outcome.result} />}
            {outcome?.kind === "grade" && <GradeOutput grade={outcome.grade} />}
          </div>
        </section>
      </div>
    </div>
  );
}
