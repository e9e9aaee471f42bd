-- Messages (PostgreSQL): the SMS queue (one row per message, its whole life), incoming SMS, and
-- citizens' quiet hours.  The SQLite tree has the same file with the same tables; only the
-- dialect differs.

-- status: queued | sending | sent | delivered | failed | expired | cancelled.
-- priority: 0 OTP, 1 transactional, 2 bulk.  quiet_from/quiet_to: local minutes after midnight.
CREATE TABLE messages (
    id             TEXT    PRIMARY KEY,
    kind           TEXT    NOT NULL,
    priority       BIGINT  NOT NULL,
    mobile         TEXT    NOT NULL,
    account_id     TEXT,
    beneficiary_id TEXT,
    booking_id     TEXT,
    session_id     TEXT,
    language       TEXT    NOT NULL,
    template_id    TEXT    NOT NULL,
    body           TEXT    NOT NULL,
    parts          BIGINT  NOT NULL,
    unicode        BIGINT  NOT NULL DEFAULT 0,
    status         TEXT    NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'delivered', 'failed', 'expired', 'cancelled')),
    supersede_key  TEXT,
    quiet_from     BIGINT,
    quiet_to       BIGINT,
    available_at   BIGINT  NOT NULL,
    expires_at     BIGINT  NOT NULL,
    attempts       BIGINT  NOT NULL DEFAULT 0,
    lease_until    BIGINT,
    gateway        TEXT,
    gateway_ref    TEXT,
    last_error     TEXT,
    created_at     BIGINT  NOT NULL,
    sent_at        BIGINT,
    delivered_at   BIGINT,
    updated_at     BIGINT  NOT NULL
);
-- The dispatcher's claim: due messages by lane, oldest first.
CREATE INDEX messages_queued ON messages (priority, available_at) WHERE status = 'queued';
-- Lease recovery: claimed messages whose dispatcher went away.
CREATE INDEX messages_sending ON messages (lease_until) WHERE status = 'sending';
CREATE INDEX messages_booking ON messages (booking_id, created_at) WHERE booking_id IS NOT NULL;
CREATE INDEX messages_session ON messages (session_id) WHERE session_id IS NOT NULL;
CREATE INDEX messages_mobile ON messages (mobile, created_at);
CREATE INDEX messages_supersede ON messages (supersede_key) WHERE status = 'queued' AND supersede_key IS NOT NULL;
CREATE INDEX messages_created ON messages (created_at);

-- Incoming SMS (keywords) and what was done about them.
CREATE TABLE inbound_sms (
    id          TEXT    PRIMARY KEY,
    mobile      TEXT    NOT NULL,
    to_number   TEXT    NOT NULL,
    text        TEXT    NOT NULL,
    keyword     TEXT    NOT NULL,
    outcome     TEXT    NOT NULL,
    received_at BIGINT  NOT NULL
);
CREATE INDEX inbound_sms_received ON inbound_sms (received_at);

-- A citizen's own quiet hours (NULL: the default).
ALTER TABLE accounts ADD COLUMN quiet_from BIGINT;
ALTER TABLE accounts ADD COLUMN quiet_to BIGINT;
