-- Automatic air stations that report over HJ 212 (ST=22): which MN belongs to which station.
CREATE TABLE air_station_devices (
    mn TEXT PRIMARY KEY,
    station_code TEXT NOT NULL REFERENCES air_stations(code),
    password TEXT NOT NULL,
    crc_policy TEXT NOT NULL CHECK (crc_policy IN ('strict', 'field')),
    linked_at TEXT NOT NULL
);
