-- SLI events: good and valid event counts per SLO and minute, as pushed to
-- (or probed by) the SLO engine. Rows are appended, never merged, so that
-- instances receiving pushes for the same minute never contend for a row;
-- readers add up the rows of a minute.
CREATE TABLE sli_events (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slo         TEXT             NOT NULL,
    minute      TIMESTAMPTZ      NOT NULL,
    good        DOUBLE PRECISION NOT NULL,
    total       DOUBLE PRECISION NOT NULL,
    received_at TIMESTAMPTZ      NOT NULL,
    -- PostgreSQL orders NaN above infinity: `total < 'Infinity'` refuses
    -- both, as SQLite does, so that no sum turns into NaN.
    CHECK (good >= 0 AND total >= 0 AND good <= total AND total < 'Infinity')
);

-- Following what arrives.
CREATE INDEX sli_events_received_at ON sli_events (received_at);
-- Totals per SLO and minute.
CREATE INDEX sli_events_slo_minute ON sli_events (slo, minute);
