-- dunnctl purge folds a partition's figures into the report before it
-- takes the parent's exclusive lock, and under the lock only checks that
-- nothing changed since and drops the partition (ctl/ctl_purge_part.c):
-- the lock is held for the same few milliseconds whatever the size.
--
-- The check must not read the partition again. Before the fold, purge puts
-- a row trigger (purge_watch) on that one partition, and every row written
-- to it from then on counts in dunning.purge_watch under the partition's
-- oid; the fold reads the count, and under the lock an unchanged count
-- means the fold saw every row as it is. A row trigger, since a statement
-- aimed at the parent fires no partition's statement triggers. Only a
-- partition past retention is watched, and writes to one are rare (a late
-- provider status, a notice for a long closed case): they pay one update
-- of a counter. The trigger goes with the partition, or purge drops it
-- when the partition stays; one left behind by a purge that died is
-- replaced by the next.
CREATE TABLE dunning.purge_watch (
    part oid PRIMARY KEY,
    changes bigint NOT NULL DEFAULT 0
);

-- SECURITY DEFINER: dunnd writes to the outbox, not to this table.
CREATE FUNCTION dunning.purge_watch_touch() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    UPDATE dunning.purge_watch SET changes = changes + 1 WHERE part = TG_RELID;
    RETURN NULL;
END $$;

-- The customer page's figures (dunnctl report page) of events whose
-- partition purge dropped: per UTC day, the case's stage when it happened
-- ('-': no open case), kind and account (0: none), how many. The report
-- adds them to the events still there; views and visitors come out the
-- same for any period, since a visitor is an account counted once.
CREATE TABLE dunning.report_page_daily (
    day date NOT NULL,
    stage text NOT NULL,
    kind text NOT NULL,
    account_id bigint NOT NULL,
    n bigint NOT NULL,
    PRIMARY KEY (day, stage, kind, account_id)
);
