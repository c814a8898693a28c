-- Uploads and the raw archive, the two tables that grow with every frame, are partitioned by
-- month (native declarative partitioning), so that a province's years of data stay cheap to
-- keep and to expire:
-- * the raw archive by arrival (received_at, UTC, "YYYY-MM-…"): its retention drops whole
--   months instead of deleting rows one by one (see `Store::purge_raw_frames`);
-- * the uploads by DataTime (device time, "YYYYMMDDhhmmss"): a device's series over a range
--   reads only the months of that range.
-- Each has a DEFAULT partition, so a frame is never refused for want of a month: a DataTime
-- years off, or a month whose partition was not yet made, lands there, and the month's
-- partition, when it is made, takes its rows over (`qingshan_month_partition`).
-- Keys of partitioned tables must include the partition key, so the identities become
-- sequences and the primary keys (id, key). The existing rows are moved over, ids kept.

-- Makes the month partition of `parent` holding `month` (bounds formatted with `fmt`, the
-- key column `key`), moving that month's rows out of the default partition first. Servers
-- sharing the database serialise on an advisory lock; returns whether it made one.
CREATE FUNCTION qingshan_month_partition(parent TEXT, key TEXT, fmt TEXT, month DATE) RETURNS BOOLEAN
LANGUAGE plpgsql AS $fn$
DECLARE
    lo TEXT := to_char(date_trunc('month', month), fmt);
    hi TEXT := to_char(date_trunc('month', month) + INTERVAL '1 month', fmt);
    part TEXT := parent || '_p' || to_char(month, 'YYYYMM');
    dflt TEXT := parent || '_default';
    stray BOOLEAN;
BEGIN
    PERFORM pg_advisory_xact_lock(7262148);
    IF to_regclass(part) IS NOT NULL THEN
        RETURN FALSE;
    END IF;
    -- Writers routed to the default partition wait while its rows of the month move.
    EXECUTE format('LOCK TABLE %I IN EXCLUSIVE MODE', dflt);
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE %I >= %L AND %I < %L)', dflt, key, lo, key, hi) INTO stray;
    IF stray THEN
        EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part, parent);
        EXECUTE format('WITH moved AS (DELETE FROM %I WHERE %I >= %L AND %I < %L RETURNING *) INSERT INTO %I SELECT * FROM moved',
                       dflt, key, lo, key, hi, part);
        EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', parent, part, lo, hi);
    ELSE
        EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)', part, parent, lo, hi);
    END IF;
    RETURN TRUE;
END
$fn$;

-- The raw archive.
ALTER TABLE raw_frames RENAME TO raw_frames_unpartitioned;
ALTER TABLE raw_frames_unpartitioned DROP CONSTRAINT raw_frames_pkey;
DROP INDEX raw_frames_received;
DROP INDEX raw_frames_unstored;
CREATE SEQUENCE raw_frames_ids AS BIGINT;
CREATE TABLE raw_frames (
    id BIGINT NOT NULL DEFAULT nextval('raw_frames_ids'),
    received_at TEXT NOT NULL,
    peer TEXT NOT NULL,
    mn TEXT,
    cn TEXT,
    qn TEXT,
    data_time TEXT,
    bytes BYTEA NOT NULL,
    verdict TEXT NOT NULL CHECK (verdict IN ('stored', 'duplicate', 'quarantined', 'refused', 'rejected', 'garbage')),
    error_kind TEXT,
    message TEXT,
    PRIMARY KEY (id, received_at)
) PARTITION BY RANGE (received_at);
ALTER SEQUENCE raw_frames_ids OWNED BY raw_frames.id;
CREATE TABLE raw_frames_default PARTITION OF raw_frames DEFAULT;
CREATE INDEX raw_frames_received ON raw_frames (received_at);
CREATE INDEX raw_frames_unstored ON raw_frames (mn, received_at) WHERE verdict <> 'stored';
-- An incident's evidence (its device's frames over a DataTime range) is read from every month
-- of the archive: without this it would read the archive whole.
CREATE INDEX raw_frames_device ON raw_frames (mn, data_time);

