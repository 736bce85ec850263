-- The alert search reads history newest first by start time and stops
-- at its limit, instead of sorting every alert that ever fired.
CREATE INDEX alerts_starts_at ON alerts (starts_at, id);
