-- A session's stock use (postgres): written once, when the session's stock is closed, together with
-- the session_use movements it takes out of the facility's ledger.  One row per lot used; the
-- anomalies (JSON, tika_domain::inventory::Anomaly) flag sessions whose doses the opened vials
-- could not have given.  The SQLite tree has the same file.
CREATE TABLE session_reconciliations (
    session_id   TEXT    NOT NULL,
    lot_id       TEXT    NOT NULL REFERENCES vaccine_lots (id),
    point_id     TEXT    NOT NULL REFERENCES cold_chain_points (id),
    date         TEXT    NOT NULL,
    doses_given  BIGINT NOT NULL,
    vials_opened BIGINT NOT NULL,
    doses_wasted BIGINT NOT NULL,
    anomalies    TEXT    NOT NULL,
    actor        TEXT    NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (session_id, lot_id)
);
CREATE INDEX session_reconciliations_point ON session_reconciliations (point_id, date);
