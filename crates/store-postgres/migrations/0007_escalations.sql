-- Escalations in progress: the step each page's policy fires next, and
-- when. A row ends when the policy is exhausted or the page is answered.
CREATE TABLE escalations (
    page_id  BIGINT      PRIMARY KEY REFERENCES pages (id) ON DELETE CASCADE,
    policy   TEXT        NOT NULL,
    step     BIGINT      NOT NULL,
    round    BIGINT      NOT NULL,
    next_at  TIMESTAMPTZ NOT NULL
);

CREATE INDEX escalations_by_next_at ON escalations (next_at);
