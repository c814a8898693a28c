-- Staff forms for the monitoring network (issue 13).
-- A station or section is never deleted: retiring it records the date from which its data no
-- longer count (city and county figures) and why; its data stay and its page stays.
ALTER TABLE air_stations ADD COLUMN retired_on TEXT;
ALTER TABLE air_stations ADD COLUMN retired_reason TEXT;
ALTER TABLE water_sections ADD COLUMN retired_on TEXT;
ALTER TABLE water_sections ADD COLUMN retired_reason TEXT;
-- Every version of a station or section written from a form: the whole record as JSON, so a
-- page can show what it was before each change, who changed it and when.
CREATE TABLE station_revisions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('air', 'water')),
    code TEXT NOT NULL,
    revision BIGINT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('create', 'edit', 'retire')),
    record TEXT NOT NULL,
    reason TEXT,
    changed_by BIGINT REFERENCES users(id),
    changed_at TEXT NOT NULL,
    UNIQUE (kind, code, revision)
);
-- Every link and unlink of an HJ 212 device to a station or section.
CREATE TABLE device_link_history (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('air', 'water')),
    mn TEXT NOT NULL,
    code TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('link', 'unlink')),
    changed_by BIGINT REFERENCES users(id),
    changed_at TEXT NOT NULL
);
CREATE INDEX device_link_history_code ON device_link_history (kind, code);
-- What a judgement rests on besides its reasoning (a document, an inspection record).
ALTER TABLE judgements ADD COLUMN evidence TEXT;
