import type { ExamDebrief } from "@/lib/types";
import { ListenButton } from "./ListenButton";
import { Markdown } from "./Markdown";

/** The result of an exam, item by item: what was right, why, and which lesson to revisit; each
 * item can be listened to (spoken by espeak-ng on the server). */
export function ExamDebriefView({ debrief }: { debrief: ExamDebrief }) {
  const attempt = debrief.exam.attempt;
  const how = attempt?.submit_reason === "deadline" ? "handed in at the deadline" : "handed in by you";
  return (
    <section className="card exam-debrief" aria-labelledby="debrief-title" data-testid="exam-debrief">
      <h1 id="debrief-title">{debrief.exam.title}: your result</h1>
      <p className="exam-score" data-testid="exam-score">
        <strong>
          {debrief.score} of {debrief.total} right
        </strong>{" "}
        · {debrief.answered} of {debrief.total} answered · {how}
      </p>
      <ol className="debrief-items">
        {debrief.items.map((item) => {
          const mark = item.correct ? "right" : item.answered ? "wrong" : "unanswered";
          return (
            <li key={item.id} className={`debrief-item ${mark}`} data-item-id={item.id} data-mark={mark}>
              <div className="row">
                <strong>
                  {item.position + 1}. {item.kind === "quiz" ? item.title : `Exercise: ${item.title}`}
                </strong>
                <span className="spacer" />
                <span className={`badge ${item.correct ? "ok" : item.answered ? "warn" : "neutral"}`}>
                  {item.correct ? "Right" : item.answered ? "Not right" : "Not answered"}
                </span>
              </div>
              <details>
                <summary>The question</summary>
                <Markdown text={item.prompt} />
              </details>
              {item.kind === "quiz" && (
                <p>
                  Your answer: <strong>{item.your_answer ?? "—"}</strong> · The right answer: <strong>{item.right_answer}</strong>
                </p>
              )}
              <div className="debrief-why">
                <Markdown text={item.why} />
              </div>
              <ListenButton
                path={`exams/${debrief.exam.id}/debrief/speech?item=${encodeURIComponent(item.id)}`}
                label={`Listen to the debrief of item ${item.position + 1}`}
              />
              <p className="small">
                Lesson to revisit: <strong data-lesson-id={item.revisit.lesson_id}>{item.revisit.title}</strong> ({item.revisit.module})
              </p>
            </li>
          );
        })}
      </ol>
    </section>
  );
}
