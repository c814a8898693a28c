//! The county map of the home page (驾驶舱): county shapes projected from longitude/latitude,
//! each coloured by the caller's class, with a tooltip, a link and its GB/T 2260 code; points
//! (stations, enterprises) on top; a legend.
//!
//! We chose server-drawn SVG over vendoring ECharts: the map then works without JavaScript and
//! offline, keeps the page under the same-origin CSP, is escaped and tested like every other
//! chart here, and a page is one request instead of a 1 MB script plus its geometry. Hover
//! tooltips come from SVG `<title>` (the site's CSP allows no script at all).
//!
//! The projection is equirectangular with the longitude scaled by the cosine of the middle
//! latitude: over a city (≈ 3° × 2°) it is indistinguishable from a conformal projection at
//! page size and keeps the arithmetic plain. Geometry comes in the map's own coordinate system
//! (the caller converts points into it).

use std::fmt::Write;

use crate::{escape, format_number};

/// Longitude/latitude → SVG user units fitting a box.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Projection {
    west: f64,
    north: f64,
    kx: f64,
    ky: f64,
    pad: f64,
    /// Width of the drawing, SVG units.
    pub width: f64,
    /// Height of the drawing (without the legend), SVG units.
    pub height: f64,
}

impl Projection {
    /// The projection of `bounds` (west, south, east, north) into `width` units across, with
    /// `pad` units of margin; the height follows from the shape.
    pub fn fit(bounds: (f64, f64, f64, f64), width: f64, pad: f64) -> Projection {
        let (w, s, e, n) = bounds;
        let mid = ((s + n) / 2.0).to_radians();
        let span_x = ((e - w) * mid.cos()).max(1e-9);
        let span_y = (n - s).max(1e-9);
        let k = (width - 2.0 * pad) / span_x;
        Projection {
            west: w,
            north: n,
            kx: k * mid.cos(),
            ky: k,
            pad,
            width,
            height: (span_y * k + 2.0 * pad).round(),
        }
    }

    /// The SVG point of (lon, lat).
    pub fn project(&self, lon: f64, lat: f64) -> (f64, f64) {
        (
            self.pad + (lon - self.west) * self.kx,
            self.pad + (self.north - lat) * self.ky,
        )
    }
}

/// SVG path data of polygons (rings of (lon, lat)): `M x y L … Z` per ring, one decimal.
/// Consecutive points that round to the same place are drawn once.
pub fn path_data(polygons: &[Vec<Vec<(f64, f64)>>], p: &Projection) -> String {
    let mut d = String::new();
    for ring in polygons.iter().flatten() {
        let mut last: Option<(String, String)> = None;
        let mut first = true;
        // A closed ring's last point repeats its first: `Z` closes it.
        let n = if ring.len() > 1 && ring.first() == ring.last() {
            ring.len() - 1
        } else {
            ring.len()
        };
        for &(lon, lat) in ring.iter().take(n) {
            let (x, y) = p.project(lon, lat);
            let here = (format!("{x:.1}"), format!("{y:.1}"));
            if last.as_ref() == Some(&here) {
                continue;
            }
            let _ = write!(d, "{}{} {}", if first { "M" } else { "L" }, here.0, here.1);
            first = false;
            last = Some(here);
        }
        if !first {
            d.push('Z');
        }
    }
    d
}

/// Area-weighted centroid of the largest ring, for the label; `None` for degenerate shapes.
pub fn label_point(polygons: &[Vec<Vec<(f64, f64)>>], p: &Projection) -> Option<(f64, f64)> {
    let mut best: Option<(f64, f64, f64)> = None;
    for poly in polygons {
        let Some(ring) = poly.first() else { continue };
        let pts: Vec<(f64, f64)> = ring.iter().map(|&(x, y)| p.project(x, y)).collect();
        let (mut a, mut cx, mut cy) = (0.0, 0.0, 0.0);
        for w in pts.windows(2) {
            let (x0, y0) = w[0];
            let (x1, y1) = w[1];
            let c = x0 * y1 - x1 * y0;
            a += c;
            cx += (x0 + x1) * c;
            cy += (y0 + y1) * c;
        }
        if a.abs() < 1e-9 {
            continue;
        }
        if best.is_none_or(|(ba, _, _)| a.abs() > ba) {
            best = Some((a.abs(), cx / (3.0 * a), cy / (3.0 * a)));
        }
    }
    best.map(|(_, x, y)| (x, y))
}

/// The class index of `v` among ascending `breaks`: 0 below the first break, `breaks.len()`
/// at or above the last.
pub fn class_of(v: f64, breaks: &[f64]) -> usize {
    breaks.iter().take_while(|b| v >= **b).count()
}

