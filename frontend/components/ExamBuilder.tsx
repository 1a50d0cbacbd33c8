"use client";

import { useRouter } from "next/navigation";
import { Fragment, useMemo, useRef, useState, type FormEvent, type ReactNode } from "react";
import { api } from "@/lib/api";
import { checkDraft, describeSeconds, limitSeconds, MAX_ITEMS, TITLE_MAX, toBody, toLocalInput, type DraftErrors, type DraftField } from "@/lib/examDraft";
import type { ClassSummary, ExamBank, ExamItemRef, ExamView } from "@/lib/types";
import { ErrorNotice } from "./ErrorNotice";
import { useApi } from "./useApi";

const FIELD_ORDER: DraftField[] = ["title", "classId", "minutes", "opensAt", "closesAt", "items"];
const FIELD_ID: Record<DraftField, string> = {
  title: "exam-title",
  classId: "exam-class",
  minutes: "exam-minutes",
  opensAt: "exam-opens",
  closesAt: "exam-closes",
  items: "exam-bank",
};

/** `code` in a bank prompt shown as code; the rest as text. */
function inlineCode(text: string, key: number): ReactNode {
  const parts = text.split(/(`[^`]+`)/).map((part, i) => (part.startsWith("`") && part.endsWith("`") && part.length > 1 ? <code key={i}>{part.slice(1, -1)}</code> : part));
  return <Fragment key={key}>{parts}</Fragment>;
}

/** A bank prompt in a label: fenced blocks (```python … ```) as code blocks, `inline` as code. */
function promptText(prompt: string): ReactNode {
  return prompt.split(/```[\w-]*\n?([\s\S]*?)```/).map((part, i) =>
    i % 2 === 1 ? (
      <code key={i} className="code-block">
        {part.replace(/\n+$/, "")}
      </code>
    ) : (
      inlineCode(part, i)
    ),
  );
}

function FieldError({ field, errors }: { field: DraftField; errors: DraftErrors }) {
  const message = errors[field];
  if (!message) return null;
  return (
    <p className="field-error" id={`${FIELD_ID[field]}-error`}>
      {message}
    </p>
  );
}

/** A teacher builds a timed exam: title, class, time per student, window, items from the bank. */
export function ExamBuilder({ initialClassId }: { initialClassId: string | null }) {
  const classes = useApi<ClassSummary[]>("classes");
  const bank = useApi<ExamBank>("exams/bank");
  const [title, setTitle] = useState("");
  const [pickedClass, setClassId] = useState<string | null>(initialClassId);
  const [minutes, setMinutes] = useState("30");
  const [opensAt, setOpensAt] = useState("");
  const [closesAt, setClosesAt] = useState(() => toLocalInput(new Date(Date.now() + 7 * 24 * 3600_000)));
  const [items, setItems] = useState<ExamItemRef[]>([]);
  const [moduleFilter, setModuleFilter] = useState("all");
  const [errors, setErrors] = useState<DraftErrors>({});
  const [apiError, setApiError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const summaryRef = useRef<HTMLDivElement>(null);
  const router = useRouter();

  const classList = classes.data ?? [];
  const classId = pickedClass ?? classList[0]?.id ?? "";
  const chosen = useMemo(() => new Set(items.map((i) => i.id)), [items]);
  const labels = useMemo(() => {
    const out = new Map<string, string>();
    for (const m of bank.data?.modules ?? []) {
      for (const q of m.quiz) out.set(q.id, q.prompt);
      for (const e of m.exercises) out.set(e.id, `Exercise: ${e.title}`);
    }
    return out;
  }, [bank.data]);
  const seconds = limitSeconds(minutes);
  const modules = (bank.data?.modules ?? []).filter((m) => moduleFilter === "all" || m.id === moduleFilter);

  /** The user changed `field`: its error (from the last submit) no longer applies. */
  function edited(field: DraftField) {
    setErrors((current) => {
      if (!current[field]) return current;
      const next = { ...current };
      delete next[field];
      return next;
    });
  }

  function toggle(item: ExamItemRef, on: boolean) {
    if (on) edited("items");
    setItems((current) => (on ? (current.some((i) => i.id === item.id) ? current : [...current, item]) : current.filter((i) => i.id !== item.id)));
  }

  function move(index: number, by: -1 | 1) {
    setItems((current) => {
      const next = [...current];
      const [item] = next.splice(index, 1);
      next.splice(index + by, 0, item);
      return next;
    });
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    setApiError(null);
    const draft = { title, classId, minutes, opensAt, closesAt, items };
    const found = checkDraft(draft, new Date());
    setErrors(found);
    const first = FIELD_ORDER.find((f) => found[f]);
    if (first) {
      // the summary (role=alert) is read out; focus goes to the first field to fix
      requestAnimationFrame(() => document.getElementById(FIELD_ID[first])?.focus());
      return;
    }
    setBusy(true);
    try {
      const made = await api<ExamView>("exams", { method: "POST", body: toBody(draft) });
      router.push(`/teacher/exams/${made.id}`);
    } catch (caught) {
      setApiError(caught);
      setBusy(false);
      requestAnimationFrame(() => summaryRef.current?.focus());
    }
  }

  const described = (field: DraftField, hint?: string) =>
    [hint, errors[field] ? `${FIELD_ID[field]}-error` : null].filter(Boolean).join(" ") || undefined;
  const errorList = FIELD_ORDER.filter((f) => errors[f]);

  return (
    <section className="card exam-builder" aria-labelledby="new-exam-title" data-testid="exam-builder">
      <h1 id="new-exam-title">New exam</h1>
      <p className="small muted">
        Each student gets the same time from the moment they start; nobody can start or answer after the exam closes. Answers are kept by the
        exam&apos;s workflow and handed in at the deadline.
      </p>
      <ErrorNotice error={classes.error} title="Could not load your classes" />
      <ErrorNotice error={bank.error} title="Could not load the question bank" />
      <form noValidate onSubmit={submit} aria-describedby="new-exam-title">
        <div tabIndex={-1} ref={summaryRef}>
          {errorList.length > 0 && (
            <div className="notice error" role="alert" data-testid="exam-form-errors">
              <p>
                <strong>The exam was not set: </strong>
                {errorList.length === 1 ? "fix this first." : `fix these ${errorList.length} things first.`}
              </p>
              <ul>
                {errorList.map((f) => (
                  <li key={f}>
                    <a href={`#${FIELD_ID[f]}`}>{errors[f]}</a>
                  </li>
                ))}
              </ul>
            </div>
          )}
          <ErrorNotice error={apiError} title="The exam was not set" />
        </div>
        <div className="field">
          <label htmlFor="exam-title">Title</label>
          <input
            id="exam-title"
            type="text"
            value={title}
            maxLength={TITLE_MAX + 20}
            onChange={(e) => {
              setTitle(e.target.value);
              edited("title");
            }}
            aria-invalid={errors.title ? true : undefined}
            aria-describedby={described("title")}
            autoComplete="off"
          />
          <FieldError field="title" errors={errors} />
        </div>
        <div className="exam-builder-row">
          <div className="field">
            <label htmlFor="exam-class">Class</label>
            <select
              id="exam-class"
              value={classId}
              onChange={(e) => {
                setClassId(e.target.value);
                edited("classId");
              }}
              aria-invalid={errors.classId ? true : undefined}
              aria-describedby={described("classId")}
            >
              {classList.length === 0 && <option value="">{classes.loading ? "Loading…" : "No class yet"}</option>}
              {classList.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                </option>
              ))}
            </select>
            <FieldError field="classId" errors={errors} />
          </div>
          <div className="field">
            <label htmlFor="exam-minutes">Time per student (minutes)</label>
            <input
              id="exam-minutes"
              type="text"
              inputMode="decimal"
              value={minutes}
              onChange={(e) => {
                setMinutes(e.target.value);
                edited("minutes");
              }}
              aria-invalid={errors.minutes ? true : undefined}
              aria-describedby={described("minutes", "exam-minutes-hint")}
            />
            <p className="hint" id="exam-minutes-hint">
              {seconds !== null && seconds > 0 ? `${describeSeconds(seconds)} each · ` : ""}10 seconds to 6 hours; decimals allowed (0.75 = 45 s).
            </p>
            <FieldError field="minutes" errors={errors} />
          </div>
        </div>
        <div className="exam-builder-row">
          <div className="field">
            <label htmlFor="exam-opens">Opens (leave empty to open now)</label>
            <input
              id="exam-opens"
              type="datetime-local"
              value={opensAt}
              onChange={(e) => {
                setOpensAt(e.target.value);
                edited("opensAt");
              }}
              aria-invalid={errors.opensAt ? true : undefined}
              aria-describedby={described("opensAt")}
            />
            <FieldError field="opensAt" errors={errors} />
          </div>
          <div className="field">
            <label htmlFor="exam-closes">Closes (deadline to start and to answer)</label>
            <input
              id="exam-closes"
              type="datetime-local"
              value={closesAt}
              onChange={(e) => {
                setClosesAt(e.target.value);
                edited("closesAt");
              }}
              aria-invalid={errors.closesAt ? true : undefined}
              aria-describedby={described("closesAt")}
            />
            <FieldError field="closesAt" errors={errors} />
          </div>
        </div>

        <fieldset id="exam-bank" tabIndex={-1} className="exam-bank" aria-invalid={errors.items ? true : undefined} aria-describedby={described("items", "exam-count")}>
          <legend>Questions and exercises</legend>
          <div className="row">
            <label htmlFor="exam-module">Module</label>
            <select id="exam-module" value={moduleFilter} onChange={(e) => setModuleFilter(e.target.value)}>
              <option value="all">All modules</option>
              {(bank.data?.modules ?? []).map((m) => (
                <option key={m.id} value={m.id}>
                  {m.title}
                </option>
              ))}
            </select>
            <span className={`badge ${items.length > MAX_ITEMS ? "bad" : items.length ? "ok" : "neutral"}`} id="exam-count" role="status" data-testid="exam-count">
              {items.length} of at most {MAX_ITEMS} chosen
            </span>
          </div>
          <FieldError field="items" errors={errors} />
          {bank.loading && <p className="loading">Loading the question bank…</p>}
          {modules.map((m) => (
            <div key={m.id} className="exam-bank-module" data-module={m.id}>
              <h2 className="exam-bank-heading">{m.title}</h2>
              {m.quiz.length > 0 && (
                <ul className="exam-bank-list" aria-label={`${m.title}: quiz questions`}>
                  {m.quiz.map((q) => (
                    <li key={q.id}>
                      <input type="checkbox" id={`bank-${q.id}`} value={q.id} checked={chosen.has(q.id)} onChange={(e) => toggle({ kind: "quiz", id: q.id }, e.target.checked)} />
                      <label htmlFor={`bank-${q.id}`}>
                        {promptText(q.prompt)} <span className="muted small">({q.id})</span>
                      </label>
                    </li>
                  ))}
                </ul>
              )}
              {m.exercises.length > 0 && (
                <ul className="exam-bank-list" aria-label={`${m.title}: exercises`}>
                  {m.exercises.map((x) => (
                    <li key={x.id}>
                      <input type="checkbox" id={`bank-${x.id}`} value={x.id} checked={chosen.has(x.id)} onChange={(e) => toggle({ kind: "exercise", id: x.id }, e.target.checked)} />
                      <label htmlFor={`bank-${x.id}`}>
                        Exercise: {x.title} <span className="muted small">({x.id}, {x.difficulty})</span>
                      </label>
                    </li>
                  ))}
                </ul>
              )}
            </div>
          ))}
        </fieldset>

        <h2 id="exam-paper-heading">The paper, in order</h2>
        {items.length === 0 ? (
          <p className="muted small">Nothing chosen yet: tick questions and exercises above. They appear here in the order you pick them.</p>
        ) : (
          <ol className="exam-paper" aria-labelledby="exam-paper-heading" data-testid="exam-paper">
            {items.map((item, index) => (
              <li key={item.id} data-item-id={item.id}>
                <span className="exam-paper-text">{promptText(labels.get(item.id) ?? item.id)}</span>
                <span className="row">
                  <button type="button" className="secondary small" disabled={index === 0} onClick={() => move(index, -1)}>
                    Up<span className="visually-hidden"> {item.id}</span>
                  </button>
                  <button type="button" className="secondary small" disabled={index === items.length - 1} onClick={() => move(index, 1)}>
                    Down<span className="visually-hidden"> {item.id}</span>
                  </button>
                  <button type="button" className="secondary small" onClick={() => toggle(item, false)}>
                    Remove<span className="visually-hidden"> {item.id}</span>
                  </button>
                </span>
              </li>
            ))}
          </ol>
        )}
        <button type="submit" disabled={busy}>
          {busy ? "Setting the exam…" : "Set the exam"}
        </button>
      </form>
    </section>
  );
}
