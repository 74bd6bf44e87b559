-- i-mode mailboxes, the log of every delivery decision, and the outbox for mail
-- to addresses outside the simulated carrier.
CREATE TABLE mailbox (
    id          INTEGER PRIMARY KEY,
    line_id     INTEGER NOT NULL REFERENCES lines(id) ON DELETE CASCADE,
    sender      TEXT    NOT NULL,
    recipient   TEXT    NOT NULL,
    subject     TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    received_at INTEGER NOT NULL,
    read        INTEGER NOT NULL DEFAULT 0 CHECK (read IN (0, 1))
);
CREATE INDEX mailbox_by_line ON mailbox (line_id, id);

CREATE TABLE mail_log (
    id        INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    sender    TEXT    NOT NULL,
    recipient TEXT    NOT NULL,
    line      TEXT,
    status    TEXT    NOT NULL CHECK (status IN ('delivered', 'rejected', 'outbox')),
    reason    TEXT
);

CREATE TABLE outbox (
    id        INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    sender    TEXT    NOT NULL,
    recipient TEXT    NOT NULL,
    subject   TEXT    NOT NULL,
    body      TEXT    NOT NULL
);
