-- Vaccine inventory (sqlite): cold chain points and their equipment, vaccine lots, and each
-- point's append-only stock ledger.  stock_on_hand is the ledger summed per point and lot,
-- written in the same transaction as each movement; its CHECK keeps stock from going
-- negative even if a rule upstream were wrong.  The PostgreSQL tree has the same file.

CREATE TABLE cold_chain_points (
    id          TEXT    PRIMARY KEY,
    name        TEXT    NOT NULL,
    level       TEXT    NOT NULL CHECK (level IN ('state_store', 'regional_store', 'district_store', 'facility')),
    state_id    INTEGER NOT NULL,
    district_id INTEGER,
    center_id   INTEGER REFERENCES centers (id),
    active      INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL
);
CREATE INDEX cold_chain_points_area ON cold_chain_points (state_id, district_id);
CREATE UNIQUE INDEX cold_chain_points_center ON cold_chain_points (center_id) WHERE center_id IS NOT NULL;

-- Refrigerators and freezers of a point, each with its allowed band (tenths of °C) and the
-- temperature logger (device code) that reports for it.
CREATE TABLE cold_chain_equipment (
    id            TEXT    PRIMARY KEY,
    point_id      TEXT    NOT NULL REFERENCES cold_chain_points (id),
    kind          TEXT    NOT NULL CHECK (kind IN ('ilr', 'deep_freezer', 'walk_in_cooler', 'walk_in_freezer', 'refrigerator')),
    label         TEXT    NOT NULL,
    min_tenths    INTEGER NOT NULL,
    max_tenths    INTEGER NOT NULL,
    logger_device TEXT    UNIQUE,
    created_at    INTEGER NOT NULL,
    CHECK (min_tenths <= max_tenths)
);
CREATE INDEX cold_chain_equipment_point ON cold_chain_equipment (point_id);

-- A lot: one batch of one vaccine (unique together).
CREATE TABLE vaccine_lots (
    id             TEXT    PRIMARY KEY,
    vaccine        TEXT    NOT NULL,
    batch          TEXT    NOT NULL,
    manufacturer   TEXT    NOT NULL,
    expiry         TEXT    NOT NULL,
    doses_per_vial INTEGER NOT NULL CHECK (doses_per_vial > 0),
    created_at     INTEGER NOT NULL,
    UNIQUE (vaccine, batch)
);

-- The ledger: never updated or deleted.  delta is signed vials.
CREATE TABLE stock_movements (
    id             TEXT    PRIMARY KEY,
    point_id       TEXT    NOT NULL REFERENCES cold_chain_points (id),
    lot_id         TEXT    NOT NULL REFERENCES vaccine_lots (id),
    kind           TEXT    NOT NULL CHECK (kind IN ('receipt', 'issue', 'transfer_in', 'transfer_out', 'wastage', 'expiry', 'adjustment', 'session_use')),
    delta          INTEGER NOT NULL CHECK (delta <> 0),
    wastage_reason TEXT,
    note           TEXT    NOT NULL DEFAULT '',
    counterpart_id TEXT    REFERENCES cold_chain_points (id),
    date           TEXT    NOT NULL,
    actor          TEXT    NOT NULL,
    created_at     INTEGER NOT NULL
);
CREATE INDEX stock_movements_point ON stock_movements (point_id, created_at);
CREATE INDEX stock_movements_lot ON stock_movements (lot_id);

CREATE TABLE stock_on_hand (
    point_id TEXT    NOT NULL REFERENCES cold_chain_points (id),
    lot_id   TEXT    NOT NULL REFERENCES vaccine_lots (id),
    vials    INTEGER NOT NULL CHECK (vials >= 0),
    PRIMARY KEY (point_id, lot_id)
);
