-- Escalations in progress: the step each page's policy fires next, and
-- when. A row ends when the policy is exhausted or the page is answered.
-- Instants are milliseconds since the Unix epoch.
CREATE TABLE escalations (
    page_id  INTEGER PRIMARY KEY REFERENCES pages (id) ON DELETE CASCADE,
    policy   TEXT    NOT NULL,
    step     INTEGER NOT NULL,
    round    INTEGER NOT NULL,
    next_at  INTEGER NOT NULL
) STRICT;

CREATE INDEX escalations_by_next_at ON escalations (next_at);
