-- Automatic backfill (补传): the gaps the supervisor finds in a device's period data (minute
-- 2051, hourly 2061) and the history requests that try to fill them (docs/backfill.md).
-- Times of a gap are DataTimes (device local time, YYYYMMDDhhmmss) like the uploads' own, so
-- the gateway's ingest compares them as text; end_time is exclusive (the period after the last
-- missing one).
CREATE TABLE data_gaps (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mn TEXT NOT NULL,
    cn TEXT NOT NULL CHECK (cn IN ('2051', '2061', '2031')),
    begin_time TEXT NOT NULL,
    end_time TEXT NOT NULL,
    interval_secs BIGINT NOT NULL CHECK (interval_secs > 0),
    -- Periods missing when the gap was found, and how many of them have arrived since.
    expected BIGINT NOT NULL CHECK (expected > 0),
    filled BIGINT NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'requesting', 'filled', 'partial', 'failed')),
    tries BIGINT NOT NULL DEFAULT 0,
    next_try TEXT,
    -- The history request of the latest try (device_commands.id).
    command_id BIGINT,
    detected_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CHECK (end_time > begin_time)
);
CREATE INDEX data_gaps_device ON data_gaps (mn, cn, end_time);
CREATE INDEX data_gaps_open ON data_gaps (state, next_try) WHERE state IN ('pending', 'requesting', 'partial');
-- How far the hourly look for gaps has come per device and CN, from the device's first data
-- seen, and the period length the look expects.
CREATE TABLE data_gap_scans (
    mn TEXT NOT NULL,
    cn TEXT NOT NULL,
    first_data_time TEXT NOT NULL,
    scanned_to TEXT NOT NULL,
    interval_secs BIGINT NOT NULL CHECK (interval_secs > 0),
    PRIMARY KEY (mn, cn)
);
-- Data that arrived for a recorded gap (in answer to a history request, or late on its own).
ALTER TABLE uploads ADD COLUMN backfilled BOOLEAN NOT NULL DEFAULT FALSE;
