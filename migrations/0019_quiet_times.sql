-- Times a customer has blocked for contact, weekly, in the account's own
-- time zone: the canonical spec dunnd writes ("mon-fri 12:00-13:00,sun
-- 00:00-24:00", see engine/quiet.h) and its total in minutes. Set from the
-- customer's page or by dunnctl quiet; every change is also an event.
CREATE TABLE dunning.quiet_times (
    account_id  bigint PRIMARY KEY REFERENCES dunning.accounts (id) ON DELETE CASCADE,
    spec        text NOT NULL,
    minutes     int NOT NULL CHECK (minutes > 0 AND minutes < 7 * 1440),
    source      text NOT NULL CHECK (source IN ('page', 'operator')),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
