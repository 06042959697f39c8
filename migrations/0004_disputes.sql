-- Disputes keep what was charged, so an upheld dispute can write the
-- invoice down to zero without losing the original amount.
ALTER TABLE dunning.disputes ADD COLUMN original_amount bigint;
ALTER TABLE dunning.disputes ADD COLUMN resolution_note text;
CREATE SEQUENCE dunning.dispute_reference_seq START 1001;
