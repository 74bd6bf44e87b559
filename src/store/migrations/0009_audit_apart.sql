-- The audit log under a flood: a request refused by a limit (a throttle, a
-- locked secret) is counted in one summary row per source, action, outcome,
-- line and minute instead of a row of its own, and security events are
-- trimmed only against each other, never to make room for ordinary rows.
CREATE TABLE audit_new (
    id       INTEGER PRIMARY KEY,
    at       INTEGER NOT NULL,
    line     TEXT,
    action   TEXT    NOT NULL,
    outcome  TEXT    NOT NULL
        CHECK (outcome IN ('ok', 'wrong_pin', 'locked', 'invalid_input', 'refused',
                           'wrong_token', 'throttled')),
    source   TEXT    NOT NULL,
    -- the requests the row stands for: 1, or a summary's refusals so far
    count    INTEGER NOT NULL DEFAULT 1 CHECK (count >= 1),
    -- 1: a security event (wrong admin tokens, failed checks and locks of a
    -- line's secrets, throttle summaries, resets of a secret)
    security INTEGER NOT NULL DEFAULT 0 CHECK (security IN (0, 1)),
    -- a summary's minute (Unix time div 60); NULL for a row of its own
    minute   INTEGER
);
INSERT INTO audit_new (id, at, line, action, outcome, source, security)
    SELECT id, at, line, action, outcome, source,
           action = 'admin_login'
           OR outcome IN ('wrong_pin', 'locked', 'wrong_token')
           OR ((action IN ('reset_imode_password', 'shop_reset', 'reset_line')
                OR (action LIKE 'partner:%'
                    AND (action LIKE '%:change_password' OR action LIKE '%:inquiry_reset')))
               AND outcome <> 'invalid_input')
    FROM audit;
DROP TABLE audit;
ALTER TABLE audit_new RENAME TO audit;
CREATE INDEX audit_by_line ON audit (line, id);
-- trimming each kind on its own
CREATE INDEX audit_by_kind ON audit (security, id);
-- one summary row per source, action, outcome, line and minute
CREATE UNIQUE INDEX audit_summary ON audit (minute, action, outcome, source, ifnull(line, ''))
    WHERE minute IS NOT NULL;
