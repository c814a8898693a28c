-- Surface water: the section registry and monthly (manual) sample results.
-- Sample values are never overwritten: a re-import of a section-date-item adds a revision and
-- reads take the highest one, so every published class can be traced to the rows behind it.
CREATE TABLE water_sections (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('国考', '省考', '市考')),
    water_body TEXT NOT NULL CHECK (water_body IN ('river', 'lake')),
    -- River, lake or basin the section belongs to (groups sections for river grading).
    basin TEXT,
    division_code TEXT,
    -- 水质目标: the class the section must meet or better.
    target_class TEXT NOT NULL CHECK (target_class IN ('I', 'II', 'III', 'IV', 'V')),
    is_drinking_source INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL
);
CREATE TABLE water_samples (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    section_code TEXT NOT NULL REFERENCES water_sections(code),
    -- Sampling date 'YYYY-MM-DD' (sortable as text).
    sample_date TEXT NOT NULL,
    -- Item code as in `qingshan water classify` (pH, DO, CODMn, …).
    item TEXT NOT NULL,
    revision INTEGER NOT NULL,
    -- Exact decimal as text; when below_detection it is the detection limit.
    value TEXT NOT NULL,
    below_detection INTEGER NOT NULL DEFAULT 0,
    source TEXT NOT NULL CHECK (source IN ('import', 'hj212', 'api')),
    imported_at TEXT NOT NULL,
    imported_by INTEGER REFERENCES users(id),
    UNIQUE (section_code, sample_date, item, revision)
);
