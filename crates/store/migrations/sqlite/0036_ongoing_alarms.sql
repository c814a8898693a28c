-- The supervisor reads every device's ongoing alarms of a kind in one query per pass: only the
-- open episodes, not every episode a device ever had.
CREATE INDEX alarms_ongoing ON alarms (kind, mn) WHERE end_time IS NULL;
