-- 企业环境信息依法披露 (issue 18, 生态环境部令第24号): the city's yearly list of enterprises obliged
-- to disclose (with the article and reason), the temporary-report triggers staff register (permit
-- changes, compensation …; penalty decisions come from the cases), and the reports: an annual report
-- per listed enterprise and year, a temporary report per trigger. A report's draft is the
-- enterprise's working copy; each submission is a revision kept for ever (amendments never
-- overwrite), and the first submission's Beijing date decides whether it was late.
CREATE TABLE disclosure_list (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    year BIGINT NOT NULL,
    credit_code TEXT NOT NULL,
    basis TEXT NOT NULL,
    reason TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'listed' CHECK (state IN ('listed', 'removed')),
    removed_reason TEXT,
    created_by BIGINT REFERENCES users(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (year, credit_code)
);
CREATE INDEX disclosure_list_enterprise ON disclosure_list (credit_code, year);
CREATE TABLE disclosure_triggers (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    credit_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    document TEXT NOT NULL,
    event_date TEXT NOT NULL,
    note TEXT,
    created_by BIGINT REFERENCES users(id),
    created_at TEXT NOT NULL
);
CREATE INDEX disclosure_triggers_enterprise ON disclosure_triggers (credit_code, event_date);
CREATE TABLE disclosure_reports (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    credit_code TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('annual', 'temporary')),
    year BIGINT NOT NULL,
    -- '' for an annual report; 'case:ID' or 'trigger:ID' for a temporary one.
    trigger_key TEXT NOT NULL DEFAULT '',
    event_date TEXT,
    due_date TEXT NOT NULL,
    revision BIGINT NOT NULL DEFAULT 0 CHECK (revision >= 0),
    draft TEXT NOT NULL,
    content TEXT,
    first_submitted_at TEXT,
    filed_date TEXT,
    last_submitted_at TEXT,
    created_by BIGINT REFERENCES users(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (credit_code, kind, year, trigger_key)
);
CREATE INDEX disclosure_reports_submitted ON disclosure_reports (revision, last_submitted_at);
CREATE TABLE disclosure_revisions (
    report_id BIGINT NOT NULL REFERENCES disclosure_reports(id),
    revision BIGINT NOT NULL,
    content TEXT NOT NULL,
    reason TEXT,
    filed_date TEXT NOT NULL,
    by_user BIGINT REFERENCES users(id),
    at TEXT NOT NULL,
    PRIMARY KEY (report_id, revision)
);
