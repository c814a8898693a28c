//! The yearly line chart of an indicator in the assessment report: the reported values, the
//! target and baseline as reference lines, targets assigned per year as diamonds and the trend
//! projection. One layout is drawn by the SVG renderer here and by the report's PDF renderer,
//! so the two formats show the same picture.
//!
//! Coordinates are y-down (as in SVG and PDF), in the units of the requested size.

use std::fmt::Write as _;

use crate::axis::Ticks;
use crate::{escape, format_number};

/// What one yearly chart shows, in data units.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct YearlySpec {
    /// The years the x axis covers at least (it widens to include every point).
    pub years: (i32, i32),
    /// Reported values, in year order.
    pub series: Vec<(i32, f64)>,
    /// Targets assigned for single years (完成省级下达任务).
    pub assigned: Vec<(i32, f64)>,
    /// The target: its year and value.
    pub target: Option<(i32, f64)>,
    /// Targets due after `target` (the 2035 target of a 2025 milestone): points joined to the
    /// target by a dashed line, the plan's path onward.
    pub later_targets: Vec<(i32, f64)>,
    /// The baseline: its year and value.
    pub baseline: Option<(i32, f64)>,
    /// From the last value to a projected value in a later year.
    pub projection: Option<((i32, f64), (i32, f64))>,
}

/// A horizontal reference line across the plot.
#[derive(Debug, Clone, PartialEq)]
pub struct HLine {
    /// Its position.
    pub y: f64,
    /// Baseline of the label: just above the line, or below it when the line is at the top.
    pub label_y: f64,
    /// Where the line ends on the right: the plot's edge, or the target's year when later
    /// targets continue the path from there.
    pub x_end: f64,
    /// The label.
    pub label: String,
}

/// The laid-out chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// Width of the box.
    pub width: f64,
    /// Height of the box.
    pub height: f64,
    /// Font size of labels.
    pub font_size: f64,
    /// Plot area: left, top, right, bottom.
    pub plot: (f64, f64, f64, f64),
    /// Positions and labels on the x axis.
    pub x_ticks: Vec<(f64, String)>,
    /// Positions and labels on the y axis.
    pub y_ticks: Vec<(f64, String)>,
    /// The values, in year order.
    pub series: Vec<(f64, f64)>,
    /// The target line.
    pub target: Option<HLine>,
    /// The baseline line.
    pub baseline: Option<HLine>,
    /// Targets assigned per year.
    pub assigned: Vec<(f64, f64)>,
    /// The path on from the target to the later targets (first point: the target's).
    pub target_path: Vec<(f64, f64)>,
    /// The later targets' points and labels.
    pub later_targets: Vec<(f64, f64, String)>,
    /// From the last value to the projection.
    pub projection: Option<((f64, f64), (f64, f64))>,
    /// Said in the plot when there is nothing to draw, at `note_y`, clear of the lines.
    pub note: Option<String>,
    /// Where the note goes.
    pub note_y: f64,
}

