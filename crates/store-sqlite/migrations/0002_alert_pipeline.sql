-- The alert pipeline: alerts, silences, groups, pages and tickets,
-- maintenance windows, notices and leases.
-- Instants are milliseconds since the Unix epoch (UTC); JSON columns are text.

-- One row per occurrence (one firing period of one label set).
CREATE TABLE alerts (
    id            INTEGER PRIMARY KEY,
    fingerprint   INTEGER NOT NULL,
    labels        TEXT    NOT NULL,
    annotations   TEXT    NOT NULL,
    generator_url TEXT,
    starts_at     INTEGER NOT NULL,
    ends_at       INTEGER,            -- NULL: fires until resolved explicitly
    timeout       INTEGER NOT NULL,   -- ends_at came from the resolve timeout
    updated_at    INTEGER NOT NULL,
    integration   TEXT    NOT NULL,
    seq           INTEGER NOT NULL    -- change number, for the engine (kept in memory
                                      -- by the one process that writes the file)
) STRICT;
CREATE INDEX alerts_ends_at ON alerts (ends_at);
CREATE INDEX alerts_seq ON alerts (seq);

CREATE TABLE silences (
    id         TEXT    PRIMARY KEY,
    matchers   TEXT    NOT NULL,      -- JSON array of matcher strings
    starts_at  INTEGER NOT NULL,
    ends_at    INTEGER NOT NULL,
    created_by TEXT    NOT NULL,
    comment    TEXT    NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX silences_ends_at ON silences (ends_at);

-- Page and ticket groups' notification state, so the engine resumes.
CREATE TABLE alert_groups (
    key              TEXT    PRIMARY KEY,
    route            TEXT    NOT NULL,
    service          TEXT    NOT NULL,
    class            TEXT    NOT NULL CHECK (class IN ('page', 'ticket', 'log')),
    labels           TEXT    NOT NULL,
    created_at       INTEGER NOT NULL,
    next_flush_at    INTEGER NOT NULL,
    last_notified_at INTEGER,
    notified         TEXT    NOT NULL,  -- JSON array of fingerprints
    page_id          INTEGER
) STRICT;

CREATE TABLE pages (
    id              INTEGER PRIMARY KEY,
    class           TEXT    NOT NULL CHECK (class IN ('page', 'ticket')),
    state           TEXT    NOT NULL CHECK (state IN ('triggered', 'acknowledged', 'open', 'resolved')),
    service         TEXT    NOT NULL,
    route           TEXT    NOT NULL,
    group_key       TEXT    NOT NULL,
    group_labels    TEXT    NOT NULL,
    title           TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    acknowledged_at INTEGER,
    acknowledged_by TEXT,
    resolved_at     INTEGER,
    resolved_by     TEXT,
    alert_count     INTEGER NOT NULL
) STRICT;
CREATE INDEX pages_created_at ON pages (created_at);
CREATE INDEX pages_unresolved ON pages (state) WHERE state <> 'resolved';

CREATE TABLE page_alerts (
    page_id  INTEGER NOT NULL REFERENCES pages (id) ON DELETE CASCADE,
    alert_id INTEGER NOT NULL,
    added_at INTEGER NOT NULL,
    PRIMARY KEY (page_id, alert_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX page_alerts_alert ON page_alerts (alert_id);

CREATE TABLE page_events (
    id      INTEGER PRIMARY KEY,
    page_id INTEGER NOT NULL REFERENCES pages (id) ON DELETE CASCADE,
    at      INTEGER NOT NULL,
    kind    TEXT    NOT NULL,
    detail  TEXT    NOT NULL
) STRICT;
CREATE INDEX page_events_page ON page_events (page_id, id);

CREATE TABLE maintenance_windows (
    id         INTEGER PRIMARY KEY,
    service    TEXT    NOT NULL,
    starts_at  INTEGER NOT NULL,
    ends_at    INTEGER NOT NULL,
    reason     TEXT    NOT NULL,
    created_by TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    notice_at  INTEGER
) STRICT;
CREATE INDEX maintenance_windows_ends_at ON maintenance_windows (ends_at);

-- Things a service's team should be told; the notifiers send them.
CREATE TABLE notices (
    id      INTEGER PRIMARY KEY,
    service TEXT    NOT NULL,
    at      INTEGER NOT NULL,
    kind    TEXT    NOT NULL,
    message TEXT    NOT NULL
) STRICT;
CREATE INDEX notices_at ON notices (at);

-- Work that one instance at a time does (the engine).
CREATE TABLE leases (
    name       TEXT    PRIMARY KEY,
    holder     TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;
