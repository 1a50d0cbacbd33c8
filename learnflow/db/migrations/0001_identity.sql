-- Users, classes and enrollments.
create table users (
    id            uuid primary key default gen_random_uuid(),
    email         text not null,
    display_name  text not null,
    role          text not null,
    password_hash text not null,
    created_at    timestamptz not null default now(),
    constraint users_email_key unique (email),
    constraint users_email_check check (email = lower(btrim(email)) and email like '_%@_%'),
    constraint users_display_name_check check (length(btrim(display_name)) > 0),
    constraint users_role_check check (role in ('student', 'teacher', 'admin'))
);

create table classes (
    id         uuid primary key default gen_random_uuid(),
    name       text not null,
    teacher_id uuid not null references users (id) on delete restrict,
    created_at timestamptz not null default now(),
    constraint classes_name_check check (length(btrim(name)) > 0),
    constraint classes_teacher_name_key unique (teacher_id, name)
);

create table enrollments (
    class_id    uuid not null references classes (id) on delete cascade,
    student_id  uuid not null references users (id) on delete cascade,
    enrolled_at timestamptz not null default now(),
    primary key (class_id, student_id)
);
create index enrollments_student_idx on enrollments (student_id);
