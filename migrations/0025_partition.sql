-- The outbox and the audit log leave by partition: dunning.deliveries and
-- dunning.events become range-partitioned tables, so that purge detaches
-- and drops a whole partition instead of deleting rows one by one.
--
-- events are partitioned by "at", one partition per UTC month.
--
-- deliveries are partitioned by case_id, one partition per month of cases.
-- Every unique key of a partitioned table must hold its partition key, and
-- the outbox's keys are what make a replayed decision harmless:
--   reminders      (case_id, cycle, step, channel)
--   confirmations  (invoice_id, channel)       now (invoice_id, channel, case_id)
--   dispute notices (dispute_id, kind, channel) now (dispute_id, kind, channel, case_id)
-- A time column (created_at) in those keys would make them useless: a
-- replay at another instant would be a new key. case_id is already in the
-- reminder key and fixed for the others by what they answer: a
-- confirmation goes to the case open when the invoice was paid, a dispute
-- notice to the account's latest case when the dispute opened or was
-- resolved. So every key stays as strict as before, and a case's whole
-- history lives in one partition, which is the unit purge works on (it
-- keeps or drops cases, never single rows).
-- Time comes in through the ids: dunning.partitions_ensure(t) creates the
-- partitions of t's month and the two after it, each the block of case ids
-- YYYYMM * 10^8 up to the next month's, and moves the cases' sequence to
-- the start of the current month's block. A case id therefore begins with
-- the year and month its block opened (20261200000042), and a month of
-- cases is one partition. dunnd calls it when it starts and whenever its
-- clock enters a new month; dunnctl migrate calls it too.
-- Cases that existed before this migration keep their ids and share one
-- partition (deliveries_legacy); a DEFAULT partition catches a row no
-- other partition takes (ids written by hand past the blocks), so no
-- insert ever fails for want of a partition.
--
-- phone_tasks referenced deliveries(id), which is no longer unique on its
-- own: the reference is now (delivery_id, case_id) to (id, case_id), the
-- same rows (a task made for a delivery carries that delivery's case).
--
-- The tables are rebuilt whatever columns they have by then (LIKE ...
-- INCLUDING ALL, rows moved by INSERT ... SELECT *): indexes, foreign keys
-- triggers and grants are read from the catalog and made again, unique ones with the
-- partition key added. ALTER TABLE on the partitioned tables (ADD COLUMN,
-- CREATE INDEX, CHECK constraints) goes on working for later migrations.
-- The move takes an exclusive lock on both tables: dunnd waits for it.

-- The first case id of the block of t's UTC month.
CREATE FUNCTION dunning.case_block(t timestamptz) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT to_char(t AT TIME ZONE 'UTC', 'YYYYMM')::bigint * 100000000
$$;

-- Moves dunning.<tbl> into a partitioned table of the same name, by key,
-- with the partitions first made by mk (a statement run with %s for the
-- new table's name). Rows, indexes, foreign keys and grants go across.
CREATE FUNCTION pg_temp.partition_table(tbl text, key text, mk text[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    old text := tbl || '_unpartitioned';
    seq text := pg_get_serial_sequence('dunning.' || tbl, 'id');
    r record;
    cols text;
BEGIN
    EXECUTE format('ALTER TABLE dunning.%I RENAME TO %I', tbl, old);
    IF seq IS NOT NULL THEN
        EXECUTE format('ALTER SEQUENCE %s OWNED BY NONE', seq);
    END IF;
    EXECUTE format('CREATE TABLE dunning.%I (LIKE dunning.%I INCLUDING ALL EXCLUDING INDEXES)'
                   ' PARTITION BY RANGE (%I)', tbl, old, key);
    FOR i IN 1 .. coalesce(array_length(mk, 1), 0) LOOP
        EXECUTE mk[i];
    END LOOP;
    EXECUTE format('INSERT INTO dunning.%I SELECT * FROM dunning.%I', tbl, old);
    -- The old table's indexes, its foreign keys and its grants, read
    -- before it goes (index names are schema-wide).
    CREATE TEMP TABLE part_idx ON COMMIT DROP AS
        SELECT c.relname AS name, x.indisunique AS uniq, x.indisprimary AS pk,
               am.amname AS method,
               (SELECT string_agg(pg_get_indexdef(x.indexrelid, k, true), ', ' ORDER BY k)
                FROM generate_series(1, x.indnkeyatts) k) AS keys,
               (SELECT string_agg(pg_get_indexdef(x.indexrelid, k, true), ', ' ORDER BY k)
                FROM generate_series(x.indnkeyatts + 1, x.indnatts) k) AS incl,
               pg_get_expr(x.indpred, x.indrelid, true) AS pred,
               (SELECT a.attnum FROM pg_attribute a
                WHERE a.attrelid = x.indrelid AND a.attname = key) = ANY (x.indkey::int2[])
                   AS has_key,
               pg_get_indexdef(x.indexrelid) AS def
        FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid
        JOIN pg_am am ON am.oid = c.relam
        WHERE x.indrelid = format('dunning.%I', old)::regclass;
    CREATE TEMP TABLE part_fk ON COMMIT DROP AS
        SELECT conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint
        WHERE conrelid = format('dunning.%I', old)::regclass AND contype = 'f';
    CREATE TEMP TABLE part_trg ON COMMIT DROP AS
        SELECT pg_get_triggerdef(oid) AS def FROM pg_trigger
        WHERE tgrelid = format('dunning.%I', old)::regclass AND NOT tgisinternal;
    CREATE TEMP TABLE part_acl ON COMMIT DROP AS
        SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(g.rolname) END AS who,
               a.privilege_type AS what
        FROM pg_class c, aclexplode(c.relacl) a LEFT JOIN pg_roles g ON g.oid = a.grantee
        WHERE c.oid = format('dunning.%I', old)::regclass
          AND a.grantee IS DISTINCT FROM c.relowner;
    FOR r IN SELECT conname, conrelid::regclass AS rel FROM pg_constraint
             WHERE confrelid = format('dunning.%I', old)::regclass AND contype = 'f' LOOP
        RAISE EXCEPTION '%: foreign key % references dunning.%: give it the partition key',
            r.rel, r.conname, tbl;
    END LOOP;
    EXECUTE format('DROP TABLE dunning.%I', old);
    FOR r IN SELECT * FROM part_idx LOOP
        IF r.pk THEN
            EXECUTE format('ALTER TABLE dunning.%I ADD CONSTRAINT %I PRIMARY KEY (%s, %I)',
                           tbl, r.name, r.keys, key);
        ELSIF r.uniq THEN
            cols := r.keys;
            IF NOT r.has_key THEN
                cols := cols || ', ' || quote_ident(key);
            END IF;
            EXECUTE format('CREATE UNIQUE INDEX %I ON dunning.%I USING %s (%s)%s%s',
                           r.name, tbl, r.method, cols,
                           CASE WHEN r.incl IS NOT NULL THEN ' INCLUDE (' || r.incl || ')' ELSE '' END,
                           CASE WHEN r.pred IS NOT NULL THEN ' WHERE ' || r.pred ELSE '' END);
        ELSE
            EXECUTE regexp_replace(r.def, ' ON \S+ USING ', format(' ON dunning.%I USING ', tbl));
        END IF;
    END LOOP;
    FOR r IN SELECT * FROM part_fk LOOP
        EXECUTE format('ALTER TABLE dunning.%I ADD CONSTRAINT %I %s', tbl, r.name, r.def);
    END LOOP;
    FOR r IN SELECT * FROM part_trg LOOP
        EXECUTE regexp_replace(r.def, ' ON \S+ FOR ', format(' ON dunning.%I FOR ', tbl));
    END LOOP;
    FOR r IN SELECT * FROM part_acl LOOP
        EXECUTE format('GRANT %s ON dunning.%I TO %s', r.what, tbl, r.who);
    END LOOP;
    IF seq IS NOT NULL THEN
        EXECUTE format('ALTER SEQUENCE %s OWNED BY dunning.%I.id', seq, tbl);
    END IF;
    DROP TABLE part_idx, part_fk, part_trg, part_acl;
END $$;

-- The reference from phone_tasks comes back below, with the case.
ALTER TABLE dunning.phone_tasks DROP CONSTRAINT phone_tasks_delivery_id_fkey;

SELECT pg_temp.partition_table('deliveries', 'case_id', ARRAY[
    format('CREATE TABLE dunning.deliveries_legacy PARTITION OF dunning.deliveries'
           ' FOR VALUES FROM (MINVALUE) TO (%s)', dunning.case_block(now())),
    'CREATE TABLE dunning.deliveries_default PARTITION OF dunning.deliveries DEFAULT']);

SELECT pg_temp.partition_table('events', 'at', ARRAY[
    format('CREATE TABLE dunning.events_legacy PARTITION OF dunning.events'
           ' FOR VALUES FROM (MINVALUE) TO (%L)',
           date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'),
    'CREATE TABLE dunning.events_default PARTITION OF dunning.events DEFAULT']);

ALTER TABLE dunning.phone_tasks ADD CONSTRAINT phone_tasks_delivery_fkey
    FOREIGN KEY (delivery_id, case_id) REFERENCES dunning.deliveries (id, case_id);

-- Partitions of around's UTC month and the two after it, for deliveries
-- (a block of case ids each) and events (a month of "at" each); then new
-- cases take ids from around's month's block. A month already covered by
-- another partition (the legacy ones), or with rows waiting in a DEFAULT
-- partition, is left as it is: its rows have a home. Returns how many
-- partitions it made. SECURITY DEFINER: dunnd need not own the tables;
-- the advisory lock keeps two callers from racing over the sequence.
CREATE FUNCTION dunning.partitions_ensure(around timestamptz) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    m timestamp := date_trunc('month', around AT TIME ZONE 'UTC');
    s timestamp;
    made integer := 0;
    seq text := pg_get_serial_sequence('dunning.cases', 'id');
    lo bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(74158033);
    PERFORM set_config('lock_timeout', '5s', true);
    FOR k IN 0 .. 2 LOOP
        s := m + make_interval(months => k);
        IF to_regclass('dunning.deliveries_' || to_char(s, 'YYYYMM')) IS NULL THEN
            BEGIN
                EXECUTE format('CREATE TABLE dunning.%I PARTITION OF dunning.deliveries'
                               ' FOR VALUES FROM (%s) TO (%s)', 'deliveries_' || to_char(s, 'YYYYMM'),
                               dunning.case_block(s AT TIME ZONE 'UTC'),
                               dunning.case_block((s + interval '1 month') AT TIME ZONE 'UTC'));
                made := made + 1;
            EXCEPTION WHEN invalid_object_definition OR check_violation THEN
                NULL;
            END;
        END IF;
        IF to_regclass('dunning.events_' || to_char(s, 'YYYYMM')) IS NULL THEN
            BEGIN
                EXECUTE format('CREATE TABLE dunning.%I PARTITION OF dunning.events'
                               ' FOR VALUES FROM (%L) TO (%L)', 'events_' || to_char(s, 'YYYYMM'),
                               s AT TIME ZONE 'UTC', (s + interval '1 month') AT TIME ZONE 'UTC');
                made := made + 1;
            EXCEPTION WHEN invalid_object_definition OR check_violation THEN
                NULL;
            END;
        END IF;
    END LOOP;
    lo := dunning.case_block(m AT TIME ZONE 'UTC');
    IF to_regclass('dunning.deliveries_' || to_char(m, 'YYYYMM')) IS NOT NULL THEN
        EXECUTE format('SELECT setval(%L, %s, false) FROM %s WHERE last_value < %s',
                       seq, lo, seq, lo);
    END IF;
    RETURN made;
END $$;

SELECT dunning.partitions_ensure(now());
ANALYZE dunning.deliveries, dunning.events;
