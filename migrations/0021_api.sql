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

-- Whatever records a payment, the poll it wakes resolves the case. The
-- poller's clock is whole seconds; a case woken for now() with its
-- fraction was not yet due at the poll the wakeup started (a webhook or a
-- billing system's write in the same second), and waited a whole poll
-- interval. Both wakeups now name the second.
CREATE OR REPLACE FUNCTION dunning.payments_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    inv dunning.invoices%ROWTYPE;
    owed bigint;
BEGIN
    SELECT * INTO inv FROM dunning.invoices WHERE id = NEW.invoice_id FOR UPDATE;
    IF inv.account_id <> NEW.account_id THEN
        RAISE EXCEPTION 'payment for account % on an invoice of account %',
            NEW.account_id, inv.account_id USING ERRCODE = 'check_violation';
    END IF;
    IF inv.currency <> NEW.currency THEN
        RAISE EXCEPTION 'payment in % on an invoice in %', NEW.currency, inv.currency
            USING ERRCODE = 'check_violation';
    END IF;
    owed := CASE WHEN inv.paid_at IS NULL THEN greatest(inv.amount_due - inv.amount_paid, 0)
            ELSE 0 END;
    IF NEW.amount > owed THEN
        RAISE EXCEPTION 'payment of % is more than the % owed', NEW.amount, owed
            USING ERRCODE = 'check_violation';
    END IF;
    IF inv.amount_paid + NEW.amount < 0 THEN
        RAISE EXCEPTION 'refund of % is more than the % paid', -NEW.amount, inv.amount_paid
            USING ERRCODE = 'check_violation';
    END IF;
    UPDATE dunning.invoices SET amount_paid = amount_paid + NEW.amount,
           paid_at = CASE WHEN amount_paid + NEW.amount >= amount_due
                          THEN coalesce(paid_at, NEW.at) END
    WHERE id = NEW.invoice_id;
    -- The open case is looked at again as of the payment, not at its next
    -- planned step (at, not now(): dunnd --once --at walks simulated days),
    -- in whole seconds: the poller's clock has no fraction, and the poll
    -- this insert wakes must find the case due, not the one after it.
    UPDATE dunning.cases SET next_action_at = date_trunc('second', NEW.at)
    WHERE account_id = NEW.account_id AND state <> 'resolved'
      AND next_action_at > date_trunc('second', NEW.at);
    RETURN NULL;
END $$;
-- Every way a refund arrives ends the same way. A provider's webhook, a
-- ledger row of kind refund written by anyone, or a billing system that
-- clears paid_at itself: the invoice is no longer settled. If the
-- account's latest case was closed because that money cleared the balance,
-- the same case goes on from the step it had reached (a new cycle would
-- start again at the first, gentlest step). The ledger's own trigger
-- updates invoices, so this one statement trigger sees every path.
CREATE OR REPLACE FUNCTION dunning.invoices_wake_cases() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE dunning.cases c SET next_action_at = date_trunc('second', now())
    FROM (SELECT DISTINCT n.account_id FROM new_rows n JOIN old_rows o ON o.id = n.id
          WHERE n.paid_at IS DISTINCT FROM o.paid_at OR n.amount_due <> o.amount_due
             OR n.disputed <> o.disputed) x
    WHERE c.account_id = x.account_id AND c.state <> 'resolved'
      AND c.next_action_at > date_trunc('second', now());
    WITH unsettled AS (
        SELECT n.account_id, min(o.paid_at) AS was_paid, min(n.id) AS invoice_id
        FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE o.paid_at IS NOT NULL AND n.paid_at IS NULL
        GROUP BY n.account_id),
    reopen AS (
        UPDATE dunning.cases c SET state = 'active', closed_at = NULL, close_reason = NULL,
               next_action_at = date_trunc('second', now())
        FROM unsettled u
        WHERE c.id = (SELECT l.id FROM dunning.cases l WHERE l.account_id = u.account_id
                      ORDER BY l.cycle DESC LIMIT 1)
          AND c.state = 'resolved' AND c.close_reason = 'balance cleared'
          AND c.closed_at >= date_trunc('second', u.was_paid)
        RETURNING c.id, c.account_id, c.stage, u.invoice_id)
    INSERT INTO dunning.events (kind, account_id, case_id, detail)
    SELECT 'case_reopened', account_id, id,
           jsonb_build_object('invoice_id', invoice_id, 'stage', stage)
    FROM reopen;
    RETURN NULL;
END $$;
