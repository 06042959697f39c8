-- The bench book, straight into the schema after `dunnctl migrate` (SQL,
-- not CSV: a million accounts load in well under a minute). Variables:
-- n accounts, due (cases due now), sms_pct (share of due cases whose
-- track sends SMS), at (the instant the run is "at"). Deterministic: a
-- fixed random seed, and the due set picked by a permutation of the ids
-- (k = id * 7919 mod n), so every reseed builds the same book.
\set ON_ERROR_STOP 1
SELECT setseed(0.4242);
BEGIN;
INSERT INTO dunning.accounts (id, external_ref, name, email, phone, locale, timezone, segment,
                              created_at)
SELECT i, 'A-' || i, 'Customer ' || i, 'c' || i || '@bench.example',
       '+1555' || lpad((i % 10000000)::text, 7, '0'), 'en',
       (ARRAY['UTC', 'Europe/London', 'Europe/Lisbon'])[1 + i % 3],
       CASE WHEN (i::bigint * 7919) % :n < :due AND (i::bigint * 7919) % :n % 100 < :sms_pct
            THEN 'sms' ELSE '' END,
       :'at'::timestamptz - interval '400 days'
FROM generate_series(1, :n) AS i;
SELECT setval('dunning.accounts_id_seq', :n);

-- One invoice each. k < due: overdue, its case due now. due <= k < 2*due:
-- overdue, its case waiting for the next step. The rest: not due yet.
INSERT INTO dunning.invoices (id, account_id, external_ref, amount_due, currency, due_date,
                              description, created_at)
SELECT i, i, 'INV-' || i, 1000 + floor(random() * 50000)::bigint, 'USD',
       CASE WHEN k < 2 * :due THEN (:'at'::timestamptz)::date - 10
            ELSE (:'at'::timestamptz)::date + 1 + floor(random() * 30)::int END,
       'bench', :'at'::timestamptz - interval '40 days'
FROM (SELECT i, (i::bigint * 7919) % :n AS k FROM generate_series(1, :n) AS i) s;
SELECT setval('dunning.invoices_id_seq', :n);

INSERT INTO dunning.cases (account_id, cycle, track, stage, state, opened_at, next_action_at)
SELECT i, 1,
       CASE WHEN k < :due THEN NULL ELSE 'first_time' END,
       CASE WHEN k < :due THEN 0 ELSE 1 END, 'active',
       :'at'::timestamptz - interval '7 days',
       CASE WHEN k < :due THEN :'at'::timestamptz - interval '1 day' - (k % 3600) * interval '1 second'
            ELSE :'at'::timestamptz + interval '2 days' + (k % 86400) * interval '1 second' END
FROM (SELECT i, (i::bigint * 7919) % :n AS k FROM generate_series(1, :n) AS i) s
WHERE k < 2 * :due;
COMMIT;
VACUUM ANALYZE;
