-- Signing in to the web UI. A user's password is kept only as an argon2
-- hash (a PHC string), with the role signing in grants.
CREATE TABLE user_passwords (
    user_name  TEXT        PRIMARY KEY,
    hash       TEXT        NOT NULL,
    role       TEXT        NOT NULL CHECK (role IN ('viewer', 'responder', 'admin')),
    updated_at TIMESTAMPTZ NOT NULL
);

-- Open sessions. Only the SHA-256 digest of the cookie's token is kept; the
-- CSRF token is not a credential on its own and is kept as it is.
CREATE TABLE web_sessions (
    digest     TEXT        PRIMARY KEY,
    user_name  TEXT        NOT NULL,
    role       TEXT        NOT NULL CHECK (role IN ('viewer', 'responder', 'admin')),
    csrf       TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);

-- Ending a user's sessions, and pruning expired ones.
CREATE INDEX web_sessions_user ON web_sessions (user_name);
CREATE INDEX web_sessions_expires_at ON web_sessions (expires_at);
