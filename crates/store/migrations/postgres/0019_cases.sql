-- Cases (立案 → 处罚 → 整改 → 复查 → 销号, issue 14): staff open a case on one enterprise from
-- incidents (or from an order, which is then 转立案), citing penalty articles from the list held
-- as data (crates/sources/rules/legal-bases.toml; the wording chosen is copied here so a later
-- edit of the list never changes a case). Every step is an event, never overwritten.
CREATE TABLE cases (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_number TEXT NOT NULL UNIQUE,
    credit_code TEXT NOT NULL,
    division_code TEXT,
    order_id BIGINT REFERENCES orders(id),
    title TEXT NOT NULL,
    facts TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'filed' CHECK (state IN ('filed', 'decided', 'rectifying', 'checked', 'closed')),
    decision_number TEXT,
    decision_date TEXT,
    measures TEXT,
    penalty_fen BIGINT CHECK (penalty_fen IS NULL OR penalty_fen >= 0),
    rectify_deadline TEXT,
    closed_at TEXT,
    created_by BIGINT REFERENCES users(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX cases_enterprise ON cases (credit_code, state);
CREATE INDEX cases_county ON cases (division_code, state, rectify_deadline);
CREATE TABLE case_incidents (
    case_id BIGINT NOT NULL REFERENCES cases(id),
    incident_id BIGINT NOT NULL REFERENCES incidents(id),
    PRIMARY KEY (case_id, incident_id)
);
CREATE INDEX case_incidents_incident ON case_incidents (incident_id);
CREATE TABLE case_bases (
    case_id BIGINT NOT NULL REFERENCES cases(id),
    basis_code TEXT NOT NULL,
    citation TEXT NOT NULL,
    violation TEXT NOT NULL,
    fine_range TEXT,
    PRIMARY KEY (case_id, basis_code)
);
CREATE TABLE case_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases(id),
    kind TEXT NOT NULL CHECK (kind IN ('file', 'decide', 'report', 'check_pass', 'check_fail', 'close')),
    note TEXT,
    new_deadline TEXT,
    by_user BIGINT REFERENCES users(id),
    at TEXT NOT NULL
);
CREATE INDEX case_events_case ON case_events (case_id, id);
-- Documents of a step (立案材料, 整改报告, 复查笔录), kept like the orders' evidence (content last).
CREATE TABLE case_evidence (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases(id),
    event_id BIGINT NOT NULL REFERENCES case_events(id),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL CHECK (size_bytes >= 0),
    sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
    uploaded_by BIGINT REFERENCES users(id),
    uploaded_at TEXT NOT NULL,
    content BYTEA NOT NULL
);
CREATE INDEX case_evidence_case ON case_evidence (case_id);
