-- The alert pipeline: alerts, silences, groups, pages and tickets,
-- maintenance windows, notices and leases.

-- Change numbers for alert writes; the engine follows changes by them.
CREATE SEQUENCE alert_seq;

-- One row per occurrence (one firing period of one label set).
CREATE TABLE alerts (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    fingerprint   BIGINT      NOT NULL,
    labels        JSONB       NOT NULL,
    annotations   JSONB       NOT NULL,
    generator_url TEXT,
    starts_at     TIMESTAMPTZ NOT NULL,
    ends_at       TIMESTAMPTZ,            -- NULL: fires until resolved explicitly
    timeout       BOOLEAN     NOT NULL,   -- ends_at came from the resolve timeout
    updated_at    TIMESTAMPTZ NOT NULL,
    integration   TEXT        NOT NULL,
    seq           BIGINT      NOT NULL
);
CREATE INDEX alerts_ends_at ON alerts (ends_at);
CREATE INDEX alerts_seq ON alerts (seq);

CREATE TABLE silences (
    id         TEXT        PRIMARY KEY,
    matchers   JSONB       NOT NULL,      -- array of matcher strings
    starts_at  TIMESTAMPTZ NOT NULL,
    ends_at    TIMESTAMPTZ NOT NULL,
    created_by TEXT        NOT NULL,
    comment    TEXT        NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX silences_ends_at ON silences (ends_at);

CREATE TABLE alert_groups (
    key              TEXT        PRIMARY KEY,
    route            TEXT        NOT NULL,
    service          TEXT        NOT NULL,
    class            TEXT        NOT NULL CHECK (class IN ('page', 'ticket', 'log')),
    labels           JSONB       NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    next_flush_at    TIMESTAMPTZ NOT NULL,
    last_notified_at TIMESTAMPTZ,
    notified         JSONB       NOT NULL,  -- array of fingerprints
    page_id          BIGINT
);

CREATE TABLE pages (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    class           TEXT        NOT NULL CHECK (class IN ('page', 'ticket')),
    state           TEXT        NOT NULL CHECK (state IN ('triggered', 'acknowledged', 'open', 'resolved')),
    service         TEXT        NOT NULL,
    route           TEXT        NOT NULL,
    group_key       TEXT        NOT NULL,
    group_labels    JSONB       NOT NULL,
    title           TEXT        NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    acknowledged_at TIMESTAMPTZ,
    acknowledged_by TEXT,
    resolved_at     TIMESTAMPTZ,
    resolved_by     TEXT,
    alert_count     BIGINT      NOT NULL
);
CREATE INDEX pages_created_at ON pages (created_at);
CREATE INDEX pages_unresolved ON pages (state) WHERE state <> 'resolved';

CREATE TABLE page_alerts (
    page_id  BIGINT      NOT NULL REFERENCES pages (id) ON DELETE CASCADE,
    alert_id BIGINT      NOT NULL,
    added_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (page_id, alert_id)
);
CREATE INDEX page_alerts_alert ON page_alerts (alert_id);

CREATE TABLE page_events (
    id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    page_id BIGINT      NOT NULL REFERENCES pages (id) ON DELETE CASCADE,
    at      TIMESTAMPTZ NOT NULL,
    kind    TEXT        NOT NULL,
    detail  JSONB       NOT NULL
);
CREATE INDEX page_events_page ON page_events (page_id, id);

CREATE TABLE maintenance_windows (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    service    TEXT        NOT NULL,
    starts_at  TIMESTAMPTZ NOT NULL,
    ends_at    TIMESTAMPTZ NOT NULL,
    reason     TEXT        NOT NULL,
    created_by TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    notice_at  TIMESTAMPTZ
);
CREATE INDEX maintenance_windows_ends_at ON maintenance_windows (ends_at);

CREATE TABLE notices (
    id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    service TEXT        NOT NULL,
    at      TIMESTAMPTZ NOT NULL,
    kind    TEXT        NOT NULL,
    message TEXT        NOT NULL
);
CREATE INDEX notices_at ON notices (at);

CREATE TABLE leases (
    name       TEXT        PRIMARY KEY,
    holder     TEXT        NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
