-- The customer's own page (GET /p/<token>): its audit events and the
-- satisfaction rating of a resolved dispute.

-- When the customer rated the outcome: a rating is given once.
ALTER TABLE dunning.disputes ADD COLUMN rated_at timestamptz;
-- Page disputes come in through the web.
CREATE INDEX disputes_account ON dunning.disputes (account_id, opened_at);

-- "dunnctl report page" reads page events by kind over a period.
CREATE INDEX events_page ON dunning.events (kind, at) WHERE kind LIKE 'page\_%';
