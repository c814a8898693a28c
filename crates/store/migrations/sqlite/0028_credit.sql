-- Enterprise environmental credit rating (企业环境信用评价, issue 18). A rating is one enterprise's
-- year: its score and grade under a named rule set, with the events that decided it frozen as a
-- JSON list (each naming its source record: kind, id, link), a draft until staff publish it.
-- Staff record 一票否决 findings; enterprises object to events (staff uphold or reject) and apply for
-- 信用修复 (staff accept or reject within the time limit); objections and repairs keep their files.
CREATE TABLE credit_ratings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    year INTEGER NOT NULL,
    credit_code TEXT NOT NULL,
    enterprise TEXT NOT NULL,
    division_code TEXT,
    rule_set TEXT NOT NULL,
    score INTEGER NOT NULL,
    grade TEXT NOT NULL,
    vetoed INTEGER NOT NULL DEFAULT 0,
    events TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'published')),
    computed_by INTEGER REFERENCES users(id),
    computed_at TEXT NOT NULL,
    published_by INTEGER REFERENCES users(id),
    published_at TEXT,
    grade_before_repair TEXT,
    repaired_at TEXT,
    UNIQUE (year, credit_code)
);
CREATE INDEX credit_ratings_list ON credit_ratings (year, grade, division_code);
CREATE INDEX credit_ratings_code ON credit_ratings (credit_code, state);
CREATE TABLE credit_findings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    credit_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    occurred_on TEXT NOT NULL,
    case_id INTEGER REFERENCES cases(id),
    note TEXT NOT NULL,
    by_user INTEGER REFERENCES users(id),
    at TEXT NOT NULL
);
CREATE INDEX credit_findings_code ON credit_findings (credit_code, occurred_on);
CREATE TABLE credit_objections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    rating_id INTEGER NOT NULL REFERENCES credit_ratings(id),
    event_key TEXT NOT NULL,
    reason TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'upheld', 'rejected')),
    decision TEXT,
    filed_by INTEGER REFERENCES users(id),
    filed_at TEXT NOT NULL,
    decided_by INTEGER REFERENCES users(id),
    decided_at TEXT
);
CREATE INDEX credit_objections_rating ON credit_objections (rating_id, id);
CREATE TABLE credit_repairs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    rating_id INTEGER NOT NULL REFERENCES credit_ratings(id),
    reason TEXT NOT NULL,
    due_by TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'accepted', 'rejected')),
    decision TEXT,
    filed_by INTEGER REFERENCES users(id),
    filed_at TEXT NOT NULL,
    decided_by INTEGER REFERENCES users(id),
    decided_at TEXT
);
CREATE INDEX credit_repairs_rating ON credit_repairs (rating_id, id);
-- Files of an objection or a repair application (content last, like the other evidence tables).
CREATE TABLE credit_evidence (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    rating_id INTEGER NOT NULL REFERENCES credit_ratings(id),
    parent_kind TEXT NOT NULL CHECK (parent_kind IN ('objection', 'repair')),
    parent_id INTEGER NOT NULL,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes INTEGER NOT NULL CHECK (size_bytes >= 0),
    sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
    uploaded_by INTEGER REFERENCES users(id),
    uploaded_at TEXT NOT NULL,
    content BLOB NOT NULL
);
CREATE INDEX credit_evidence_parent ON credit_evidence (parent_kind, parent_id);
