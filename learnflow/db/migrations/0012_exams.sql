-- Timed exams (learnflow.db.repos.exams): a teacher's exam for one class, each student's one
-- attempt (run by the session workflow `session-<attempt id>` in mode "exam"), and the result of
-- every item, written once by the workflow when it submits (at the deadline or on request).

create table exams (
    id           uuid primary key default gen_random_uuid(),
    class_id     uuid not null references classes (id) on delete cascade,
    teacher_id   uuid not null references users (id),
    title        text not null,
    items        jsonb not null,          -- [{"kind": "quiz"|"exercise", "id": "..."}], in order
    time_limit_s integer not null,
    opens_at     timestamptz not null,
    closes_at    timestamptz not null,
    created_at   timestamptz not null default now(),
    constraint exams_title_check check (length(title) between 1 and 120),
    constraint exams_time_limit_check check (time_limit_s between 10 and 21600),
    constraint exams_window_check check (closes_at > opens_at)
);
create index exams_class_idx on exams (class_id);

create table exam_attempts (
    id            uuid primary key,       -- also the session id of its workflow
    exam_id       uuid not null references exams (id) on delete cascade,
    student_id    uuid not null references users (id),
    started_at    timestamptz not null,
    deadline      timestamptz not null,
    submitted_at  timestamptz,
    submit_reason text,
    score         integer,
    total         integer,
    constraint exam_attempts_once unique (exam_id, student_id)
);

create table exam_item_results (
    attempt_id    uuid not null references exam_attempts (id) on delete cascade,
    position      integer not null,
    item_id       text not null,
    kind          text not null,
    answered      boolean not null,
    correct       boolean not null,
    choice        integer,                -- quiz: the choice given (0-based)
    submission_id uuid,                   -- exercise: the submission graded
    tests_passed  integer,
    tests_total   integer,
    message       text,
    primary key (attempt_id, item_id)
);
