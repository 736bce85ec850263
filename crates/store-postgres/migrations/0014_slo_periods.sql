-- SLO periods: each row is a completed period of an SLO, with its good and
-- valid events and the objective in force when it began, recorded once its
-- events settled. SLI events are pruned once no window needs them, so a
-- period not kept here when it completes cannot be judged later.
CREATE TABLE slo_periods (
    slo          TEXT             NOT NULL,
    period_start TIMESTAMPTZ      NOT NULL,
    period_end   TIMESTAMPTZ      NOT NULL,
    -- A percentage, judged by as recorded: a later change of objective
    -- does not rejudge a past period.
    objective    DOUBLE PRECISION NOT NULL,
    good         DOUBLE PRECISION NOT NULL,
    total        DOUBLE PRECISION NOT NULL,
    -- The first record of a period stands: instances that record the same
    -- period insert with ON CONFLICT DO NOTHING on this key, in one
    -- statement.
    PRIMARY KEY (slo, period_start),
    CHECK (period_end > period_start),
    -- PostgreSQL orders NaN above every number, so `objective < 100` and
    -- `total < 'Infinity'` refuse it as well as an infinity.
    CHECK (objective > 0 AND objective < 100),
    CHECK (good >= 0 AND total >= 0 AND good <= total AND total < 'Infinity')
);
