-- Enrollment: classes students join with a code, within a cap, while open (learnflow.db.repos.
-- enrollment); the enrollment workflow's class figures. A removed student keeps their row
-- (removed_at set) so their past work stays in the teacher's reports.

create table class_admissions (
    class_id   uuid primary key references classes (id) on delete cascade,
    join_code  text not null,
    capacity   integer not null default 30,
    closed_at  timestamptz,
    updated_at timestamptz not null default now(),
    constraint class_admissions_join_code_key unique (join_code),
    constraint class_admissions_join_code_check check (join_code ~ '^[A-Z2-9]{4}-[A-Z2-9]{4}$'),
    constraint class_admissions_capacity_check check (capacity between 1 and 500)
);

alter table enrollments add column removed_at timestamptz;
alter table enrollments add column join_id uuid;  -- the join that started the enrollment workflow
create index enrollments_active_class_idx on enrollments (class_id) where removed_at is null;

-- Written only by the enrollment workflow (recomputed from enrollments, so a replay is harmless).
create table class_figures (
    class_id      uuid primary key references classes (id) on delete cascade,
    enrolled      integer not null default 0,
    removed       integer not null default 0,
    welcomed      integer not null default 0,
    last_join_at  timestamptz,
    updated_at    timestamptz not null default now()
);
