-- SLO objectives over time: each row is an objective of an SLO, in force
-- from `since` until the SLO's next row. Objectives are ratcheted; a past
-- period is judged by the objective then in force. A row is added only when
-- the objective differs from the SLO's latest. Instants are milliseconds
-- since the Unix epoch.
CREATE TABLE slo_objectives (
    slo       TEXT    NOT NULL,
    -- A percentage. SQLite stores a NaN as NULL, which NOT NULL refuses;
    -- an infinity fails the CHECK.
    objective REAL    NOT NULL CHECK (objective > 0 AND objective < 100),
    since     INTEGER NOT NULL,
    PRIMARY KEY (slo, since)
) STRICT;
