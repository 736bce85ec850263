-- Responding to pages: snoozes, reassignment, responder feedback, and the
-- secret that signs action links.

ALTER TABLE pages ADD COLUMN snoozed_until TIMESTAMPTZ;
ALTER TABLE pages ADD COLUMN assigned_to TEXT;
CREATE INDEX pages_snoozed ON pages (snoozed_until) WHERE snoozed_until IS NOT NULL;

-- One verdict per page, replaced when given again. Deliberately no foreign
-- key: what the page was about is copied here so that health reports can
-- count feedback after the page itself is purged.
CREATE TABLE page_feedback (
    page_id         BIGINT      PRIMARY KEY,
    actionable      BOOLEAN     NOT NULL,
    reason          TEXT,
    text            TEXT,
    given_by        TEXT        NOT NULL,
    given_at        TIMESTAMPTZ NOT NULL,
    alertnames      JSONB       NOT NULL,   -- array of strings
    route           TEXT        NOT NULL,
    service         TEXT        NOT NULL,
    page_created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX page_feedback_created ON page_feedback (page_created_at);

CREATE TABLE secrets (
    name       TEXT        PRIMARY KEY,
    value      BYTEA       NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
