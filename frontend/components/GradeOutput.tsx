import type { GradeReply } from "@/lib/types";
import { Markdown } from "./Markdown";

function tone(status: string): string {
  return status === "pass" || status === "passed" ? "ok" : status === "fail" || status === "failed" ? "bad" : "warn";
}

export function GradeOutput({ grade }: { grade: GradeReply }) {
  const review = grade.review;
  return (
    <div className="output" data-testid="grade-output" data-passed={grade.passed}>
      <h3>
        Tests{" "}
        <span className={`badge ${grade.passed ? "ok" : "bad"}`} data-testid="grade-status">
          {grade.passed ? "All tests passed" : "Not yet"} · {grade.tests_passed}/{grade.tests_total}
        </span>
      </h3>
      {grade.summary && <p>{grade.summary}</p>}
      {grade.tests.length > 0 && (
        <div className="table-scroll">
        <table>
          <caption className="visually-hidden">Results of each test</caption>
          <thead>
            <tr>
              <th scope="col">Test</th>
              <th scope="col">Result</th>
              <th scope="col">What it means</th>
            </tr>
          </thead>
          <tbody>
            {grade.tests.map((test) => (
              <tr key={test.name}>
                <td>
                  <code>{test.name}</code>
                </td>
                <td>
                  <span className={`badge ${tone(test.status)}`}>{test.status}</span>
                </td>
                <td className="small">{test.explanation ?? test.message ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
        </div>
      )}
      {grade.explanation && (
        <div className="small" style={{ marginTop: "0.75rem" }}>
          <Markdown text={grade.explanation} />
        </div>
      )}
      {review && (
        <div style={{ marginTop: "0.75rem" }}>
          <h3>
            Code review {typeof review.score === "number" && <span className="badge">{review.score}/100</span>}
          </h3>
          {!grade.passed && (
            <p className="small muted">Code quality counts towards your mastery once all the tests pass.</p>
          )}
          {review.syntax_error && <p className="small">{review.syntax_error}</p>}
          {review.comments && review.comments.length > 0 && (
            <ul className="small">
              {review.comments.slice(0, 6).map((comment) => (
                <li key={comment}>{comment}</li>
              ))}
            </ul>
          )}
          {review.praise && review.praise.length > 0 && <p className="small muted">{review.praise.join(" ")}</p>}
        </div>
      )}
    </div>
  );
}
