-- The notification outbox. Timeline events and notices are planned into
-- notifications once: `planned_at` is set in the transaction that records
-- what they cause. History from before the outbox counts as planned.

ALTER TABLE page_events ADD COLUMN planned_at TIMESTAMPTZ;
UPDATE page_events SET planned_at = at;
CREATE INDEX page_events_unplanned ON page_events (id) WHERE planned_at IS NULL;

ALTER TABLE notices ADD COLUMN planned_at TIMESTAMPTZ;
UPDATE notices SET planned_at = at;
CREATE INDEX notices_unplanned ON notices (id) WHERE planned_at IS NULL;

CREATE TABLE notifications (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key             TEXT        NOT NULL UNIQUE,   -- the idempotency key
    source          TEXT        NOT NULL,          -- `page_event:ID` or `notice:ID`
    page_id         BIGINT REFERENCES pages (id) ON DELETE CASCADE,
    destination_key TEXT        NOT NULL,
    destination     JSONB       NOT NULL,
    message         JSONB       NOT NULL,          -- as planned and sent
    state           TEXT        NOT NULL CHECK (state IN ('pending', 'sending', 'delivered', 'failed')),
    attempts        BIGINT      NOT NULL,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    bundle          TEXT,
    last_error      TEXT,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    delivered_at    TIMESTAMPTZ,
    UNIQUE (source, destination_key)
);
CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE state = 'pending';
CREATE INDEX notifications_sending ON notifications (id) WHERE state = 'sending';
CREATE INDEX notifications_page ON notifications (page_id);
CREATE INDEX notifications_delivered ON notifications (destination_key, delivered_at);
