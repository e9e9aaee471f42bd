-- Reports (postgres): doses counted into roll-ups, so no report ever scans the doses.
--
-- A dose is counted by the roll-up job (tika_server::services::reports), not by the statements
-- that record it: every dose row starts with rollup_pending = 1 (the column's default, so every
-- path that inserts a dose is covered), and an undo or a merge sets it again.  The job reads the
-- pending rows, computes the key each live dose counts under (tika_domain::reports::RollupKey),
-- subtracts the key a dose was counted under before (rollup_key) and adds the new one, in one
-- transaction with the counters.  A void therefore subtracts exactly what was added, whatever
-- has happened to the facility since.  The SQLite tree has the same file.
ALTER TABLE vaccinations ADD COLUMN rollup_key TEXT;
ALTER TABLE vaccinations ADD COLUMN rollup_pending BIGINT NOT NULL DEFAULT 1;
CREATE INDEX vaccinations_rollup_pending ON vaccinations (id) WHERE rollup_pending = 1;

-- The pending-second-dose key a person is counted under (NULL: not waiting for a second dose).
ALTER TABLE beneficiaries ADD COLUMN pending_second_key TEXT;

-- People whose doses moved to someone else (a merge): their pending-second-dose count is
-- recomputed by the next roll-up round.
CREATE TABLE rpt_recheck (
    beneficiary_id TEXT PRIMARY KEY
);

-- Counters: one table per grain (area level x day or month), full (every dimension) or lite
-- (vaccine and dose only).  A report reads the smallest table that has what it asks for; month
-- tables give the cumulative figures without summing years of days.
CREATE TABLE rpt_center_day (
    center_id      BIGINT  NOT NULL,
    state_id       BIGINT  NOT NULL,
    district_id    BIGINT  NOT NULL,
    block          TEXT    NOT NULL,
    day            TEXT    NOT NULL,
    vaccine        TEXT    NOT NULL,
    dose           TEXT    NOT NULL,
    doses          BIGINT  NOT NULL,
    PRIMARY KEY (center_id, day, vaccine, dose, state_id, district_id, block)
);
CREATE INDEX rpt_center_day_district ON rpt_center_day (district_id, block, day);
CREATE TABLE rpt_center_month (
    center_id      BIGINT  NOT NULL,
    state_id       BIGINT  NOT NULL,
    district_id    BIGINT  NOT NULL,
    block          TEXT    NOT NULL,
    month          TEXT    NOT NULL,
    vaccine        TEXT    NOT NULL,
    dose           TEXT    NOT NULL,
    doses          BIGINT  NOT NULL,
    PRIMARY KEY (center_id, month, vaccine, dose, state_id, district_id, block)
);
CREATE INDEX rpt_center_month_district ON rpt_center_month (district_id, block, month);
CREATE TABLE rpt_district_day (
    district_id    BIGINT  NOT NULL,
    state_id       BIGINT  NOT NULL,
    day            TEXT    NOT NULL,
    vaccine        TEXT    NOT NULL,
    dose           TEXT    NOT NULL,
    age_group      TEXT    NOT NULL,
    gender_id      BIGINT  NOT NULL,
    priority_group TEXT    NOT NULL,
    ownership      TEXT    NOT NULL,
    setting        TEXT    NOT NULL,
    doses          BIGINT  NOT NULL,
    PRIMARY KEY (district_id, day, vaccine, dose, age_group, gender_id, priority_group, ownership, setting, state_id)
);
CREATE INDEX rpt_district_day_state ON rpt_district_day (state_id, day, district_id, vaccine, dose, age_group, gender_id, priority_group, ownership, setting, doses);
CREATE TABLE rpt_district_month (
    district_id    BIGINT  NOT NULL,
    state_id       BIGINT  NOT NULL,
    month          TEXT    NOT NULL,
    vaccine        TEXT    NOT NULL,
    dose           TEXT    NOT NULL,
    age_group      TEXT    NOT NULL,
    gender_id      BIGINT  NOT NULL,
    priority_group TEXT    NOT NULL,
    ownership      TEXT    NOT NULL,
    setting        TEXT    NOT NULL,
    doses          BIGINT  NOT NULL,
    PRIMARY KEY (district_id, month, vaccine, dose, age_group, gender_id, priority_group, ownership, setting, state_id)
);
CREATE INDEX rpt_district_month_state ON rpt_district_month (state_id, month, district_id, vaccine, dose, age_group, gender_id, priority_group, ownership, setting, doses);
CREATE TABLE rpt_district_day_lite (
    district_id    BIGINT  NOT NULL,
    state_id       BIGINT  NOT NULL,
    day            TEXT    NOT NULL,
    vaccine        TEXT    NOT NULL,
    dose           TEXT    NOT NULL,
    doses          BIGINT  NOT NULL,
    PRIMARY KEY (district_id, day, vaccine, dose, state_id)
);
CREATE INDEX rpt_district_day_lite_state ON rpt_district_day_lite (state_id, day, district_id, vaccine, dose, doses);
CREATE TABLE rpt_district_month_lite (
    district_id    BIGINT  NOT NULL,
    state_id       BIGINT  NOT NULL,
    month          TEXT    NOT NULL,
    vaccine        TEXT    NOT NULL,
    dose           TEXT    NOT NULL,
    doses          BIGINT  NOT NULL,
    PRIMARY KEY (district_id, month, vaccine, dose, state_id)
);
CREATE INDEX rpt_district_month_lite_state ON rpt_district_month_lite (state_id, month, district_id, vaccine, dose, doses);
CREATE TABLE rpt_state_day (
    state_id       BIGINT  NOT NULL,
    day            TEXT    NOT NULL,
    vaccine        TEXT    NOT NULL,
    dose           TEXT    NOT NULL,
    age_group      TEXT    NOT NULL,
    gender_id      BIGINT  NOT NULL,
    priority_group TEXT    NOT NULL,
    ownership      TEXT    NOT NULL,
    setting        TEXT    NOT NULL,
    doses          BIGINT  NOT NULL,
    PRIMARY KEY (state_id, day, vaccine, dose, age_group, gender_id, priority_group, ownership, setting)
);
CREATE INDEX rpt_state_day_day ON rpt_state_day (day, state_id, vaccine, dose, age_group, gender_id, priority_group, ownership, setting, doses);
CREATE TABLE rpt_state_month (
    state_id       BIGINT  NOT NULL,
    month          TEXT    NOT NULL,
    vaccine        TEXT    NOT NULL,
    dose           TEXT    NOT NULL,
    age_group      TEXT    NOT NULL,
    gender_id      BIGINT  NOT NULL,
    priority_group TEXT    NOT NULL,
    ownership      TEXT    NOT NULL,
    setting        TEXT    NOT NULL,
    doses          BIGINT  NOT NULL,
    PRIMARY KEY (state_id, month, vaccine, dose, age_group, gender_id, priority_group, ownership, setting)
);
CREATE INDEX rpt_state_month_month ON rpt_state_month (month, state_id, vaccine, dose, age_group, gender_id, priority_group, ownership, setting, doses);
CREATE TABLE rpt_state_day_lite (
    state_id       BIGINT  NOT NULL,
    day            TEXT    NOT NULL,
    vaccine        TEXT    NOT NULL,
    dose           TEXT    NOT NULL,
    doses          BIGINT  NOT NULL,
    PRIMARY KEY (state_id, day, vaccine, dose)
);
CREATE INDEX rpt_state_day_lite_day ON rpt_state_day_lite (day, state_id, vaccine, dose, doses);
CREATE TABLE rpt_state_month_lite (
    state_id       BIGINT  NOT NULL,
    month          TEXT    NOT NULL,
    vaccine        TEXT    NOT NULL,
    dose           TEXT    NOT NULL,
    doses          BIGINT  NOT NULL,
    PRIMARY KEY (state_id, month, vaccine, dose)
);
CREATE INDEX rpt_state_month_lite_month ON rpt_state_month_lite (month, state_id, vaccine, dose, doses);

