-- The enterprise's own account (issue 14): the role `enterprise`, bound to one 统一社会信用代码,
-- and the first-sign-in password change. SQLite cannot alter a CHECK constraint, so the users
-- table is rebuilt. Foreign keys to users(id) stay valid: their checks are deferred to the
-- commit, by which time every id is back (the re-insert clears the deferred count).
PRAGMA defer_foreign_keys = ON;
CREATE TEMP TABLE users_0016 AS SELECT * FROM users;
DROP TABLE users;
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'staff', 'reporter', 'county', 'enterprise')),
    unit_id TEXT,
    division_code TEXT,
    active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    credit_code TEXT,
    must_change_password INTEGER NOT NULL DEFAULT 0,
    CHECK (role <> 'enterprise' OR credit_code IS NOT NULL)
);
INSERT INTO users (id, username, display_name, password_hash, role, unit_id, division_code, active, created_at)
    SELECT id, username, display_name, password_hash, role, unit_id, division_code, active, created_at FROM users_0016;
DROP TABLE users_0016;
CREATE INDEX users_credit_code ON users (credit_code);