/// Lays out `spec` in a `width` × `height` box.
pub fn layout(spec: &YearlySpec, width: f64, height: f64, font_size: f64) -> Chart {
    let (mut x_min, mut x_max) = spec.years;
    for (yr, _) in spec.series.iter().chain(&spec.assigned) {
        x_min = x_min.min(*yr);
        x_max = x_max.max(*yr);
    }
    if let Some((ty, _)) = spec.target {
        x_max = x_max.max(ty);
    }
    for (ty, _) in &spec.later_targets {
        x_max = x_max.max(*ty);
    }
    if let Some((by, _)) = spec.baseline {
        x_min = x_min.min(by);
    }
    if x_max <= x_min {
        x_max = x_min + 1;
    }

    let mut ys: Vec<f64> = spec.series.iter().map(|o| o.1).collect();
    ys.extend(spec.assigned.iter().map(|o| o.1));
    ys.extend(spec.target.map(|t| t.1));
    ys.extend(spec.later_targets.iter().map(|t| t.1));
    ys.extend(spec.baseline.map(|b| b.1));
    ys.extend(spec.projection.map(|p| p.1.1));
    ys.retain(|y| y.is_finite());
    let (mut lo, mut hi) = ys
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &y| {
            (lo.min(y), hi.max(y))
        });
    if !lo.is_finite() {
        (lo, hi) = (0.0, 1.0);
    }
    if hi - lo < 1e-9 {
        let pad = if lo.abs() > 1e-9 {
            lo.abs() * 0.05
        } else {
            1.0
        };
        lo -= pad;
        hi += pad;
    } else {
        // Headroom keeps a target on a round number off the frame, but a non-negative
        // series is not pushed below zero.
        let pad = (hi - lo) * 0.06;
        lo = if lo >= 0.0 && lo - pad < 0.0 {
            0.0
        } else {
            lo - pad
        };
        hi += pad;
    }
    let ticks = Ticks::covering(lo, hi, 4);
    let (y_lo, y_hi) = (ticks.lo, ticks.hi);

    let widest = ticks
        .values
        .iter()
        .map(|(_, s)| s.chars().count())
        .max()
        .unwrap_or(1) as f64;
    let left = widest * font_size * 0.6 + font_size;
    let (top, right, bottom) = (font_size * 0.8, font_size * 1.2, font_size * 3.2);
    let plot = (left, top, width - right, height - bottom);
    let sx =
        |yr: i32| plot.0 + (f64::from(yr - x_min)) / f64::from(x_max - x_min) * (plot.2 - plot.0);
    let sy = |v: f64| plot.3 - (v - y_lo) / (y_hi - y_lo) * (plot.3 - plot.1);

    let span = x_max - x_min;
    let every = if span > 10 {
        5
    } else if span > 6 {
        2
    } else {
        1
    };
    let x_ticks = (x_min..=x_max)
        .filter(|y| (y - x_min) % every == 0 || *y == x_max)
        .map(|y| (sx(y), y.to_string()))
        .collect();

    let series: Vec<(f64, f64)> = spec.series.iter().map(|o| (sx(o.0), sy(o.1))).collect();
    let note = series.is_empty().then(|| "无上报数据".to_string());
    let later: Vec<(i32, f64)> = spec
        .later_targets
        .iter()
        .copied()
        .filter(|(y, v)| v.is_finite() && spec.target.is_some_and(|(ty, _)| *y > ty))
        .collect();
    let hline = |y: f64, label: String, x_end: f64| HLine {
        y,
        x_end,
        label_y: if y - plot.1 < font_size * 1.3 {
            y + font_size * 1.1
        } else {
            y - font_size * 0.3
        },
        label,
    };
    let target = spec.target.map(|(ty, v)| {
        let end = if later.is_empty() { plot.2 } else { sx(ty) };
        hline(sy(v), format!("{ty}年目标 {}", format_number(v, 6)), end)
    });
    let baseline = spec
        .baseline
        .map(|(by, v)| hline(sy(v), format!("{by}年基期 {}", format_number(v, 6)), plot.2));
    let target_path: Vec<(f64, f64)> = match spec.target {
        Some((ty, tv)) if !later.is_empty() => std::iter::once((sx(ty), sy(tv)))
            .chain(later.iter().map(|(y, v)| (sx(*y), sy(*v))))
            .collect(),
        _ => Vec::new(),
    };
    let later_targets = later
        .iter()
        .map(|(y, v)| {
            (
                sx(*y),
                sy(*v),
                format!("{y}年目标 {}", format_number(*v, 6)),
            )
        })
        .collect();
    let busy: Vec<f64> = target.iter().chain(baseline.iter()).map(|l| l.y).collect();
    let note_y = [0.5, 0.3, 0.7, 0.15, 0.85]
        .iter()
        .map(|f| plot.1 + f * (plot.3 - plot.1))
        .find(|y| busy.iter().all(|b| (b - y).abs() > font_size * 1.5))
        .unwrap_or((plot.1 + plot.3) / 2.0);

    Chart {
        width,
        height,
        font_size,
        plot,
        x_ticks,
        y_ticks: ticks.values.into_iter().map(|(v, s)| (sy(v), s)).collect(),
        series,
        target,
        baseline,
        assigned: spec.assigned.iter().map(|o| (sx(o.0), sy(o.1))).collect(),
        target_path,
        later_targets,
        projection: spec
            .projection
            .map(|((y0, v0), (y1, v1))| ((sx(y0), sy(v0)), (sx(y1), sy(v1)))),
        note,
        note_y,
    }
}

