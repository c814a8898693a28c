//! The plan's map: the boundaries of its counties as GeoJSON, the coordinate system they are
//! drawn in, and the conversion of point coordinates (WGS-84, as surveyed) into that system.
//!
//! The file is outside input, so reading it has limits (size, features, points) and every
//! refusal names the feature in Chinese. Geometry is kept as plain `f64` degrees: it is only
//! drawn, never computed with.

use std::fmt;

use serde_json::Value;

/// Xinzhou's 14 counties (simplified; see `docs/plan-format.md` for source and licence).
pub const XINZHOU_DIVISIONS_GEOJSON: &str = include_str!("../plans/xinzhou-divisions.geojson");

/// Files the embedded plan may reference, by the name the plan file gives.
pub const EMBEDDED_FILES: &[(&str, &str)] =
    &[("xinzhou-divisions.geojson", XINZHOU_DIVISIONS_GEOJSON)];

/// Largest map file read (bytes).
pub const MAX_BYTES: usize = 4 * 1024 * 1024;
/// Most features in a map file.
pub const MAX_FEATURES: usize = 500;
/// Most points over all rings of a map file.
pub const MAX_POINTS: usize = 200_000;

/// Coordinate system of a map's geometry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crs {
    /// GCJ-02 (国测局坐标), the system of AMap and other Chinese web maps.
    Gcj02,
    /// WGS-84 (GPS).
    Wgs84,
}

impl Crs {
    /// The name the plan file uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Crs::Gcj02 => "GCJ-02",
            Crs::Wgs84 => "WGS-84",
        }
    }

    /// Parses the plan file's name of a system.
    pub fn parse(s: &str) -> Option<Crs> {
        match s {
            "GCJ-02" => Some(Crs::Gcj02),
            "WGS-84" => Some(Crs::Wgs84),
            _ => None,
        }
    }

    /// A WGS-84 point (longitude, latitude) in this system, to be drawn on this map.
    pub fn from_wgs84(self, lon: f64, lat: f64) -> (f64, f64) {
        match self {
            Crs::Gcj02 => wgs84_to_gcj02(lon, lat),
            Crs::Wgs84 => (lon, lat),
        }
    }
}

/// A closed ring of (longitude, latitude) points, first equal to last.
pub type Ring = Vec<(f64, f64)>;

/// One county's shape.
#[derive(Debug, Clone, PartialEq)]
pub struct DivisionShape {
    /// GB/T 2260 code (`properties.code`).
    pub code: String,
    /// Name (`properties.name`).
    pub name: String,
    /// Polygons, each an outer ring followed by its holes.
    pub polygons: Vec<Vec<Ring>>,
}

/// The plan's map: where it came from and the shapes.
#[derive(Debug, Clone, PartialEq)]
pub struct DivisionMap {
    /// The file name the plan gives.
    pub file: String,
    /// Coordinate system of the geometry.
    pub crs: Crs,
    /// Where the boundaries come from, in words.
    pub source: String,
    /// Their licence, in words.
    pub licence: String,
    /// One shape per county.
    pub shapes: Vec<DivisionShape>,
}

impl DivisionMap {
    /// (west, south, east, north) over every ring; `None` without points.
    pub fn bounds(&self) -> Option<(f64, f64, f64, f64)> {
        let mut pts = self
            .shapes
            .iter()
            .flat_map(|s| s.polygons.iter().flatten().flatten());
        let &(x0, y0) = pts.next()?;
        Some(pts.fold((x0, y0, x0, y0), |(w, s, e, n), &(x, y)| {
            (w.min(x), s.min(y), e.max(x), n.max(y))
        }))
    }
}

