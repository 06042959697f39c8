-- Payment providers' webhook events (Stripe, Adyen, generic), one row per
-- event the provider sent, whatever became of it: what `dunnctl payments
-- list` shows. The provider's own event id is unique per source, so an
-- event sent again (providers retry for days, and replay on request) is
-- answered as a duplicate and changes nothing; the ledger entry it made
-- (dunning.payments, source = the same 'provider:instance') is keyed by
-- the payment's own id, so two events about one payment (Stripe's
-- invoice.paid and payment_intent.succeeded) count it once.
CREATE TABLE dunning.payment_events (
    id           bigserial PRIMARY KEY,
    source       text NOT NULL,            -- 'stripe:<instance>', 'adyen:<instance>', ...
    event_id     text NOT NULL,            -- the provider's id of the event
    type         text NOT NULL,            -- e.g. invoice.paid, AUTHORISATION
    kind         text NOT NULL CHECK (kind IN ('payment', 'refund', 'dispute', 'ignored')),
    payment_ref  text,                     -- the payment's own id at the provider
    invoice_ref  text,                     -- the reference the event names, as sent
    invoice_id   bigint REFERENCES dunning.invoices(id),
    account_id   bigint REFERENCES dunning.accounts(id),
    amount       bigint,                   -- minor units, as sent
    currency     text,
    outcome      text NOT NULL,            -- recorded, already_recorded, nothing_owed, ...
    ledger_id    bigint REFERENCES dunning.payments(id),
    provider_at  timestamptz,              -- when the provider says it happened
    received_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source, event_id)
);
CREATE INDEX payment_events_received ON dunning.payment_events (received_at);
CREATE INDEX payment_events_invoice ON dunning.payment_events (invoice_id)
    WHERE invoice_id IS NOT NULL;
