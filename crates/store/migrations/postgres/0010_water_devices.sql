-- Automatic surface-water stations that report over HJ 212 (ST=21): which MN belongs to which
-- section. The supervisor turns their hourly uploads into daily means stored as water_samples
-- with source 'hj212'; those are revised apart from the manual results of the same day
-- (reads take the latest revision of each source kind, see `Store::water_samples`).
CREATE TABLE water_section_devices (
    mn TEXT PRIMARY KEY,
    section_code TEXT NOT NULL REFERENCES water_sections(code),
    password TEXT NOT NULL,
    crc_policy TEXT NOT NULL CHECK (crc_policy IN ('strict', 'field')),
    linked_at TEXT NOT NULL
);
CREATE INDEX water_section_devices_section ON water_section_devices (section_code);
