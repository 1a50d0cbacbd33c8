"use client";

import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { agentName, writtenBy } from "@/lib/agents";
import { api, ApiError } from "@/lib/api";
import { chatSession, rememberChatSession } from "@/lib/chatSession";
import { streamChat } from "@/lib/chatStream";
import type { ChatHistory, ChatReply, QuizView } from "@/lib/types";
import { ErrorNotice } from "./ErrorNotice";
import { Markdown } from "./Markdown";
import { QuizCard } from "./QuizCard";

interface Turn {
  id: string; // the message id: sending it again returns the same reply (no repeat)
  message: string;
  reply?: ChatReply;
  /** The reply's text so far, while it is being written (replaced by `reply` when done). */
  partial?: string;
  error?: unknown;
  pending: boolean;
  withCode?: string;
}

function newId(): string {
  return crypto.randomUUID();
}

/** The caption saying who wrote an answer; nothing for triage's own words. */
function AnswerModel({ model }: { model: ChatReply["model"] }) {
  const author = writtenBy(model);
  if (!author) return null;
  return (
    <p className="answer-model" data-testid="answer-model">
      {author}
    </p>
  );
}

const isQuizStart = (quiz: ChatReply["quiz"]): quiz is QuizView => Boolean(quiz && "question" in quiz && "topic_title" in quiz);

/**
 * Chat with the tutors through triage (`POST /api/chat/stream`, `POST /api/chat` where the stream
 * is not available): the answer appears as it is written, then which agent answered, who wrote it
 * (the offline tutor or a named model) and from which lessons; the exercise open in the editor
 * goes with every message (and its code when ticked). The
 * conversation is stored server-side per user and comes back after a reload. Leaving the page
 * stops an answer being written (it is not saved; asking again gets a fresh one).
 */
