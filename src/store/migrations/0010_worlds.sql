-- The worlds made on this server (each a simulated carrier of its own, in a
-- database file of its own beside this one). Kept in the default world's
-- database so that worlds outlive a restart until they expire.
CREATE TABLE worlds (
    id           TEXT    PRIMARY KEY,
    -- SHA-256 of the world's own admin token, hex; the token is never stored
    token_sha256 TEXT    NOT NULL,
    fixtures     TEXT    NOT NULL CHECK (fixtures IN ('demo', 'empty')),
    created      INTEGER NOT NULL,
    last_used    INTEGER NOT NULL,
    ttl_secs     INTEGER NOT NULL CHECK (ttl_secs > 0),
    -- how far the world's simulated clock is ahead of real time, in seconds
    clock_offset INTEGER NOT NULL DEFAULT 0,
    -- 1: made from the power-on page's private demo form
    public       INTEGER NOT NULL DEFAULT 0 CHECK (public IN (0, 1))
) STRICT;
