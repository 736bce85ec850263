-- API tokens. Only the SHA-256 digest of a token is kept.
CREATE TABLE api_tokens (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    digest       TEXT        NOT NULL UNIQUE,
    user_name    TEXT        NOT NULL,
    role         TEXT        NOT NULL CHECK (role IN ('viewer', 'responder', 'admin')),
    description  TEXT,
    created_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ
);