-- People waiting for their second dose, under their first dose's day, place and vaccine.
CREATE TABLE rpt_pending_center (
    center_id      BIGINT NOT NULL,
    first_day      TEXT    NOT NULL,
    state_id       BIGINT NOT NULL,
    district_id    BIGINT NOT NULL,
    block          TEXT    NOT NULL,
    vaccine        TEXT    NOT NULL,
    people         BIGINT NOT NULL,
    PRIMARY KEY (center_id, first_day, vaccine, state_id, district_id, block)
);
CREATE INDEX rpt_pending_center_district ON rpt_pending_center (district_id, block);
CREATE TABLE rpt_pending_district (
    district_id    BIGINT NOT NULL,
    first_day      TEXT    NOT NULL,
    state_id       BIGINT NOT NULL,
    vaccine        TEXT    NOT NULL,
    people         BIGINT NOT NULL,
    PRIMARY KEY (district_id, first_day, vaccine, state_id)
);
CREATE INDEX rpt_pending_district_state ON rpt_pending_district (state_id);
CREATE TABLE rpt_pending_state (
    state_id       BIGINT NOT NULL,
    first_day      TEXT    NOT NULL,
    vaccine        TEXT    NOT NULL,
    people         BIGINT NOT NULL,
    PRIMARY KEY (state_id, first_day, vaccine)
);

-- Eligible population per area (the denominator of coverage), replaced as a whole by an upload.
CREATE TABLE report_targets (
    state_id       BIGINT NOT NULL,
    district_id    BIGINT NOT NULL,
    block          TEXT    NOT NULL,
    age_group      TEXT    NOT NULL,
    dose           TEXT    NOT NULL,
    population     BIGINT NOT NULL CHECK (population > 0),
    uploaded_at    BIGINT NOT NULL,
    uploaded_by    TEXT    NOT NULL,
    PRIMARY KEY (state_id, district_id, block, age_group, dose)
);
