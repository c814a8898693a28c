#!/usr/bin/env python3
"""Independent re-computation of `qingshan air assess --json` on the UCI Beijing stations.

Standard library only. Written from the reference sheet, not from the Rust code:
exact decimals via fractions.Fraction, percentiles cross-checked against
statistics.quantiles(method="inclusive") (= HJ 663 k = 1 + (n-1)p), and the same
documented defaults as the crate (GB/T 8170 rounding of concentrations before the
IAQI under 2012 too; a day with a missing indicator publishes its AQI only if > 100;
O3 1-hour maximum needs >= 20 hours; MDA8 exceedance exception at 160; composite
index from published (rounded) concentrations, single indices rounded half-even to
2 decimals).

Usage: independent_check.py QINGSHAN_BINARY [DATA_DIR]
The binary is called as `BINARY air assess --year Y --input FILE --json`.
"""
import csv
import json
import math
import statistics
import subprocess
import sys
from collections import defaultdict
from fractions import Fraction as F

DATA = "/work/shared/data/air/beijing-uci"
FILES = ["PRSA_Data_Aotizhongxin_20130301-20170228.csv", "PRSA_Data_Dongsi_20130301-20170228.csv"]

# HJ 633-2012 Table 1 (reference §3.1)
IAQI = [0, 50, 100, 150, 200, 300, 400, 500]
BP = {
    "so2": [0, 50, 150, 475, 800, 1600, 2100, 2620],
    "no2": [0, 40, 80, 180, 280, 565, 750, 940],
    "pm10": [0, 50, 150, 250, 350, 420, 500, 600],
    "co": [0, 2, 4, 14, 24, 36, 48, 60],
    "o3_1h": [0, 160, 200, 300, 400, 800, 1000, 1200],
    "o3_8h": [0, 100, 160, 215, 265, 800],
    "pm25": [0, 35, 75, 115, 150, 250, 350, 500],
}
LIMITS_2012 = {"so2": (60, 150), "no2": (40, 80), "pm10": (70, 150), "pm25": (35, 75), "co": (None, 4), "o3": (None, 160)}
PCT = {"so2": 98, "no2": 98, "co": 95, "o3": 90, "pm10": 95, "pm25": 95}


def half_even(x, decimals):
    q = F(10) ** decimals
    y = x * q
    fl = math.floor(y)
    diff = y - fl
    if diff > F(1, 2) or (diff == F(1, 2) and fl % 2 == 1):
        fl += 1
    return F(fl) / q


def iaqi(col, c):
    c = half_even(c, 1 if col == "co" else 0)
    bps = BP[col]
    if col == "o3_8h" and c > 800:
        return None  # 2012 footnote 3: the 1-hour IAQI stands in
    if c > bps[-1]:
        return 500
    for i in range(1, len(bps)):
        if c <= bps[i]:
            return IAQI[i - 1] + math.ceil(F(IAQI[i] - IAQI[i - 1]) * (c - bps[i - 1]) / (bps[i] - bps[i - 1]))
    raise AssertionError


def load(path):
    hours = defaultdict(dict)  # date -> {pollutant: [24 values or None]}
    cols = {"so2": "SO2", "no2": "NO2", "co": "CO", "o3": "O3", "pm10": "PM10", "pm25": "PM2.5"}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            date = (int(row["year"]), int(row["month"]), int(row["day"]))
            h = int(row["hour"])
            day = hours[date]
            for k, c in cols.items():
                v = row[c]
                day.setdefault(k, [None] * 24)[h] = None if v == "NA" else (F(v) / 1000 if k == "co" else F(v))
    return hours


def daily(day):
    out = {}
    for k in ("so2", "no2", "co", "pm10", "pm25", "o3"):
        vals = [v for v in day[k] if v is not None]
        out[k] = sum(vals) / len(vals) if len(vals) >= 20 else None
    o3 = day["o3"]
    vals = [v for v in o3 if v is not None]
    out["o3_1h"] = max(vals) if len(vals) >= 20 else None
    means = []
    for s in range(17):
        w = [v for v in o3[s:s + 8] if v is not None]
        if len(w) >= 6:
            means.append(sum(w) / len(w))
    mx = max(means) if means else None
    out["o3_8h"] = mx if mx is not None and (len(means) >= 14 or mx > 160) else None
    return out


