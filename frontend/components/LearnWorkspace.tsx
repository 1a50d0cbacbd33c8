"use client";

import { useCallback, useEffect, useRef, useState } from "react";
import { api } from "@/lib/api";
import { chatSession } from "@/lib/chatSession";
import { capitalise } from "@/lib/levels";
import { progressAfter, topicProgress } from "@/lib/progress";
import type { Draft, ExerciseCard, GradeReply, NextExercise, QuizView, RunResult, TopicProgress } from "@/lib/types";
import { ChatPanel } from "./ChatPanel";
import { CodeEditor } from "./editor/CodeEditor";
import type { EditorController } from "./editor/MonacoEditor";
import { ErrorNotice } from "./ErrorNotice";
import { GradeOutput } from "./GradeOutput";
import { Markdown } from "./Markdown";
import { QuizCard } from "./QuizCard";
import { RunOutput } from "./RunOutput";

const SCRATCH = "# Write Python here, then press Run (Ctrl+Enter).\n";
const DRAFT_SAVE_MS = 800;

type Outcome = { kind: "run"; result: RunResult } | { kind: "grade"; grade: GradeReply } | null;
type Gain = { before: TopicProgress | null; after: TopicProgress | null | "waiting" };

/** The exercise to open: `?exercise=<id>` (from a notification or "Open in editor"), else the next one. */
function requestedExercise(): string | null {
  if (typeof window === "undefined") return null;
  return new URLSearchParams(window.location.search).get("exercise");
}

