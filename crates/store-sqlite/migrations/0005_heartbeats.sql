-- Heartbeats (dead man's switches): the last beat of each, and the page its
-- silence opened, so that a restart neither forgets a beat nor opens a
-- second page. Instants are milliseconds since the Unix epoch (UTC).
CREATE TABLE heartbeats (
    name           TEXT    PRIMARY KEY,
    watched_since  INTEGER NOT NULL,
    last_beat_at   INTEGER,
    beats          INTEGER NOT NULL DEFAULT 0,
    -- The page of the last silence, until seen resolved; a purged page is
    -- forgotten with it.
    page_id        INTEGER REFERENCES pages (id) ON DELETE SET NULL,
    page_opened_at INTEGER
) STRICT;
