-- The gateway's write path touches as few scattered index pages per frame as it can: at the
-- rates the gateway must sustain, each randomly placed index entry costs a page written per
-- commit. So:
-- * the uploads' unique key leads with DataTime, so new entries of all devices land together
--   at the end of the index instead of one page per device; a device's real-time and minute
--   data (the bulk, read over hours) are found by a range scan of it. The hourly and daily
--   data, read per device over months by the pages and the supervisor, have per-device
--   partial indexes: a sixtieth of the entries, so a sixtieth of the cost;
-- * the raw archive is indexed by arrival time only (appends), plus a partial index over the
--   frames staff look up by device: those not stored (quarantined, refused, rejected,
--   duplicate). The evidence of a stored upload is found by its received_at;
-- * when each device last delivered is kept in its own small table instead of being
--   computed from the uploads each time.
CREATE TABLE uploads_keyed (
    id INTEGER PRIMARY KEY,
    mn TEXT NOT NULL,
    cn TEXT NOT NULL,
    qn TEXT NOT NULL,
    data_time TEXT NOT NULL,
    pno INTEGER NOT NULL,
    st TEXT,
    flag INTEGER,
    received_at TEXT NOT NULL,
    factors TEXT NOT NULL,
    UNIQUE (data_time, mn, cn, qn, pno)
);
INSERT INTO uploads_keyed (id, mn, cn, qn, data_time, pno, st, flag, received_at, factors)
    SELECT id, mn, cn, qn, data_time, pno, st, flag, received_at, factors FROM uploads;
DROP TABLE uploads;
ALTER TABLE uploads_keyed RENAME TO uploads;
CREATE INDEX uploads_hourly ON uploads (mn, data_time) WHERE cn = '2061';
CREATE INDEX uploads_daily ON uploads (mn, data_time) WHERE cn = '2031';

DROP INDEX raw_frames_mn;
CREATE INDEX raw_frames_unstored ON raw_frames (mn, received_at) WHERE verdict <> 'stored';

CREATE TABLE device_last_seen (
    mn TEXT PRIMARY KEY,
    last_received_at TEXT NOT NULL
);
INSERT INTO device_last_seen (mn, last_received_at)
    SELECT mn, MAX(received_at) FROM uploads GROUP BY mn;
