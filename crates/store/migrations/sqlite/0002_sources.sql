-- Pollution sources: registry (enterprises, outlets, devices, permits), the raw frame archive,
-- and the uploaded data. An upload's evidence is the raw frame with the same MN, CN, QN and DataTime.
CREATE TABLE enterprises (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    credit_code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    division_code TEXT,
    industry TEXT,
    address TEXT,
    longitude TEXT,
    latitude TEXT,
    created_at TEXT NOT NULL
);
CREATE TABLE outlets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    enterprise_id INTEGER NOT NULL REFERENCES enterprises(id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('gas', 'water')),
    UNIQUE (enterprise_id, code)
);
CREATE TABLE devices (
    mn TEXT PRIMARY KEY,
    outlet_id INTEGER NOT NULL REFERENCES outlets(id),
    protocol TEXT NOT NULL CHECK (protocol IN ('2005', '2017', '2025')),
    crc_policy TEXT NOT NULL CHECK (crc_policy IN ('strict', 'field')),
    password TEXT NOT NULL,
    interval_secs INTEGER NOT NULL DEFAULT 60,
    created_at TEXT NOT NULL
);
CREATE TABLE permits (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    enterprise_id INTEGER NOT NULL REFERENCES enterprises(id),
    permit_number TEXT NOT NULL UNIQUE,
    valid_from TEXT NOT NULL,
    valid_to TEXT NOT NULL
);
CREATE TABLE permit_limits (
    permit_id INTEGER NOT NULL REFERENCES permits(id),
    outlet_id INTEGER NOT NULL REFERENCES outlets(id),
    factor_code TEXT NOT NULL,
    hourly_limit TEXT,
    use_converted INTEGER NOT NULL DEFAULT 0,
    reference_o2 TEXT,
    annual_total_t TEXT,
    PRIMARY KEY (permit_id, outlet_id, factor_code)
);
-- Plain rowid keys (no AUTOINCREMENT): the hot tables skip sqlite_sequence on every insert.
CREATE TABLE raw_frames (
    id INTEGER PRIMARY KEY,
    received_at TEXT NOT NULL,
    peer TEXT NOT NULL,
    mn TEXT,
    cn TEXT,
    qn TEXT,
    data_time TEXT,
    bytes BLOB NOT NULL,
    verdict TEXT NOT NULL CHECK (verdict IN ('stored', 'duplicate', 'quarantined', 'refused', 'rejected', 'garbage')),
    error_kind TEXT,
    message TEXT
);
CREATE INDEX raw_frames_received ON raw_frames (received_at);
CREATE INDEX raw_frames_mn ON raw_frames (mn, received_at);
CREATE TABLE uploads (
    id INTEGER PRIMARY KEY,
    mn TEXT NOT NULL,
    cn TEXT NOT NULL,
    qn TEXT NOT NULL,
    data_time TEXT NOT NULL,
    pno INTEGER NOT NULL,
    st TEXT,
    flag INTEGER,
    received_at TEXT NOT NULL,
    -- The factors' values as a JSON array of {factor, rtd, min, avg, max, cou, zs_rtd, zs_avg, flag, eflag, extra},
    -- exact text: one row per upload keeps ingest cheap; series are read per device and CN.
    factors TEXT NOT NULL,
    UNIQUE (mn, cn, qn, data_time, pno)
);
CREATE INDEX uploads_mn_time ON uploads (mn, cn, data_time);
