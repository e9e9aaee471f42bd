-- Assignment of listed people to sessions (sqlite): each run with its options, progress and
-- counts, and one row per person saying where they were sent and why (or why not).
-- The PostgreSQL tree has the same file with the same tables; only the dialect differs.

-- One run for an area (state_id / district_id as the official's area; NULL above it).
-- basis: which pincode people were measured from; vaccine '' = any; dry_run runs take no seats.
CREATE TABLE assignment_runs (
    id              TEXT    PRIMARY KEY,
    created_by      TEXT    NOT NULL,
    state_id        INTEGER,
    district_id     INTEGER,
    basis           TEXT    NOT NULL CHECK (basis IN ('posting', 'home')),
    date_from       TEXT    NOT NULL,
    date_until      TEXT    NOT NULL,
    vaccine         TEXT    NOT NULL DEFAULT '',
    max_km          INTEGER NOT NULL,
    dry_run         INTEGER NOT NULL DEFAULT 0,
    status          TEXT    NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    people          INTEGER NOT NULL DEFAULT 0,
    processed       INTEGER NOT NULL DEFAULT 0,
    assigned        INTEGER NOT NULL DEFAULT 0,
    unassigned      INTEGER NOT NULL DEFAULT 0,
    already_booked  INTEGER NOT NULL DEFAULT 0,
    read_ms         INTEGER NOT NULL DEFAULT 0,
    plan_ms         INTEGER NOT NULL DEFAULT 0,
    write_ms        INTEGER NOT NULL DEFAULT 0,
    message         TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    finished_at     INTEGER
);
CREATE INDEX assignment_runs_created ON assignment_runs (created_at);
CREATE INDEX assignment_runs_district ON assignment_runs (district_id, created_at);

-- One person of a run: the session (and its facility) or NULL when unassigned, the distance,
-- the person's place in the priority order, how many nearer facilities had no fitting seat,
-- the reason code with its numbers (JSON) for the page to render, and the appointment made.
CREATE TABLE assignments (
    run_id          TEXT    NOT NULL REFERENCES assignment_runs (id),
    beneficiary_id  TEXT    NOT NULL REFERENCES beneficiaries (id),
    seq             INTEGER NOT NULL,
    session_id      TEXT,
    center_id       INTEGER,
    slot            TEXT,
    distance_m      INTEGER,
    nearer_full     INTEGER NOT NULL DEFAULT 0,
    reason          TEXT    NOT NULL,
    reason_params   TEXT    NOT NULL DEFAULT '{}',
    appointment_id  TEXT,
    PRIMARY KEY (run_id, seq)
);
CREATE INDEX assignments_beneficiary ON assignments (beneficiary_id);
CREATE INDEX assignments_run_reason ON assignments (run_id, reason, seq);
