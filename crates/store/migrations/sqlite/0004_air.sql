-- Ambient air monitoring: the station registry and hourly concentrations.
-- Hourly values are never overwritten: a re-import of a station-hour adds a revision and reads
-- take the highest one, so every figure ever published can be traced to the rows behind it.
CREATE TABLE air_stations (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    control_level TEXT NOT NULL CHECK (control_level IN ('国控', '省控', '县控')),
    division_code TEXT,
    longitude TEXT,
    latitude TEXT,
    updated_at TEXT NOT NULL
);
CREATE TABLE air_hourly (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    station_code TEXT NOT NULL REFERENCES air_stations(code),
    -- Hour-beginning local time, 'YYYY-MM-DDTHH:00' (sortable as text).
    hour TEXT NOT NULL,
    revision INTEGER NOT NULL,
    -- Exact decimals as text: µg/m³, CO mg/m³; NULL = missing.
    so2 TEXT,
    no2 TEXT,
    co TEXT,
    o3 TEXT,
    pm10 TEXT,
    pm25 TEXT,
    source TEXT NOT NULL CHECK (source IN ('import', 'hj212', 'api')),
    imported_at TEXT NOT NULL,
    imported_by INTEGER REFERENCES users(id),
    UNIQUE (station_code, hour, revision)
);
