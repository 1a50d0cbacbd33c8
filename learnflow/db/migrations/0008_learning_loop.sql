-- The learning loop in the browser (issue 8): chat history and drafts per user, per-test
-- outcomes of graded attempts, teacher review of generated exercises, assignments to chosen
-- students with a due date, and stored notifications.

-- Chat history: each message keeps what the page shows besides its text (sources, quiz).
alter table messages add column meta jsonb not null default '{}'::jsonb;

-- The code a learner left in the editor, per exercise (survives a reload, any device).
create table code_drafts (
    user_id     uuid not null references users (id) on delete cascade,
    exercise_id text not null,
    code        text not null,
    updated_at  timestamptz not null default now(),
    primary key (user_id, exercise_id),
    constraint code_drafts_size_check check (length(code) <= 65536)
);

-- A run and its grading name the same submission (code.executed and exercise.graded).
alter table code_submissions add column submission_key text;
alter table exercise_attempts add column submission_key text;
alter table exercise_attempts add column tests jsonb not null default '[]'::jsonb;
create index exercise_attempts_submission_idx on exercise_attempts (submission_key);

-- A generated exercise is validated by the publishing workflow, then reviewed by its teacher.
alter table exercises_custom add column review text not null default 'pending';
alter table exercises_custom add column origin jsonb not null default '{}'::jsonb;
alter table exercises_custom add constraint exercises_custom_review_check check (
    review in ('pending', 'approved', 'rejected')
);

-- Assignments go to a whole class (student_id null) or to one student of it.
alter table assignments drop constraint assignments_class_exercise_key;
alter table assignments add column student_id uuid references users (id) on delete cascade;
create unique index assignments_target_key on assignments (
    class_id, exercise_id, coalesce(student_id, '00000000-0000-0000-0000-000000000000'::uuid)
);

create table notifications (
    id         uuid primary key default gen_random_uuid(),
    user_id    uuid not null references users (id) on delete cascade,
    kind       text not null,
    title      text not null,
    body       text not null default '',
    link       text,
    event_id   text not null,  -- the event it came from: a redelivery stores nothing new
    created_at timestamptz not null default now(),
    read_at    timestamptz,
    constraint notifications_event_user_key unique (event_id, user_id)
);
create index notifications_user_idx on notifications (user_id, created_at desc);

-- Seeded demo histories already sent through the pipeline (one row per demo student).
create table demo_histories (
    user_id      uuid primary key references users (id) on delete cascade,
    published_at timestamptz not null default now()
);

-- Each recomputation of a student's mastery on a topic, for the teacher's trend view.
create table progress_history (
    student_id uuid not null references users (id) on delete cascade,
    topic      text not null,
    mastery    smallint not null,
    source_id  text not null,  -- the event that changed it (a redelivery adds nothing)
    at         timestamptz not null default now(),
    primary key (student_id, topic, source_id)
);
