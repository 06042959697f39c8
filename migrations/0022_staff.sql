-- The collections team's people and their console sessions.
CREATE TABLE dunning.staff (
    id            bigserial PRIMARY KEY,
    name          text NOT NULL UNIQUE
                  CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$'),
    role          text NOT NULL CHECK (role IN ('agent', 'supervisor', 'admin')),
    -- crypt(3) string (yescrypt "$y$..."); never a plain password.
    password_hash text NOT NULL,
    -- The console's language for this person: en, ko, ja or zh.
    locale        text NOT NULL DEFAULT 'en' CHECK (locale IN ('en', 'ko', 'ja', 'zh')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    password_at   timestamptz NOT NULL DEFAULT now(),
    disabled_at   timestamptz
);

-- A session is known by the SHA-256 of its cookie value: a copy of this
-- table cannot be replayed as a cookie.
CREATE TABLE dunning.staff_sessions (
    id_hash     bytea PRIMARY KEY CHECK (length(id_hash) = 32),
    staff_id    bigint NOT NULL REFERENCES dunning.staff(id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL,
    seen_at     timestamptz NOT NULL,
    ended_at    timestamptz
);
CREATE INDEX staff_sessions_staff ON dunning.staff_sessions (staff_id);
CREATE INDEX events_staff ON dunning.events ((detail->>'staff')) WHERE detail ? 'staff';
