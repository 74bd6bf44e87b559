-- Subscriber lines with their i-mode settings, and the audit log.
CREATE TABLE lines (
    id                      INTEGER PRIMARY KEY,
    msisdn                  TEXT    NOT NULL UNIQUE CHECK (length(msisdn) = 11),
    name_ja                 TEXT    NOT NULL,
    name_en                 TEXT    NOT NULL,
    -- local part of local@docomo.ne.jp; unique across lines
    mail_local              TEXT    NOT NULL UNIQUE,
    -- i-mode password: Argon2id PHC string keyed with the server secret
    pin_hash                TEXT    NOT NULL,
    pin_failures            INTEGER NOT NULL DEFAULT 0,
    pin_locked_until        INTEGER,
    -- network PIN: same storage; a lock lasts until a shop visit
    network_pin_hash        TEXT    NOT NULL,
    network_pin_failures    INTEGER NOT NULL DEFAULT 0,
    network_pin_locked_until INTEGER,
    daccount_id             TEXT    UNIQUE,
    daccount_hash           TEXT,
    id_doc_type             TEXT,
    id_doc_number           TEXT,
    mail_suspended          INTEGER NOT NULL DEFAULT 0 CHECK (mail_suspended IN (0, 1)),
    rejection_mode          TEXT    NOT NULL DEFAULT 'off'
        CHECK (rejection_mode IN ('off', 'reject_all', 'reject_designated', 'receive_designated')),
    -- the secret code is part of a mail address, not a password: kept as typed
    secret_code             TEXT    CHECK (secret_code IS NULL OR length(secret_code) = 4),
    message_r               INTEGER NOT NULL DEFAULT 1 CHECK (message_r IN (0, 1)),
    message_f               INTEGER NOT NULL DEFAULT 1 CHECK (message_f IN (0, 1)),
    created_at              INTEGER NOT NULL
);

CREATE TABLE rejection_list (
    line_id  INTEGER NOT NULL REFERENCES lines(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    entry    TEXT    NOT NULL,
    PRIMARY KEY (line_id, position)
);

CREATE TABLE audit (
    id      INTEGER PRIMARY KEY,
    at      INTEGER NOT NULL,
    line    TEXT,
    action  TEXT    NOT NULL,
    outcome TEXT    NOT NULL
        CHECK (outcome IN ('ok', 'wrong_pin', 'locked', 'invalid_input', 'refused')),
    source  TEXT    NOT NULL
);
CREATE INDEX audit_by_line ON audit (line, id);
