-- Late fees per invoice: a step's fee in a currency is written as one
-- line per overdue invoice it was taken on, so that a dispute about one
-- invoice waives what that invoice caused and nothing else, and the
-- billing system reads which invoice each part of a fee belongs to.
--
-- Attribution: the step's fee (fixed part plus percentage, after its cap
-- and the legal maximum, all computed on the currency's overdue total as
-- before) is split over the overdue, undisputed invoices of that currency
-- in proportion to each one's unpaid remainder, by largest remainder
-- (dunning.fee_split): every line is the floor of its exact share, and
-- the minor units left over go one each to the largest fractional parts
-- (ties to the invoice due first, then the lower id). The lines sum to
-- the step's fee exactly and each is within one minor unit of its exact
-- share. A line is written only when its share is at least one minor
-- unit. base is now the invoice's remainder the share was taken on.
--
-- kind says what the step charged in the currency ('fixed', 'percent' or
-- 'fixed+percent') and rate its percentage (percent * 10^4, 0 for none).
--
-- Rows written before this migration are one line per case, step and
-- currency named by the oldest invoice (per_invoice false): a dispute
-- upheld still waives those as 0027 did, by currency; every new row is
-- per invoice and is waived only by a dispute upheld on its own invoice.
ALTER TABLE dunning.fees
    ADD COLUMN per_invoice boolean NOT NULL DEFAULT false,
    ADD COLUMN kind text CHECK (kind IN ('fixed', 'percent', 'fixed+percent')),
    ADD COLUMN rate int CHECK (rate >= 0 AND rate <= 1000000);
ALTER TABLE dunning.fees ALTER COLUMN per_invoice SET DEFAULT true;
ALTER TABLE dunning.fees ADD CONSTRAINT fees_per_invoice_named
    CHECK (NOT per_invoice OR invoice_id IS NOT NULL);
ALTER TABLE dunning.fees DROP CONSTRAINT fees_case_id_step_currency_key;
ALTER TABLE dunning.fees ADD CONSTRAINT fees_line_key
    UNIQUE (case_id, step, currency, invoice_id);
CREATE INDEX fees_invoice ON dunning.fees (invoice_id) WHERE waived_at IS NULL;

-- amount split over weights (>= 0, at least one > 0) by largest
-- remainder, the shares in the order of weights (see above for the
-- rule; ties go to the earlier weight). NULL when the weights sum to 0.
-- numeric throughout: amount * weight reaches 10^30.
CREATE FUNCTION dunning.fee_split(amount bigint, weights numeric[]) RETURNS bigint[]
LANGUAGE sql IMMUTABLE STRICT AS $$
    WITH w AS (SELECT u.ord, u.wt FROM unnest(weights) WITH ORDINALITY AS u(wt, ord)),
         t AS (SELECT sum(wt) AS tot FROM w),
         q AS (SELECT w.ord, div(amount::numeric * w.wt, t.tot) AS fl,
                      mod(amount::numeric * w.wt, t.tot) AS rm
               FROM w CROSS JOIN t WHERE t.tot > 0),
         r AS (SELECT q.ord, q.fl, row_number() OVER (ORDER BY q.rm DESC, q.ord) AS rk,
                      amount - sum(q.fl) OVER () AS rest FROM q)
    SELECT array_agg((r.fl + CASE WHEN r.rk <= r.rest THEN 1 ELSE 0 END)::bigint ORDER BY r.ord)
    FROM r
$$;

-- A dispute upheld waives the fee lines of its own invoice; lines from
-- before this migration (not per invoice) as 0027 did.
CREATE OR REPLACE FUNCTION dunning.fees_waive_upheld() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH w AS (
        UPDATE dunning.fees f SET waived_at = coalesce(NEW.resolved_at, now()),
               waived_by = 'dispute',
               waive_reason = 'dispute ' || coalesce(NEW.reference, NEW.id::text) || ' upheld'
        FROM dunning.invoices i
        WHERE i.id = NEW.invoice_id AND f.account_id = i.account_id
          AND f.waived_at IS NULL AND f.paid_at IS NULL
          AND ((f.per_invoice AND f.invoice_id = i.id)
               OR (NOT f.per_invoice AND f.currency = i.currency
                   AND f.created_at >= i.due_date::timestamptz - interval '1 day'))
        RETURNING f.id, f.account_id, f.case_id, f.invoice_id, f.amount, f.currency)
    INSERT INTO dunning.events (at, kind, account_id, case_id, detail)
    SELECT coalesce(NEW.resolved_at, now()), 'fee_waived', w.account_id, w.case_id,
           jsonb_build_object('fee_id', w.id, 'invoice_id', w.invoice_id, 'amount', w.amount,
                              'currency', w.currency, 'by', 'dispute', 'dispute_id', NEW.id)
    FROM w;
    RETURN NULL;
END $$;
