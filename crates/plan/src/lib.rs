//! The plan as data: indicators, targets, tasks, units and divisions, its TOML format and loader.