/// The chart as a self-contained SVG element.
pub fn to_svg(c: &Chart) -> String {
    let mut h = String::new();
    let (l, t, r, b) = c.plot;
    let _ = write!(
        h,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{hh}\" viewBox=\"0 0 {w} {hh}\" style=\"max-width:100%;height:auto\" role=\"img\">",
        w = c.width,
        hh = c.height
    );
    let _ = write!(
        h,
        "<rect x=\"{l:.1}\" y=\"{t:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#fafafa\" stroke=\"#999\"/>",
        r - l,
        b - t
    );
    for (y, label) in &c.y_ticks {
        let _ = write!(
            h,
            "<line x1=\"{l:.1}\" y1=\"{y:.1}\" x2=\"{r:.1}\" y2=\"{y:.1}\" stroke=\"#e0e0e0\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            l - 4.0,
            y + c.font_size * 0.35,
            escape(label)
        );
    }
    for (x, label) in &c.x_ticks {
        let _ = write!(
            h,
            "<line x1=\"{x:.1}\" y1=\"{b:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#999\"/><text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            b + 3.0,
            b + c.font_size * 1.3,
            escape(label)
        );
    }
    if let Some(bl) = &c.baseline {
        let _ = write!(
            h,
            "<line x1=\"{l:.1}\" y1=\"{y:.1}\" x2=\"{r:.1}\" y2=\"{y:.1}\" stroke=\"#757575\" stroke-dasharray=\"2 3\"><title>{}</title></line>",
            escape(&bl.label),
            y = bl.y
        );
    }
    if let Some(tg) = &c.target {
        let _ = write!(
            h,
            "<line x1=\"{l:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#c62828\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"><title>{}</title></line><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" style=\"fill:#c62828\">{}</text>",
            tg.x_end,
            escape(&tg.label),
            tg.x_end - 2.0,
            tg.label_y,
            escape(&tg.label),
            y = tg.y
        );
    }
    if c.target_path.len() > 1 {
        let pts: Vec<String> = c
            .target_path
            .iter()
            .map(|(x, y)| format!("{x:.1},{y:.1}"))
            .collect();
        let _ = write!(
            h,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"#c62828\" stroke-dasharray=\"6 4\"/>",
            pts.join(" ")
        );
    }
    for (x, y, label) in &c.later_targets {
        let _ = write!(
            h,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"7\" height=\"7\" fill=\"#c62828\"><title>{}</title></rect><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" style=\"fill:#c62828\">{}</text>",
            x - 3.5,
            y - 3.5,
            escape(label),
            x - 2.0,
            if *y - t < c.font_size * 1.3 {
                y + c.font_size * 1.3
            } else {
                y - c.font_size * 0.5
            },
            escape(label)
        );
    }
    if let Some(((x0, y0), (x1, y1))) = c.projection {
        let _ = write!(
            h,
            "<line x1=\"{x0:.1}\" y1=\"{y0:.1}\" x2=\"{x1:.1}\" y2=\"{y1:.1}\" stroke=\"#1565c0\" stroke-dasharray=\"3 3\"/>"
        );
    }
    if c.series.len() > 1 {
        let pts: Vec<String> = c
            .series
            .iter()
            .map(|(x, y)| format!("{x:.1},{y:.1}"))
            .collect();
        let _ = write!(
            h,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"#1565c0\" stroke-width=\"2\"/>",
            pts.join(" ")
        );
    }
    for (x, y) in &c.series {
        let _ = write!(
            h,
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3\" fill=\"#1565c0\"/>"
        );
    }
    for (x, y) in &c.assigned {
        let _ = write!(
            h,
            "<path d=\"M{:.1} {y:.1}L{x:.1} {:.1}L{:.1} {y:.1}L{x:.1} {:.1}Z\" fill=\"none\" stroke=\"#c62828\"/>",
            x - 4.0,
            y - 4.0,
            x + 4.0,
            y + 4.0
        );
    }
    if let Some(n) = &c.note {
        let _ = write!(
            h,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            (l + r) / 2.0,
            c.note_y + c.font_size * 0.35,
            escape(n)
        );
    }
    if let Some(bl) = &c.baseline {
        let _ = write!(
            h,
            "<text x=\"{l:.1}\" y=\"{:.1}\" style=\"fill:#757575\">{}</text>",
            c.height - 4.0,
            escape(&bl.label)
        );
    }
    h.push_str("</svg>");
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lays_out_values_target_and_baseline() {
        let spec = YearlySpec {
            years: (2020, 2025),
            series: vec![(2021, 15.0), (2022, 15.6)],
            assigned: vec![(2023, 16.0)],
            target: Some((2025, 16.71)),
            later_targets: vec![(2035, 19.71)],
            baseline: Some((2020, 14.6)),
            projection: Some(((2022, 15.6), (2025, 16.5))),
        };
        let c = layout(&spec, 360.0, 210.0, 11.0);
        assert_eq!(c.series.len(), 2);
        assert_eq!(c.x_ticks.first().map(|t| t.1.as_str()), Some("2020"));
        // The axis reaches the 2035 target; the 2025 target line stops at 2025 and the path
        // goes on to the 2035 point.
        assert_eq!(c.x_ticks.last().map(|t| t.1.as_str()), Some("2035"));
        let tg = c.target.as_ref().unwrap();
        assert!(tg.x_end < c.plot.2 - 1.0);
        assert_eq!(c.target_path.len(), 2);
        assert_eq!(c.later_targets[0].2, "2035年目标 19.71");
        assert_eq!(
            c.target.as_ref().map(|t| t.label.as_str()),
            Some("2025年目标 16.71")
        );
        assert!(c.note.is_none());
        let svg = to_svg(&c);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("<title>2020年基期 14.6</title>"));
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
    }

    #[test]
    fn empty_chart_says_so() {
        let c = layout(
            &YearlySpec {
                years: (2020, 2020),
                ..Default::default()
            },
            360.0,
            210.0,
            11.0,
        );
        assert_eq!(c.note.as_deref(), Some("无上报数据"));
        assert!(!to_svg(&c).contains("NaN"));
    }
}
