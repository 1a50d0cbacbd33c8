-- The debrief app's progress consumer (agents/debrief/README.md): each student's struggle-rule
-- state, and an outbox of the events it publishes after its transaction commits.

-- learnflow.progress.struggle.ActivityState as JSON, one row per student; locked (for update)
-- by the transaction that feeds it an activity, so one student's events apply one at a time.
create table struggle_states (
    student_id         uuid primary key references users (id) on delete cascade,
    state              jsonb not null,
    -- runner submission ids already fed to the rules, newest last: a graded run arrives as both
    -- code.executed and exercise.graded and must count once
    recent_submissions text[] not null default '{}',
    last_activity_at   timestamptz,  -- copied from the state, for the periodic "stuck" check
    updated_at         timestamptz not null default now()
);
create index struggle_states_active_idx on struggle_states (last_activity_at);

-- Events to publish, written in the same transaction as the effect that caused them; published
-- after commit and marked. A redelivered source event republishes what is still pending, with
-- the same (deterministic) ids.
create table event_outbox (
    id              text primary key,  -- the outgoing event's id
    source_event_id text not null,     -- the event (or tick) whose handling produced it
    topic           text not null,
    payload         jsonb not null,    -- learnflow.events.to_wire(event)
    created_at      timestamptz not null default now(),
    published_at    timestamptz
);
create index event_outbox_source_idx on event_outbox (source_event_id);
create index event_outbox_pending_idx on event_outbox (created_at) where published_at is null;
