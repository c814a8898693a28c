//! A class by month (e.g. a water section's GB 3838 class): one column per month, a bar reaching
//! the class's row (best at the top) in the caller's colour, and the target row dashed.

use std::fmt::Write;

use crate::escape;

/// One month's bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassBar {
    /// Month 1–12.
    pub month: u32,
    /// The row reached, 0 at the top.
    pub row: usize,
    /// The bar's fill.
    pub fill: String,
    /// The class's label.
    pub label: String,
}

/// The chart; `rows` are the class labels from the top, `target` the target row and its label.
pub fn monthly_class_svg(
    title: &str,
    rows: &[&str],
    bars: &[ClassBar],
    target: (usize, &str),
) -> String {
    const W: usize = 640;
    const H: usize = 260;
    const LEFT: usize = 48;
    const TOP: usize = 36;
    const ROW: usize = 30;
    const COL: usize = 48;
    let row_y = |r: usize| TOP + r * ROW;
    let t = escape(title);
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" width=\"{W}\" height=\"{H}\" role=\"img\" aria-label=\"{t}\"><title>{t}</title><text x=\"{LEFT}\" y=\"20\" font-size=\"14\">{t}</text>"
    );
    for (r, label) in rows.iter().enumerate() {
        let y = row_y(r);
        let _ = write!(
            s,
            "<line x1=\"{LEFT}\" y1=\"{y}\" x2=\"{x2}\" y2=\"{y}\" stroke=\"#dde3e5\"/><text x=\"{tx}\" y=\"{ty}\" font-size=\"12\" text-anchor=\"end\">{}</text>",
            escape(label),
            x2 = LEFT + 12 * COL,
            tx = LEFT - 6,
            ty = y + ROW / 2 + 4,
        );
    }
    let base = row_y(rows.len().saturating_sub(1)) + ROW;
    for m in 1..=12u32 {
        let x = LEFT + (m as usize - 1) * COL;
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"middle\">{m}月</text>",
            x + COL / 2,
            base + 16
        );
        let Some(bar) = bars.iter().find(|b| b.month == m) else {
            continue;
        };
        let y = row_y(bar.row);
        let c = escape(&bar.label);
        let _ = write!(
            s,
            "<rect class=\"month\" data-month=\"{m}\" data-class=\"{c}\" x=\"{}\" y=\"{y}\" width=\"{}\" height=\"{}\" fill=\"{}\" stroke=\"#556\"><title>{m}月：{c}</title></rect>",
            x + 8,
            COL - 16,
            base.saturating_sub(y),
            escape(&bar.fill),
        );
    }
    let ty = row_y(target.0) + ROW;
    let _ = write!(
        s,
        "<line x1=\"{LEFT}\" y1=\"{ty}\" x2=\"{}\" y2=\"{ty}\" stroke=\"#c00\" stroke-dasharray=\"6 4\"/><text x=\"{}\" y=\"{}\" font-size=\"12\" fill=\"#c00\" text-anchor=\"end\">目标 {}</text>",
        LEFT + 12 * COL,
        LEFT + 12 * COL,
        ty - 4,
        escape(target.1)
    );
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_escapes_and_marks_months() {
        let rows = ["Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ", "劣V"];
        let bar = |month, row: usize| ClassBar {
            month,
            row,
            fill: "#fff".into(),
            label: rows[row].to_string(),
        };
        let svg = monthly_class_svg("A<B>", &rows, &[bar(3, 1), bar(7, 5)], (2, "Ⅲ"));
        assert!(svg.contains("A&lt;B&gt;") && !svg.contains("A<B>"));
        assert_eq!(svg.matches("class=\"month\"").count(), 2);
        assert!(svg.contains("data-month=\"7\" data-class=\"劣V\""));
        assert!(svg.contains("目标 Ⅲ"));
    }
}
