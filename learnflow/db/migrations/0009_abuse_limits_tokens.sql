-- Abuse limits and token revocation (issue 11). Shared by every replica of triage, so a limit
-- holds whichever replica a request lands on.

-- Token buckets: `tokens` left at `updated_at`; refilled continuously at the policy's rate.
create table rate_buckets (
    key        text primary key,            -- '<action>:<user id>'
    tokens     double precision not null,
    updated_at timestamptz not null default now()
);

-- At most N requests of one kind in flight per user (e.g. two sandbox runs): a slot is held
-- until the request ends, or until it expires when its holder crashed.
create table work_leases (
    user_id    uuid not null,
    kind       text not null,
    slot       integer not null,
    lease_id   uuid not null,
    expires_at timestamptz not null,
    primary key (user_id, kind, slot)
);

-- Failed logins per account and per client address, with the backoff they earned.
create table login_failures (
    key          text primary key,          -- 'account:<email>' | 'address:<ip>'
    failures     integer not null,
    last_failure timestamptz not null,
    locked_until timestamptz
);

-- Access tokens revoked before they expire (logout); rows are dropped once the token expired.
create table revoked_tokens (
    token_id   text primary key,            -- the JWT's jti
    user_id    uuid not null,
    revoked_at timestamptz not null default now(),
    expires_at timestamptz not null
);
create index revoked_tokens_expires_idx on revoked_tokens (expires_at);
