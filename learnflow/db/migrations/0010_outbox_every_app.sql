-- One outbox for every app (learnflow.outbox): each app writes the events of a request in the
-- transaction of its effect, and its relay publishes them, oldest first, through its own sidecar
-- once Kafka is reachable.

-- Which app's relay publishes the row (its sidecar, its Kafka credentials); the debrief app's
-- rows were the only ones so far.
alter table event_outbox add column app_id text not null default 'debrief';
alter table event_outbox alter column app_id drop default;
-- The order rows are published in (created_at ties within one transaction; seq does not).
-- Rows already there are numbered in the order the debrief app published them.
create sequence event_outbox_seq_seq;
alter table event_outbox add column seq bigint;
update event_outbox o set seq = n.rn
    from (select id, row_number() over (order by created_at, id) as rn from event_outbox) n
    where o.id = n.id;
select setval('event_outbox_seq_seq', coalesce((select max(seq) from event_outbox), 0) + 1, false);
alter table event_outbox alter column seq set default nextval('event_outbox_seq_seq');
alter table event_outbox alter column seq set not null;
alter sequence event_outbox_seq_seq owned by event_outbox.seq;
alter table event_outbox add column partition_key text;
alter table event_outbox add column attempts integer not null default 0;
alter table event_outbox add column last_error text;
-- a row the relay can never publish (its payload breaks the event contract): set aside with the
-- reason, so it does not hold back the rows behind it
alter table event_outbox add column failed_at timestamptz;

drop index event_outbox_pending_idx;
create index event_outbox_pending_idx on event_outbox (app_id, seq)
    where published_at is null and failed_at is null;
create index event_outbox_published_idx on event_outbox (published_at)
    where published_at is not null;
