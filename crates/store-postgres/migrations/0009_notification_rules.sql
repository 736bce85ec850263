-- Notification rules: a notification may be due later than it is planned
-- (a text two minutes after the push) and is then sent only while its page
-- is still unacknowledged; an acknowledgement cancels it.

ALTER TABLE notifications DROP CONSTRAINT notifications_state_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_state_check
    CHECK (state IN ('pending', 'sending', 'delivered', 'failed', 'cancelled'));
-- true: send only while the page is triggered (a later contact method).
ALTER TABLE notifications ADD COLUMN until_acknowledged BOOLEAN NOT NULL DEFAULT false;
