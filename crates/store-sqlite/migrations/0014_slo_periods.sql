-- SLO periods: each row is a completed period of an SLO, with its good and
-- valid events and the objective in force when it began, recorded once its
-- events settled. SLI events are pruned once no window needs them, so a
-- period not kept here when it completes cannot be judged later. Instants
-- are milliseconds since the Unix epoch.
CREATE TABLE slo_periods (
    slo          TEXT    NOT NULL,
    period_start INTEGER NOT NULL,
    period_end   INTEGER NOT NULL,
    -- A percentage, judged by as recorded: a later change of objective
    -- does not rejudge a past period.
    objective    REAL    NOT NULL,
    good         REAL    NOT NULL,
    total        REAL    NOT NULL,
    -- The first record of a period stands: instances that record the same
    -- period insert-or-ignore on this key, in one statement.
    PRIMARY KEY (slo, period_start),
    CHECK (period_end > period_start),
    -- SQLite stores a NaN as NULL, which NOT NULL refuses; 9e999 reads as
    -- infinity, which the comparisons refuse.
    CHECK (objective > 0 AND objective < 100),
    CHECK (good >= 0 AND total >= 0 AND good <= total AND total < 9e999)
) STRICT;
