-- Analyser parameters (HJ 212 CN 3020, i13xxx information codes) as devices upload them, and
-- the devices' clocks as their DataTime shows them.
--
-- Every upload of a parameter is a row: a value is never overwritten, so the history shows
-- when a range, slope or intercept changed. `changed` says the value differs from the one
-- stored before it for the same device, factor and code (`previous_value`, `previous_time`);
-- `mark_id` names the valid maintenance/calibration mark that covered the change, `alarm_id`
-- the 参数变更 alarm it raised (neither for unchanged values).
CREATE TABLE analyser_params (
    id BIGSERIAL PRIMARY KEY,
    mn TEXT NOT NULL,
    factor TEXT NOT NULL DEFAULT '',
    code TEXT NOT NULL,
    value TEXT NOT NULL,
    data_time TEXT NOT NULL,
    received_at TEXT NOT NULL,
    qn TEXT NOT NULL DEFAULT '',
    frame_sha256 TEXT NOT NULL,
    changed BOOLEAN NOT NULL DEFAULT FALSE,
    previous_value TEXT,
    previous_time TEXT,
    mark_id BIGINT,
    alarm_id BIGINT,
    UNIQUE (mn, factor, code, data_time, frame_sha256)
);
CREATE INDEX analyser_params_history ON analyser_params (mn, factor, code, id);
CREATE INDEX analyser_params_newest ON analyser_params (mn, id);

-- The latest clock reading of each device (seconds its clock is ahead of the server's; negative:
-- behind), the newest DataTime of each data CN (only newer data are read: resends, history and
-- backfill are not), and the open 时钟偏差 alarm's key while the offset is beyond the setting.
CREATE TABLE device_clock (
    mn TEXT PRIMARY KEY,
    offset_secs BIGINT,
    measured_at TEXT,
    source_cn TEXT,
    source_data_time TEXT,
    head_2011 TEXT,
    head_2051 TEXT,
    head_2061 TEXT,
    drift_start TEXT,
    drift_peak_secs BIGINT
);

-- Alarm kinds are the code's (qingshan_sources::supervision::AlarmKind: 参数变更 and 时钟偏差
-- join here): the CHECK that listed them would have to be rebuilt for every new kind.
ALTER TABLE alarms DROP CONSTRAINT IF EXISTS alarms_kind_check;
