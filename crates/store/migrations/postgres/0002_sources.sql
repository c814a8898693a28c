-- Pollution sources: registry (enterprises, outlets, devices, permits), the raw frame archive,
-- and the uploaded data. An upload's evidence is the raw frame with the same MN, CN, QN and DataTime.
CREATE TABLE enterprises (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    enterprise_id BIGINT NOT NULL REFERENCES enterprises(id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('gas', 'water')),
    UNIQUE (enterprise_id, code)
);
CREATE TABLE devices (
    mn TEXT PRIMARY KEY,
    outlet_id BIGINT NOT NULL REFERENCES outlets(id),
    protocol TEXT NOT NULL CHECK (protocol IN ('2005', '2017', '2025')),
    crc_policy TEXT NOT NULL CHECK (crc_policy IN ('strict', 'field')),
    password TEXT NOT NULL,
    interval_secs BIGINT NOT NULL DEFAULT 60,
    created_at TEXT NOT NULL
);
CREATE TABLE permits (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    enterprise_id BIGINT NOT NULL REFERENCES enterprises(id),
    permit_number TEXT NOT NULL UNIQUE,
    valid_from TEXT NOT NULL,
    valid_to TEXT NOT NULL
);
CREATE TABLE permit_limits (
    permit_id BIGINT NOT NULL REFERENCES permits(id),
    outlet_id BIGINT NOT NULL REFERENCES outlets(id),
    factor_code TEXT NOT NULL,
    hourly_limit TEXT,
    use_converted BOOLEAN NOT NULL DEFAULT FALSE,
    reference_o2 TEXT,
    annual_total_t TEXT,
    PRIMARY KEY (permit_id, outlet_id, factor_code)
);
CREATE TABLE raw_frames (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    received_at TEXT NOT NULL,
    peer TEXT NOT NULL,
    mn TEXT,
    cn TEXT,
    qn TEXT,
    data_time TEXT,
    bytes BYTEA NOT NULL,
    verdict TEXT NOT NULL CHECK (verdict IN ('stored', 'duplicate', 'quarantined', 'refused', 'rejected', 'garbage')),
    error_kind TEXT,
    message TEXT
);
CREATE INDEX raw_frames_received ON raw_frames (received_at);
CREATE INDEX raw_frames_mn ON raw_frames (mn, received_at);
CREATE TABLE uploads (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mn TEXT NOT NULL,
    cn TEXT NOT NULL,
    qn TEXT NOT NULL,
    data_time TEXT NOT NULL,
    pno BIGINT NOT NULL,
    st TEXT,
    flag BIGINT,
    received_at TEXT NOT NULL,
    -- The factors' values as a JSON array of {factor, rtd, min, avg, max, cou, zs_rtd, zs_avg, flag, eflag, extra},
    -- exact text: one row per upload keeps ingest cheap; series are read per device and CN.
    factors TEXT NOT NULL,
    UNIQUE (mn, cn, qn, data_time, pno)
);
CREATE INDEX uploads_mn_time ON uploads (mn, cn, data_time);
