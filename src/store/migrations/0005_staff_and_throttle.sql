-- docomo Shop staff, and login throttling for the PC sites (per account key).
CREATE TABLE staff (
    id            TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL
);

CREATE TABLE login_throttle (
    key         TEXT    PRIMARY KEY,
    failures    INTEGER NOT NULL,
    next_try_at INTEGER NOT NULL
);
