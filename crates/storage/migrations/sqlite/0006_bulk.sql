-- Bulk lists of people (sqlite): who was listed (health workers of a state, …), by which upload,
-- and where they are posted and live, so assignment can find sessions near them.
-- The PostgreSQL tree has the same file with the same tables; only the dialect differs.

-- One upload of a list: its progress while it runs, its counts, and the error report
-- (CSV: row, field, message) that the official downloads.
CREATE TABLE import_jobs (
    id             TEXT    PRIMARY KEY,
    kind           TEXT    NOT NULL CHECK (kind IN ('people', 'survey')),
    file_name      TEXT    NOT NULL,
    file_sha256    TEXT    NOT NULL,
    created_by     TEXT    NOT NULL,
    state_id       INTEGER,
    district_id    INTEGER,
    status         TEXT    NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    total_rows     INTEGER NOT NULL DEFAULT 0,
    processed_rows INTEGER NOT NULL DEFAULT 0,
    inserted       INTEGER NOT NULL DEFAULT 0,
    updated        INTEGER NOT NULL DEFAULT 0,
    unchanged      INTEGER NOT NULL DEFAULT 0,
    failed         INTEGER NOT NULL DEFAULT 0,
    error_report   TEXT    NOT NULL DEFAULT '',
    message        TEXT    NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL,
    finished_at    INTEGER
);
CREATE INDEX import_jobs_created ON import_jobs (created_at);

-- A listed person: one row per beneficiary, keyed by the row's ID (photo id type and keyed
-- hash), so re-running an upload updates and never duplicates.  occupation is a fact about the
-- person (health_worker, frontline_worker, other); which occupations come first is the
-- campaign policy's business.
CREATE TABLE listed_people (
    beneficiary_id  TEXT    PRIMARY KEY REFERENCES beneficiaries (id),
    list_key        TEXT    NOT NULL UNIQUE,
    occupation      TEXT    NOT NULL CHECK (occupation IN ('health_worker', 'frontline_worker', 'other')),
    employer        TEXT    NOT NULL DEFAULT '',
    employee_id     TEXT    NOT NULL DEFAULT '',
    posting_center  INTEGER,
    posting_pincode INTEGER,
    home_pincode    INTEGER,
    state_id        INTEGER NOT NULL,
    district_id     INTEGER NOT NULL,
    import_id       TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX listed_people_district ON listed_people (district_id);
CREATE INDEX listed_people_state ON listed_people (state_id);
