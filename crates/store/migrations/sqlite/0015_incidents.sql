-- Incidents (事件, issue 14): consecutive alarms of one device, kind and factor merge into one
-- incident, which staff handle instead of the single alarms. Maintained when an alarm is raised
-- or updated, in the same transaction, so lists, counts and paging are plain queries.
-- Existing alarms are grouped by the store's one-time backfill after this migration.
CREATE TABLE incidents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    mn TEXT NOT NULL,
    factor TEXT NOT NULL DEFAULT '',
    start_time TEXT NOT NULL,
    -- The start's date in Beijing time (YYYY-MM-DD), whatever form start_time has, for date filters.
    start_day TEXT NOT NULL,
    -- NULL while any of its alarms is still going on.
    end_time TEXT,
    -- The latest time any of its alarms reached, to decide whether the next alarm continues it.
    last_time TEXT NOT NULL,
    peak TEXT,
    peak_time TEXT,
    -- The hourly limit in force when it started (exceedances), for the 超标倍数.
    limit_value TEXT,
    hours INTEGER NOT NULL DEFAULT 0,
    alarm_count INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL CHECK (status IN ('open', 'acknowledged', 'assigned', 'closed')),
    assignee INTEGER REFERENCES users(id),
    opened_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    closed_at TEXT,
    note TEXT
);
CREATE INDEX incidents_chain ON incidents (kind, mn, factor, start_time);
CREATE INDEX incidents_status ON incidents (status, start_time);
ALTER TABLE alarms ADD COLUMN incident_id INTEGER REFERENCES incidents(id);
CREATE INDEX alarms_incident ON alarms (incident_id);
