-- See the SQLite migration of the same number for why: fewer scattered index entries per
-- ingested frame, and each device's last delivery kept in its own table.
ALTER TABLE uploads DROP CONSTRAINT uploads_mn_cn_qn_data_time_pno_key;
ALTER TABLE uploads ADD CONSTRAINT uploads_key UNIQUE (data_time, mn, cn, qn, pno);
DROP INDEX uploads_mn_time;
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
