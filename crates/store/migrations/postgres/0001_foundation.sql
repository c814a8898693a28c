-- Foundation: the plan, accounts, audit log, indicator values with revisions, task reports.
CREATE TABLE plans (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    document_number TEXT NOT NULL,
    source_toml TEXT NOT NULL,
    loaded_at TEXT NOT NULL
);
CREATE TABLE units (
    plan_id TEXT NOT NULL REFERENCES plans(id),
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (plan_id, id)
);
CREATE TABLE divisions (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('city', 'county'))
);
CREATE TABLE indicators (
    plan_id TEXT NOT NULL REFERENCES plans(id),
    number BIGINT NOT NULL,
    category TEXT NOT NULL,
    name TEXT NOT NULL,
    unit TEXT NOT NULL,
    direction TEXT NOT NULL,
    baseline_text TEXT NOT NULL,
    baseline TEXT,
    responsible TEXT NOT NULL,
    targets_json TEXT NOT NULL,
    PRIMARY KEY (plan_id, number)
);
CREATE TABLE tasks (
    plan_id TEXT NOT NULL REFERENCES plans(id),
    area BIGINT NOT NULL,
    number BIGINT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    responsible TEXT NOT NULL,
    PRIMARY KEY (plan_id, area, number)
);
CREATE TABLE users (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'staff', 'reporter', 'county')),
    unit_id TEXT,
    division_code TEXT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TEXT NOT NULL
);
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE TABLE api_tokens (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id BIGINT NOT NULL REFERENCES users(id),
    label TEXT NOT NULL,
    created_by BIGINT REFERENCES users(id),
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE TABLE audit_log (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    actor_user_id BIGINT,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'refused')),
    old_value TEXT,
    new_value TEXT,
    detail TEXT,
    peer TEXT
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE TABLE indicator_values (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    plan_id TEXT NOT NULL REFERENCES plans(id),
    indicator_number BIGINT NOT NULL,
    year BIGINT NOT NULL,
    division_code TEXT NOT NULL REFERENCES divisions(code),
    revision BIGINT NOT NULL,
    value TEXT NOT NULL,
    note TEXT,
    reason TEXT,
    source TEXT NOT NULL,
    entered_by BIGINT REFERENCES users(id),
    entered_at TEXT NOT NULL,
    UNIQUE (plan_id, indicator_number, year, division_code, revision)
);
CREATE TABLE task_reports (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    plan_id TEXT NOT NULL REFERENCES plans(id),
    area BIGINT NOT NULL,
    number BIGINT NOT NULL,
    period TEXT NOT NULL,
    revision BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('not_started', 'in_progress', 'completed', 'lagging')),
    narrative TEXT NOT NULL,
    reported_by BIGINT REFERENCES users(id),
    reported_at TEXT NOT NULL,
    UNIQUE (plan_id, area, number, period, revision)
);
CREATE TABLE login_attempts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username TEXT NOT NULL,
    peer TEXT NOT NULL,
    at TEXT NOT NULL,
    ok BOOLEAN NOT NULL
);
CREATE INDEX login_attempts_user_at ON login_attempts (username, at);
