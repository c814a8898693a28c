-- A value computed from monitoring keeps its data capture (issue 13): how many valid days
-- the period had, how many days it has, and whether that meets the standard's validity rule
-- (GB 3095: a year needs ≥ 324 valid daily values, ≥ 27 in each month). Values entered by
-- hand or imported have none (all three NULL).
ALTER TABLE indicator_values ADD COLUMN valid_days INTEGER;
ALTER TABLE indicator_values ADD COLUMN period_days INTEGER;
ALTER TABLE indicator_values ADD COLUMN capture_valid INTEGER;
