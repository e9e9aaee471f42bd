-- Tika core schema (PostgreSQL).  The SQLite tree has a file of the same name with the same
-- tables, columns and indexes; only the dialect differs.  Never edit an applied migration.
-- Conventions: ids are TEXT (UUID) except CoWIN's integer place ids; timestamps are
-- BIGINT  unix milliseconds; dates are TEXT YYYY-MM-DD; flags are BIGINT  0/1.

CREATE TABLE centers (
    id          BIGINT PRIMARY KEY,
    name        TEXT    NOT NULL,
    name_l      TEXT    NOT NULL DEFAULT '',
    address     TEXT    NOT NULL,
    block_name  TEXT    NOT NULL,
    district_id BIGINT  NOT NULL,
    state_id    BIGINT  NOT NULL,
    pincode     BIGINT  NOT NULL,
    lat         DOUBLE PRECISION,
    lon         DOUBLE PRECISION,
    open_time   TEXT    NOT NULL,
    close_time  TEXT    NOT NULL,
    fee_type    TEXT    NOT NULL CHECK (fee_type IN ('Free', 'Paid')),
    active      BIGINT  NOT NULL DEFAULT 1,
    created_at  BIGINT  NOT NULL
);
CREATE INDEX centers_district ON centers (district_id);
CREATE INDEX centers_pincode ON centers (pincode);

CREATE TABLE sessions (
    id             TEXT    PRIMARY KEY,
    center_id      BIGINT  NOT NULL REFERENCES centers (id),
    date           TEXT    NOT NULL,
    vaccine        TEXT    NOT NULL,
    min_age        BIGINT  NOT NULL,
    max_age        BIGINT,
    fee            TEXT    NOT NULL,
    capacity_dose1 BIGINT  NOT NULL CHECK (capacity_dose1 >= 0),
    capacity_dose2 BIGINT  NOT NULL CHECK (capacity_dose2 >= 0),
    booked_dose1   BIGINT  NOT NULL DEFAULT 0,
    booked_dose2   BIGINT  NOT NULL DEFAULT 0,
    slots          TEXT    NOT NULL,
    status         TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'cancelled')),
    updated_at     BIGINT  NOT NULL,
    CHECK (booked_dose1 >= 0 AND booked_dose1 <= capacity_dose1),
    CHECK (booked_dose2 >= 0 AND booked_dose2 <= capacity_dose2)
);
CREATE INDEX sessions_date ON sessions (date);
CREATE INDEX sessions_center_date ON sessions (center_id, date);
CREATE INDEX sessions_updated ON sessions (updated_at);

CREATE TABLE accounts (
    id         TEXT    PRIMARY KEY,
    mobile     TEXT    NOT NULL UNIQUE,
    language   TEXT    NOT NULL DEFAULT 'en',
    created_at BIGINT  NOT NULL
);

CREATE TABLE otp_txns (
    id         TEXT    PRIMARY KEY,
    mobile     TEXT    NOT NULL,
    otp_hash   TEXT    NOT NULL,
    scope      TEXT    NOT NULL,
    created_at BIGINT  NOT NULL,
    attempts   BIGINT  NOT NULL DEFAULT 0,
    consumed   BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX otp_txns_mobile_created ON otp_txns (mobile, created_at);

CREATE TABLE beneficiaries (
    id             TEXT    PRIMARY KEY,
    reference_id   TEXT    NOT NULL UNIQUE,
    account_id     TEXT    NOT NULL REFERENCES accounts (id),
    name           TEXT    NOT NULL,
    birth_year     BIGINT  NOT NULL,
    gender_id      BIGINT  NOT NULL,
    photo_id_type  BIGINT  NOT NULL,
    photo_id_hash  TEXT    NOT NULL,
    photo_id_last4 TEXT    NOT NULL,
    comorbidity    BIGINT  NOT NULL DEFAULT 0,
    created_at     BIGINT  NOT NULL,
    deleted_at     BIGINT
);
CREATE INDEX beneficiaries_account ON beneficiaries (account_id);
CREATE UNIQUE INDEX beneficiaries_photo_id ON beneficiaries (photo_id_type, photo_id_hash) WHERE deleted_at IS NULL;

CREATE TABLE appointments (
    id             TEXT    PRIMARY KEY,
    booking_id     TEXT    NOT NULL,
    beneficiary_id TEXT    NOT NULL REFERENCES beneficiaries (id),
    account_id     TEXT    NOT NULL REFERENCES accounts (id),
    session_id     TEXT    NOT NULL REFERENCES sessions (id),
    dose           BIGINT  NOT NULL,
    slot           TEXT    NOT NULL,
    security_code  TEXT    NOT NULL,
    policy_version TEXT    NOT NULL,
    status         TEXT    NOT NULL CHECK (status IN ('booked', 'cancelled', 'completed')),
    created_at     BIGINT  NOT NULL,
    updated_at     BIGINT  NOT NULL
);
CREATE INDEX appointments_booking ON appointments (booking_id);
CREATE INDEX appointments_session ON appointments (session_id);
CREATE INDEX appointments_beneficiary ON appointments (beneficiary_id);
CREATE UNIQUE INDEX appointments_one_active_per_dose ON appointments (beneficiary_id, dose) WHERE status = 'booked';

CREATE TABLE vaccinations (
    id             TEXT    PRIMARY KEY,
    beneficiary_id TEXT    NOT NULL REFERENCES beneficiaries (id),
    dose           BIGINT  NOT NULL,
    vaccine        TEXT    NOT NULL,
    date           TEXT    NOT NULL,
    center_id      BIGINT,
    created_at     BIGINT  NOT NULL
);
CREATE UNIQUE INDEX vaccinations_beneficiary_dose ON vaccinations (beneficiary_id, dose);
