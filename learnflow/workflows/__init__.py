"""LearnFlow's durable workflows (Dapr Workflows), hosted by the triage app.

- `session`: one instance per learning or exam session — events in, live tally out (custom
  status), inactivity and exam-deadline timers, and an idempotent finalize;
- `publishing`: a teacher's custom exercise is validated in the sandbox, indexed, marked ready
  and announced — or compensated back to draft with the reason;
- `registry.register_workflows(runtime)`: registers both and their activities on a runtime;
- `client.WorkflowClient` (async, for routes) and `ops.WorkflowAdmin` (sync, for the CLI).

Orchestrators are deterministic generators; every duration they use comes from `Timings` in
their input (read from the `LEARNFLOW_WORKFLOW_*` settings when the instance starts).
"""
