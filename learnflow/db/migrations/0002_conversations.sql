-- Tutoring conversations and their messages.
create table conversations (
    id         uuid primary key default gen_random_uuid(),
    student_id uuid not null references users (id) on delete cascade,
    session_id text unique,  -- the durable session (workflow instance) that owns it, if any
    topic      text,
    title      text not null default '',
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create index conversations_student_idx on conversations (student_id, created_at desc);

create table messages (
    id              uuid primary key default gen_random_uuid(),
    conversation_id uuid not null references conversations (id) on delete cascade,
    sender          text not null,
    agent           text,            -- triage | concepts | tutor | debrief, for agent messages
    content         text not null,
    event_id        text unique,     -- set when written from an event, so replays are no-ops
    created_at      timestamptz not null default clock_timestamp(),
    constraint messages_sender_check check (sender in ('student', 'agent', 'system'))
);
create index messages_conversation_idx on messages (conversation_id, created_at);
