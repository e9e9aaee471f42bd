-- Vaccination sites (PostgreSQL): staff, batches issued to facilities, the site-sync journal, the
-- review queue, arrivals, AEFI reports, undos, the access log and the durable event outbox.
-- The SQLite tree has the same file with the same tables; only the dialect differs.

CREATE TABLE staff (
    id            TEXT    PRIMARY KEY,
    center_id     BIGINT  NOT NULL REFERENCES centers (id),
    username      TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    mobile        TEXT,
    role          TEXT    NOT NULL CHECK (role IN ('vaccinator', 'facility_admin')),
    password_hash TEXT    NOT NULL,
    active        BIGINT  NOT NULL DEFAULT 1,
    failed_logins BIGINT  NOT NULL DEFAULT 0,
    locked_until  BIGINT  NOT NULL DEFAULT 0,
    created_at    BIGINT  NOT NULL
);
CREATE INDEX staff_center ON staff (center_id);

CREATE TABLE vaccine_batches (
    center_id      BIGINT  NOT NULL REFERENCES centers (id),
    batch          TEXT    NOT NULL,
    vaccine        TEXT    NOT NULL,
    expiry         TEXT    NOT NULL,
    doses_per_vial BIGINT  NOT NULL CHECK (doses_per_vial > 0),
    issued_at      BIGINT  NOT NULL,
    PRIMARY KEY (center_id, batch)
);

-- Doses recorded at sites carry where, with what and by whom; an undone dose stays, voided.
ALTER TABLE vaccinations ADD COLUMN session_id TEXT;
ALTER TABLE vaccinations ADD COLUMN batch TEXT;
ALTER TABLE vaccinations ADD COLUMN vaccinator_id TEXT;
ALTER TABLE vaccinations ADD COLUMN given_at BIGINT;
ALTER TABLE vaccinations ADD COLUMN walk_in BIGINT  NOT NULL DEFAULT 0;
ALTER TABLE vaccinations ADD COLUMN voided_at BIGINT;
ALTER TABLE vaccinations ADD COLUMN void_reason TEXT;
DROP INDEX vaccinations_beneficiary_dose;
CREATE UNIQUE INDEX vaccinations_beneficiary_dose ON vaccinations (beneficiary_id, dose) WHERE voided_at IS NULL;
CREATE INDEX vaccinations_session ON vaccinations (session_id);

-- Walk-ins registered without a mobile belong to their facility's assisted account.
ALTER TABLE beneficiaries ADD COLUMN registered_at_center BIGINT;

CREATE TABLE beneficiary_aliases (
    alias_id       TEXT PRIMARY KEY,
    beneficiary_id TEXT NOT NULL REFERENCES beneficiaries (id)
);

CREATE TABLE arrivals (
    session_id     TEXT    NOT NULL,
    beneficiary_id TEXT    NOT NULL,
    arrived_at     BIGINT  NOT NULL,
    PRIMARY KEY (session_id, beneficiary_id)
);

CREATE TABLE aefi_reports (
    id             TEXT    PRIMARY KEY,
    vaccination_id TEXT    NOT NULL,
    center_id      BIGINT  NOT NULL,
    severity       TEXT    NOT NULL CHECK (severity IN ('none', 'minor', 'serious')),
    symptoms       TEXT    NOT NULL,
    notes          TEXT    NOT NULL,
    staff_id       TEXT    NOT NULL,
    observed_at    BIGINT  NOT NULL,
    created_at     BIGINT  NOT NULL
);
CREATE INDEX aefi_reports_vaccination ON aefi_reports (vaccination_id);

-- One undo per dose; kept even when it arrived before its dose (then the dose is stored voided).
CREATE TABLE dose_undos (
    vaccination_id TEXT    PRIMARY KEY,
    reason         TEXT    NOT NULL,
    staff_id       TEXT    NOT NULL,
    undone_at      BIGINT  NOT NULL
);

-- Replays: the saved answer of every upload, by idempotency key.
CREATE TABLE sync_uploads (
    idempotency_key TEXT    PRIMARY KEY,
    staff_id        TEXT    NOT NULL,
    device_id       TEXT    NOT NULL,
    body_hash       TEXT    NOT NULL,
    answer          TEXT    NOT NULL,
    created_at      BIGINT  NOT NULL
);

-- Exactly once: every record id ever applied, with its first result.
CREATE TABLE sync_records (
    record_id  TEXT    PRIMARY KEY,
    kind       TEXT    NOT NULL,
    session_id TEXT    NOT NULL,
    center_id  BIGINT  NOT NULL,
    upload_key TEXT    NOT NULL,
    result     TEXT    NOT NULL,
    created_at BIGINT  NOT NULL
);
CREATE INDEX sync_records_session ON sync_records (session_id);

CREATE TABLE sync_reviews (
    id              TEXT    PRIMARY KEY,
    record_id       TEXT    NOT NULL UNIQUE,
    center_id       BIGINT  NOT NULL,
    session_id      TEXT    NOT NULL,
    code            TEXT    NOT NULL,
    record          TEXT    NOT NULL,
    staff_id        TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('open', 'accepted', 'discarded')),
    resolution_note TEXT,
    resolved_by     TEXT,
    created_at      BIGINT  NOT NULL,
    resolved_at     BIGINT
);
CREATE INDEX sync_reviews_center_status ON sync_reviews (center_id, status);
CREATE INDEX sync_reviews_session ON sync_reviews (session_id);

-- Durable events written in the same transaction as what they announce (transactional outbox).
CREATE TABLE outbox_events (
    id           TEXT    PRIMARY KEY,
    kind         TEXT    NOT NULL,
    subject_id   TEXT    NOT NULL,
    payload      TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL,
    processed_at BIGINT
);
CREATE INDEX outbox_events_pending ON outbox_events (created_at) WHERE processed_at IS NULL;

-- Who looked at which session's people (staff reads of personal data).
CREATE TABLE access_log (
    id         TEXT    PRIMARY KEY,
    staff_id   TEXT    NOT NULL,
    center_id  BIGINT  NOT NULL,
    session_id TEXT,
    action     TEXT    NOT NULL,
    detail     TEXT    NOT NULL,
    at         BIGINT  NOT NULL
);
CREATE INDEX access_log_staff ON access_log (staff_id, at);
