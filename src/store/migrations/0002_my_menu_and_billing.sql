-- My Menu registrations, fee-based subscriptions and the billing ledger.
CREATE TABLE my_menu (
    line_id  INTEGER NOT NULL REFERENCES lines(id) ON DELETE CASCADE,
    site     TEXT    NOT NULL,
    added_at INTEGER NOT NULL,
    PRIMARY KEY (line_id, site)
);

CREATE TABLE subscriptions (
    id            INTEGER PRIMARY KEY,
    line_id       INTEGER NOT NULL REFERENCES lines(id) ON DELETE CASCADE,
    site          TEXT    NOT NULL,
    monthly_fee   INTEGER NOT NULL CHECK (monthly_fee > 0),
    started_at    INTEGER NOT NULL,
    ended_at      INTEGER,
    settlement_no TEXT    NOT NULL UNIQUE CHECK (length(settlement_no) = 12)
);
-- At most one active subscription per line and site: a second one can never be
-- charged, whatever races the handlers lose.
CREATE UNIQUE INDEX one_active_subscription ON subscriptions (line_id, site) WHERE ended_at IS NULL;

CREATE TABLE billing_ledger (
    id              INTEGER PRIMARY KEY,
    line_id         INTEGER NOT NULL REFERENCES lines(id) ON DELETE CASCADE,
    subscription_id INTEGER NOT NULL UNIQUE REFERENCES subscriptions(id) ON DELETE CASCADE,
    site            TEXT    NOT NULL,
    monthly_fee     INTEGER NOT NULL,
    start_date      TEXT    NOT NULL,
    settlement_no   TEXT    NOT NULL,
    at              INTEGER NOT NULL
);
