-- SLO objectives over time: each row is an objective of an SLO, in force
-- from `since` until the SLO's next row. Objectives are ratcheted; a past
-- period is judged by the objective then in force. A row is added only when
-- the objective differs from the SLO's latest.
CREATE TABLE slo_objectives (
    slo       TEXT             NOT NULL,
    -- A percentage. PostgreSQL orders NaN above every number, so
    -- `objective < 100` refuses it as well as an infinity.
    objective DOUBLE PRECISION NOT NULL CHECK (objective > 0 AND objective < 100),
    since     TIMESTAMPTZ      NOT NULL,
    PRIMARY KEY (slo, since)
);
