-- Durable workflows (learnflow.workflows): operator alerts, exercise publications and the
-- tutor's index of published custom exercises.

-- A workflow step that failed for good (after its retries): one row per instance and step, so
-- a replayed activity records it once. Operators list them with `learnflow workflows alerts`.
create table ops_alerts (
    id          uuid primary key default gen_random_uuid(),
    source      text not null,              -- e.g. 'workflow'
    workflow    text not null,              -- workflow name, e.g. 'session'
    instance_id text not null,
    step        text not null,              -- the activity or phase that failed
    message     text not null,
    details     jsonb not null default '{}'::jsonb,
    status      text not null default 'open',
    created_at  timestamptz not null default now(),
    resolved_at timestamptz,
    constraint ops_alerts_instance_step_key unique (instance_id, step),
    constraint ops_alerts_status_check check (
        (status = 'open' and resolved_at is null) or (status = 'resolved' and resolved_at is not null)
    )
);
create index ops_alerts_open_idx on ops_alerts (created_at desc) where status = 'open';

-- One publication attempt of a custom exercise for a class (the publishing workflow's record).
-- A failed attempt leaves the exercise in draft; `reason` keeps why.
create table exercise_publications (
    exercise_id text primary key references exercises_custom (id) on delete cascade,
    class_id    uuid not null references classes (id) on delete cascade,
    teacher_id  uuid not null references users (id) on delete restrict,
    instance_id text not null,
    status      text not null default 'validating',
    reason      text,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now(),
    constraint exercise_publications_status_check check (
        status in ('validating', 'ready', 'draft')
    )
);

-- Published custom exercises the tutor can recommend, per class: written only by the publishing
-- workflow after validation, removed again by its compensation.
create table exercise_index (
    exercise_id text primary key references exercises_custom (id) on delete cascade,
    class_id    uuid not null references classes (id) on delete cascade,
    topic       text not null,
    difficulty  text not null,
    title       text not null,
    search      tsvector not null,
    indexed_at  timestamptz not null default now()
);
create index exercise_index_class_topic_idx on exercise_index (class_id, topic);
create index exercise_index_search_idx on exercise_index using gin (search);
