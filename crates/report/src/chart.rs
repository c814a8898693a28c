//! One chart layout per indicator, drawn by both the SVG and the PDF renderer, so the two
//! formats show the same picture.
//!
//! Coordinates are y-down (as in SVG and krilla), in the units of the requested size.

use crate::IndicatorReport;
use crate::fmt_num;

/// A horizontal reference line across the plot.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HLine {
    pub y: f64,
    /// Baseline of the label: just above the line, or below it when the line is at the top.
    pub label_y: f64,
    pub label: String,
}

/// The laid-out chart.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Chart {
    pub width: f64,
    pub height: f64,
    pub font_size: f64,
    /// Plot area: left, top, right, bottom.
    pub plot: (f64, f64, f64, f64),
    pub x_ticks: Vec<(f64, String)>,
    pub y_ticks: Vec<(f64, String)>,
    /// The city's values, in year order.
    pub series: Vec<(f64, f64)>,
    pub target: Option<HLine>,
    pub baseline: Option<HLine>,
    /// Targets assigned per year (完成省级下达任务).
    pub assigned: Vec<(f64, f64)>,
    /// From the last value to the Theil–Sen projection in the target year.
    pub projection: Option<((f64, f64), (f64, f64))>,
    /// Said in the plot when there is nothing to draw, at `note_y`, clear of the lines.
    pub note: Option<String>,
    pub note_y: f64,
}

/// A step of 1, 2 or 5 × 10ⁿ giving about `n` intervals over `span`.
fn nice_step(span: f64, n: f64) -> f64 {
    let raw = span / n;
    let mag = 10f64.powf(raw.log10().floor());
    let f = raw / mag;
    let nice = if f <= 1.0 {
        1.0
    } else if f <= 2.0 {
        2.0
    } else if f <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

fn decimals_for(step: f64) -> usize {
    if step >= 1.0 {
        0
    } else {
        (-step.log10().floor()) as usize
    }
}

/// Lays out the chart of one indicator for a report on `year`, in a `width` × `height` box.
pub(crate) fn layout(
    ind: &IndicatorReport,
    base_year: i32,
    year: i32,
    width: f64,
    height: f64,
    font_size: f64,
) -> Chart {
    let a = &ind.assessment;
    let target = a.target.map(|t| (t.year, t.value.to_f64()));
    let baseline = a
        .base
        .map(|b| (b.year, b.value.to_f64()))
        .or_else(|| ind.baseline.map(|b| (base_year, b.to_f64())));
    let projection = ind
        .outlook
        .as_ref()
        .filter(|o| o.target_year > year)
        .and_then(|o| {
            let last = ind.series.last()?;
            Some((
                (last.year, last.value.to_f64()),
                (o.target_year, o.projected),
            ))
        });

    let mut x_min = base_year.min(ind.series.first().map_or(base_year, |o| o.year));
    let mut x_max = year;
    if let Some(m) = &ind.milestone {
        x_max = x_max.max(m.year);
    }
    if let Some((ty, _)) = target {
        x_max = x_max.max(ty);
    }
    if let Some(b) = baseline {
        x_min = x_min.min(b.0);
    }
    if x_max <= x_min {
        x_max = x_min + 1;
    }

    let mut ys: Vec<f64> = ind.series.iter().map(|o| o.value.to_f64()).collect();
    ys.extend(ind.assigned.iter().map(|o| o.value.to_f64()));
    ys.extend(target.map(|t| t.1));
    ys.extend(baseline.map(|b| b.1));
    ys.extend(projection.map(|p| p.1.1));
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
    let step = nice_step(hi - lo, 4.0);
    let y_lo = (lo / step).floor() * step;
    let mut y_hi = (hi / step).ceil() * step;
    if y_hi - y_lo < step {
        y_hi = y_lo + step;
    }
    let places = decimals_for(step);
    let mut y_labels = Vec::new();
    let mut v = y_lo;
    while v <= y_hi + step * 1e-6 {
        y_labels.push((v, fmt_num(v, places)));
        v += step;
    }

    let widest = y_labels
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

    let series: Vec<(f64, f64)> = ind
        .series
        .iter()
        .map(|o| (sx(o.year), sy(o.value.to_f64())))
        .collect();
    let note = series.is_empty().then(|| "无上报数据".to_string());
    let hline = |y: f64, label: String| HLine {
        y,
        label_y: if y - plot.1 < font_size * 1.3 {
            y + font_size * 1.1
        } else {
            y - font_size * 0.3
        },
        label,
    };
    let target = target.map(|(ty, v)| hline(sy(v), format!("{ty}年目标 {}", fmt_num(v, 6))));
    let baseline = baseline.map(|(by, v)| hline(sy(v), format!("{by}年基期 {}", fmt_num(v, 6))));
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
        y_ticks: y_labels.into_iter().map(|(v, s)| (sy(v), s)).collect(),
        series,
        target,
        baseline,
        assigned: ind
            .assigned
            .iter()
            .map(|o| (sx(o.year), sy(o.value.to_f64())))
            .collect(),
        projection: projection.map(|((y0, v0), (y1, v1))| ((sx(y0), sy(v0)), (sx(y1), sy(v1)))),
        note,
        note_y,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_steps() {
        assert_eq!(nice_step(4.0, 4.0), 1.0);
        assert_eq!(nice_step(2.5, 4.0), 1.0);
        assert!((nice_step(0.3, 4.0) - 0.1).abs() < 1e-12);
        assert_eq!(nice_step(70.0, 4.0), 20.0);
        assert_eq!(decimals_for(0.1), 1);
        assert_eq!(decimals_for(5.0), 0);
    }
}
