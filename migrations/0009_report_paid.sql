-- What purge keeps of the payments the report attributes to the deliveries
-- it deletes (last touch: the last reminder that reached the account before
-- the payment, within 30 days), so paid-within-7/30-days and recovered read
-- the same after a purge. Keyed as report_daily, by the UTC day of the
-- delivery's created_at. A delivery's paid counts are kept once, in the row
-- with currency ''; the amounts recovered, in minor units, in one row per
-- currency (whose paid counts are 0).
CREATE TABLE dunning.report_daily_paid (
    day        date NOT NULL,
    track      text NOT NULL DEFAULT '',
    step       integer NOT NULL,
    channel    text NOT NULL,
    currency   text NOT NULL DEFAULT '',
    paid_7d    bigint NOT NULL DEFAULT 0,
    paid_30d   bigint NOT NULL DEFAULT 0,
    recovered  bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (day, track, step, channel, currency)
);
