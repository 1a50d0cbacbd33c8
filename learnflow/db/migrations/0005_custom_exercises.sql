-- Teacher-authored exercises and assignments of exercises to classes.
create table exercises_custom (
    id             text primary key,  -- <topic>.custom-<hex>, alongside curriculum ids
    author_id      uuid not null references users (id) on delete restrict,
    topic          text not null,
    difficulty     text not null,
    title          text not null,
    prompt         text not null,
    starter        text not null default '',
    tests          text not null default '',
    solution       text not null default '',
    hints          jsonb not null default '[]'::jsonb,
    request        text not null default '',  -- the teacher's words that asked for it
    status         text not null default 'draft',
    failure_reason text,
    created_at     timestamptz not null default now(),
    updated_at     timestamptz not null default now(),
    constraint exercises_custom_difficulty_check check (difficulty in ('easy', 'medium', 'hard')),
    constraint exercises_custom_status_check check (
        status in ('draft', 'validating', 'ready', 'failed')
    ),
    constraint exercises_custom_failure_check check (
        (status = 'failed') = (failure_reason is not null)
    )
);
create index exercises_custom_author_idx on exercises_custom (author_id, created_at desc);

-- exercise_id is a curriculum id (content files) or an exercises_custom id: no foreign key.
create table assignments (
    id          uuid primary key default gen_random_uuid(),
    class_id    uuid not null references classes (id) on delete cascade,
    exercise_id text not null,
    assigned_by uuid not null references users (id) on delete restrict,
    assigned_at timestamptz not null default now(),
    due_at      timestamptz,
    constraint assignments_class_exercise_key unique (class_id, exercise_id)
);
