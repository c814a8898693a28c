//! One chart layout per indicator, drawn by both the SVG and the PDF renderer, so the two
//! formats show the same picture. The layout itself is the one chart module's
//! (`qingshan_chart::line`); this adapter says what an indicator's report puts on it.

pub(crate) use qingshan_chart::line::Chart;
use qingshan_chart::line::{self, YearlySpec};

use crate::IndicatorReport;

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
    let x_min = base_year.min(ind.series.first().map_or(base_year, |o| o.year));
    let x_max = ind.milestone.as_ref().map_or(year, |m| year.max(m.year));
    let spec = YearlySpec {
        years: (x_min, x_max),
        series: ind
            .series
            .iter()
            .map(|o| (o.year, o.value.to_f64()))
            .collect(),
        assigned: ind
            .assigned
            .iter()
            .map(|o| (o.year, o.value.to_f64()))
            .collect(),
        target,
        later_targets: ind
            .later_targets
            .iter()
            .map(|o| (o.year, o.value.to_f64()))
            .collect(),
        baseline,
        projection,
    };
    line::layout(&spec, width, height, font_size)
}
