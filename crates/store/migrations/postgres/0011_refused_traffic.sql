-- See the SQLite migration of the same number: bounded archive of refused traffic, garbage
-- summarised per connection, and a registry version bumped by every registry write.
CREATE TABLE refused_traffic (
    kind TEXT NOT NULL CHECK (kind IN ('quarantined', 'refused', 'rejected', 'garbage')),
    source_key TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    total BIGINT NOT NULL,
    kept BIGINT NOT NULL,
    last_peer TEXT NOT NULL,
    PRIMARY KEY (kind, source_key)
);
CREATE INDEX refused_traffic_last_seen ON refused_traffic (last_seen);
INSERT INTO refused_traffic (kind, source_key, first_seen, last_seen, total, kept, last_peer)
    SELECT verdict, COALESCE(mn, ''), MIN(received_at), MAX(received_at), COUNT(*), COUNT(*), MAX(peer)
    FROM raw_frames WHERE verdict IN ('quarantined', 'refused') GROUP BY verdict, COALESCE(mn, '');

CREATE TABLE garbage_sessions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The gateway's name for the connection: its summary is written as the connection goes
    -- and brought up to date when it ends, in the gateway's group commits.
    conn TEXT NOT NULL UNIQUE,
    peer TEXT NOT NULL,
    first_at TEXT NOT NULL,
    last_at TEXT NOT NULL,
    bytes BIGINT NOT NULL,
    head BYTEA NOT NULL
);
CREATE INDEX garbage_sessions_last ON garbage_sessions (last_at);

CREATE TABLE registry_version (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO registry_version (id, version) VALUES (1, 1);
CREATE FUNCTION bump_registry_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE registry_version SET version = version + 1 WHERE id = 1;
    RETURN NULL;
END;
$$;
CREATE TRIGGER devices_version AFTER INSERT OR UPDATE OR DELETE ON devices
    FOR EACH STATEMENT EXECUTE FUNCTION bump_registry_version();
CREATE TRIGGER air_devices_version AFTER INSERT OR UPDATE OR DELETE ON air_station_devices
    FOR EACH STATEMENT EXECUTE FUNCTION bump_registry_version();
CREATE TRIGGER water_devices_version AFTER INSERT OR UPDATE OR DELETE ON water_section_devices
    FOR EACH STATEMENT EXECUTE FUNCTION bump_registry_version();
