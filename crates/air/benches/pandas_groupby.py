#!/usr/bin/env python3
"""Comparison point for benches/assessment.rs: a plain pandas groupby of daily means.

Same shape as the Rust benchmark: 1,700 stations x 365 days x 24 hours (14.9 M
station-hours), six pollutants, ~2.5 % missing (NaN). Times only
`df.groupby(["station", "day"]).mean()` (no validity rules, no AQI, no
assessment), best of 3 runs, on one core (pandas groupby is single-threaded).
"""
import time

import numpy as np
import pandas as pd

STATIONS, DAYS = 1_700, 365
rng = np.random.default_rng(5)
n = STATIONS * DAYS * 24
station = np.repeat(np.arange(STATIONS, dtype=np.int32), DAYS * 24)
day = np.tile(np.repeat(np.arange(DAYS, dtype=np.int32), 24), STATIONS)
cols = {}
for name, base in [("so2", 8), ("no2", 35), ("co", 1), ("o3", 90), ("pm10", 80), ("pm25", 45)]:
    v = rng.uniform(base / 2, base * 2.5, n)
    v[rng.random(n) < 0.025] = np.nan
    cols[name] = v
df = pd.DataFrame({"station": station, "day": day, **cols})
print(f"rows: {len(df):,}  pandas {pd.__version__}")
best = float("inf")
for _ in range(3):
    t = time.perf_counter()
    daily = df.groupby(["station", "day"], sort=False).mean()
    best = min(best, time.perf_counter() - t)
print(f"groupby(station, day).mean(): best of 3 = {best:.3f} s  ({len(daily):,} station-days)")
