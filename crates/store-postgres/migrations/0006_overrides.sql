-- Schedule overrides: someone covers part of a schedule at runtime.
-- Schedules are configuration, so an override names its schedule rather
-- than referencing a row.
CREATE TABLE schedule_overrides (
    id          BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    schedule    TEXT        NOT NULL,
    user_name   TEXT        NOT NULL,
    starts_at   TIMESTAMPTZ NOT NULL,
    ends_at     TIMESTAMPTZ NOT NULL CHECK (ends_at > starts_at),
    created_by  TEXT        NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    note        TEXT
);

-- "Which overrides touch this range": by schedule and end, since a range
-- query keeps rows that end after its start.
CREATE INDEX schedule_overrides_by_end ON schedule_overrides (schedule, ends_at);
