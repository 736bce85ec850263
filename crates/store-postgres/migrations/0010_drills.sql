-- Drills: practice pages sent through the real path. The page a drill
-- opens is linked by the engine; timings are read from the page and its
-- notifications.
CREATE TABLE drills (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    service    TEXT        NOT NULL,
    started_by TEXT        NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    page_id    BIGINT REFERENCES pages (id) ON DELETE SET NULL
);
