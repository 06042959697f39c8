-- A model of the outbox's two updates per row, to measure what a HOT lease
-- would save (BENCHMARKS.md, "Queue health"). Not dunnd's schema: a table
-- with deliveries' columns that the dispatcher writes and the indexes that
-- decide whether an update can be HOT (deliveries_due's key and predicate,
-- deliveries_provider). 20,000 due rows are leased 100 at a time and each
-- batch's result written, each its own transaction, as the dispatcher does.
--   hot=false: today's lease (status 'sending', next_attempt_at moved);
--   hot=true:  a lease that writes only lease_until, leased_by, attempts,
--              updated_at, and a claim that skips live leases;
--   ff:        the table's fillfactor.
-- Run on a scratch cluster (autovacuum off, so only page pruning acts):
--   psql -X -q -v hot=true -v ff=80 -f bench/hot_lease.sql
\set ON_ERROR_STOP 1
DROP TABLE IF EXISTS d;
CREATE TABLE d (id bigserial PRIMARY KEY, account_id bigint, case_id bigint, kind text, channel text, template text,
  status text NOT NULL, attempts int DEFAULT 0, next_attempt_at timestamptz, lease_until timestamptz, leased_by int,
  provider_message_id text, address text, last_error text, created_at timestamptz DEFAULT now(), sent_at timestamptz,
  updated_at timestamptz DEFAULT now()) WITH (fillfactor = :ff);
CREATE INDEX d_due ON d (next_attempt_at) WHERE status IN ('queued', 'sending');
CREATE INDEX d_prov ON d (provider_message_id) WHERE provider_message_id IS NOT NULL;
CREATE INDEX d_acct ON d (account_id, created_at);
INSERT INTO d (account_id, case_id, kind, channel, template, status, next_attempt_at)
SELECT g, g, 'reminder', 'email', 'reminder_step_one_template', 'queued', now() - interval '1 s' FROM generate_series(1, 20000) g;
SELECT pg_stat_force_next_flush();
SET my.hot = :'hot';
DO $$ DECLARE n int; ids bigint[]; BEGIN
  LOOP
    IF current_setting('my.hot')::bool THEN
      WITH l AS (SELECT id FROM d WHERE status IN ('queued','sending') AND next_attempt_at <= now()
                 AND (lease_until IS NULL OR lease_until <= now()) ORDER BY next_attempt_at LIMIT 100 FOR UPDATE SKIP LOCKED),
      u AS (UPDATE d SET attempts = attempts + 1, lease_until = now() + interval '300 s', leased_by = 7, updated_at = now()
      FROM l WHERE d.id = l.id RETURNING d.id) SELECT array_agg(id) INTO ids FROM u;
    ELSE
      WITH l AS (SELECT id FROM d WHERE status IN ('queued','sending') AND next_attempt_at <= now()
                 ORDER BY next_attempt_at LIMIT 100 FOR UPDATE SKIP LOCKED)
      , u AS (UPDATE d SET status = 'sending', attempts = attempts + 1, lease_until = now() + interval '300 s',
             next_attempt_at = now() + interval '300 s', leased_by = 7, updated_at = now()
      FROM l WHERE d.id = l.id RETURNING d.id) SELECT array_agg(id) INTO ids FROM u;
    END IF;
    EXIT WHEN ids IS NULL;
    COMMIT;
    UPDATE d SET status = 'sent', provider_message_id = 'msg-' || id || '@smtp.example', address = 'someone@example.com',
           sent_at = now(), lease_until = NULL, updated_at = now() WHERE id = ANY (ids);
    COMMIT;
  END LOOP; END $$;
SELECT pg_stat_force_next_flush();
SELECT pg_sleep(1);
SELECT :hot AS hot, :ff AS ff, n_tup_upd, n_tup_hot_upd, n_dead_tup, n_live_tup, pg_relation_size('d')/8192 AS pages,
  pg_relation_size('d_due')/8192 AS due_pages FROM pg_stat_user_tables WHERE relname = 'd';
