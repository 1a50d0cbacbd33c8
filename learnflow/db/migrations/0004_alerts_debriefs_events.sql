-- Struggle alerts for teachers, session debriefs, and the dedupe table of idempotent consumers.
create table struggle_alerts (
    id          uuid primary key default gen_random_uuid(),
    student_id  uuid not null references users (id) on delete cascade,
    topic       text,
    trigger     text not null,
    detail      text not null default '',
    status      text not null default 'open',
    episode_key text not null,  -- learnflow.progress.struggle: one alert per struggle episode
    created_at  timestamptz not null default now(),
    resolved_at timestamptz,
    resolved_by uuid references users (id) on delete set null,
    constraint struggle_alerts_episode_key unique (episode_key),
    constraint struggle_alerts_trigger_check check (trigger in (
        'repeated_error', 'stuck_on_exercise', 'low_quiz_score', 'says_confused',
        'failed_run_streak'
    )),
    constraint struggle_alerts_status_check check (
        (status = 'open' and resolved_at is null and resolved_by is null)
        or (status = 'resolved' and resolved_at is not null)
    )
);
create index struggle_alerts_open_idx on struggle_alerts (student_id, created_at desc)
    where status = 'open';

create table debriefs (
    id              uuid primary key default gen_random_uuid(),
    student_id      uuid not null references users (id) on delete cascade,
    conversation_id uuid references conversations (id) on delete set null,
    session_id      text unique,  -- one debrief per finalized session
    summary         text not null,
    details         jsonb not null default '{}'::jsonb,
    created_at      timestamptz not null default now()
);
create index debriefs_student_idx on debriefs (student_id, created_at desc);

-- One row per (consumer, event): insert it in the same transaction as the event's effect.
-- Keyed by both, so two consumers of one topic each process every event once.
create table processed_events (
    consumer     text not null,
    event_id     text not null,
    processed_at timestamptz not null default now(),
    primary key (consumer, event_id)
);