export function ChatPanel({
  code,
  exerciseId,
  onOpenExercise,
}: {
  code: string;
  exerciseId: string | null;
  onOpenExercise: (exerciseId: string) => void;
}) {
  const [turns, setTurns] = useState<Turn[]>([]);
  const [draft, setDraft] = useState("");
  const [withCode, setWithCode] = useState(false);
  const [historyError, setHistoryError] = useState<unknown>(null);
  const sessionId = useRef<string | null>(null);
  const logRef = useRef<HTMLDivElement>(null);
  const writing = useRef<AbortController | null>(null);

  useEffect(() => () => writing.current?.abort(), []);

  useEffect(() => {
    sessionId.current = chatSession();
    api<ChatHistory>("chat/history")
      .then((history) => {
        if (!history.session_id || history.turns.length === 0) return;
        sessionId.current = history.session_id;
        rememberChatSession(history.session_id);
        setTurns((now) =>
          now.length > 0
            ? now
            : history.turns.map((t) => ({ id: t.reply.message_id || newId(), message: t.message, reply: t.reply, pending: false })),
        );
      })
      .catch(setHistoryError);
  }, []);

  // Show the newest exchange from its start (long answers are read from the top).
  useEffect(() => {
    const log = logRef.current;
    const last = log?.querySelector<HTMLElement>(".turn:last-child");
    if (log && last) log.scrollTo({ top: Math.max(0, last.offsetTop - 8), behavior: "smooth" });
  }, [turns]);

  async function send(turn: Turn) {
    const update = (change: Partial<Turn>) => setTurns((all) => all.map((t) => (t.id === turn.id ? { ...t, ...change } : t)));
    update({ pending: true, error: undefined, partial: undefined });
    const aborter = new AbortController();
    writing.current = aborter;
    try {
      const body = {
        message: turn.message,
        message_id: turn.id,
        ...(sessionId.current ? { session_id: sessionId.current } : {}),
        ...(exerciseId ? { exercise_id: exerciseId } : {}),
        ...(turn.withCode ? { code: turn.withCode } : {}),
      };
      const reply = await streamChat(body, (partial) => update({ partial }), aborter.signal);
      sessionId.current = reply.session_id;
      rememberChatSession(reply.session_id);
      update({ reply, partial: undefined, pending: false });
    } catch (error) {
      if (aborter.signal.aborted) return; // the page is going away
      update({ error, pending: false });
    } finally {
      if (writing.current === aborter) writing.current = null;
    }
  }

  function submit(event?: FormEvent) {
    event?.preventDefault();
    const text = draft.trim();
    if (!text) return;
    const turn: Turn = { id: newId(), message: text, pending: true, withCode: withCode && code.trim() ? code : undefined };
    setTurns((all) => [...all, turn]);
    setDraft("");
    void send(turn);
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      submit();
    }
  }

  function newConversation() {
    rememberChatSession(null);
    sessionId.current = null;
    setTurns([]);
  }

  const busy = turns.some((t) => t.pending);
  return (
    <section className="card chat" aria-labelledby="chat-heading">
      <div className="row">
        <h2 id="chat-heading">Ask your tutors</h2>
        <span className="spacer" />
        {turns.length > 0 && (
          <button type="button" className="link small" onClick={newConversation}>
            New conversation
          </button>
        )}
      </div>
      <ErrorNotice error={historyError} title="Your earlier conversation could not be loaded" />
      <div className="chat-log" ref={logRef} role="log" aria-live="polite" aria-label="Conversation" tabIndex={0}>
        {turns.length === 0 && (
          <p className="muted small">
            Ask about a Python concept (“How do for loops work in Python?”), say “I’m stuck” or “hint” about your exercise,
            ask for a quiz (“Quiz me on for loops”), or paste an error message. Each answer says which agent answered and
            which lessons it used.
          </p>
        )}
        {turns.map((turn) => (
          <div key={turn.id} className="turn">
            <div className="msg user">
              <div className="meta">You{turn.withCode ? " (with your code)" : ""}</div>
              <div className="body">
                <Markdown text={turn.message} />
              </div>
            </div>
            {turn.pending && !turn.partial && (
              <p className="loading" role="status">
                Thinking…
              </p>
            )}
            {turn.partial && !turn.reply && (
              <div className="msg agent writing" aria-busy={turn.pending} data-testid="answer-so-far">
                <div className="meta">{turn.pending ? "Writing…" : "Cut off before the end"}</div>
                <div className="body">
                  <Markdown text={turn.partial} headingBase={3} />
                </div>
              </div>
            )}
            {turn.error !== undefined && (
              <div className="msg agent">
                <ErrorNotice
                  error={turn.error}
                  title={turn.partial ? "The answer stopped before the end" : "Your message was not answered"}
                />
                {!(turn.error instanceof ApiError && [400, 401, 403, 409, 422].includes(turn.error.status)) && (
                  <button type="button" className="secondary" onClick={() => void send(turn)}>
                    Try again
                  </button>
                )}
              </div>
            )}
            {turn.reply && (
              <article className="msg agent" data-agent={turn.reply.routed_to} aria-label={`Answer from the ${agentName(turn.reply.routed_to)}`}>
                <div className="meta">
                  <span className="badge" data-testid="answered-by">
                    {agentName(turn.reply.routed_to)}
                  </span>
                  <span>intent: {turn.reply.intent.replace(/_/g, " ")}</span>
                </div>
                {isQuizStart(turn.reply.quiz) ? (
                  <QuizCard start={turn.reply.quiz} />
                ) : (
                  <div className="body">
                    <Markdown text={turn.reply.reply} headingBase={3} />
                  </div>
                )}
                <AnswerModel model={turn.reply.model} />
                {turn.reply.exercise_id && turn.reply.exercise_id !== exerciseId && (
                  <button type="button" className="secondary small" onClick={() => onOpenExercise(turn.reply!.exercise_id!)}>
                    Open in editor<span className="visually-hidden">: {turn.reply.exercise_id}</span>
                  </button>
                )}
                {turn.reply.sources.length > 0 && (
                  <div className="sources">
                    Sources:
                    <ul>
                      {turn.reply.sources.map((source) => (
                        <li key={source}>
                          <code>{source}</code>
                        </li>
                      ))}
                    </ul>
                  </div>
                )}
              </article>
            )}
          </div>
        ))}
      </div>
      <form className="chat-form" onSubmit={submit}>
        <label htmlFor="chat-input">Your message</label>
        <textarea
          id="chat-input"
          value={draft}
          onChange={(event) => setDraft(event.target.value)}
          onKeyDown={onKeyDown}
          placeholder="How do for loops work in Python?"
          aria-describedby="chat-help"
        />
        <div className="row">
          <label className="check">
            <input type="checkbox" checked={withCode} onChange={(event) => setWithCode(event.target.checked)} />
            Include my code from the editor
          </label>
          <span className="spacer" />
          <button type="submit" disabled={!draft.trim() || busy}>
            Send
          </button>
        </div>
        <p id="chat-help" className="hint">
          <kbd>Enter</kbd> sends, <kbd>Shift</kbd>+<kbd>Enter</kbd> starts a new line.{" "}
          {exerciseId ? "Your tutors know which exercise you have open." : ""}
        </p>
      </form>
    </section>
  );
}
