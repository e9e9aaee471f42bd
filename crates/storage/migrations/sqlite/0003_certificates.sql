-- Certificates (SQLite): signed certificates per dose, the revocation list, correction requests,
-- the audit log, merged and travel fields on beneficiaries, and retries of outbox events.
-- The PostgreSQL tree has the same file with the same tables; only the dialect differs.

-- A certificate is stored as its signed JSON text; storage never signs or parses it.
-- certificate_id is the 11-digit id printed on it.  One live certificate per dose and kind:
-- a reissue revokes the old one (replaced_by names its successor) before the new one lives.
CREATE TABLE certificates (
    certificate_id TEXT    PRIMARY KEY,
    vaccination_id TEXT    NOT NULL REFERENCES vaccinations (id),
    beneficiary_id TEXT    NOT NULL REFERENCES beneficiaries (id),
    dose           INTEGER NOT NULL,
    kind           TEXT    NOT NULL CHECK (kind IN ('domestic', 'international')),
    credential     TEXT    NOT NULL,
    key_id         TEXT    NOT NULL,
    issued_at      INTEGER NOT NULL,
    revoked_at     INTEGER,
    revoke_reason  TEXT,
    replaced_by    TEXT
);
CREATE UNIQUE INDEX certificates_one_live ON certificates (vaccination_id, kind) WHERE revoked_at IS NULL;
CREATE INDEX certificates_beneficiary ON certificates (beneficiary_id);

-- The published revocation list; its version is MAX(seq).
CREATE TABLE revocations (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    certificate_id TEXT    NOT NULL UNIQUE REFERENCES certificates (certificate_id),
    reason         TEXT    NOT NULL,
    revoked_at     INTEGER NOT NULL
);

-- A citizen's request to correct one field.  A field can be corrected once: one pending or
-- approved request per person and field; a rejected request does not use the chance up.
-- For a photo id, new_value is only the new last 4 characters and new_secret its keyed hash.
CREATE TABLE correction_requests (
    id             TEXT    PRIMARY KEY,
    beneficiary_id TEXT    NOT NULL REFERENCES beneficiaries (id),
    field          TEXT    NOT NULL CHECK (field IN ('name', 'birth_year', 'gender', 'photo_id')),
    old_value      TEXT    NOT NULL,
    new_value      TEXT    NOT NULL,
    new_secret     TEXT,
    reason         TEXT    NOT NULL,
    status         TEXT    NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    requested_by   TEXT    NOT NULL,
    requested_at   INTEGER NOT NULL,
    decided_by     TEXT,
    decided_at     INTEGER,
    decision_note  TEXT
);
CREATE UNIQUE INDEX correction_requests_once_per_field ON correction_requests (beneficiary_id, field) WHERE status IN ('pending', 'approved');
CREATE INDEX correction_requests_status ON correction_requests (status, requested_at);

-- Who did what to whose records (certificates, corrections, merges, travel details).
-- actor: citizen:<account> | staff:<id> | system | cli; detail: JSON without personal data.
CREATE TABLE audit_log (
    id      TEXT    PRIMARY KEY,
    at      INTEGER NOT NULL,
    actor   TEXT    NOT NULL,
    action  TEXT    NOT NULL,
    subject TEXT    NOT NULL,
    detail  TEXT    NOT NULL
);
CREATE INDEX audit_log_subject ON audit_log (subject, at);

-- A record merged into another stays for history, hidden; dob and passport are optional and
-- only printed on the international certificate.
ALTER TABLE beneficiaries ADD COLUMN merged_into TEXT;
ALTER TABLE beneficiaries ADD COLUMN dob TEXT;
ALTER TABLE beneficiaries ADD COLUMN passport TEXT;

-- Consumers retry a failed event with backoff: not before available_at.
ALTER TABLE outbox_events ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox_events ADD COLUMN last_error TEXT;
ALTER TABLE outbox_events ADD COLUMN available_at INTEGER NOT NULL DEFAULT 0;
