-- Relay state of outbox mail when --smtp-relay is set: sent, or why not.
ALTER TABLE outbox ADD COLUMN relayed_at INTEGER;
ALTER TABLE outbox ADD COLUMN relay_error TEXT;
