-- Heavy-pollution response, first half (issue 16): the 绩效分级 register and the 应急减排清单
-- (一厂一策). Industries, grades, levels and measure codes are data
-- (crates/sources/rules/heavy-pollution.toml); the codes are stored here. Nothing is overwritten:
-- a grade is a row per application or record with its steps as events, and a published grade
-- marks the one it replaces 'superseded'; list entries and baselines are revisions.
CREATE TABLE heavy_grades (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    credit_code TEXT NOT NULL,
    division_code TEXT,
    industry TEXT NOT NULL,
    grade TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    valid_to TEXT,
    kind TEXT NOT NULL CHECK (kind IN ('apply', 'upgrade', 'direct')),
    state TEXT NOT NULL CHECK (state IN ('applied', 'returned', 'reviewed', 'published', 'superseded')),
    public_note TEXT,
    internal_note TEXT,
    created_by BIGINT REFERENCES users(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    published_at TEXT
);
CREATE INDEX heavy_grades_enterprise ON heavy_grades (credit_code, industry, state);
CREATE INDEX heavy_grades_state ON heavy_grades (state, division_code);
CREATE TABLE heavy_grade_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    grade_id BIGINT NOT NULL REFERENCES heavy_grades(id),
    kind TEXT NOT NULL CHECK (kind IN ('apply', 'approve', 'return', 'publish', 'record', 'supersede')),
    note TEXT,
    by_user BIGINT REFERENCES users(id),
    at TEXT NOT NULL
);
CREATE INDEX heavy_grade_events_grade ON heavy_grade_events (grade_id, id);
CREATE TABLE heavy_grade_evidence (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    grade_id BIGINT NOT NULL REFERENCES heavy_grades(id),
    event_id BIGINT NOT NULL REFERENCES heavy_grade_events(id),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL CHECK (size_bytes >= 0),
    sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
    uploaded_by BIGINT REFERENCES users(id),
    uploaded_at TEXT NOT NULL,
    content BYTEA NOT NULL
);
CREATE INDEX heavy_grade_evidence_grade ON heavy_grade_evidence (grade_id);
-- Baseline emissions of an enterprise (kg/h, exact decimal text), the base of the list's check.
CREATE TABLE heavy_baselines (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    credit_code TEXT NOT NULL,
    revision BIGINT NOT NULL,
    so2 TEXT NOT NULL,
    nox TEXT NOT NULL,
    pm TEXT NOT NULL,
    vocs TEXT NOT NULL,
    note TEXT,
    by_user BIGINT REFERENCES users(id),
    at TEXT NOT NULL,
    UNIQUE (credit_code, revision)
);
-- One entry of the list: an enterprise's measures at one level and the reductions they bring
-- (kg/h, exact decimal text). The current entry is the highest revision; removed = TRUE takes it off.
CREATE TABLE heavy_reductions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    credit_code TEXT NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('yellow', 'orange', 'red')),
    revision BIGINT NOT NULL,
    removed BOOLEAN NOT NULL DEFAULT FALSE,
    so2 TEXT NOT NULL,
    nox TEXT NOT NULL,
    pm TEXT NOT NULL,
    vocs TEXT NOT NULL,
    note TEXT,
    by_user BIGINT REFERENCES users(id),
    at TEXT NOT NULL,
    UNIQUE (credit_code, level, revision)
);
CREATE INDEX heavy_reductions_level ON heavy_reductions (level, credit_code, revision);
CREATE TABLE heavy_reduction_measures (
    reduction_id BIGINT NOT NULL REFERENCES heavy_reductions(id),
    seq BIGINT NOT NULL,
    code TEXT NOT NULL,
    percent TEXT,
    process TEXT,
    PRIMARY KEY (reduction_id, seq)
);
CREATE TABLE heavy_reduction_outlets (
    reduction_id BIGINT NOT NULL REFERENCES heavy_reductions(id),
    outlet_code TEXT NOT NULL,
    PRIMARY KEY (reduction_id, outlet_code)
);
