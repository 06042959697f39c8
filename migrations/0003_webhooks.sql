-- Provider feedback through the daemon's webhooks: inbound SMS replies, the
-- call-team tasks they raise, and the order delivery statuses may move in.

-- Replies that are not keywords (STOP, START, HELP): kept for the call team.
-- The sender's number and text are PII and live here, never in events.
CREATE TABLE dunning.inbound_messages (
    id                  bigserial PRIMARY KEY,
    channel             text NOT NULL DEFAULT 'sms',
    address             text NOT NULL,           -- sender, E.164
    body                text NOT NULL,
    account_id          bigint REFERENCES dunning.accounts(id),
    case_id             bigint REFERENCES dunning.cases(id),
    provider_message_id text,
    source              text NOT NULL,           -- webhook: 'twilio', 'sms'
    received_at         timestamptz NOT NULL DEFAULT now()
);
-- A provider retrying the same inbound message must not raise a second task.
CREATE UNIQUE INDEX inbound_messages_provider ON dunning.inbound_messages (source, provider_message_id)
    WHERE provider_message_id IS NOT NULL;
CREATE INDEX inbound_messages_account ON dunning.inbound_messages (account_id)
    WHERE account_id IS NOT NULL;

ALTER TABLE dunning.phone_tasks
    ADD COLUMN inbound_message_id bigint REFERENCES dunning.inbound_messages(id);

-- Inbound replies and opt-outs find the account by its number.
CREATE INDEX accounts_phone ON dunning.accounts (phone) WHERE phone IS NOT NULL;

-- Delivery statuses only move forward: queued < sending < sent < delivered,
-- and failed/bounced end a delivery that was not yet delivered. Once a row is
-- delivered, failed, bounced, suppressed or cancelled no callback changes it,
-- so repeated and late callbacks (a 'sent' after 'delivered') change nothing.
CREATE FUNCTION dunning.delivery_rank(status text) RETURNS integer
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT CASE status
        WHEN 'queued' THEN 0 WHEN 'sending' THEN 1 WHEN 'sent' THEN 2
        WHEN 'delivered' THEN 3 WHEN 'failed' THEN 4 WHEN 'bounced' THEN 4
        ELSE 5 END
$$;
