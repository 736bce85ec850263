-- SLI cursors: how far the source of each SLO that pagerbound reads itself
-- (a Prometheus API) has been read. Written in the transaction that appends
-- the fetched rows to sli_events, so that a restart resumes where the stored
-- rows end and never counts a minute twice.
CREATE TABLE sli_cursors (
    slo     TEXT        PRIMARY KEY,
    through TIMESTAMPTZ NOT NULL
);
