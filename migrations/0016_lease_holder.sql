-- Who holds a lease: a leased row ('sending') names the dunnd that took
-- it by the id of a session-level advisory lock that process holds on
-- the dispatcher's connection (pg_try_advisory_lock(1685417582, id)).
-- A row whose holder's lock is gone belongs to a process that died or
-- was cut off: it waits for lease_until and then goes out again, and a
-- starting dunnd and dunnctl status say how many and when. NULL: leased
-- before this column existed.
ALTER TABLE dunning.deliveries ADD COLUMN leased_by integer;
