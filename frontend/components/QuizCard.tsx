"use client";

import { useEffect, useRef, useState, type KeyboardEvent } from "react";
import { api, ApiError } from "@/lib/api";
import { progressAfter, topicProgress } from "@/lib/progress";
import type { QuizOutcome, QuizQuestion, QuizView, TopicProgress } from "@/lib/types";
import { ErrorNotice } from "./ErrorNotice";
import { Markdown } from "./Markdown";

const LETTERS = "ABCDEFGH";

/**
 * One quiz, one question at a time: click a choice or press 1–4 (or A–D). The first answer
 * counts; whether it was right shows only after answering, with the explanation. At the end: the
 * score and the mastery change it caused (read back from progress once debrief has it).
 */
export function QuizCard({ start }: { start: QuizView }) {
  const [question, setQuestion] = useState<QuizQuestion | null>(start.question);
  const [outcome, setOutcome] = useState<QuizOutcome | null>(null);
  const [answered, setAnswered] = useState(start.answered);
  const [score, setScore] = useState(start.score);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [before, setBefore] = useState<TopicProgress | null>(null);
  const [after, setAfter] = useState<TopicProgress | null | "waiting">(null);
  const [stored, setStored] = useState<QuizView["result"]>(start.result);
  const card = useRef<HTMLElement>(null);
  const touched = useRef(false); // answered in this card: the stored view is not newer
  const finished = outcome?.result ?? stored;

  useEffect(() => {
    if (!start.result) void topicProgress(start.topic).then(setBefore).catch(() => undefined);
  }, [start.topic, start.result]);

  // Shown again after a reload (chat history): pick up where the quiz stands now.
  useEffect(() => {
    if (start.answered > 0 || start.result) return;
    api<QuizView>(`quizzes/${encodeURIComponent(start.quiz_id)}`)
      .then((view) => {
        if (view.answered === 0 || touched.current) return;
        setQuestion(view.question);
        setAnswered(view.answered);
        setScore(view.score);
        setStored(view.result);
      })
      .catch(() => undefined);
  }, [start.quiz_id, start.answered, start.result]);

  async function choose(choice: number) {
    if (!question || busy || outcome?.question_id === question.id) return;
    touched.current = true;
    setBusy(true);
    setError(null);
    try {
      const result = await api<QuizOutcome>(`quizzes/${encodeURIComponent(start.quiz_id)}/answers`, {
        method: "POST",
        body: { question_id: question.id, choice },
      });
      setOutcome(result);
      setAnswered(result.answered);
      setScore(result.score);
      if (result.result) {
        setAfter("waiting");
        const now = await progressAfter(start.topic, before, (n, b) => !b || n.quiz_score !== b.quiz_score || n.mastery !== b.mastery);
        setAfter(now);
      }
    } catch (caught) {
      if (caught instanceof ApiError && caught.status === 409) {
        // answered elsewhere (e.g. in the chat): show where the quiz stands now
        const view = await api<QuizView>(`quizzes/${encodeURIComponent(start.quiz_id)}`).catch(() => null);
        if (view) {
          setQuestion(view.question);
          setAnswered(view.answered);
          setScore(view.score);
          setOutcome(null);
        }
      }
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  function next() {
    setQuestion(outcome?.next_question ?? null);
    setOutcome(null);
    setError(null);
    card.current?.querySelector<HTMLElement>(".quiz-choices button")?.focus();
  }

  function onKeyDown(event: KeyboardEvent<HTMLElement>) {
    if (!question || (event.target as HTMLElement).closest("textarea, input")) return;
    const key = event.key.toUpperCase();
    const index = /^[1-8]$/.test(key) ? Number(key) - 1 : LETTERS.indexOf(key);
    if (index >= 0 && index < question.choices.length && !outcome) {
      event.preventDefault();
      void choose(index);
    } else if (event.key === "Enter" && outcome && outcome.next_question) {
      event.preventDefault();
      next();
    }
  }

  const answeredThis = outcome !== null && question !== null && outcome.question_id === question.id;
  return (
    <section className="quiz card" ref={card} aria-label={`Quiz: ${start.topic_title}`} data-testid="quiz-card" onKeyDown={onKeyDown} tabIndex={-1}>
      <div className="row">
        <strong>Quiz: {start.topic_title}</strong>
        <span className="spacer" />
        <span className="badge neutral" data-testid="quiz-progress">
          {answered}/{start.total} answered · {score} right
        </span>
      </div>
      {question && !finished?.event_id && (
        <div data-question-id={question.id}>
          <p className="small muted">
            Question {question.number} of {start.total} — press 1–{question.choices.length} or click. Your first answer counts.
          </p>
          <div className="quiz-prompt">
            <Markdown text={question.prompt} />
          </div>
          <ol className="quiz-choices" aria-label={`Choices for question ${question.number}`}>
            {question.choices.map((choice, i) => {
              const state = !answeredThis ? "" : i === outcome!.correct_choice ? "right" : i === outcome!.choice ? "wrong" : "";
              return (
                <li key={i}>
                  <button
                    type="button"
                    className={`choice ${state}`}
                    onClick={() => void choose(i)}
                    disabled={busy || answeredThis}
                    aria-keyshortcuts={String(i + 1)}
                    data-choice={i}
                  >
                    <span className="key" aria-hidden="true">
                      {i + 1}
                    </span>
                    <span className="visually-hidden">{LETTERS[i]}) </span>
                    <span>{choice}</span>
                    {state === "right" && <span className="visually-hidden"> (the right answer)</span>}
                    {state === "wrong" && <span className="visually-hidden"> (your answer)</span>}
                  </button>
                </li>
              );
            })}
          </ol>
        </div>
      )}
      <div aria-live="polite">
        {outcome && answeredThis && (
          <div className={`notice ${outcome.correct ? "ok" : "warn"}`} data-testid="quiz-feedback" data-correct={outcome.correct}>
            <p>
              <strong>{outcome.correct ? "Right!" : `Not quite — the answer is ${LETTERS[outcome.correct_choice]}.`}</strong>
            </p>
            <Markdown text={outcome.explanation} />
            {outcome.next_question && (
              <button type="button" onClick={next}>
                Next question →
              </button>
            )}
          </div>
        )}
        {finished && (
          <div className="notice info" data-testid="quiz-result" role="status">
            <p>
              <strong>
                Score: {finished.score}/{finished.total}
              </strong>{" "}
              ({finished.percent}%)
            </p>
            {after === "waiting" && <p className="loading">Updating your mastery…</p>}
            {after && after !== "waiting" && (
              <p data-testid="quiz-mastery">
                {after.label ?? `${after.title} — ${after.mastery}%`}
                {before && before.mastery !== after.mastery && ` (was ${before.mastery}%)`}
              </p>
            )}
          </div>
        )}
        <ErrorNotice error={error} title="Your answer was not recorded" />
      </div>
    </section>
  );
}
