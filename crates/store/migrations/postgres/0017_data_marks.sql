-- Data marks (数据标记, 生态环境部公告2022年第21号): an enterprise's statement that a device's
-- data over a period were taken under maintenance, calibration, a fault, a stop of production …
-- A mark never changes or deletes data: it is kept beside them and read by the judgement and
-- the statistics. Marks are only added and reviewed; rejected marks stay, with the reason.
CREATE TABLE data_marks (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mn TEXT NOT NULL REFERENCES devices(mn),
    factor TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL,
    start_time TEXT NOT NULL,
    end_time TEXT,
    reason TEXT NOT NULL,
    late BOOLEAN NOT NULL DEFAULT FALSE,
    deadline TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'accepted', 'rejected')),
    suspicion TEXT,
    filed_by BIGINT REFERENCES users(id),
    filed_at TEXT NOT NULL,
    reviewed_by BIGINT REFERENCES users(id),
    reviewed_at TEXT,
    review_note TEXT,
    CHECK (end_time IS NULL OR end_time > start_time)
);
CREATE INDEX data_marks_device ON data_marks (mn, start_time);
-- Evidence files of a mark, kept like the task reports' evidence (content last).
CREATE TABLE data_mark_evidence (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mark_id BIGINT NOT NULL REFERENCES data_marks(id),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL CHECK (size_bytes >= 0),
    sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
    uploaded_by BIGINT REFERENCES users(id),
    uploaded_at TEXT NOT NULL,
    content BYTEA NOT NULL
);
CREATE INDEX data_mark_evidence_mark ON data_mark_evidence (mark_id);