/// A map file that cannot be used: which feature (when one is to blame) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapError {
    /// 0-based index of the feature to blame.
    pub index: Option<usize>,
    /// Its code and name as far as they could be read, e.g. `140902 忻府区`.
    pub feature: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for MapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.index, &self.feature) {
            (Some(i), Some(name)) => write!(f, "第 {} 个要素（{name}）：{}", i + 1, self.message),
            (Some(i), None) => write!(f, "第 {} 个要素：{}", i + 1, self.message),
            _ => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for MapError {}

fn whole(message: impl Into<String>) -> MapError {
    MapError {
        index: None,
        feature: None,
        message: message.into(),
    }
}

/// Reads a GeoJSON FeatureCollection of Polygon/MultiPolygon features with `properties.code`
/// and `properties.name`, within [`MAX_BYTES`], [`MAX_FEATURES`] and [`MAX_POINTS`].
pub fn parse_geojson(text: &str) -> Result<Vec<DivisionShape>, MapError> {
    if text.len() > MAX_BYTES {
        return Err(whole(format!(
            "地图文件超过 {} MiB 上限",
            MAX_BYTES / 1024 / 1024
        )));
    }
    let doc: Value = serde_json::from_str(text).map_err(|e| {
        whole(format!(
            "不是有效的 JSON（第 {} 行第 {} 列）",
            e.line(),
            e.column()
        ))
    })?;
    if doc.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return Err(whole("顶层应为 \"type\": \"FeatureCollection\""));
    }
    let features = doc
        .get("features")
        .and_then(Value::as_array)
        .ok_or_else(|| whole("缺少 features 数组"))?;
    if features.len() > MAX_FEATURES {
        return Err(whole(format!("要素超过 {MAX_FEATURES} 个上限")));
    }
    let mut points = 0usize;
    let mut out = Vec::with_capacity(features.len());
    for (i, f) in features.iter().enumerate() {
        let prop = |k: &str| {
            f.get("properties")
                .and_then(|p| p.get(k))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        let code = prop("code");
        let name = prop("name");
        let label = match (&code, &name) {
            (Some(c), Some(n)) => Some(format!("{c} {n}")),
            (Some(c), None) => Some(c.clone()),
            (None, Some(n)) => Some(n.clone()),
            (None, None) => None,
        };
        let err = |message: String| MapError {
            index: Some(i),
            feature: label.clone(),
            message,
        };
        let code = code.ok_or_else(|| err("缺少 properties.code（GB/T 2260 代码）".into()))?;
        let name = name.ok_or_else(|| err("缺少 properties.name".into()))?;
        let geom = f
            .get("geometry")
            .ok_or_else(|| err("缺少 geometry".into()))?;
        let coords = geom
            .get("coordinates")
            .ok_or_else(|| err("geometry 缺少 coordinates".into()))?;
        let polys: Vec<&Value> = match geom.get("type").and_then(Value::as_str) {
            Some("Polygon") => vec![coords],
            Some("MultiPolygon") => coords
                .as_array()
                .ok_or_else(|| err("MultiPolygon 的 coordinates 应为数组".into()))?
                .iter()
                .collect(),
            _ => return Err(err("geometry 应为 Polygon 或 MultiPolygon".into())),
        };
        let mut polygons = Vec::with_capacity(polys.len());
        for (pi, p) in polys.into_iter().enumerate() {
            let rings = p
                .as_array()
                .ok_or_else(|| err(format!("第 {} 个多边形应为环的数组", pi + 1)))?;
            let mut poly = Vec::with_capacity(rings.len());
            for (ri, r) in rings.iter().enumerate() {
                let where_ = format!("第 {} 个多边形第 {} 个环", pi + 1, ri + 1);
                let pts = r
                    .as_array()
                    .ok_or_else(|| err(format!("{where_}应为坐标数组")))?;
                points += pts.len();
                if points > MAX_POINTS {
                    return Err(err(format!("坐标点总数超过 {MAX_POINTS} 个上限")));
                }
                let mut ring = Vec::with_capacity(pts.len());
                for (k, pt) in pts.iter().enumerate() {
                    let xy = pt
                        .as_array()
                        .filter(|a| a.len() >= 2)
                        .and_then(|a| Some((a.first()?.as_f64()?, a.get(1)?.as_f64()?)));
                    let (x, y) = xy.ok_or_else(|| {
                        err(format!("{where_}第 {} 个点不是 [经度, 纬度]", k + 1))
                    })?;
                    ring.push((x, y));
                }
                poly.push(ring);
            }
            polygons.push(poly);
        }
        out.push(DivisionShape {
            code,
            name,
            polygons,
        });
    }
    Ok(out)
}

/// Checks shapes against the plan's counties (`(code, name)`): every ring closed (at least four
/// points, the last equal to the first) with coordinates in range, every code a county of the
/// plan and used once, and no county missing.
pub fn check(shapes: &[DivisionShape], counties: &[(&str, &str)]) -> Result<(), MapError> {
    let mut seen: Vec<&str> = Vec::new();
    for (i, s) in shapes.iter().enumerate() {
        let err = |message: String| MapError {
            index: Some(i),
            feature: Some(format!("{} {}", s.code, s.name)),
            message,
        };
        if !counties.iter().any(|(c, _)| *c == s.code) {
            return Err(err(format!(
                "代码「{}」不是本规划的区县（见 divisions）",
                s.code
            )));
        }
        if seen.contains(&s.code.as_str()) {
            return Err(err(format!("代码「{}」重复出现", s.code)));
        }
        seen.push(&s.code);
        if s.polygons.is_empty() {
            return Err(err("没有多边形".into()));
        }
        for (pi, p) in s.polygons.iter().enumerate() {
            if p.is_empty() {
                return Err(err(format!("第 {} 个多边形没有环", pi + 1)));
            }
            for (ri, r) in p.iter().enumerate() {
                let where_ = format!("第 {} 个多边形第 {} 个环", pi + 1, ri + 1);
                if r.len() < 4 {
                    return Err(err(format!("{where_}只有 {} 个点，至少需要 4 个", r.len())));
                }
                if r.first() != r.last() {
                    return Err(err(format!("{where_}未闭合：末点应与首点相同")));
                }
                if let Some(k) = r.iter().position(|&(x, y)| {
                    !(x.is_finite()
                        && y.is_finite()
                        && (-180.0..=180.0).contains(&x)
                        && (-90.0..=90.0).contains(&y))
                }) {
                    return Err(err(format!("{where_}第 {} 个点超出经纬度范围", k + 1)));
                }
            }
        }
    }
    let missing: Vec<String> = counties
        .iter()
        .filter(|(c, _)| !seen.contains(c))
        .map(|(c, n)| format!("{c} {n}"))
        .collect();
    if !missing.is_empty() {
        return Err(whole(format!("缺少区县的边界：{}", missing.join("、"))));
    }
    Ok(())
}

/// WGS-84 → GCJ-02 (the published closed formula of the national offset; outside China the
/// point is left as it is, as every implementation of the formula does).
pub fn wgs84_to_gcj02(lon: f64, lat: f64) -> (f64, f64) {
    use std::f64::consts::PI;
    const A: f64 = 6_378_245.0;
    const EE: f64 = 0.006_693_421_622_965_943;
    if !(72.004..=137.8347).contains(&lon) || !(0.8293..=55.8271).contains(&lat) {
        return (lon, lat);
    }
    let (x, y) = (lon - 105.0, lat - 35.0);
    let mut dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    dlat += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    dlat += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    dlat += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    let mut dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    dlon += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    dlon += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    dlon += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    let rad = lat / 180.0 * PI;
    let magic = 1.0 - EE * rad.sin() * rad.sin();
    let sq = magic.sqrt();
    dlat = (dlat * 180.0) / ((A * (1.0 - EE)) / (magic * sq) * PI);
    dlon = (dlon * 180.0) / (A / sq * rad.cos() * PI);
    (lon + dlon, lat + dlat)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counties() -> Vec<(&'static str, &'static str)> {
        vec![("140902", "忻府区"), ("140921", "定襄县")]
    }

    fn square(code: &str, name: &str) -> DivisionShape {
        DivisionShape {
            code: code.into(),
            name: name.into(),
            polygons: vec![vec![vec![(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 0.0)]]],
        }
    }

    #[test]
    fn gcj02_matches_a_published_pair() {
        // eviltransform's test vector (github.com/googollee/eviltransform):
        // WGS-84 31.1774276, 121.5272106 → GCJ-02 31.17530398364597, 121.531541859215.
        let (lon, lat) = wgs84_to_gcj02(121.527_210_6, 31.177_427_6);
        assert!((lon - 121.531_541_859_215).abs() < 1e-9, "{lon}");
        assert!((lat - 31.175_303_983_645_97).abs() < 1e-9, "{lat}");
        assert_eq!(wgs84_to_gcj02(2.35, 48.85), (2.35, 48.85));
        assert_eq!(Crs::Wgs84.from_wgs84(112.7, 38.4), (112.7, 38.4));
    }

    #[test]
    fn embedded_map_is_the_fourteen_counties() {
        let shapes = parse_geojson(XINZHOU_DIVISIONS_GEOJSON).unwrap();
        assert_eq!(shapes.len(), 14);
        let plan = crate::xinzhou().unwrap();
        let map = plan.map.as_ref().unwrap();
        assert_eq!(map.crs, Crs::Gcj02);
        assert_eq!(map.shapes, shapes);
        let (w, s, e, n) = map.bounds().unwrap();
        // Xinzhou lies about 110.9–114.0 E, 38.1–39.7 N.
        assert!(
            w > 110.5 && e < 114.5 && s > 37.8 && n < 40.0,
            "{w} {s} {e} {n}"
        );
    }

    #[test]
    fn a_broken_ring_names_the_feature() {
        let mut bad = square("140921", "定襄县");
        bad.polygons[0][0].pop();
        bad.polygons[0][0].push((0.5, 0.5));
        let e = check(&[square("140902", "忻府区"), bad], &counties()).unwrap_err();
        assert_eq!(e.index, Some(1));
        assert_eq!(
            e.to_string(),
            "第 2 个要素（140921 定襄县）：第 1 个多边形第 1 个环未闭合：末点应与首点相同"
        );
        let mut short = square("140921", "定襄县");
        short.polygons[0][0].remove(1);
        let e = check(&[square("140902", "忻府区"), short], &counties()).unwrap_err();
        assert!(e.message.contains("至少需要 4 个"), "{e}");
    }

    #[test]
    fn an_unknown_code_or_a_missing_county_is_refused() {
        let e = check(
            &[square("140902", "忻府区"), square("140199", "某县")],
            &counties(),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "第 2 个要素（140199 某县）：代码「140199」不是本规划的区县（见 divisions）"
        );
        let e = check(&[square("140902", "忻府区")], &counties()).unwrap_err();
        assert_eq!(e.to_string(), "缺少区县的边界：140921 定襄县");
        let e = check(
            &[square("140902", "忻府区"), square("140902", "忻府区")],
            &counties(),
        )
        .unwrap_err();
        assert!(e.message.contains("重复"), "{e}");
        assert!(check(&[square("140902", "a"), square("140921", "b")], &counties()).is_ok());
    }

    #[test]
    fn bad_files_are_refused_in_chinese() {
        let e = parse_geojson("{").unwrap_err();
        assert!(e.message.starts_with("不是有效的 JSON"), "{e}");
        let e = parse_geojson(r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"140902","name":"忻府区"},"geometry":{"type":"Point","coordinates":[1,2]}}]}"#).unwrap_err();
        assert_eq!(
            e.to_string(),
            "第 1 个要素（140902 忻府区）：geometry 应为 Polygon 或 MultiPolygon"
        );
        let e = parse_geojson(r#"{"type":"FeatureCollection","features":[{"properties":{"name":"x"},"geometry":null}]}"#).unwrap_err();
        assert!(e.message.contains("properties.code"), "{e}");
        let big = " ".repeat(MAX_BYTES + 1);
        assert!(parse_geojson(&big).unwrap_err().message.contains("上限"));
    }
}
