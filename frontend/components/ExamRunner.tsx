"use client";

import { useCallback, useEffect, useLayoutEffect, useRef, useState } from "react";
import { api, ApiError } from "@/lib/api";
import { describeSeconds } from "@/lib/examDraft";
import type { ExamDebrief, ExamPaperItem, ExamView } from "@/lib/types";
import { CodeEditor } from "./editor/CodeEditor";
import type { EditorController } from "./editor/MonacoEditor";
import { ErrorNotice } from "./ErrorNotice";
import { ExamDebriefView } from "./ExamDebriefView";
import { Markdown } from "./Markdown";
import { useApi } from "./useApi";

const LETTERS = "ABCDEFGH";

function clock(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

/**
 * Time left, ticking each second; `null` before the exam has a deadline. Never more than the
 * exam's time limit: the deadline is the server's clock (start + limit), and a page whose clock
 * runs behind the server's would otherwise show extra time.
 */
function useCountdown(deadline: string | null, limitS: number | null): number | null {
  const [now, setNow] = useState(() => Date.now());
  // Read the clock when the deadline arrives, before the paint: the time read at mount is as
  // old as the intro page (a 45 s exam started after 6 s on the intro showed "0:51 left").
  useLayoutEffect(() => {
    if (!deadline) return;
    const tick = () => setNow(Date.now());
    tick();
    const timer = setInterval(tick, 1000);
    return () => clearInterval(timer);
  }, [deadline]);
  if (!deadline) return null;
  const left = new Date(deadline).getTime() - now;
  return limitS === null ? left : Math.min(left, limitS * 1000);
}

/**
 * A timed exam: start it, then one question or exercise at a time with a countdown. Every answer
 * is sent as it is given (the exam's workflow keeps it; closing the tab loses nothing), and at
 * the deadline the workflow submits on its own — this page then waits for the debrief.
 */
export function ExamRunner({ examId }: { examId: string }) {
  const loaded = useApi<ExamView>(`exams/${examId}`);
  // the start's answer wins over the first load (derived, not copied in an effect)
  const [started, setExam] = useState<ExamView | null>(null);
  const exam = started ?? loaded.data ?? null;
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [index, setIndex] = useState(0);
  const [answeredHere, setAnswered] = useState<Set<string>>(new Set());
  const answered = new Set([...(exam?.attempt?.answered ?? []), ...answeredHere]);
  const [choicesHere, setChoices] = useState<Record<string, number>>({});
  // what the attempt's workflow holds (after a reload), then what was chosen on this page
  const choices: Record<string, number> = { ...(exam?.attempt?.choices ?? {}), ...choicesHere };
  const [saved, setSaved] = useState<string | null>(null);
  const [debrief, setDebrief] = useState<ExamDebrief | null>(null);
  const [handedIn, setHandedIn] = useState(false);
  const [code, setCode] = useState<Record<string, string>>({});
  const editor = useRef<EditorController | null>(null);

  const attempt = exam?.attempt ?? null;
  const left = useCountdown(attempt && !attempt.submitted ? attempt.deadline : null, exam?.time_limit_s ?? null);
  const over = attempt !== null && (attempt.submitted || handedIn || (left !== null && left <= 0));

  const fetchDebrief = useCallback(async () => {
    try {
      setDebrief(await api<ExamDebrief>(`exams/${examId}/debrief`));
      return true;
    } catch (caught) {
      if (caught instanceof ApiError && caught.status === 409) return false; // still grading
      setError(caught);
      return true;
    }
  }, [examId]);

  // After the deadline (or a hand-in) the workflow grades and stores the result: poll for it.
  useEffect(() => {
    if (!over || debrief) return;
    let live = true;
    let timer: ReturnType<typeof setTimeout>;
    const tick = async () => {
      if (!live) return;
      if (!(await fetchDebrief()) && live) timer = setTimeout(() => void tick(), 1500);
    };
    void tick();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [over, debrief, fetchDebrief]);

  async function start() {
    setBusy(true);
    setError(null);
    try {
      setExam(await api<ExamView>(`exams/${examId}/start`, { method: "POST" }));
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  async function send(item: ExamPaperItem, body: { choice?: number; code?: string }) {
    setBusy(true);
    setError(null);
    setSaved(null);
    try {
      await api(`exams/${examId}/answers`, { method: "POST", body: { item_id: item.id, ...body } });
      setAnswered((prev) => new Set(prev).add(item.id));
      if (body.choice !== undefined) setChoices((prev) => ({ ...prev, [item.id]: body.choice! }));
      setSaved(`Answer to “${item.title}” saved.`);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  async function handIn() {
    setBusy(true);
    setError(null);
    try {
      await api(`exams/${examId}/submit`, { method: "POST" });
      setHandedIn(true);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  if (loaded.error) return <ErrorNotice error={loaded.error} />;
  if (!exam) return <p className="loading">Loading the exam…</p>;
  if (debrief) return <ExamDebriefView debrief={debrief} />;

  if (!attempt) {
    return (
      <section className="card exam-intro" aria-labelledby="exam-title" data-testid="exam-intro">
        <h1 id="exam-title">{exam.title}</h1>
        <p>
          {exam.class_name} · {exam.items} questions and exercises ·{" "}
          {describeSeconds(exam.time_limit_s)} from the moment you start
        </p>
        <p className="small muted">
          Open {new Date(exam.opens_at).toLocaleString()} to {new Date(exam.closes_at).toLocaleString()}. Each answer is saved as
          you give it; at the end of your time the exam hands itself in, even if you have closed this page.
        </p>
        <ErrorNotice error={error} />
        <button type="button" onClick={() => void start()} disabled={busy || exam.state !== "open"}>
          {exam.state === "open" ? "Start the exam" : exam.state === "upcoming" ? "Not open yet" : "Closed"}
        </button>
      </section>
    );
  }

  if (over) {
    return (
      <section className="card" aria-live="polite" data-testid="exam-grading">
        <h1>{exam.title}</h1>
        <ErrorNotice error={error} />
        <p className="loading">Time is up: your answers are being graded…</p>
      </section>
    );
  }

  const paper = exam.paper ?? [];
  const item = paper[index];
  const lowTime = left !== null && left < 60_000;
  return (
    <section className="card exam" aria-labelledby="exam-title" data-testid="exam-runner">
      <div className="row exam-head">
        <h1 id="exam-title">{exam.title}</h1>
        <span className="spacer" />
        <span className={`badge ${lowTime ? "warn" : "neutral"} exam-clock`} data-testid="exam-countdown" role="timer" aria-label="Time left">
          {clock(left ?? 0)} left
        </span>
      </div>
      <p className="small muted" data-testid="exam-progress">
        {answered.size} of {paper.length} answered · ends {new Date(attempt.deadline).toLocaleTimeString()}
      </p>
      <nav aria-label="Questions" className="exam-nav">
        <ol>
          {paper.map((p, i) => (
            <li key={p.id}>
              <button
                type="button"
                className={`secondary ${i === index ? "current" : ""}`}
                aria-current={i === index ? "step" : undefined}
                onClick={() => setIndex(i)}
                data-answered={answered.has(p.id)}
              >
                {i + 1}
                <span className="visually-hidden">
                  {" "}
                  {p.title}
                  {answered.has(p.id) ? " (answered)" : ""}
                </span>
                {answered.has(p.id) && <span aria-hidden="true"> ✓</span>}
              </button>
            </li>
          ))}
        </ol>
      </nav>
      {item && (
        <div data-item-id={item.id} data-kind={item.kind}>
          <h2>
            {index + 1}. {item.kind === "quiz" ? item.title : `Exercise: ${item.title}`}
          </h2>
          <div className="quiz-prompt">
            <Markdown text={item.prompt} />
          </div>
          {item.kind === "quiz" ? (
            <ol className="quiz-choices" aria-label={`Choices for ${item.title}`}>
              {item.choices.map((choice, i) => (
                <li key={i}>
                  <button
                    type="button"
                    className={`choice ${choices[item.id] === i ? "chosen" : ""}`}
                    aria-pressed={choices[item.id] === i}
                    onClick={() => void send(item, { choice: i })}
                    disabled={busy}
                    data-choice={i}
                  >
                    <span className="key" aria-hidden="true">
                      {i + 1}
                    </span>
                    <span className="visually-hidden">{LETTERS[i]}) </span>
                    <span>{choice}</span>
                  </button>
                </li>
              ))}
            </ol>
          ) : (
            <div className="exam-exercise">
              <CodeEditor
                key={item.id}
                initialValue={code[item.id] ?? exam?.attempt?.code?.[item.id] ?? item.starter ?? ""}
                onChange={(value) => setCode((drafts) => ({ ...drafts, [item.id]: value }))}
                ariaLabel={`Your code for ${item.title}`}
                controller={editor}
              />
              <button
                type="button"
                onClick={() => void send(item, { code: code[item.id] ?? editor.current?.getValue() ?? exam?.attempt?.code?.[item.id] ?? item.starter ?? "" })}
                disabled={busy}
              >
                Save this answer
              </button>
              <p className="small muted">Graded against hidden tests when the exam is handed in; the last saved code counts.</p>
            </div>
          )}
        </div>
      )}
      <div aria-live="polite">
        {saved && (
          <p className="notice ok" role="status" data-testid="exam-saved">
            {saved}
          </p>
        )}
      </div>
      <ErrorNotice error={error} />
      <div className="row">
        <button type="button" className="secondary" onClick={() => setIndex((i) => Math.max(0, i - 1))} disabled={index === 0}>
          ← Previous
        </button>
        <button type="button" className="secondary" onClick={() => setIndex((i) => Math.min(paper.length - 1, i + 1))} disabled={index >= paper.length - 1}>
          Next →
        </button>
        <span className="spacer" />
        <button type="button" className="danger" onClick={() => void handIn()} disabled={busy}>
          Hand in now
        </button>
      </div>
    </section>
  );
}
