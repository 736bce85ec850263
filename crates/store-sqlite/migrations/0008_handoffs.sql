-- Handoffs: a notice may be for one person (the incoming on-call's handoff
-- report) rather than for a service's people, and the notifier remembers
-- who it last saw on call in each schedule, so that a restart neither
-- misses a handoff nor reports one twice.
ALTER TABLE notices ADD COLUMN recipient TEXT;

CREATE TABLE oncall_watch (
    schedule   TEXT PRIMARY KEY,
    user_name  TEXT,
    since      INTEGER NOT NULL
) STRICT;
