-- Risk from the account's own payment history: a score in [0, 1], 0 for an
-- account that pays on time, computed here in SQL from what dunnd already
-- records (no model, nothing learnt elsewhere). The inputs cover the 12
-- months before the instant asked about; the formula is
-- dunning.risk_score, documented in README ("Risk from history") and
-- dunnd.json(5). The poller reads the stored score in its claim and
-- recomputes it there, in the claim's transaction, once it is older than
-- the policy's risk.max_age_hours; dunnctl risk shows it and --refresh
-- recomputes it at once.

-- The weighted sum of the inputs, each first brought into [0, 1]:
--   0.25 x prior cycles (4 or more count as 4) / 4
--   0.30 x mean days from due date to payment (60 or more count as 60) / 60
--   0.15 x promises broken / (kept + broken + 1)
--   0.15 x plans broken / (kept + broken + 1)
--   0.15 x bounced reminders (3 or more count as 3) / 3
--  -0.10 x disputes upheld (2 or more count as 2) / 2
-- clamped to [0, 1]. The "+ 1" keeps a single broken promise from
-- counting as a settled habit. An upheld dispute means the account was
-- chased for money it did not owe: it lowers the score, and the invoices
-- it covered are left out of the days to payment.
CREATE FUNCTION dunning.risk_score(cycles int, days_late float8, promises_kept int,
                                   promises_broken int, plans_kept int, plans_broken int,
                                   bounces int, disputes_upheld int)
RETURNS float8 LANGUAGE sql IMMUTABLE AS $$
    SELECT greatest(0::float8, least(1::float8,
             0.25::float8 * least(greatest(cycles, 0), 4)::float8 / 4
           + 0.30::float8 * least(greatest(coalesce(days_late, 0), 0), 60) / 60
           + 0.15::float8 * greatest(promises_broken, 0)::float8
                 / (greatest(promises_kept, 0) + greatest(promises_broken, 0) + 1)
           + 0.15::float8 * greatest(plans_broken, 0)::float8
                 / (greatest(plans_kept, 0) + greatest(plans_broken, 0) + 1)
           + 0.15::float8 * least(greatest(bounces, 0), 3)::float8 / 3
           - 0.10::float8 * least(greatest(disputes_upheld, 0), 2)::float8 / 2))
$$;

-- The inputs of one account as of at, over the 12 months before it.
-- cycles: its cases opened then and since resolved (the open one is the
-- cycle being decided). days_late: the mean, over its invoices paid then,
-- of the days from the due date to the payment's local date (0 when paid
-- early; invoices under an upheld dispute left out). A promise is a pause
-- for 'promise' (event case_paused); broken when a promise_broken event
-- follows it on the case before the next promise, kept when its day
-- passed without. Plans count by the status they closed with. Bounces
-- are its reminders that bounced.
CREATE FUNCTION dunning.risk_inputs(acct bigint, at timestamptz)
RETURNS TABLE (cycles int, days_late float8, paid_invoices int, promises_kept int,
               promises_broken int, plans_kept int, plans_broken int, bounces int,
               disputes_upheld int)
