-- Late fees: one ledger line per fee, beside the invoices, never in them
-- (an invoice's amount_due is the billing system's and stays as billed).
-- The poller writes a fee in the claim's own transaction when a step with
-- a "fee" is taken, once per case, step and currency: the unique key
-- below makes a replayed or re-taken step charge nothing more. amount is
-- in the currency's minor units; base is what the percentage (if any)
-- was taken of: the overdue, undisputed remainder of the invoices then,
-- never earlier fees. invoice_id is the oldest of those invoices, for
-- the billing system's reference. A waived fee (dunnctl fee waive, or a
-- dispute upheld on an invoice of its currency) keeps its row with who
-- and why; paid_at is the billing system's to write once it collected
-- the fee. Fees never keep a case open: the case resolves when the
-- invoices are paid.
CREATE TABLE dunning.fees (
    id           bigserial PRIMARY KEY,
    case_id      bigint NOT NULL REFERENCES dunning.cases(id),
    account_id   bigint NOT NULL REFERENCES dunning.accounts(id),
    invoice_id   bigint REFERENCES dunning.invoices(id),
    cycle        int NOT NULL,
    step         int NOT NULL CHECK (step >= 1),
    currency     char(3) NOT NULL,
    amount       bigint NOT NULL CHECK (amount > 0 AND amount <= 1000000000000000),
    base         numeric NOT NULL CHECK (base >= 0),
    created_at   timestamptz NOT NULL,
    waived_at    timestamptz,
    waived_by    text,
    waive_reason text,
    paid_at      timestamptz,
    CHECK ((waived_at IS NULL) = (waived_by IS NULL)),
    UNIQUE (case_id, step, currency)
);
CREATE INDEX fees_account ON dunning.fees (account_id, created_at);
COMMENT ON TABLE dunning.fees IS
    'late fees charged by policy steps; amounts in minor units; invoices are never changed';

-- A dispute upheld on an invoice waives the fees charged in its currency
-- on the account's cases since that invoice fell due: the fee was taken
-- of a total the company now says it should not have chased. A trigger,
-- so every way of upholding (dunnctl, the console, the API) does it.
CREATE FUNCTION dunning.fees_waive_upheld() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH w AS (
        UPDATE dunning.fees f SET waived_at = coalesce(NEW.resolved_at, now()),
               waived_by = 'dispute',
               waive_reason = 'dispute ' || coalesce(NEW.reference, NEW.id::text) || ' upheld'
        FROM dunning.invoices i
        WHERE i.id = NEW.invoice_id AND f.account_id = i.account_id
          AND f.currency = i.currency AND f.waived_at IS NULL AND f.paid_at IS NULL
          AND f.created_at >= i.due_date::timestamptz - interval '1 day'
        RETURNING f.id, f.account_id, f.case_id, f.amount, f.currency)
    INSERT INTO dunning.events (at, kind, account_id, case_id, detail)
    SELECT coalesce(NEW.resolved_at, now()), 'fee_waived', w.account_id, w.case_id,
           jsonb_build_object('fee_id', w.id, 'amount', w.amount, 'currency', w.currency,
                              'by', 'dispute', 'dispute_id', NEW.id)
    FROM w;
    RETURN NULL;
END $$;
CREATE TRIGGER fees_waive_upheld AFTER UPDATE OF status ON dunning.disputes
    FOR EACH ROW WHEN (NEW.status = 'upheld' AND OLD.status IS DISTINCT FROM 'upheld')
    EXECUTE FUNCTION dunning.fees_waive_upheld();

-- What a case's customer owes in fees now, per currency, "USD:500,KRW:5000"
-- (owed.h's list): charged, not waived, not yet collected.
CREATE FUNCTION dunning.case_fees(c bigint) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT string_agg(currency || ':' || total, ',' ORDER BY currency)
    FROM (SELECT currency::text, sum(amount) AS total FROM dunning.fees
          WHERE case_id = c AND waived_at IS NULL AND paid_at IS NULL
          GROUP BY currency) x
$$;
