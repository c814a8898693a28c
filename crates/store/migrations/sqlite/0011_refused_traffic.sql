-- What the gateway spends on strangers is bounded (issue 12):
-- * refused_traffic counts, per MN (or per address when no MN could be read) and kind, every
--   frame the gateway did not accept; only the first few of each are archived in raw_frames,
--   the rest are counted here, so a flood costs one row per key instead of one per frame;
-- * garbage_sessions summarises the bytes outside any frame of one connection (count, first
--   bytes, first and last time) instead of one raw_frames row per burst; only the first
--   connections of an address get one, the rest are counted (kind 'garbage', per address);
-- * registry_version is bumped by every write to the tables that say which MNs the gateway
--   accepts, so the gateway reloads its registry only when it changed, and at once.
CREATE TABLE refused_traffic (
    kind TEXT NOT NULL CHECK (kind IN ('quarantined', 'refused', 'rejected', 'garbage')),
    source_key TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    total INTEGER NOT NULL,
    kept INTEGER NOT NULL,
    last_peer TEXT NOT NULL,
    PRIMARY KEY (kind, source_key)
);
CREATE INDEX refused_traffic_last_seen ON refused_traffic (last_seen);
-- Frames quarantined before this migration become counted keys, so the bound holds for them too.
INSERT INTO refused_traffic (kind, source_key, first_seen, last_seen, total, kept, last_peer)
    SELECT verdict, COALESCE(mn, ''), MIN(received_at), MAX(received_at), COUNT(*), COUNT(*), MAX(peer)
    FROM raw_frames WHERE verdict IN ('quarantined', 'refused') GROUP BY verdict, COALESCE(mn, '');

CREATE TABLE garbage_sessions (
    id INTEGER PRIMARY KEY,
    -- The gateway's name for the connection: its summary is written as the connection goes
    -- and brought up to date when it ends, in the gateway's group commits.
    conn TEXT NOT NULL UNIQUE,
    peer TEXT NOT NULL,
    first_at TEXT NOT NULL,
    last_at TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    head BLOB NOT NULL
);
CREATE INDEX garbage_sessions_last ON garbage_sessions (last_at);

CREATE TABLE registry_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO registry_version (id, version) VALUES (1, 1);
CREATE TRIGGER devices_version_insert AFTER INSERT ON devices BEGIN UPDATE registry_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER devices_version_update AFTER UPDATE ON devices BEGIN UPDATE registry_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER devices_version_delete AFTER DELETE ON devices BEGIN UPDATE registry_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER air_devices_version_insert AFTER INSERT ON air_station_devices BEGIN UPDATE registry_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER air_devices_version_update AFTER UPDATE ON air_station_devices BEGIN UPDATE registry_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER air_devices_version_delete AFTER DELETE ON air_station_devices BEGIN UPDATE registry_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER water_devices_version_insert AFTER INSERT ON water_section_devices BEGIN UPDATE registry_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER water_devices_version_update AFTER UPDATE ON water_section_devices BEGIN UPDATE registry_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER water_devices_version_delete AFTER DELETE ON water_section_devices BEGIN UPDATE registry_version SET version = version + 1 WHERE id = 1; END;
