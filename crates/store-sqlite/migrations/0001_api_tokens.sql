-- API tokens. Only the SHA-256 digest of a token is kept.
-- Instants are milliseconds since the Unix epoch (UTC).
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    digest       TEXT    NOT NULL UNIQUE,
    user_name    TEXT    NOT NULL,
    role         TEXT    NOT NULL CHECK (role IN ('viewer', 'responder', 'admin')),
    description  TEXT,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
) STRICT;
