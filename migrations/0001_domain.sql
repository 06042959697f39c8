-- The domain model of dunnd. Everything lives in the "dunning" schema; the
-- billing system writes accounts and invoices, dunnd owns the rest.
CREATE SCHEMA IF NOT EXISTS dunning;

CREATE TABLE dunning.accounts (
    id            bigserial PRIMARY KEY,
    external_ref  text NOT NULL UNIQUE,
    name          text NOT NULL,
    email         text,
    phone         text,                       -- E.164
    locale        text NOT NULL DEFAULT 'en', -- BCP 47
    timezone      text NOT NULL DEFAULT 'UTC',-- IANA
    segment       text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE dunning.invoices (
    id            bigserial PRIMARY KEY,
    account_id    bigint NOT NULL REFERENCES dunning.accounts(id),
    external_ref  text NOT NULL UNIQUE,
    amount_due    bigint NOT NULL CHECK (amount_due >= 0), -- minor units
    currency      char(3) NOT NULL,
    due_date      date NOT NULL,
    description   text,
    paid_at       timestamptz,
    disputed      boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now()
);
-- Case opening scans unpaid invoices by due date; balances are per account.
CREATE INDEX invoices_unpaid_due ON dunning.invoices (due_date) WHERE paid_at IS NULL;
CREATE INDEX invoices_account_unpaid ON dunning.invoices (account_id) WHERE paid_at IS NULL;

CREATE TABLE dunning.cases (
    id             bigserial PRIMARY KEY,
    account_id     bigint NOT NULL REFERENCES dunning.accounts(id),
    cycle          integer NOT NULL,            -- nth delinquency of this account
    track          text,
    stage          integer NOT NULL DEFAULT 0,  -- steps already taken
    state          text NOT NULL DEFAULT 'active'
                   CHECK (state IN ('active', 'paused', 'disputed', 'resolved')),
    opened_at      timestamptz NOT NULL,
    closed_at      timestamptz,
    close_reason   text,
    next_action_at timestamptz,
    paused_until   timestamptz,
    pause_reason   text CHECK (pause_reason IN ('promise', 'hardship', 'manual', 'dispute')),
    UNIQUE (account_id, cycle)
);
-- At most one open case per account.
CREATE UNIQUE INDEX cases_one_open ON dunning.cases (account_id) WHERE state <> 'resolved';
-- The poller's claim: partial index matching its WHERE and ORDER BY.
CREATE INDEX cases_due ON dunning.cases (next_action_at) WHERE state <> 'resolved';

CREATE TABLE dunning.deliveries (
    id                  bigserial PRIMARY KEY,
    case_id             bigint NOT NULL REFERENCES dunning.cases(id),
    account_id          bigint NOT NULL,
    cycle               integer NOT NULL,
    step                integer NOT NULL,   -- 1-based step of the track; 0 = confirmation
    channel             text NOT NULL,      -- configured channel name
    kind                text NOT NULL DEFAULT 'reminder'
                        CHECK (kind IN ('reminder', 'confirmation')),
    template            text NOT NULL,
    address             text,
    status              text NOT NULL DEFAULT 'queued'
                        CHECK (status IN ('queued', 'sending', 'sent', 'delivered', 'failed',
                                          'bounced', 'suppressed', 'cancelled')),
    attempts            integer NOT NULL DEFAULT 0,
    next_attempt_at     timestamptz NOT NULL,
    lease_until         timestamptz,
    provider_message_id text,
    body_hash           text,
    last_error          text,
    created_at          timestamptz NOT NULL,
    sent_at             timestamptz,
    updated_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (case_id, cycle, step, channel)
);
-- Dispatchers lease queued rows and rows whose lease expired ("sending").
CREATE INDEX deliveries_due ON dunning.deliveries (next_attempt_at)
    WHERE status IN ('queued', 'sending');
CREATE INDEX deliveries_provider ON dunning.deliveries (provider_message_id)
    WHERE provider_message_id IS NOT NULL;

CREATE TABLE dunning.suppressions (
    channel     text NOT NULL,   -- 'email', 'sms', 'phone'
    address     text NOT NULL,
    reason      text NOT NULL CHECK (reason IN ('opt-out', 'bounce', 'complaint', 'manual')),
    source      text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (channel, address)
);

CREATE TABLE dunning.phone_tasks (
    id          bigserial PRIMARY KEY,
    case_id     bigint NOT NULL REFERENCES dunning.cases(id),
    delivery_id bigint REFERENCES dunning.deliveries(id),
    due_at      timestamptz NOT NULL,
    assignee    text,
    outcome     text,
    note        text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    completed_at timestamptz
);
CREATE INDEX phone_tasks_open ON dunning.phone_tasks (due_at) WHERE completed_at IS NULL;

CREATE TABLE dunning.disputes (
    id          bigserial PRIMARY KEY,
    invoice_id  bigint NOT NULL REFERENCES dunning.invoices(id),
    status      text NOT NULL DEFAULT 'open'
                CHECK (status IN ('open', 'investigating', 'upheld', 'rejected', 'withdrawn')),
    reason      text,
    detail      text,
    resolution  text,
    opened_at   timestamptz NOT NULL DEFAULT now(),
    resolved_at timestamptz
);

-- Append-only audit log: ids and codes only, never raw PII.
CREATE TABLE dunning.events (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    kind        text NOT NULL,
    account_id  bigint,
    case_id     bigint,
    delivery_id bigint,
    detail      jsonb
);
CREATE INDEX events_at ON dunning.events (at);
CREATE INDEX events_case ON dunning.events (case_id) WHERE case_id IS NOT NULL;

-- One payload-free NOTIFY per statement that touches invoices, never per row:
-- NOTIFY serialises commits cluster-wide.
CREATE FUNCTION dunning.wakeup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('dunning_wakeup', '');
    RETURN NULL;
END $$;
CREATE TRIGGER invoices_wakeup AFTER INSERT OR UPDATE ON dunning.invoices
    FOR EACH STATEMENT EXECUTE FUNCTION dunning.wakeup();
