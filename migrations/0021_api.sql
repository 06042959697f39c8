-- The API's idempotency records: every POST to /api/v1 carries an
-- Idempotency-Key, and the first request under a key (per API key) that
-- changed something leaves its answer here, so the same request sent
-- again (a client retrying after a timeout) gets the same answer without
-- a second write, and a different request under the same key is refused.
-- A key is claimed inside the write's own transaction: a concurrent
-- second request waits on the primary key until the first commits, then
-- reads its answer. Rows past expires_at are claimed afresh and removed
-- by dunnd now and then.
CREATE TABLE dunning.api_requests (
    id            bigserial PRIMARY KEY,
    key_name      text NOT NULL,            -- the API key's name (api.keys_file)
    idem_key      text NOT NULL,            -- the Idempotency-Key header
    request_hash  text NOT NULL,            -- SHA-256 of method, path and body
    method        text NOT NULL,
    path          text NOT NULL,
    status        integer,                  -- the stored answer
    body          text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    UNIQUE (key_name, idem_key)
);
CREATE INDEX api_requests_expires ON dunning.api_requests (expires_at);

-- An instant as the API writes it: ISO 8601 in UTC, whole seconds.
CREATE FUNCTION dunning.api_time(t timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
$$;