LANGUAGE sql STABLE AS $$
    WITH w AS (SELECT at - interval '12 months' AS since, at AS until),
    cs AS (SELECT c.id, c.state, c.opened_at FROM dunning.cases c WHERE c.account_id = acct),
    paid AS (
        SELECT greatest(dunning.local_date(i.paid_at, a.timezone) - i.due_date, 0) AS late
        FROM dunning.invoices i JOIN dunning.accounts a ON a.id = i.account_id, w
        WHERE i.account_id = acct AND i.paid_at IS NOT NULL
          AND i.paid_at > w.since AND i.paid_at <= w.until
          AND NOT EXISTS (SELECT 1 FROM dunning.disputes d
                          WHERE d.invoice_id = i.id AND d.status = 'upheld')),
    made AS (
        SELECT e.case_id, e.at, (e.detail->>'until')::timestamptz AS due,
               EXISTS (SELECT 1 FROM dunning.events b
                       WHERE b.case_id = e.case_id AND b.kind = 'promise_broken'
                         AND b.at >= e.at AND b.at <= w.until
                         AND NOT EXISTS (SELECT 1 FROM dunning.events n
                                         WHERE n.case_id = e.case_id
                                           AND n.kind = 'case_paused'
                                           AND n.detail->>'reason' = 'promise'
                                           AND n.at > e.at AND n.at <= b.at)) AS broken
        FROM dunning.events e, w
        WHERE e.case_id IN (SELECT id FROM cs) AND e.kind = 'case_paused'
          AND e.detail->>'reason' = 'promise'
          AND e.at > w.since AND e.at <= w.until)
    SELECT (SELECT count(*) FROM cs, w WHERE cs.state = 'resolved'
              AND cs.opened_at > w.since AND cs.opened_at <= w.until)::int,
           coalesce((SELECT avg(late)::float8 FROM paid), 0),
           (SELECT count(*) FROM paid)::int,
           (SELECT count(*) FROM made, w
            WHERE NOT made.broken AND made.due IS NOT NULL AND made.due <= w.until)::int,
           (SELECT count(*) FROM dunning.events b, w
            WHERE b.case_id IN (SELECT id FROM cs) AND b.kind = 'promise_broken'
              AND b.at > w.since AND b.at <= w.until)::int,
           (SELECT count(*) FROM dunning.payment_plans pp, w WHERE pp.account_id = acct
              AND pp.status = 'completed' AND pp.closed_at > w.since
              AND pp.closed_at <= w.until)::int,
           (SELECT count(*) FROM dunning.payment_plans pp, w WHERE pp.account_id = acct
              AND pp.status = 'broken' AND pp.closed_at > w.since
              AND pp.closed_at <= w.until)::int,
           (SELECT count(*) FROM dunning.deliveries d, w WHERE d.account_id = acct
              AND d.kind = 'reminder' AND d.status = 'bounced'
              AND d.created_at > w.since AND d.created_at <= w.until)::int,
           (SELECT count(*) FROM dunning.disputes d, w WHERE d.account_id = acct
              AND d.status = 'upheld' AND d.resolved_at > w.since
              AND d.resolved_at <= w.until)::int
$$;

-- The score as last computed, with what it was computed from.
CREATE TABLE dunning.account_risk (
    account_id      bigint PRIMARY KEY REFERENCES dunning.accounts (id) ON DELETE CASCADE,
    score           float8 NOT NULL CHECK (score >= 0 AND score <= 1),
    computed_at     timestamptz NOT NULL,
    cycles          int NOT NULL,
    days_late       float8 NOT NULL,
    paid_invoices   int NOT NULL,
    promises_kept   int NOT NULL,
    promises_broken int NOT NULL,
    plans_kept      int NOT NULL,
    plans_broken    int NOT NULL,
    bounces         int NOT NULL,
    disputes_upheld int NOT NULL
);

-- Recompute and store one account's score as of at; returns it.
CREATE FUNCTION dunning.account_risk_refresh(acct bigint, at timestamptz) RETURNS float8
LANGUAGE sql VOLATILE AS $$
    INSERT INTO dunning.account_risk AS r
        (account_id, score, computed_at, cycles, days_late, paid_invoices, promises_kept,
         promises_broken, plans_kept, plans_broken, bounces, disputes_upheld)
    SELECT acct, dunning.risk_score(i.cycles, i.days_late, i.promises_kept, i.promises_broken,
                                    i.plans_kept, i.plans_broken, i.bounces, i.disputes_upheld),
           at, i.cycles, i.days_late, i.paid_invoices, i.promises_kept, i.promises_broken,
           i.plans_kept, i.plans_broken, i.bounces, i.disputes_upheld
    FROM dunning.risk_inputs(acct, at) i
    ON CONFLICT (account_id) DO UPDATE SET
        score = EXCLUDED.score, computed_at = EXCLUDED.computed_at, cycles = EXCLUDED.cycles,
        days_late = EXCLUDED.days_late, paid_invoices = EXCLUDED.paid_invoices,
        promises_kept = EXCLUDED.promises_kept, promises_broken = EXCLUDED.promises_broken,
        plans_kept = EXCLUDED.plans_kept, plans_broken = EXCLUDED.plans_broken,
        bounces = EXCLUDED.bounces, disputes_upheld = EXCLUDED.disputes_upheld
    RETURNING r.score
$$;

-- The stored score when computed within max_age before at (and not after
-- it: a clock set back recomputes), else a fresh one, stored.
CREATE FUNCTION dunning.account_risk_at(acct bigint, at timestamptz, max_age interval)
RETURNS float8 LANGUAGE sql VOLATILE AS $$
    SELECT coalesce(
        (SELECT r.score FROM dunning.account_risk r WHERE r.account_id = acct
           AND r.computed_at > at - max_age AND r.computed_at <= at),
        dunning.account_risk_refresh(acct, at))
$$;

-- The inputs' lookups by account: paid invoices and plans had none.
CREATE INDEX invoices_account_paid ON dunning.invoices (account_id, paid_at)
    WHERE paid_at IS NOT NULL;
CREATE INDEX payment_plans_account ON dunning.payment_plans (account_id);
