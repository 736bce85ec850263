-- SLI events: good and valid event counts per SLO and minute, as pushed to
-- (or probed by) the SLO engine. Rows are appended, never merged; readers
-- add up the rows of a minute. Instants are milliseconds since the Unix
-- epoch. AUTOINCREMENT so that ids never go back after a prune: followers
-- read rows oldest id first.
CREATE TABLE sli_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    slo         TEXT    NOT NULL,
    minute      INTEGER NOT NULL,
    good        REAL    NOT NULL,
    total       REAL    NOT NULL,
    received_at INTEGER NOT NULL,
    -- SQLite stores a NaN as NULL, which NOT NULL refuses; 9e999 reads as
    -- infinity, so an infinite count, which no sum recovers from, is
    -- refused too. PostgreSQL refuses both alike.
    CHECK (good >= 0 AND total >= 0 AND good <= total AND total < 9e999)
) STRICT;

-- Following what arrives.
CREATE INDEX sli_events_received_at ON sli_events (received_at);
-- Totals per SLO and minute.
CREATE INDEX sli_events_slo_minute ON sli_events (slo, minute);
