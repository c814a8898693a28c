-- Heavy-pollution warnings (重污染天气预警, issue 16): staff record the city's act — issue, raise,
-- lower, lift — each step an immutable event with who, when and the forecast that justified it.
-- Issuing or raising sends each enterprise of the warned counties its measures of that level
-- from the 应急减排清单 as a notice it must confirm (orders stay tied to incidents; see
-- docs/heavy-warnings.md). Compliance is computed from the stored hourly data; the alarm kind
-- 'reduction_not_met' (未落实减排措施) is a new alarm kind (no schema change since migration 22).
CREATE TABLE heavy_warnings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    level TEXT NOT NULL CHECK (level IN ('yellow', 'orange', 'red')),
    state TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'lifted')),
    -- Empty: the whole city; otherwise GB/T 2260 county codes separated by commas.
    areas TEXT NOT NULL DEFAULT '',
    document_no TEXT,
    start_at TEXT NOT NULL,
    lifted_at TEXT,
    created_by INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX heavy_warnings_state ON heavy_warnings (state, start_at);
CREATE TABLE heavy_warning_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    warning_id INTEGER NOT NULL REFERENCES heavy_warnings(id),
    kind TEXT NOT NULL CHECK (kind IN ('issue', 'raise', 'lower', 'lift')),
    -- The level in force after the step (the last level for a lift).
    level TEXT NOT NULL CHECK (level IN ('yellow', 'orange', 'red')),
    effective_at TEXT NOT NULL,
    forecast TEXT,
    justification TEXT NOT NULL,
    by_user INTEGER REFERENCES users(id),
    at TEXT NOT NULL
);
CREATE INDEX heavy_warning_events_warning ON heavy_warning_events (warning_id, id);
-- One notice per enterprise and step that activated a level; a later step supersedes it.
-- measures: text; reductions: JSON [{pollutant, reduction_kg_h, baseline_kg_h}]; mns: JSON array.
CREATE TABLE warning_notices (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    warning_id INTEGER NOT NULL REFERENCES heavy_warnings(id),
    event_id INTEGER NOT NULL REFERENCES heavy_warning_events(id),
    level TEXT NOT NULL CHECK (level IN ('yellow', 'orange', 'red')),
    credit_code TEXT NOT NULL,
    enterprise TEXT NOT NULL,
    division_code TEXT,
    measures TEXT NOT NULL,
    reductions TEXT NOT NULL,
    mns TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'issued' CHECK (state IN ('issued', 'confirmed', 'superseded')),
    issued_at TEXT NOT NULL,
    confirmed_by INTEGER REFERENCES users(id),
    confirmed_at TEXT,
    confirm_note TEXT
);
CREATE INDEX warning_notices_warning ON warning_notices (warning_id, state);
CREATE INDEX warning_notices_addressee ON warning_notices (credit_code, state);
-- 'reduction_not_met' needs no change to alarms: since migration 22 alarm kinds are the code's
-- alone (AlarmKind), the table no longer lists them.
