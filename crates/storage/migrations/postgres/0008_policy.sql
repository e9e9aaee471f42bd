-- Campaign policy versions made in the console, and surveys of comorbidities (PostgreSQL).
-- The SQLite tree has the same file with the same tables; only the dialect differs.

-- A policy version added by a national official: in force from effective_from (always a
-- future date when added; never edited afterwards).  body is the version as JSON:
-- {"min_age_years": 12, "groups": [...], "intervals": [{"vaccine", "min_days", "max_days"}]}.
-- The pack's own versions are not stored here; the server merges both by date.
CREATE TABLE policy_versions (
    version        TEXT    PRIMARY KEY,
    effective_from TEXT    NOT NULL UNIQUE,
    body           TEXT    NOT NULL,
    based_on       TEXT,
    created_by     TEXT    NOT NULL,
    created_at     BIGINT  NOT NULL,
    note           TEXT    NOT NULL DEFAULT ''
);

-- A survey: the comorbidities a surveyor recorded for a person (codes of the pack's list,
-- comma separated; empty: none).  The latest survey sets beneficiaries.comorbidity.
-- state_id / district_id: where the person was found, for listing by area.
CREATE TABLE surveys (
    id             TEXT    PRIMARY KEY,
    beneficiary_id TEXT    NOT NULL REFERENCES beneficiaries (id),
    comorbidities  TEXT    NOT NULL,
    notes          TEXT    NOT NULL DEFAULT '',
    surveyor       TEXT    NOT NULL,
    created_by     TEXT    NOT NULL,
    source         TEXT    NOT NULL CHECK (source IN ('form', 'csv')),
    state_id       BIGINT,
    district_id    BIGINT,
    created_at     BIGINT  NOT NULL
);
CREATE INDEX surveys_beneficiary ON surveys (beneficiary_id, created_at);
CREATE INDEX surveys_district ON surveys (district_id, created_at);
CREATE INDEX surveys_created ON surveys (created_at);
