-- Inspection rectification lists (督察整改, issue 17): problems found by central or provincial
-- environmental inspections or audits, their responsible units and counties, measures and
-- deadline (every version kept as a revision, never overwritten), the progress reports of the
-- units and counties with their evidence files, and staff's 销号 (closing) and re-opening.
CREATE TABLE inspection_problems (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    problem_number TEXT NOT NULL UNIQUE,
    revision INTEGER NOT NULL CHECK (revision >= 1),
    source_kind TEXT NOT NULL CHECK (source_kind IN ('central', 'provincial', 'audit', 'other')),
    source_batch TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    measures TEXT NOT NULL,
    units TEXT NOT NULL,
    counties TEXT NOT NULL,
    deadline TEXT NOT NULL,
    internal_note TEXT,
    state TEXT NOT NULL DEFAULT 'rectifying' CHECK (state IN ('rectifying', 'reported', 'closed')),
    closed_at TEXT,
    close_basis TEXT,
    created_by INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX inspection_problems_due ON inspection_problems (state, deadline);
-- The current revision's units and counties, for the scoped lists (the revisions keep the history).
CREATE TABLE inspection_problem_units (
    problem_id INTEGER NOT NULL REFERENCES inspection_problems(id),
    unit_id TEXT NOT NULL,
    PRIMARY KEY (problem_id, unit_id)
);
CREATE INDEX inspection_problem_units_unit ON inspection_problem_units (unit_id);
CREATE TABLE inspection_problem_counties (
    problem_id INTEGER NOT NULL REFERENCES inspection_problems(id),
    division_code TEXT NOT NULL,
    PRIMARY KEY (problem_id, division_code)
);
CREATE INDEX inspection_problem_counties_county ON inspection_problem_counties (division_code);
CREATE TABLE inspection_problem_revisions (
    problem_id INTEGER NOT NULL REFERENCES inspection_problems(id),
    revision INTEGER NOT NULL,
    source_kind TEXT NOT NULL,
    source_batch TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    measures TEXT NOT NULL,
    units TEXT NOT NULL,
    counties TEXT NOT NULL,
    deadline TEXT NOT NULL,
    internal_note TEXT,
    reason TEXT,
    by_user INTEGER REFERENCES users(id),
    at TEXT NOT NULL,
    PRIMARY KEY (problem_id, revision)
);
CREATE TABLE inspection_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    problem_id INTEGER NOT NULL REFERENCES inspection_problems(id),
    kind TEXT NOT NULL CHECK (kind IN ('register', 'revise', 'report', 'close', 'reopen')),
    note TEXT,
    done INTEGER NOT NULL DEFAULT 0,
    for_unit TEXT,
    for_county TEXT,
    by_user INTEGER REFERENCES users(id),
    at TEXT NOT NULL
);
CREATE INDEX inspection_events_problem ON inspection_events (problem_id, id);
-- Evidence of completion (整改佐证材料), kept like the cases' documents (content last).
CREATE TABLE inspection_evidence (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    problem_id INTEGER NOT NULL REFERENCES inspection_problems(id),
    event_id INTEGER NOT NULL REFERENCES inspection_events(id),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes INTEGER NOT NULL CHECK (size_bytes >= 0),
    sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
    uploaded_by INTEGER REFERENCES users(id),
    uploaded_at TEXT NOT NULL,
    content BLOB NOT NULL
);
CREATE INDEX inspection_evidence_problem ON inspection_evidence (problem_id);
-- Indicator 23 (排污许可证覆盖率): which enterprises must hold a permit, by their class in the
-- 固定污染源排污许可分类管理名录 (key: 重点管理, simplified: 简化管理, registration: 登记管理,
-- which needs no permit); NULL: not entered, so the enterprise is left out and listed as such.
ALTER TABLE enterprises ADD COLUMN permit_class TEXT CHECK (permit_class IS NULL OR permit_class IN ('key', 'simplified', 'registration'));