export function LearnWorkspace() {
  const [exercise, setExercise] = useState<ExerciseCard | null>(null);
  const [reason, setReason] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [code, setCode] = useState(SCRATCH);
  const [stdin, setStdin] = useState("");
  const [busy, setBusy] = useState<"run" | "submit" | null>(null);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const [error, setError] = useState<{ action: "run" | "submit"; error: unknown } | null>(null);
  const [gain, setGain] = useState<Gain | null>(null);
  const [saved, setSaved] = useState<"saved" | "saving" | null>(null);
  const [quiz, setQuiz] = useState<QuizView | null>(null);
  const [quizError, setQuizError] = useState<unknown>(null);
  const editor = useRef<EditorController | null>(null);
  const saveTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const loadedFor = useRef<string | null>(null);

  function replaceCode(text: string) {
    setCode(text);
    editor.current?.setValue(text); // not mounted yet: it opens with `code`
  }

  const open = useCallback(async (loader: () => Promise<{ exercise: ExerciseCard | null; reason: string | null }>) => {
    setLoading(true);
    setLoadError(null);
    setOutcome(null);
    setGain(null);
    setQuiz(null);
    try {
      const found = await loader();
      setExercise(found.exercise);
      setReason(found.reason);
      if (found.exercise) {
        loadedFor.current = null;
        const draft = await api<Draft>(`drafts/${encodeURIComponent(found.exercise.exercise_id)}`).catch(() => null);
        replaceCode(draft?.code ?? (found.exercise.starter || SCRATCH));
        loadedFor.current = found.exercise.exercise_id;
      }
    } catch (caught) {
      setLoadError(caught);
    } finally {
      setLoading(false);
    }
  }, []);

  const openNext = useCallback(
    () =>
      open(async () => {
        const url = new URL(window.location.href);
        if (url.searchParams.has("exercise")) {
          url.searchParams.delete("exercise");
          window.history.replaceState(null, "", url);
        }
        const next = await api<NextExercise>("exercises/next");
        return { exercise: next.exercise, reason: next.reason };
      }),
    [open],
  );

  const openExercise = useCallback(
    (exerciseId: string) => {
      const url = new URL(window.location.href);
      url.searchParams.set("exercise", exerciseId);
      window.history.replaceState(null, "", url);
      return open(async () => ({ exercise: await api<ExerciseCard>(`exercises/${encodeURIComponent(exerciseId)}`), reason: null }));
    },
    [open],
  );

  useEffect(() => {
    const wanted = requestedExercise();
    void (wanted ? openExercise(wanted) : openNext());
  }, [openExercise, openNext]);

  function onEdit(text: string) {
    setCode(text);
    const id = exercise?.exercise_id;
    if (!id || loadedFor.current !== id) return;
    if (saveTimer.current) clearTimeout(saveTimer.current);
    setSaved("saving");
    saveTimer.current = setTimeout(() => {
      api<Draft>(`drafts/${encodeURIComponent(id)}`, { method: "POST", body: { code: text } })
        .then(() => setSaved("saved"))
        .catch(() => setSaved(null));
    }, DRAFT_SAVE_MS);
  }

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
    setGain(null);
    try {
      const before = await topicProgress(exercise.topic).catch(() => null);
      const grade = await api<GradeReply>(`exercises/${encodeURIComponent(exercise.exercise_id)}/submit`, {
        method: "POST",
        body: { code },
      });
      setOutcome({ kind: "grade", grade });
      if (grade.passed) {
        setGain({ before, after: "waiting" });
        const after = await progressAfter(exercise.topic, before, (now, was) => !was || now.exercise_score !== was.exercise_score || now.mastery !== was.mastery);
        setGain({ before, after });
      }
    } catch (caught) {
      setOutcome(null);
      setError({ action: "submit", error: caught });
    } finally {
      setBusy(null);
    }
  }

  /** After a pass the tutor offers the module's quiz (5 questions from its bank). */
  async function offerQuiz(topic: string) {
    setQuizError(null);
    try {
      const session = chatSession();
      setQuiz(await api<QuizView>("quizzes", { method: "POST", body: { topic, ...(session ? { session_id: session } : {}) } }));
    } catch (caught) {
      setQuizError(caught);
    }
  }

  const after = gain?.after && gain.after !== "waiting" ? gain.after : null;
  return (
    <div className="learn">
      <ChatPanel code={code} exerciseId={exercise?.exercise_id ?? null} onOpenExercise={(id) => void openExercise(id)} />
      <div>
        <section className="card" aria-labelledby="exercise-heading">
          <h2 id="exercise-heading">{exercise ? exercise.title : "Exercise"}</h2>
          {loading && <p className="loading">Loading your exercise…</p>}
          <ErrorNotice error={loadError} title="No exercise loaded" />
          {exercise && (
            <>
              <div className="row small" style={{ marginBottom: "0.5rem" }}>
                <span className="badge">{exercise.topic_title}</span>
                <span className="badge neutral">{capitalise(exercise.difficulty)}</span>
                {exercise.source === "assignment" && <span className="badge warn">Assigned by your teacher</span>}
              </div>
              {reason && <p className="small muted">{reason}</p>}
              <div className="exercise-prompt">
                <Markdown text={exercise.prompt} headingBase={3} />
              </div>
            </>
          )}
          {!loading && !exercise && reason && <p className="muted">{reason}</p>}
        </section>
        <section className="card" aria-labelledby="editor-heading">
          <div className="row">
            <h2 id="editor-heading">Your code</h2>
            <span className="spacer" />
            {saved && exercise && (
              <span className="small muted" role="status" data-testid="draft-status">
                {saved === "saving" ? "Saving draft…" : "Draft saved"}
              </span>
            )}
            {exercise && (
              <button type="button" className="link small" onClick={() => { replaceCode(exercise.starter || SCRATCH); onEdit(exercise.starter || SCRATCH); }}>
                Reset to the starter code
              </button>
            )}
          </div>
          <p id="editor-help" className="hint">
            Python editor. <kbd>Ctrl</kbd>+<kbd>Enter</kbd> runs your code. <kbd>Tab</kbd> indents; press{" "}
            <kbd>Ctrl</kbd>+<kbd>M</kbd> first to move focus out of the editor with <kbd>Tab</kbd>. Your code is saved as a
            draft as you type.
          </p>
          {loading ? (
            <div className="editor-frame">
              <p className="loading">Loading the editor…</p>
            </div>
          ) : (
            // one editor per exercise, opened with that exercise's draft or starter
            <CodeEditor
              key={exercise?.exercise_id ?? "scratch"}
              initialValue={code}
              onChange={onEdit}
              onRun={run}
              controller={editor}
              ariaLabel="Python code editor"
              describedBy="editor-help"
            />
          )}
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
            {error && <ErrorNotice error={error.error} title={error.action === "run" ? "Could not run your code" : "Could not grade your code"} />}
            {gain && (
              <div className="notice ok" data-testid="mastery-gain">
                {gain.after === "waiting" ? (
                  <p className="loading">Passed! Updating your mastery…</p>
                ) : (
                  <p>
                    <strong>Passed!</strong>{" "}
                    {after
                      ? `${after.label ?? after.title}${gain.before ? ` (was ${gain.before.mastery}%, ${after.mastery - gain.before.mastery >= 0 ? "+" : ""}${after.mastery - gain.before.mastery})` : ""}`
                      : "Your mastery will update in a moment."}
                  </p>
                )}
                <div className="row">
                  <button type="button" onClick={() => void openNext()}>
                    Next exercise →
                  </button>
                  {exercise && !quiz && (
                    <button type="button" className="secondary" onClick={() => void offerQuiz(exercise.topic)}>
                      Quiz me on {exercise.topic_title.replace(/^Module \d+: /, "")}
                    </button>
                  )}
                </div>
              </div>
            )}
            <ErrorNotice error={quizError} title="The quiz did not start" />
            {quiz && <QuizCard start={quiz} />}
            {outcome?.kind === "run" && <RunOutput result={outcome.result} />}
            {outcome?.kind === "grade" && <GradeOutput grade={outcome.grade} />}
          </div>
        </section>
      </div>
    </div>
  );
}
