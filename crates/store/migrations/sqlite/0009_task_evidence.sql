-- Evidence files (佐证材料) of task progress reports, kept in the database itself so that a
-- deployment has nothing on a filesystem to set up, back up or keep in step with the rows.
-- Each file belongs to one report revision; like the reports, files are only ever added.
-- The content is the last column: listing files reads the small columns before it and never
-- walks the blob's overflow pages.
CREATE TABLE task_evidence (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    report_id INTEGER NOT NULL REFERENCES task_reports(id),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes INTEGER NOT NULL CHECK (size_bytes >= 0),
    sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
    uploaded_by INTEGER REFERENCES users(id),
    uploaded_at TEXT NOT NULL,
    content BLOB NOT NULL
);
CREATE INDEX task_evidence_report ON task_evidence (report_id);
