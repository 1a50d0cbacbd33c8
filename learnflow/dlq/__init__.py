"""Dead letters: reading the `<topic>.dlq` topics (as Kafka's read-only `ops` user) and
publishing a dead-lettered event back to its topic through the sidecar of an app that produces
it (`learnflow dlq list|replay`)."""
