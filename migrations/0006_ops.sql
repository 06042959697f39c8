-- The operator's tools: the call team's queue (phone_task module, dunnctl
-- tasks), the funnel report, and retention (dunnctl purge).

-- What purge keeps of the deliveries it deletes: counts per day (UTC, of
-- created_at), track, step, channel, kind and status. The report adds them
-- to what is still in dunning.deliveries.
CREATE TABLE dunning.report_daily (
    day      date NOT NULL,
    track    text NOT NULL DEFAULT '',
    step     integer NOT NULL,
    channel  text NOT NULL,
    kind     text NOT NULL,
    status   text NOT NULL,
    n        bigint NOT NULL,
    PRIMARY KEY (day, track, step, channel, kind, status)
);

-- One task per delivery: a send retried after its INSERT committed (the
-- result write was lost) finds the task it already made.
CREATE UNIQUE INDEX phone_tasks_delivery ON dunning.phone_tasks (delivery_id)
    WHERE delivery_id IS NOT NULL;
-- The poller's contact history reads an account's completed tasks.
CREATE INDEX phone_tasks_case ON dunning.phone_tasks (case_id, completed_at);

-- Purge erases the text and sender of old inbound replies.
ALTER TABLE dunning.inbound_messages ALTER COLUMN body DROP NOT NULL;
ALTER TABLE dunning.inbound_messages ALTER COLUMN address DROP NOT NULL;

-- Report periods and retention scan deliveries and cases by age.
CREATE INDEX deliveries_created ON dunning.deliveries (created_at);
CREATE INDEX cases_closed ON dunning.cases (closed_at) WHERE state = 'resolved';
