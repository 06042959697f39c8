-- A receipt confirms that an account's payments cleared everything
-- overdue: one per clearing and channel, not one per paid invoice. The
-- clearing is named by the instant the last invoice was settled, so a
-- payment after a refund (the invoice paid again, at a new paid_at) gets
-- its own receipt, and invoices settled together get one between them.
ALTER TABLE dunning.deliveries ADD COLUMN cleared_at timestamptz;

-- Receipts sent so far: each names its invoice's settlement; where one
-- account had several invoices settled at the same instant, the first
-- receipt of each channel keeps the name (the others stay NULL, which a
-- unique index never compares).
UPDATE dunning.deliveries d SET cleared_at = i.paid_at
FROM dunning.invoices i
WHERE d.kind = 'confirmation' AND i.id = d.invoice_id AND i.paid_at IS NOT NULL
  AND d.id = (SELECT min(e.id) FROM dunning.deliveries e
              JOIN dunning.invoices j ON j.id = e.invoice_id
              WHERE e.kind = 'confirmation' AND e.account_id = d.account_id
                AND e.channel = d.channel AND j.paid_at = i.paid_at);

DROP INDEX dunning.deliveries_confirmation_key;
CREATE UNIQUE INDEX deliveries_receipt_key ON dunning.deliveries (account_id, cleared_at, channel)
    WHERE kind = 'confirmation';
