-- Inputs of the annual assessment besides indicator values: the province's assigned targets
-- (完成省级下达任务) and staff judgements of qualitative targets (有效保障). Both are revised,
-- never overwritten.
CREATE TABLE assigned_targets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_id TEXT NOT NULL REFERENCES plans(id),
    indicator_number INTEGER NOT NULL,
    year INTEGER NOT NULL,
    division_code TEXT NOT NULL REFERENCES divisions(code),
    revision INTEGER NOT NULL,
    value TEXT NOT NULL,
    note TEXT,
    entered_by INTEGER REFERENCES users(id),
    entered_at TEXT NOT NULL,
    UNIQUE (plan_id, indicator_number, year, division_code, revision)
);
CREATE TABLE judgements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_id TEXT NOT NULL REFERENCES plans(id),
    indicator_number INTEGER NOT NULL,
    year INTEGER NOT NULL,
    division_code TEXT NOT NULL REFERENCES divisions(code),
    revision INTEGER NOT NULL,
    met INTEGER NOT NULL,
    justification TEXT NOT NULL,
    entered_by INTEGER REFERENCES users(id),
    entered_at TEXT NOT NULL,
    UNIQUE (plan_id, indicator_number, year, division_code, revision)
);
