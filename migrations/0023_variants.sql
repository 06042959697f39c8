-- Champion/challenger variants. A step with variants assigns each
-- account one of them (by a hash of the experiment's name and the
-- account's external_ref, computed by dunnd); the assignment is kept on
-- the case, per experiment, and on every reminder it caused.
ALTER TABLE dunning.cases
    ADD COLUMN variants jsonb NOT NULL DEFAULT '{}'::jsonb
        CHECK (jsonb_typeof(variants) = 'object');
COMMENT ON COLUMN dunning.cases.variants IS
    'experiment name -> variant name, for each step with variants this case reached';

ALTER TABLE dunning.deliveries
    ADD COLUMN experiment text,
    ADD COLUMN variant text,
    ADD CONSTRAINT deliveries_variant_pair CHECK ((experiment IS NULL) = (variant IS NULL));

-- dunnctl report --by variant reads only the reminders of experiments.
CREATE INDEX deliveries_experiment ON dunning.deliveries (experiment, variant)
    WHERE experiment IS NOT NULL;
