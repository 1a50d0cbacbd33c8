-- Dead-lettered events, recorded once each by debrief's dead-letter watcher
-- (agents/debrief/dead_letters.py, subscribed to every `<topic>.dlq`). What `make status` and
-- GET /ops/dead-letters count. The payload is never stored: ids, type, source and the reason.

create table dead_letters (
    topic            text not null,           -- the dead-letter topic, e.g. code.executed.dlq
    event_id         text not null,           -- the dead event's id (else the letter's own id)
    event_type       text,
    event_source     text,                    -- the app that published the event
    reason           text,                    -- one line, input values redacted; null: daprd's
    dead_lettered_by text,                    -- the app whose poison handling sent it, if known
    recorded_at      timestamptz not null default now(),
    primary key (topic, event_id)
);
create index dead_letters_recorded_idx on dead_letters (recorded_at desc);