/// One county on the map.
#[derive(Debug, Clone, PartialEq)]
pub struct Region {
    /// GB/T 2260 code (`data-code`).
    pub code: String,
    /// Name (`data-name`, label).
    pub name: String,
    /// Rings of (lon, lat) in the map's system.
    pub polygons: Vec<Vec<Vec<(f64, f64)>>>,
    /// Fill colour, `None` when the county has no figure (drawn as 无数据).
    pub fill: Option<String>,
    /// Tooltip: the county's figure in words.
    pub tooltip: String,
    /// Page of the county's figure.
    pub href: String,
}

/// Marker of a point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    /// A circle (monitoring stations).
    Circle,
    /// A square (enterprises).
    Square,
}

/// A point on the map, in the map's system.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// Marker shape.
    pub marker: Marker,
    /// Fill colour.
    pub fill: String,
    /// Tooltip.
    pub tooltip: String,
    /// Link, if any.
    pub href: Option<String>,
}

/// The map to draw.
#[derive(Debug, Clone, PartialEq)]
pub struct MapSpec {
    /// Accessible title of the whole map.
    pub title: String,
    /// The counties.
    pub regions: Vec<Region>,
    /// Points on top.
    pub points: Vec<Point>,
    /// Legend entries (colour, words), the 无数据 entry last; none for a legend kept outside.
    pub legend: Vec<(String, String)>,
    /// Colour of a county without a figure.
    pub no_data_fill: String,
    /// Width in SVG units.
    pub width: f64,
}

const LEGEND_ROW: f64 = 18.0;

