-- Remote commands to devices (反控, issue 15): staff or the system queue a command for a device
-- by MN; the gateway sends it on the device's connection, one at a time per device in order,
-- and follows 9011 (QnRtn), the data replies and 9012 (ExeRtn). The state moves
-- queued → sent → accepted/refused → done/failed/timed_out; every frame exchanged is kept.
CREATE TABLE device_commands (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    mn TEXT NOT NULL,
    cn TEXT NOT NULL,
    -- The command's CP items as `key=value;…` (empty for 1012 "set to the server's time at sending").
    params TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'accepted', 'refused', 'done', 'failed', 'timed_out')),
    -- The QN of the request as sent (the replies carry it).
    qn TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    qn_rtn INTEGER,
    exe_rtn INTEGER,
    -- What the device answered (e.g. `SystemTime=…`, `RtdInterval=30`), and how many data frames.
    result TEXT,
    data_frames INTEGER NOT NULL DEFAULT 0,
    note TEXT,
    asked_by_user INTEGER REFERENCES users(id),
    asked_by TEXT NOT NULL,
    reason TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    answered_at TEXT,
    finished_at TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX device_commands_device ON device_commands (mn, id);
CREATE INDEX device_commands_open ON device_commands (state, mn) WHERE state IN ('queued', 'sent', 'accepted');
CREATE TABLE device_command_frames (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    command_id INTEGER NOT NULL REFERENCES device_commands(id),
    at TEXT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('out', 'in')),
    cn TEXT NOT NULL,
    frame TEXT NOT NULL
);
CREATE INDEX device_command_frames_command ON device_command_frames (command_id, id);
