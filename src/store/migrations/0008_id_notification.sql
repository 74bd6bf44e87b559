-- The i-mode ID notification setting: while it is off, the gateway sends
-- no X-DCMGUID to content providers. On for every line, as at purchase.
ALTER TABLE lines ADD COLUMN id_notification INTEGER NOT NULL DEFAULT 1;
