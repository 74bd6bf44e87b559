-- Partner sites (Plus member, IMS, koku): member accounts, single-use tokens (stored as
-- SHA-256 of 128-bit random values), temporary passwords (Argon2id), and the
-- support-desk queue.
CREATE TABLE partner_accounts (
    id            INTEGER PRIMARY KEY,
    site          TEXT    NOT NULL,
    login_id      TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    -- an initialized password, waiting to be used for the first time
    pending_hash  TEXT,
    must_change   INTEGER NOT NULL DEFAULT 0 CHECK (must_change IN (0, 1)),
    -- normalised account fields (JSON object)
    fields        TEXT    NOT NULL DEFAULT '{}',
    UNIQUE (site, login_id)
);

CREATE TABLE partner_tokens (
    hash       TEXT    PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES partner_accounts(id) ON DELETE CASCADE,
    purpose    TEXT    NOT NULL CHECK (purpose IN ('link', 'change')),
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);

CREATE TABLE partner_temp_passwords (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES partner_accounts(id) ON DELETE CASCADE,
    hash       TEXT    NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);

CREATE TABLE support_inquiries (
    id         INTEGER PRIMARY KEY,
    site       TEXT    NOT NULL,
    procedure  TEXT    NOT NULL,
    fields     TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    status     TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'reset_sent', 'declined')),
    handled_by TEXT,
    handled_at INTEGER
);
