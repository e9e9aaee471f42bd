-- The officials' console (SQLite): officials and their areas, facility details the console
-- manages, recurring session plans, walk-in rules, and the audit log's place and before/after.
-- The PostgreSQL tree has the same file with the same tables; only the dialect differs.

-- An official's area is stored as its parts: national (no place), state, district, block
-- (district + block name) or facility (its state, district and block too).
CREATE TABLE admins (
    id            TEXT    PRIMARY KEY,
    username      TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    mobile        TEXT,
    level         TEXT    NOT NULL CHECK (level IN ('national', 'state', 'district', 'block', 'facility')),
    state_id      INTEGER,
    district_id   INTEGER,
    block_name    TEXT,
    center_id     INTEGER,
    password_hash TEXT    NOT NULL,
    active        INTEGER NOT NULL DEFAULT 1,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until  INTEGER NOT NULL DEFAULT 0,
    auth_epoch    INTEGER NOT NULL DEFAULT 0,
    created_by    TEXT,
    created_at    INTEGER NOT NULL
);
CREATE INDEX admins_state ON admins (state_id);
CREATE INDEX admins_district ON admins (district_id);

-- Facility details: government or private, fees per vaccine (COVISHIELD=780;COVAXIN=1410),
-- the cold chain point that supplies it, and when the details last changed.
ALTER TABLE centers ADD COLUMN kind TEXT NOT NULL DEFAULT 'government' CHECK (kind IN ('government', 'private'));
ALTER TABLE centers ADD COLUMN fees TEXT NOT NULL DEFAULT '';
ALTER TABLE centers ADD COLUMN cold_chain_point TEXT NOT NULL DEFAULT '';
ALTER TABLE centers ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;
UPDATE centers SET kind = 'private' WHERE fee_type = 'Paid';
CREATE INDEX centers_state ON centers (state_id);

-- Whether the site takes walk-ins, and the plan that created the session.
ALTER TABLE sessions ADD COLUMN walk_ins INTEGER NOT NULL DEFAULT 1;
ALTER TABLE sessions ADD COLUMN plan_id TEXT;

-- A recurring plan: one session on each chosen weekday (0 = Monday) from date_from to
-- date_until; slots is the JSON list of slot labels, created_by the actor.
CREATE TABLE session_plans (
    id             TEXT    PRIMARY KEY,
    center_id      INTEGER NOT NULL REFERENCES centers (id),
    vaccine        TEXT    NOT NULL,
    date_from      TEXT    NOT NULL,
    date_until     TEXT    NOT NULL,
    weekdays       TEXT    NOT NULL,
    min_age        INTEGER NOT NULL,
    max_age        INTEGER,
    capacity_dose1 INTEGER NOT NULL,
    capacity_dose2 INTEGER NOT NULL,
    slots          TEXT    NOT NULL,
    walk_ins       INTEGER NOT NULL,
    fee            TEXT    NOT NULL,
    created_by     TEXT    NOT NULL,
    created_at     INTEGER NOT NULL
);
CREATE INDEX session_plans_center ON session_plans (center_id);

-- Where a change happened (for the area filter) and the record before and after (JSON).
-- Older rows (certificates, corrections) have no place: only national officials see them.
ALTER TABLE audit_log ADD COLUMN state_id INTEGER;
ALTER TABLE audit_log ADD COLUMN district_id INTEGER;
ALTER TABLE audit_log ADD COLUMN block_name TEXT;
ALTER TABLE audit_log ADD COLUMN center_id INTEGER;
ALTER TABLE audit_log ADD COLUMN before_json TEXT;
ALTER TABLE audit_log ADD COLUMN after_json TEXT;
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_district_at ON audit_log (district_id, at);
