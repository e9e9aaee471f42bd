-- Temperature monitoring (sqlite): loggers, their readings, the excursion detectors' saved state,
-- and alarms with the lots they exposed.  The PostgreSQL tree has the same file.

-- How long a reading may stay out of the band before an alarm, and how long a logger may stay
-- silent, per equipment (the defaults are ExcursionRule::FRIDGE's).
ALTER TABLE cold_chain_equipment ADD COLUMN excursion_after_ms INTEGER NOT NULL DEFAULT 600000;
ALTER TABLE cold_chain_equipment ADD COLUMN silent_after_ms    INTEGER NOT NULL DEFAULT 3600000;

-- Every device that ever published, linked or not to equipment.  The numeric id keeps the
-- readings table compact (no 36-byte text key per reading).
CREATE TABLE cold_chain_loggers (
    id           INTEGER PRIMARY KEY,
    device       TEXT    NOT NULL UNIQUE,
    first_seen   INTEGER NOT NULL,
    last_seen    INTEGER NOT NULL,
    last_battery INTEGER
);

-- One row per (logger, instant): a duplicate delivery is the same key and is ignored.
-- Temperatures in tenths of a degree Celsius.
CREATE TABLE temperature_readings (
    logger_id INTEGER NOT NULL,
    at_ms     INTEGER NOT NULL,
    tenths    INTEGER NOT NULL,
    battery   INTEGER,
    PRIMARY KEY (logger_id, at_ms)
) WITHOUT ROWID;

-- The ingester's per-equipment detector (tika_domain::coldchain::Detector as JSON), saved so
-- a restart neither forgets an excursion in progress nor re-raises an alarm.
CREATE TABLE cold_chain_detectors (
    equipment_id TEXT   PRIMARY KEY REFERENCES cold_chain_equipment (id),
    state        TEXT   NOT NULL,
    updated_at   INTEGER NOT NULL
);

-- An alarm: opened by the detector, acknowledged and closed (with an action) by a person.
-- cleared_ms is when the condition itself ended (back in band, logger heard again); an alarm
-- stays open until someone closes it.  At most one uncleared alarm per equipment and kind.
CREATE TABLE cold_chain_alarms (
    id              TEXT    PRIMARY KEY,
    equipment_id    TEXT    NOT NULL REFERENCES cold_chain_equipment (id),
    point_id        TEXT    NOT NULL REFERENCES cold_chain_points (id),
    kind            TEXT    NOT NULL CHECK (kind IN ('too_warm', 'too_cold', 'silent')),
    status          TEXT    NOT NULL CHECK (status IN ('open', 'acknowledged', 'closed')),
    since_ms        INTEGER NOT NULL,
    worst_tenths    INTEGER,
    cleared_ms      INTEGER,
    opened_at       INTEGER NOT NULL,
    acknowledged_at INTEGER,
    acknowledged_by TEXT,
    closed_at       INTEGER,
    closed_by       TEXT,
    action          TEXT,
    note            TEXT    NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX cold_chain_alarms_uncleared ON cold_chain_alarms (equipment_id, kind) WHERE cleared_ms IS NULL;
CREATE INDEX cold_chain_alarms_point ON cold_chain_alarms (point_id, status);

-- The lots in stock at the point when an excursion was raised: each is reviewed when the
-- alarm is closed (usable, quarantined or discarded).
CREATE TABLE cold_chain_alarm_lots (
    alarm_id TEXT    NOT NULL REFERENCES cold_chain_alarms (id),
    lot_id   TEXT    NOT NULL REFERENCES vaccine_lots (id),
    vials    INTEGER NOT NULL,
    review   TEXT    NOT NULL DEFAULT 'pending' CHECK (review IN ('pending', 'usable', 'quarantined', 'discarded')),
    PRIMARY KEY (alarm_id, lot_id)
);
