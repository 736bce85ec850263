-- Heartbeats (dead man's switches): the last beat of each, and the page its
-- silence opened, so that a restart neither forgets a beat nor opens a
-- second page. Any instance may record a beat.
CREATE TABLE heartbeats (
    name           TEXT        PRIMARY KEY,
    watched_since  TIMESTAMPTZ NOT NULL,
    last_beat_at   TIMESTAMPTZ,
    beats          BIGINT      NOT NULL DEFAULT 0,
    -- The page of the last silence, until seen resolved; a purged page is
    -- forgotten with it.
    page_id        BIGINT      REFERENCES pages (id) ON DELETE SET NULL,
    page_opened_at TIMESTAMPTZ
);
