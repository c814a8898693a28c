-- A value computed from monitoring keeps its data capture (issue 13): how many valid days
-- the period had, how many days it has, and whether that meets the standard's validity rule
-- (GB 3095: a year needs ≥ 324 valid daily values, ≥ 27 in each month). Values entered by
-- hand or imported have none (all three NULL).
ALTER TABLE indicator_values ADD COLUMN valid_days BIGINT;
ALTER TABLE indicator_values ADD COLUMN period_days BIGINT;
ALTER TABLE indicator_values ADD COLUMN capture_valid BOOLEAN;
ALTER TABLE indicator_values ADD CONSTRAINT indicator_values_capture_whole CHECK (
    (valid_days IS NULL) = (period_days IS NULL) AND (valid_days IS NULL) = (capture_valid IS NULL)
    AND (valid_days IS NULL OR (valid_days >= 0 AND valid_days <= period_days))
);
