"""HTTP API of the `code-runner` Dapr app (service invocation: POST /run, POST /tests)."""
