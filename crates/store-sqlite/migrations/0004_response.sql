-- Responding to pages: snoozes, reassignment, responder feedback, and the
-- secret that signs action links.

ALTER TABLE pages ADD COLUMN snoozed_until INTEGER;
ALTER TABLE pages ADD COLUMN assigned_to TEXT;
CREATE INDEX pages_snoozed ON pages (snoozed_until) WHERE snoozed_until IS NOT NULL;

-- One verdict per page, replaced when given again. Deliberately no foreign
-- key: what the page was about is copied here so that health reports can
-- count feedback after the page itself is purged.
CREATE TABLE page_feedback (
    page_id         INTEGER PRIMARY KEY,
    actionable      INTEGER NOT NULL CHECK (actionable IN (0, 1)),
    reason          TEXT,
    text            TEXT,
    given_by        TEXT    NOT NULL,
    given_at        INTEGER NOT NULL,
    alertnames      TEXT    NOT NULL,   -- JSON array of strings
    route           TEXT    NOT NULL,
    service         TEXT    NOT NULL,
    page_created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX page_feedback_created ON page_feedback (page_created_at);

CREATE TABLE secrets (
    name       TEXT    PRIMARY KEY,
    value      BLOB    NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
