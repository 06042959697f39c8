-- The payments ledger: every payment, credit or refund against an invoice,
-- with its source and the source's own id (unique per source, so a payment
-- recorded twice counts once). What is owed on an invoice is amount_due
-- minus its ledger sum; invoices.amount_paid is that sum, kept by the
-- trigger below in the same transaction as the ledger row, and paid_at
-- still means "fully settled". A billing system that writes paid_at or
-- lowers amount_due directly keeps working: a set paid_at owes nothing,
-- and what is owed is never below zero.
--
-- Amounts are bounded: one amount (an invoice's amount_due, a ledger
-- entry) is at most 10^15 minor units, so no sum of a sane book comes near
-- the range of bigint. NOT VALID: rows already there are not re-checked.
ALTER TABLE dunning.invoices ADD COLUMN amount_paid bigint NOT NULL DEFAULT 0;
ALTER TABLE dunning.invoices ADD CONSTRAINT invoices_amount_bound
    CHECK (amount_due <= 1000000000000000) NOT VALID;

-- amount is signed: a payment or a credit is > 0, a refund < 0 (so the sum
-- is plain sum(amount)). source: 'cli' (dunnctl pay), 'billing', 'plan'
-- (an instalment of a payment plan), later a provider's webhooks.
CREATE TABLE dunning.payments (
    id          bigserial PRIMARY KEY,
    invoice_id  bigint NOT NULL REFERENCES dunning.invoices(id),
    account_id  bigint NOT NULL REFERENCES dunning.accounts(id),
    kind        text NOT NULL DEFAULT 'payment' CHECK (kind IN ('payment', 'credit', 'refund')),
    amount      bigint NOT NULL CHECK (amount <> 0 AND abs(amount) <= 1000000000000000
                                       AND (amount < 0) = (kind = 'refund')),
    currency    char(3) NOT NULL,
    at          timestamptz NOT NULL,
    source      text NOT NULL,
    source_id   text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source, source_id)
);
CREATE INDEX payments_invoice ON dunning.payments (invoice_id);
CREATE INDEX payments_account ON dunning.payments (account_id, at);

-- After each inserted row (AFTER, so a row that ON CONFLICT DO NOTHING
-- skipped changes nothing): the invoice is locked, the entry checked
-- against it (same account, same currency, never more than is owed, never
-- below zero), and amount_paid and paid_at follow. The UPDATE of invoices
-- fires invoices_wakeup, so every ledger insert wakes the poller.
CREATE FUNCTION dunning.payments_apply() RETURNS trigger LANGUAGE plpgsql AS $$
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
    -- planned step (at, not now(): dunnd --once --at walks simulated days).
    UPDATE dunning.cases SET next_action_at = NEW.at
    WHERE account_id = NEW.account_id AND state <> 'resolved' AND next_action_at > NEW.at;
    RETURN NULL;
END $$;
CREATE TRIGGER payments_apply AFTER INSERT ON dunning.payments
    FOR EACH ROW EXECUTE FUNCTION dunning.payments_apply();

-- A billing system that writes paid_at, amount_due or disputed directly
-- wakes the account's open case the same way: one statement, the changed
-- rows from its transition tables.
CREATE FUNCTION dunning.invoices_wake_cases() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE dunning.cases c SET next_action_at = now()
    FROM (SELECT DISTINCT n.account_id FROM new_rows n JOIN old_rows o ON o.id = n.id
          WHERE n.paid_at IS DISTINCT FROM o.paid_at OR n.amount_due <> o.amount_due
             OR n.disputed <> o.disputed) x
    WHERE c.account_id = x.account_id AND c.state <> 'resolved' AND c.next_action_at > now();
    RETURN NULL;
END $$;
CREATE TRIGGER invoices_wake_cases AFTER UPDATE ON dunning.invoices
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION dunning.invoices_wake_cases();

-- The customer's local date at an instant. An unknown zone falls back to
-- UTC (as the daemon's own clock does) instead of failing the statement:
-- one bad account must never stall a whole batch.
CREATE FUNCTION dunning.local_date(at timestamptz, zone text) RETURNS date
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (at AT TIME ZONE zone)::date;
EXCEPTION WHEN invalid_parameter_value THEN
    RETURN (at AT TIME ZONE 'UTC')::date;
END $$;

-- What an account owes at an instant, one row per currency (amounts of two
-- currencies are never added): overdue is the unpaid remainder of
-- undisputed invoices whose due date has passed in the account's local
-- date; balance is everything unpaid and undisputed, due or not;
-- disputed is the overdue remainder under dispute. Sums are numeric, so a
-- caller compares them with the bound instead of wrapping. Every reader
-- (poller, dispatcher, page, dunnctl) asks this one function.
CREATE FUNCTION dunning.account_owed(acct bigint, at timestamptz)
RETURNS TABLE (currency text, overdue numeric, balance numeric, disputed numeric,
               oldest_due date, overdue_count bigint)
LANGUAGE sql STABLE AS $$
    SELECT i.currency::text,
           coalesce(sum(i.amount_due - i.amount_paid)
                    FILTER (WHERE NOT i.disputed AND i.due_date < t.today), 0),
           coalesce(sum(i.amount_due - i.amount_paid) FILTER (WHERE NOT i.disputed), 0),
           coalesce(sum(i.amount_due - i.amount_paid)
                    FILTER (WHERE i.disputed AND i.due_date < t.today), 0),
           min(i.due_date) FILTER (WHERE NOT i.disputed AND i.due_date < t.today),
           count(*) FILTER (WHERE NOT i.disputed AND i.due_date < t.today)
    FROM dunning.invoices i
    CROSS JOIN (SELECT dunning.local_date(at, a.timezone) AS today
                FROM dunning.accounts a WHERE a.id = acct) t
    WHERE i.account_id = acct AND i.paid_at IS NULL AND i.amount_due > i.amount_paid
    GROUP BY i.currency
$$;
