-- Signed webhook callbacks already applied, by their signature: the same
-- callback sent again while its timestamp is still accepted (5 minutes
-- either side of now) is answered as a duplicate and changes nothing.
-- A row is only needed for as long as its signature could verify; each
-- callback deletes what has expired (seen_at older than 15 minutes).
CREATE TABLE dunning.webhook_seen (
    signature  text PRIMARY KEY,
    seen_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_seen_at ON dunning.webhook_seen (seen_at);
