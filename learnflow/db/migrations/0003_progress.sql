-- Progress per student per topic, and the attempts mastery is computed from.
-- Scores are 0-100 with two decimals; `mastery` is the rounded integer (learnflow.progress.mastery).
-- Activity rows default created_at to clock_timestamp() (not the transaction's now()) so rows
-- written in one transaction keep their order; consumers pass the event's own time instead.
create table progress (
    student_id         uuid not null references users (id) on delete cascade,
    topic              text not null,
    exercise_score     numeric(5, 2) not null default 0,
    quiz_score         numeric(5, 2) not null default 0,
    code_quality_score numeric(5, 2) not null default 0,
    streak_days        integer not null default 0,
    last_activity_at   timestamptz,
    mastery            smallint not null default 0,
    level              text not null default 'beginner',
    updated_at         timestamptz not null default now(),
    primary key (student_id, topic),
    constraint progress_scores_check check (
        exercise_score between 0 and 100
        and quiz_score between 0 and 100
        and code_quality_score between 0 and 100
    ),
    constraint progress_streak_check check (streak_days >= 0),
    constraint progress_mastery_check check (mastery between 0 and 100),
    -- the level always agrees with the mastery (same boundaries as learnflow.progress.mastery)
    constraint progress_level_check check (
        level = case
            when mastery <= 40 then 'beginner'
            when mastery <= 70 then 'learning'
            when mastery <= 90 then 'proficient'
            else 'mastered'
        end
    )
);

create table code_submissions (
    id             uuid primary key default gen_random_uuid(),
    student_id     uuid not null references users (id) on delete cascade,
    exercise_id    text,           -- null for free runs in the editor
    topic          text,
    code           text not null,
    status         text not null,  -- the code runner's status (ok, error, timeout, ...)
    passed         boolean,        -- graded runs: did every test pass
    stdout_excerpt text not null default '',
    stderr_excerpt text not null default '',
    duration_ms    integer,
    error_type     text,           -- e.g. TypeError, AssertionError, timeout
    event_id       text unique,    -- the code.executed event it came from
    created_at     timestamptz not null default clock_timestamp(),
    constraint code_submissions_status_check check (length(status) > 0),
    constraint code_submissions_duration_check check (duration_ms >= 0)
);
create index code_submissions_student_idx on code_submissions (student_id, created_at desc);
create index code_submissions_exercise_idx on code_submissions (student_id, exercise_id);

-- The tutor's code review of a submission: its quality_score feeds the code-quality component.
create table code_reviews (
    id            uuid primary key default gen_random_uuid(),
    submission_id uuid references code_submissions (id) on delete cascade,
    student_id    uuid not null references users (id) on delete cascade,
    topic         text not null,
    quality_score numeric(5, 2) not null,
    correctness   numeric(5, 2),
    style         numeric(5, 2),
    efficiency    numeric(5, 2),
    readability   numeric(5, 2),
    feedback      text not null default '',
    event_id      text unique,
    created_at    timestamptz not null default clock_timestamp(),
    constraint code_reviews_scores_check check (
        quality_score between 0 and 100
        and (correctness is null or correctness between 0 and 100)
        and (style is null or style between 0 and 100)
        and (efficiency is null or efficiency between 0 and 100)
        and (readability is null or readability between 0 and 100)
    )
);
create index code_reviews_student_topic_idx on code_reviews (student_id, topic, created_at);

create table exercise_attempts (
    id            uuid primary key default gen_random_uuid(),
    student_id    uuid not null references users (id) on delete cascade,
    exercise_id   text not null,
    topic         text not null,
    submission_id uuid references code_submissions (id) on delete set null,
    passed        boolean not null,
    score         numeric(5, 2) not null,
    tests_passed  integer not null default 0,
    tests_total   integer not null default 0,
    event_id      text unique,     -- the exercise.graded event it came from
    created_at    timestamptz not null default clock_timestamp(),
    constraint exercise_attempts_score_check check (score between 0 and 100),
    constraint exercise_attempts_tests_check check (
        tests_total >= 0 and tests_passed between 0 and tests_total
    )
);
create index exercise_attempts_student_topic_idx on exercise_attempts (student_id, topic);

create table quiz_attempts (
    id         uuid primary key default gen_random_uuid(),
    student_id uuid not null references users (id) on delete cascade,
    topic      text not null,
    quiz_id    text not null,
    score      integer not null,
    total      integer not null,
    answers    jsonb,
    event_id   text unique,
    created_at timestamptz not null default clock_timestamp(),
    constraint quiz_attempts_score_check check (total > 0 and score between 0 and total)
);
create index quiz_attempts_student_topic_idx on quiz_attempts (student_id, topic);
