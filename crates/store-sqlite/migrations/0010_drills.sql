-- Drills: practice pages sent through the real path. The page a drill
-- opens is linked by the engine; timings are read from the page and its
-- notifications.
CREATE TABLE drills (
    id         INTEGER PRIMARY KEY,
    service    TEXT    NOT NULL,
    started_by TEXT    NOT NULL,
    started_at INTEGER NOT NULL,
    page_id    INTEGER REFERENCES pages (id) ON DELETE SET NULL
) STRICT;
