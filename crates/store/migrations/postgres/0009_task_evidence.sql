-- Evidence files (佐证材料) of task progress reports, kept in the database itself so that a
-- deployment has nothing on a filesystem to set up, back up or keep in step with the rows.
-- Each file belongs to one report revision; like the reports, files are only ever added.
CREATE TABLE task_evidence (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    report_id BIGINT NOT NULL REFERENCES task_reports(id),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL CHECK (size_bytes >= 0),
    sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
    uploaded_by BIGINT REFERENCES users(id),
    uploaded_at TEXT NOT NULL,
    content BYTEA NOT NULL
);
CREATE INDEX task_evidence_report ON task_evidence (report_id);