def daily_aqi(d):
    slots = {
        "so2": iaqi("so2", d["so2"]) if d["so2"] is not None else None,
        "no2": iaqi("no2", d["no2"]) if d["no2"] is not None else None,
        "co": iaqi("co", d["co"]) if d["co"] is not None else None,
        "o3_1h": iaqi("o3_1h", d["o3_1h"]) if d["o3_1h"] is not None else None,
        "o3_8h": iaqi("o3_8h", d["o3_8h"]) if d["o3_8h"] is not None else None,
        "pm10": iaqi("pm10", d["pm10"]) if d["pm10"] is not None else None,
        "pm25": iaqi("pm25", d["pm25"]) if d["pm25"] is not None else None,
    }
    exempt = d["o3_8h"] is not None and half_even(d["o3_8h"], 0) > 800
    avail = [v for v in slots.values() if v is not None]
    if not avail:
        return None
    complete = all(v is not None or (k == "o3_8h" and exempt) for k, v in slots.items())
    a = max(avail)
    return a if complete or a > 100 else None


def percentile(vals, p):
    xs = sorted(vals)
    n = len(xs)
    k = 1 + (n - 1) * F(p, 100)
    s = math.floor(k)
    if s >= n:
        return xs[-1]
    return xs[s - 1] + (xs[s] - xs[s - 1]) * (k - s)


def assess(hours, year):
    days = {d: daily(v) for d, v in hours.items() if d[0] == year}
    aqis = [daily_aqi(d) for d in days.values()]
    valid = [a for a in aqis if a is not None]
    res = {
        "valid_days": len(valid),
        "good_days": sum(a <= 100 for a in valid),
        "heavy_days": sum(a > 200 for a in valid),
        "severe_days": sum(a > 300 for a in valid),
    }
    res["good_days_ratio"] = float(F(res["good_days"] * 100, len(valid))) if valid else None
    composite = F(0)
    for k in ("so2", "no2", "co", "o3", "pm10", "pm25"):
        key = "o3_8h" if k == "o3" else k
        vals = [d[key] for d in days.values() if d[key] is not None]
        mean = sum(vals) / len(vals)
        pct = percentile(vals, PCT[k])
        # cross-check the percentile definition with the standard library (type 7)
        q = statistics.quantiles([float(v) for v in vals], n=100, method="inclusive")[PCT[k] - 1]
        assert abs(q - float(pct)) < 1e-9 * max(1.0, abs(q)), (k, q, float(pct))
        if k in ("so2", "no2", "pm10", "pm25"):
            res[f"{k}_annual_mean"] = float(mean)
            c, s = half_even(mean, 0), LIMITS_2012[k][0]
        else:
            c, s = half_even(pct, 1 if k == "co" else 0), LIMITS_2012[k][1]
        res[{"co": "co_24h_p95", "o3": "o3_8h_p90"}.get(k, f"{k}_24h_p{PCT[k]}")] = float(pct)
        composite += half_even(c / s, 2)
    res["composite_index"] = float(composite)
    return res


def main():
    binary = sys.argv[1]
    data = sys.argv[2] if len(sys.argv) > 2 else DATA
    failures = 0
    keys = ["valid_days", "good_days", "good_days_ratio", "heavy_days", "severe_days", "pm25_annual_mean",
            "pm10_annual_mean", "so2_annual_mean", "no2_annual_mean", "co_24h_p95", "o3_8h_p90", "composite_index"]
    print("station,year," + ",".join(keys))
    for name in FILES:
        path = f"{data}/{name}"
        hours = load(path)
        for year in range(2013, 2018):
            mine = assess(hours, year)
            out = subprocess.run([binary, "air", "assess", "--year", str(year), "--input", path, "--json"],
                                 check=True, capture_output=True, text=True).stdout
            theirs = json.loads(out)
            for k in keys:
                a, b = mine[k], theirs[k]
                same = a == b if isinstance(a, int) else abs(a - b) <= 1e-9 * max(1.0, abs(a))
                if not same:
                    failures += 1
                    print(f"MISMATCH {name} {year} {k}: python {a} vs rust {b}", file=sys.stderr)
            print(f"{name.split('_')[2]},{year}," + ",".join(
                str(mine[k]) if isinstance(mine[k], int) else f"{mine[k]:.4f}" for k in keys))
    print("OK: all values agree" if failures == 0 else f"{failures} mismatches", file=sys.stderr)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
