-- SMS replies that name an opt-out word but are not one ("STOP please",
-- "수신거부 하려면?") go to a person, never to a caller: a phone task of
-- kind 'review'. Until it is decided the number gets no texts: an sms
-- suppression with reason 'review', which the decision turns into an
-- opt-out or lifts.
ALTER TABLE dunning.phone_tasks
    ADD COLUMN kind text NOT NULL DEFAULT 'call' CHECK (kind IN ('call', 'review'));

ALTER TABLE dunning.suppressions DROP CONSTRAINT suppressions_reason_check;
ALTER TABLE dunning.suppressions ADD CONSTRAINT suppressions_reason_check
    CHECK (reason IN ('opt-out', 'bounce', 'complaint', 'manual', 'review'));