/// The map as an SVG element (`viewBox` set, so it scales to its container). Every text is
/// escaped. Without regions it is `None`.
pub fn map_svg(spec: &MapSpec) -> Option<String> {
    let bounds = spec
        .regions
        .iter()
        .flat_map(|r| r.polygons.iter().flatten().flatten())
        .fold(None, |acc: Option<(f64, f64, f64, f64)>, &(x, y)| {
            Some(match acc {
                None => (x, y, x, y),
                Some((w, s, e, n)) => (w.min(x), s.min(y), e.max(x), n.max(y)),
            })
        })?;
    let p = Projection::fit(bounds, spec.width, 12.0);
    let legend_cols = 3usize;
    let legend_rows = spec.legend.len().div_ceil(legend_cols);
    let legend_top = p.height + 4.0;
    let total_h = if legend_rows == 0 {
        p.height
    } else {
        legend_top + legend_rows as f64 * LEGEND_ROW + 8.0
    };
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="county-map" viewBox="0 0 {} {}" role="img" aria-label="{}" font-family="sans-serif">"#,
        format_number(p.width, 1),
        format_number(total_h, 1),
        escape(&spec.title)
    );
    s.push_str(r#"<g class="regions">"#);
    for r in &spec.regions {
        let fill = r.fill.as_deref().unwrap_or(&spec.no_data_fill);
        let nodata = if r.fill.is_none() { " no-data" } else { "" };
        let _ = write!(
            s,
            r##"<a href="{}"><path class="county{nodata}" data-code="{}" data-name="{}" d="{}" fill="{}" stroke="#FFFFFF" stroke-width="1.2" stroke-linejoin="round"><title>{}</title></path></a>"##,
            escape(&r.href),
            escape(&r.code),
            escape(&r.name),
            path_data(&r.polygons, &p),
            escape(fill),
            escape(&r.tooltip)
        );
    }
    s.push_str("</g><g class=\"labels\" pointer-events=\"none\">");
    for r in &spec.regions {
        if let Some((x, y)) = label_point(&r.polygons, &p) {
            let _ = write!(
                s,
                r##"<text x="{x:.1}" y="{:.1}" font-size="14" text-anchor="middle" fill="#1B2A30" stroke="#FFFFFF" stroke-width="3" stroke-opacity="0.7" paint-order="stroke">{}</text>"##,
                y + 5.0,
                escape(&r.name)
            );
        }
    }
    s.push_str("</g><g class=\"points\">");
    for pt in &spec.points {
        let (x, y) = p.project(pt.lon, pt.lat);
        let shape = match pt.marker {
            Marker::Circle => format!(
                r##"<circle cx="{x:.1}" cy="{y:.1}" r="5" fill="{}" stroke="#1B2A30" stroke-width="1"><title>{}</title></circle>"##,
                escape(&pt.fill),
                escape(&pt.tooltip)
            ),
            Marker::Square => format!(
                r##"<rect x="{:.1}" y="{:.1}" width="8" height="8" fill="{}" stroke="#1B2A30" stroke-width="1"><title>{}</title></rect>"##,
                x - 4.0,
                y - 4.0,
                escape(&pt.fill),
                escape(&pt.tooltip)
            ),
        };
        match &pt.href {
            Some(h) => {
                let _ = write!(s, r#"<a href="{}">{shape}</a>"#, escape(h));
            }
            None => s.push_str(&shape),
        }
    }
    s.push_str("</g><g class=\"legend\">");
    let col_w = (p.width - 24.0) / legend_cols as f64;
    for (i, (colour, label)) in spec.legend.iter().enumerate() {
        let x = 12.0 + (i % legend_cols) as f64 * col_w;
        let y = legend_top + (i / legend_cols) as f64 * LEGEND_ROW;
        let _ = write!(
            s,
            r##"<rect x="{x:.1}" y="{y:.1}" width="14" height="12" fill="{}" stroke="#6B7A80" stroke-width="0.5"/><text x="{:.1}" y="{:.1}" font-size="12" fill="#1B2A30">{}</text>"##,
            escape(colour),
            x + 20.0,
            y + 10.5,
            escape(label)
        );
    }
    s.push_str("</g></svg>");
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(x: f64, y: f64) -> Vec<Vec<Vec<(f64, f64)>>> {
        vec![vec![vec![
            (x, y),
            (x + 1.0, y),
            (x + 1.0, y + 1.0),
            (x, y + 1.0),
            (x, y),
        ]]]
    }

    #[test]
    fn projection_keeps_north_up_and_the_aspect() {
        let p = Projection::fit((112.0, 38.0, 114.0, 40.0), 400.0, 10.0);
        assert_eq!(p.project(112.0, 40.0), (10.0, 10.0));
        let (x, y) = p.project(114.0, 38.0);
        assert!((x - 390.0).abs() < 1e-9);
        // Two degrees of latitude are longer than two of longitude at 39° N.
        assert!(y > x, "{y}");
        assert_eq!(p.height, (y + 10.0).round());
    }

    #[test]
    fn paths_close_rings_and_drop_repeats() {
        let p = Projection::fit((0.0, 0.0, 2.0, 1.0), 212.0, 6.0);
        let mut poly = square(0.0, 0.0);
        poly[0][0].insert(1, (0.000_01, 0.0));
        assert_eq!(
            path_data(&poly, &p),
            "M6.0 106.0L106.0 106.0L106.0 6.0L6.0 6.0Z"
        );
        let (x, y) = label_point(&poly, &p).unwrap();
        assert!(
            (x - 56.0).abs() < 0.01 && (y - 56.0).abs() < 0.01,
            "{x} {y}"
        );
    }

    #[test]
    fn classes_follow_breaks() {
        let b = [50.0, 100.0, 150.0];
        assert_eq!(class_of(0.0, &b), 0);
        assert_eq!(class_of(50.0, &b), 1);
        assert_eq!(class_of(149.9, &b), 2);
        assert_eq!(class_of(500.0, &b), 3);
    }

    #[test]
    fn map_golden() {
        let spec = MapSpec {
            title: "各区县 AQI".into(),
            regions: vec![
                Region {
                    code: "140902".into(),
                    name: "忻府区".into(),
                    polygons: square(0.0, 0.0),
                    fill: Some("#00E400".into()),
                    tooltip: "忻府区：AQI 45（优）".into(),
                    href: "/air/counties/140902".into(),
                },
                Region {
                    code: "140921".into(),
                    name: "定襄<县>".into(),
                    polygons: square(1.0, 0.0),
                    fill: None,
                    tooltip: "定襄县：无数据".into(),
                    href: "/air/counties/140921".into(),
                },
            ],
            points: vec![
                Point {
                    lon: 0.5,
                    lat: 0.5,
                    marker: Marker::Circle,
                    fill: "#00E400".into(),
                    tooltip: "站点 A".into(),
                    href: Some("/air/stations/A".into()),
                },
                Point {
                    lon: 1.5,
                    lat: 0.5,
                    marker: Marker::Square,
                    fill: "#455A64".into(),
                    tooltip: "企业 B".into(),
                    href: None,
                },
            ],
            legend: vec![
                ("#00E400".into(), "优".into()),
                ("#E0E0E0".into(), "无数据".into()),
            ],
            no_data_fill: "#E0E0E0".into(),
            width: 300.0,
        };
        let svg = map_svg(&spec).unwrap();
        assert_eq!(svg.matches("<path class=\"county").count(), 2);
        assert!(svg.contains(r#"data-code="140921" data-name="定襄&lt;县&gt;""#));
        assert!(svg.contains("county no-data"));
        insta::assert_snapshot!(svg);
        assert!(
            map_svg(&MapSpec {
                regions: Vec::new(),
                ..spec
            })
            .is_none()
        );
    }
}
