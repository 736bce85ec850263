-- Notification rules: a notification may be due later than it is planned
-- (a text two minutes after the push) and is then sent only while its page
-- is still unacknowledged; an acknowledgement cancels it. SQLite cannot
-- change a CHECK constraint in place, so the table is rebuilt with the new
-- state and column.

CREATE TABLE notifications_new (
    id                 INTEGER PRIMARY KEY,
    key                TEXT    NOT NULL UNIQUE,   -- the idempotency key
    source             TEXT    NOT NULL,          -- `page_event:ID` or `notice:ID`
    page_id            INTEGER REFERENCES pages (id) ON DELETE CASCADE,
    destination_key    TEXT    NOT NULL,
    destination        TEXT    NOT NULL,          -- JSON
    message            TEXT    NOT NULL,          -- JSON, as planned and sent
    state              TEXT    NOT NULL
                       CHECK (state IN ('pending', 'sending', 'delivered', 'failed', 'cancelled')),
    attempts           INTEGER NOT NULL,
    next_attempt_at    INTEGER NOT NULL,
    bundle             TEXT,
    last_error         TEXT,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    delivered_at       INTEGER,
    -- 1: send only while the page is triggered (a later contact method).
    until_acknowledged INTEGER NOT NULL DEFAULT 0,
    UNIQUE (source, destination_key)
) STRICT;

INSERT INTO notifications_new
    (id, key, source, page_id, destination_key, destination, message, state, attempts,
     next_attempt_at, bundle, last_error, created_at, updated_at, delivered_at)
SELECT id, key, source, page_id, destination_key, destination, message, state, attempts,
       next_attempt_at, bundle, last_error, created_at, updated_at, delivered_at
FROM notifications;

DROP TABLE notifications;
ALTER TABLE notifications_new RENAME TO notifications;

CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE state = 'pending';
CREATE INDEX notifications_sending ON notifications (id) WHERE state = 'sending';
CREATE INDEX notifications_page ON notifications (page_id);
CREATE INDEX notifications_delivered ON notifications (destination_key, delivered_at);