-- The uploads.
ALTER TABLE uploads RENAME TO uploads_unpartitioned;
ALTER TABLE uploads_unpartitioned DROP CONSTRAINT uploads_pkey;
ALTER TABLE uploads_unpartitioned DROP CONSTRAINT uploads_key;
DROP INDEX uploads_hourly;
DROP INDEX uploads_daily;
CREATE SEQUENCE uploads_ids AS BIGINT;
CREATE TABLE uploads (
    id BIGINT NOT NULL DEFAULT nextval('uploads_ids'),
    mn TEXT NOT NULL,
    cn TEXT NOT NULL,
    qn TEXT NOT NULL,
    data_time TEXT NOT NULL,
    pno BIGINT NOT NULL,
    st TEXT,
    flag BIGINT,
    received_at TEXT NOT NULL,
    factors TEXT NOT NULL,
    backfilled BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (id, data_time),
    CONSTRAINT uploads_key UNIQUE (data_time, mn, cn, qn, pno)
) PARTITION BY RANGE (data_time);
ALTER SEQUENCE uploads_ids OWNED BY uploads.id;
CREATE TABLE uploads_default PARTITION OF uploads DEFAULT;
CREATE INDEX uploads_hourly ON uploads (mn, data_time) WHERE cn = '2061';
CREATE INDEX uploads_daily ON uploads (mn, data_time) WHERE cn = '2031';

-- A month for every month the existing rows have, and for this month and the next two. Months
-- more than a year ahead (a device clock far off) stay in the default partition.
DO $$
DECLARE m DATE;
BEGIN
    FOR m IN
        SELECT DISTINCT to_date(substr(received_at, 1, 7), 'YYYY-MM') FROM raw_frames_unpartitioned
            WHERE received_at ~ '^(19|20)[0-9]{2}-(0[1-9]|1[0-2])'
              AND substr(received_at, 1, 7) <= to_char(now() + INTERVAL '1 year', 'YYYY-MM')
        UNION SELECT generate_series(date_trunc('month', now()), date_trunc('month', now()) + INTERVAL '2 months', INTERVAL '1 month')::date
    LOOP
        PERFORM qingshan_month_partition('raw_frames', 'received_at', 'YYYY-MM', m);
    END LOOP;
    FOR m IN
        SELECT DISTINCT to_date(substr(data_time, 1, 6), 'YYYYMM') FROM uploads_unpartitioned
            WHERE data_time ~ '^(19|20)[0-9]{2}(0[1-9]|1[0-2])'
              AND substr(data_time, 1, 6) <= to_char(now() + INTERVAL '1 year', 'YYYYMM')
        UNION SELECT generate_series(date_trunc('month', now()), date_trunc('month', now()) + INTERVAL '2 months', INTERVAL '1 month')::date
    LOOP
        PERFORM qingshan_month_partition('uploads', 'data_time', 'YYYYMM', m);
    END LOOP;
END
$$;

INSERT INTO raw_frames (id, received_at, peer, mn, cn, qn, data_time, bytes, verdict, error_kind, message)
    SELECT id, received_at, peer, mn, cn, qn, data_time, bytes, verdict, error_kind, message FROM raw_frames_unpartitioned;
SELECT setval('raw_frames_ids', COALESCE((SELECT MAX(id) FROM raw_frames), 0) + 1, false);
DROP TABLE raw_frames_unpartitioned;

INSERT INTO uploads (id, mn, cn, qn, data_time, pno, st, flag, received_at, factors, backfilled)
    SELECT id, mn, cn, qn, data_time, pno, st, flag, received_at, factors, backfilled FROM uploads_unpartitioned;
SELECT setval('uploads_ids', COALESCE((SELECT MAX(id) FROM uploads), 0) + 1, false);
DROP TABLE uploads_unpartitioned;
