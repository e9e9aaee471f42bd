-- Follow-up (SQLite): the lucky draw.  The PostgreSQL tree has the same file with the same
-- table; only the dialect differs.
--
-- A draw commits to its entry list before its seed is known: entry_list is the canonical
-- text (sorted reference ids, one a line, each ending in a newline) and entries_sha256 its
-- hash, published at creation; seed, seed_source and winners (reference ids in the order
-- drawn, one a line) are set once, when the public seed is entered (status drawn).
CREATE TABLE draws (
    id             TEXT    PRIMARY KEY,
    state_id       INTEGER NOT NULL,
    district_id    INTEGER NOT NULL,
    period_from    TEXT    NOT NULL,
    period_to      TEXT    NOT NULL,
    winners_count  INTEGER NOT NULL CHECK (winners_count > 0),
    entries_count  INTEGER NOT NULL,
    entry_list     TEXT    NOT NULL,
    entries_sha256 TEXT    NOT NULL,
    seed           TEXT,
    seed_source    TEXT,
    winners        TEXT,
    status         TEXT    NOT NULL CHECK (status IN ('committed', 'drawn')),
    created_by     TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    drawn_by       TEXT,
    drawn_at       INTEGER
);
CREATE INDEX draws_district ON draws (district_id, created_at);
CREATE INDEX draws_state ON draws (state_id, created_at);

-- The doses of a district in a period (the draw's entries) are found through their facility.
CREATE INDEX vaccinations_center_date ON vaccinations (center_id, date);
