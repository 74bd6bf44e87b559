-- Limits: one throttle table for every login and rate limit (replacing
-- login_throttle), the audit outcome of a wrong admin token, each outbox
-- message's relay state and globally unique Message-ID, the server's own
-- settings, and the index the mailbox expiry sweep uses.
CREATE TABLE throttle (
    key       TEXT    PRIMARY KEY,
    -- attempts counted (consecutive for a backoff, in this window for a window)
    count     INTEGER NOT NULL,
    -- backoff: no attempt before this time; window: the window's end
    until     INTEGER NOT NULL,
    -- the row means nothing after this time and is swept
    forget_at INTEGER NOT NULL
);
CREATE INDEX throttle_by_forget ON throttle (forget_at);
DROP TABLE login_throttle;

CREATE TABLE audit_new (
    id      INTEGER PRIMARY KEY,
    at      INTEGER NOT NULL,
    line    TEXT,
    action  TEXT    NOT NULL,
    outcome TEXT    NOT NULL
        CHECK (outcome IN ('ok', 'wrong_pin', 'locked', 'invalid_input', 'refused', 'wrong_token')),
    source  TEXT    NOT NULL
);
INSERT INTO audit_new (id, at, line, action, outcome, source)
    SELECT id, at, line, action, outcome, source FROM audit;
DROP TABLE audit;
ALTER TABLE audit_new RENAME TO audit;
CREATE INDEX audit_by_line ON audit (line, id);

-- off: no relay was configured when the message was queued; pending: to be
-- sent (relay_next_at says when); sending: the attempt is recorded and under
-- way; relayed; failed: given up (relay_error says why).
ALTER TABLE outbox ADD COLUMN relay_state TEXT NOT NULL DEFAULT 'off'
    CHECK (relay_state IN ('off', 'pending', 'sending', 'relayed', 'failed'));
ALTER TABLE outbox ADD COLUMN relay_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN relay_next_at INTEGER;
ALTER TABLE outbox ADD COLUMN message_id TEXT;
UPDATE outbox SET
    relay_state = CASE WHEN relayed_at IS NULL THEN 'off'
                       WHEN relay_error IS NULL THEN 'relayed' ELSE 'failed' END,
    relay_attempts = CASE WHEN relayed_at IS NULL THEN 0 ELSE 1 END,
    message_id = lower(hex(randomblob(16))) || '@garake.invalid';
CREATE INDEX outbox_relay_due ON outbox (relay_state, relay_next_at);

-- Settings of the running server that SQL needs (e.g. whether a relay is on).
CREATE TABLE server_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE INDEX mailbox_by_age ON mailbox (received_at);
CREATE INDEX mail_log_by_id ON mail_log (line, id);
