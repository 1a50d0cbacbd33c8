-- The live state of each learning session (learnflow.db.repos.session_live): what the learner's
-- events have added up to so far, folded in by `learnflow.workflows.session.apply_event` under a
-- row lock. Learner events land here instead of on the session workflow, which reads this row
-- when it wakes (timers, grading, finalize). `closed_at` is set when the workflow starts to
-- finalize: from then on the row takes no event (the tally it graded is the tally shown).

create table session_live (
    session_id  text primary key,
    student_id  text not null,
    state       jsonb not null,           -- learnflow.workflows.models.SessionState
    updated_at  timestamptz not null default now(),
    closed_at   timestamptz
);
create index session_live_student_idx on session_live (student_id);
