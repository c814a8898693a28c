-- The public registry list (/sources) is paged in SQL, ordered by enterprise name, outlet code
-- and MN: these indexes let the database walk that order and stop after one page, and count
-- the devices seen recently (online) without reading the others.
CREATE INDEX enterprises_name ON enterprises (name, id);
CREATE INDEX devices_outlet ON devices (outlet_id, mn);
CREATE INDEX device_last_seen_at ON device_last_seen (last_received_at);
