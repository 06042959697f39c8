-- Every per-account table carries account_id, NOT NULL, so that the
-- schema can be distributed by it (Citus: co-located tables, each
-- statement routed to the shard of its account; BENCHMARKS.md, "Past
-- one machine"). tests/citus.py checks the property and lists, with
-- reasons, what does not hold yet.
--
-- phone_tasks and plan_instalments had only their case's and plan's
-- id; disputes had account_id since 0002, filled by every writer but
-- nullable. dunnd's writers now give account_id; a writer that does
-- not (a script written for the old schema) gets it from the case or
-- the plan by a trigger. On Citus the trigger cannot help (the row is
-- routed by account_id before it runs): there every writer must give it.

ALTER TABLE dunning.phone_tasks ADD COLUMN account_id bigint;
UPDATE dunning.phone_tasks t SET account_id = c.account_id
FROM dunning.cases c WHERE c.id = t.case_id;
ALTER TABLE dunning.phone_tasks ALTER COLUMN account_id SET NOT NULL;
-- The claim's contact history: an account's completed calls.
CREATE INDEX phone_tasks_account ON dunning.phone_tasks (account_id, completed_at);

ALTER TABLE dunning.plan_instalments ADD COLUMN account_id bigint;
UPDATE dunning.plan_instalments i SET account_id = p.account_id
FROM dunning.payment_plans p WHERE p.id = i.plan_id;
ALTER TABLE dunning.plan_instalments ALTER COLUMN account_id SET NOT NULL;

UPDATE dunning.disputes d SET account_id = i.account_id
FROM dunning.invoices i WHERE i.id = d.invoice_id AND d.account_id IS NULL;
ALTER TABLE dunning.disputes ALTER COLUMN account_id SET NOT NULL;

CREATE FUNCTION dunning.phone_task_account() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NEW.account_id IS NULL THEN
        SELECT account_id INTO NEW.account_id FROM dunning.cases WHERE id = NEW.case_id;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER phone_task_account BEFORE INSERT ON dunning.phone_tasks
    FOR EACH ROW WHEN (NEW.account_id IS NULL) EXECUTE FUNCTION dunning.phone_task_account();

CREATE FUNCTION dunning.plan_instalment_account() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NEW.account_id IS NULL THEN
        SELECT account_id INTO NEW.account_id FROM dunning.payment_plans WHERE id = NEW.plan_id;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER plan_instalment_account BEFORE INSERT ON dunning.plan_instalments
    FOR EACH ROW WHEN (NEW.account_id IS NULL)
    EXECUTE FUNCTION dunning.plan_instalment_account();
