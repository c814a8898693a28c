-- The complaints desk (信访投诉举报, issue 19): what citizens report (what, where, when, photos),
-- matched to a county and where possible to a registered enterprise; staff triage (accept,
-- reject with a reason, merge duplicates), route to a county or a department with deadlines;
-- the handler records the investigation, findings, measures and the reply; the complainant
-- rates it. The tracking code is kept only as its SHA-256. Contact details live in a table of
-- their own (《个人信息保护法》: kept apart, shown only to staff handling the case).
CREATE TABLE complaints (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_number TEXT NOT NULL UNIQUE,
    tracking_hash TEXT NOT NULL UNIQUE CHECK (length(tracking_hash) = 64),
    category TEXT NOT NULL,
    description TEXT NOT NULL,
    address TEXT,
    longitude TEXT,
    latitude TEXT,
    division_code TEXT,
    division_match TEXT,
    credit_code TEXT,
    enterprise_match TEXT,
    occurred_at TEXT,
    anonymous INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'submitted' CHECK (state IN ('submitted', 'accepted', 'routed', 'closed', 'rejected', 'merged')),
    accept_by TEXT NOT NULL,
    due_by TEXT,
    route_county TEXT,
    route_unit TEXT,
    reject_reason TEXT,
    merged_into INTEGER REFERENCES complaints(id),
    finding TEXT CHECK (finding IS NULL OR finding IN ('substantiated', 'partly', 'unsubstantiated')),
    investigation TEXT,
    measures TEXT,
    reply TEXT,
    closed_at TEXT,
    rating INTEGER CHECK (rating IS NULL OR (rating >= 1 AND rating <= 5)),
    rating_comment TEXT,
    rated_at TEXT,
    submitted_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX complaints_state ON complaints (state, accept_by, due_by);
CREATE INDEX complaints_county ON complaints (division_code);
CREATE INDEX complaints_route ON complaints (route_county, route_unit);
CREATE INDEX complaints_enterprise ON complaints (credit_code);
CREATE INDEX complaints_merged ON complaints (merged_into);
-- Contact details, apart from the case (one row at most per complaint; none when anonymous).
CREATE TABLE complaint_contacts (
    complaint_id INTEGER PRIMARY KEY REFERENCES complaints(id),
    name TEXT,
    phone TEXT,
    email TEXT
);
CREATE TABLE complaint_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    complaint_id INTEGER NOT NULL REFERENCES complaints(id),
    kind TEXT NOT NULL CHECK (kind IN ('submit', 'accept', 'reject', 'merge', 'route', 'handle', 'rate')),
    note TEXT,
    for_county TEXT,
    for_unit TEXT,
    by_user INTEGER REFERENCES users(id),
    at TEXT NOT NULL
);
CREATE INDEX complaint_events_complaint ON complaint_events (complaint_id, id);
-- The citizen's photos (metadata stripped before they are kept) and the handler's evidence;
-- `meta` says what was removed (and where a photo says it was taken): handling staff only.
CREATE TABLE complaint_files (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    complaint_id INTEGER NOT NULL REFERENCES complaints(id),
    event_id INTEGER NOT NULL REFERENCES complaint_events(id),
    kind TEXT NOT NULL CHECK (kind IN ('photo', 'evidence')),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes INTEGER NOT NULL CHECK (size_bytes >= 0),
    sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
    meta TEXT,
    uploaded_by INTEGER REFERENCES users(id),
    uploaded_at TEXT NOT NULL,
    content BLOB NOT NULL
);
CREATE INDEX complaint_files_complaint ON complaint_files (complaint_id);
-- Each public submission's challenge nonce (used once) and its address's hash, for the rate limit.
CREATE TABLE complaint_submissions (
    nonce TEXT PRIMARY KEY,
    peer_hash TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX complaint_submissions_peer ON complaint_submissions (peer_hash, at);
-- The key the submission challenges are signed with (one row, made on first use).
CREATE TABLE complaint_secret (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    secret TEXT NOT NULL
);
