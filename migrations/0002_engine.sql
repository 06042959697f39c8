-- The escalation engine: payment confirmations and other notices share the
-- outbox with reminders; disputes and pauses carry what ops need to see.

ALTER TABLE dunning.deliveries ADD COLUMN invoice_id bigint REFERENCES dunning.invoices(id);
ALTER TABLE dunning.deliveries ADD COLUMN dispute_id bigint REFERENCES dunning.disputes(id);
ALTER TABLE dunning.deliveries DROP CONSTRAINT deliveries_kind_check;
ALTER TABLE dunning.deliveries ADD CONSTRAINT deliveries_kind_check
    CHECK (kind IN ('reminder', 'confirmation', 'promise_ack', 'dispute_ack', 'dispute_outcome'));

-- The outbox key: one reminder per (case, cycle, step, channel).
ALTER TABLE dunning.deliveries DROP CONSTRAINT deliveries_case_id_cycle_step_channel_key;
CREATE UNIQUE INDEX deliveries_reminder_key ON dunning.deliveries (case_id, cycle, step, channel)
    WHERE kind = 'reminder';
-- One confirmation per payment (paid invoice) and channel.
CREATE UNIQUE INDEX deliveries_confirmation_key ON dunning.deliveries (invoice_id, channel)
    WHERE kind = 'confirmation';
-- One acknowledgement and one outcome notice per dispute and channel.
CREATE UNIQUE INDEX deliveries_dispute_key ON dunning.deliveries (dispute_id, kind, channel)
    WHERE dispute_id IS NOT NULL;
CREATE INDEX deliveries_account ON dunning.deliveries (account_id, created_at);

CREATE INDEX invoices_paid_at ON dunning.invoices (paid_at) WHERE paid_at IS NOT NULL;

ALTER TABLE dunning.cases ADD COLUMN pause_note text;

ALTER TABLE dunning.disputes ADD COLUMN account_id bigint REFERENCES dunning.accounts(id);
ALTER TABLE dunning.disputes ADD COLUMN channel text NOT NULL DEFAULT 'ops';
ALTER TABLE dunning.disputes ADD COLUMN reference text UNIQUE;
ALTER TABLE dunning.disputes ADD COLUMN satisfaction smallint CHECK (satisfaction BETWEEN 1 AND 5);
CREATE INDEX disputes_open ON dunning.disputes (invoice_id) WHERE resolved_at IS NULL;
