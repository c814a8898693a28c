-- Supervision alarms: one row per episode (kind, device, factor, start), updated while it lasts.
CREATE TABLE alarms (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('exceedance', 'offline', 'device_fault', 'frozen', 'annual_total')),
    mn TEXT NOT NULL,
    factor TEXT NOT NULL DEFAULT '',
    start_time TEXT NOT NULL,
    end_time TEXT,
    peak TEXT,
    peak_time TEXT,
    records INTEGER NOT NULL DEFAULT 0,
    context TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'acknowledged', 'closed')),
    raised_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    acknowledged_by INTEGER REFERENCES users(id),
    acknowledged_at TEXT,
    closed_by INTEGER REFERENCES users(id),
    closed_at TEXT,
    disposition TEXT,
    UNIQUE (kind, mn, factor, start_time)
);
CREATE INDEX alarms_status ON alarms (status, raised_at);
