-- Task items (任务台账, issue 17). Items ship in the plan file; staff add and revise them on the
-- web. A web revision is the whole item as JSON (the plan crate's TaskItem), numbered per item;
-- the latest revision of an id takes the place of the file's item (revision 0).
CREATE TABLE task_item_revisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    revision INTEGER NOT NULL CHECK (revision >= 1),
    definition TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_by INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL,
    UNIQUE (plan_id, item_id, revision)
);
-- Reports on an item by one party: a county (party_kind 'county', party = its GB/T 2260 code)
-- or a unit (party_kind 'unit', party = the unit id). Each report is a revision, never
-- overwritten; staff accept or return a submitted revision (state, reviewer, reason).
CREATE TABLE item_reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    party_kind TEXT NOT NULL CHECK (party_kind IN ('county', 'unit')),
    party TEXT NOT NULL,
    revision INTEGER NOT NULL CHECK (revision >= 1),
    value TEXT,
    done INTEGER CHECK (done IN (0, 1)),
    objects_done TEXT,
    narrative TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'submitted' CHECK (state IN ('submitted', 'accepted', 'returned')),
    reported_by INTEGER REFERENCES users(id),
    reported_at TEXT NOT NULL,
    reviewed_by INTEGER REFERENCES users(id),
    reviewed_at TEXT,
    review_reason TEXT,
    UNIQUE (plan_id, item_id, party_kind, party, revision)
);
CREATE INDEX item_reports_item ON item_reports (plan_id, item_id);
-- Evidence files of item reports, kept like the task reports' (content last).
CREATE TABLE item_evidence (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    report_id INTEGER NOT NULL REFERENCES item_reports(id),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes INTEGER NOT NULL CHECK (size_bytes >= 0),
    sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
    uploaded_by INTEGER REFERENCES users(id),
    uploaded_at TEXT NOT NULL,
    content BLOB NOT NULL
);
CREATE INDEX item_evidence_report ON item_evidence (report_id);
