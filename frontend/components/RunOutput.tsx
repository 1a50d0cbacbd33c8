import type { RunResult } from "@/lib/types";

const STATUS: Record<string, { label: string; tone: "ok" | "bad" | "warn"; explain?: string }> = {
  ok: { label: "Ran successfully", tone: "ok" },
  error: { label: "Finished with an error", tone: "bad", explain: "Python stopped with an error: read the traceback below, from the bottom up." },
  timeout: { label: "Time limit reached", tone: "bad", explain: "Your program ran too long and was stopped. Look for a loop that never ends, or waits for input it never gets." },
  memory_limit: { label: "Memory limit reached", tone: "bad", explain: "Your program used more memory than the sandbox allows and was stopped. Look for a list or string that keeps growing." },
  output_limit: { label: "Output limit reached", tone: "warn", explain: "Your program printed more than the sandbox keeps; the output below is cut short." },
  killed: { label: "Stopped by the sandbox", tone: "bad", explain: "The sandbox stopped your program." },
  rejected: { label: "Not run", tone: "warn", explain: "The sandbox did not run this code." },
};

export function runStatus(status: string) {
  return STATUS[status] ?? { label: status, tone: "warn" as const };
}

export function RunOutput({ result }: { result: RunResult }) {
  const status = runStatus(result.status);
  return (
    <div className="output" data-testid="run-output" data-status={result.status}>
      <h3>
        Result <span className={`badge ${status.tone}`} data-testid="run-status">{status.label}</span>
      </h3>
      <p className="small muted">
        {result.exit_code !== null && result.exit_code !== undefined ? `Exit code ${result.exit_code} · ` : ""}
        {Math.round(result.duration_ms)} ms
      </p>
      {status.explain && <p className="small">{status.explain}</p>}
      {result.truncated && (
        <div className="notice warn" role="status">
          <p>The output was too long and has been truncated.</p>
        </div>
      )}
      <p className="stream-label" id="stdout-label">Output</p>
      <pre aria-labelledby="stdout-label" data-testid="stdout" tabIndex={0}>{result.stdout || <span className="muted">(nothing printed)</span>}</pre>
      {result.stderr && (
        <>
          <p className="stream-label" id="stderr-label">Errors</p>
          <pre className="stderr" aria-labelledby="stderr-label" data-testid="stderr" tabIndex={0}>{result.stderr}</pre>
        </>
      )}
    </div>
  );
}
