//! The report as an A4 PDF, drawn with krilla, Chinese text in a CJK font embedded as a
//! subset.
//!
//! Layout is done first into a display list per page (so the footer can say how many pages
//! there are, and page breaks are decided before anything is drawn), then emitted to krilla.
//! Glyphs are looked up and measured here with skrifa, rather than through krilla's shaping
//! feature: Chinese text needs no shaping, and measuring is needed anyway for wrapping.

use std::path::PathBuf;

use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke, StrokeDash};
use krilla::text::{Font, GlyphId, KrillaGlyph};
use qingshan_plan::progress::{Grading, Group, Score, Status};
use skrifa::MetadataProvider;
use skrifa::instance::{LocationRef, Size};

use crate::chart::{self, Chart};
use crate::html::status_rgb;
use crate::{ReportData, ReportError, TaskState};

pub(crate) const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
pub(crate) const MARGIN_X: f32 = 48.0;
const MARGIN_TOP: f32 = 56.0;
const MARGIN_BOTTOM: f32 = 60.0;
const CONTENT_W: f32 = PAGE_W - 2.0 * MARGIN_X;

pub(crate) type Rgb = (u8, u8, u8);
pub(crate) const BLACK: Rgb = (0, 0, 0);
pub(crate) const GREY: Rgb = (110, 110, 110);
const GREEN: Rgb = (46, 125, 50);
const BLUE: Rgb = (21, 101, 192);
pub(crate) const RED: Rgb = (198, 40, 40);
const HEADER_BG: Rgb = (232, 245, 233);

/// Where Debian puts the CJK fonts this report can use, in order of preference.
const FONT_PATHS: [&str; 4] = [
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
];

/// Finds a CJK font: the file named by `QINGSHAN_FONT`, else the usual Debian locations.
///
/// Returns the path and the bytes; for a collection (.ttc) the report uses face 0.
pub fn find_cjk_font() -> Option<(PathBuf, Vec<u8>)> {
    let from_env = std::env::var_os("QINGSHAN_FONT").map(PathBuf::from);
    from_env
        .into_iter()
        .chain(FONT_PATHS.iter().map(PathBuf::from))
        .find_map(|p| std::fs::read(&p).ok().map(|bytes| (p, bytes)))
}

/// Renders the report as an A4 PDF, embedding face 0 of `font` (TTF, OTF or TTC) as a subset.
pub fn render_pdf(data: &ReportData, font: &[u8]) -> Result<Vec<u8>, ReportError> {
    render_pdf_face(data, font, 0)
}

/// As [`render_pdf`], with the face index of a font collection.
pub fn render_pdf_face(data: &ReportData, font: &[u8], face: u32) -> Result<Vec<u8>, ReportError> {
    let shaper = Shaper::new(font, face)?;
    let mut l = Layout::new(&shaper);
    title_page(&mut l, data);
    l.new_page();
    summary(&mut l, data);
    overview(&mut l, data);
    indicator_table(&mut l, data);
    charts(&mut l, data);
    tasks(&mut l, data);
    ledger(&mut l, data);
    units(&mut l, data);
    counties(&mut l, data);
    appendix(&mut l, data);
    let pages = l.finish();
    emit(&data.cover.title, true, &shaper, font, face, pages)
}

/// Glyph lookup and measuring.
pub(crate) struct Shaper<'a> {
    charmap: skrifa::charmap::Charmap<'a>,
    metrics: skrifa::metrics::GlyphMetrics<'a>,
    upem: f32,
}

impl<'a> Shaper<'a> {
    pub(crate) fn new(font: &'a [u8], face: u32) -> Result<Self, ReportError> {
        let fr = skrifa::FontRef::from_index(font, face)
            .map_err(|e| ReportError::Font(format!("无法读取字体：{e}")))?;
        let charmap = fr.charmap();
        if charmap.map('评').is_none() {
            return Err(ReportError::Font("字体不含中文字形".to_string()));
        }
        let upem = f32::from(
            fr.metrics(Size::unscaled(), LocationRef::default())
                .units_per_em,
        );
        Ok(Shaper {
            charmap,
            metrics: fr.glyph_metrics(Size::unscaled(), LocationRef::default()),
            upem: if upem > 0.0 { upem } else { 1000.0 },
        })
    }

    /// Glyph id and advance (in em) of a character; missing characters show as .notdef.
    fn glyph(&self, c: char) -> (u32, f32) {
        let gid = self.charmap.map(c).unwrap_or_default();
        let adv = self.metrics.advance_width(gid).unwrap_or(self.upem / 2.0) / self.upem;
        (gid.to_u32(), adv)
    }

    fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.glyph(c).1).sum::<f32>() * size
    }

    fn glyphs(&self, text: &str) -> Vec<KrillaGlyph> {
        text.char_indices()
            .map(|(i, c)| {
                let (gid, adv) = self.glyph(c);
                KrillaGlyph::new(
                    GlyphId::new(gid),
                    adv,
                    0.0,
                    0.0,
                    0.0,
                    i..i + c.len_utf8(),
                    None,
                )
            })
            .collect()
    }

    /// Greedy line breaking: anywhere between CJK characters, never inside a run of Latin
    /// letters and digits (numbers like 0.620607 stay whole), and closing punctuation stays
    /// with the character before it.
    fn wrap(&self, text: &str, size: f32, width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for para in text.split('\n') {
            let mut tokens: Vec<String> = Vec::new();
            for c in para.chars() {
                let glue_word = c.is_ascii_alphanumeric() || ".%-+/_".contains(c);
                let closing = "，。；：、）」』》〕】”！？,.;:)%".contains(c);
                match tokens.last_mut() {
                    Some(t)
                        if closing
                            || t.chars()
                                .last()
                                .is_some_and(|p| "（《「『〔【“(".contains(p))
                            || (glue_word
                                && t.chars().last().is_some_and(|p| {
                                    p.is_ascii_alphanumeric() || ".%-+/_".contains(p)
                                })) =>
                    {
                        t.push(c)
                    }
                    _ => tokens.push(c.to_string()),
                }
            }
            let mut line = String::new();
            let mut w = 0.0;
            for t in tokens {
                let tw = self.width(&t, size);
                if w + tw > width && !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                    w = 0.0;
                    if t == " " {
                        continue;
                    }
                }
                // A token wider than the line (a very long number) is split by character.
                if tw > width {
                    for c in t.chars() {
                        let cw = self.glyph(c).1 * size;
                        if w + cw > width && !line.is_empty() {
                            lines.push(std::mem::take(&mut line));
                            w = 0.0;
                        }
                        line.push(c);
                        w += cw;
                    }
                } else {
                    line.push_str(&t);
                    w += tw;
                }
            }
            lines.push(line);
        }
        lines
    }
}

/// One drawing operation, in page coordinates (points, y down, text at its baseline).
pub(crate) enum Op {
    Text {
        x: f32,
        y: f32,
        size: f32,
        color: Rgb,
        bold: bool,
        text: String,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        fill: Option<Rgb>,
        stroke: Option<(Rgb, f32)>,
    },
    Line {
        points: Vec<(f32, f32)>,
        color: Rgb,
        width: f32,
        dash: Option<[f32; 2]>,
    },
    /// A filled (or outlined) diamond marker.
    Diamond {
        x: f32,
        y: f32,
        r: f32,
        color: Rgb,
        filled: bool,
    },
}

/// A cell of a table.
pub(crate) struct Cell {
    text: String,
    fill: Option<Rgb>,
}

pub(crate) fn cell(text: impl Into<String>) -> Cell {
    Cell {
        text: text.into(),
        fill: None,
    }
}

pub(crate) struct Layout<'s, 'f> {
    sh: &'s Shaper<'f>,
    pages: Vec<Vec<Op>>,
    pub(crate) y: f32,
}

impl<'s, 'f> Layout<'s, 'f> {
    pub(crate) fn new(sh: &'s Shaper<'f>) -> Self {
        Layout {
            sh,
            pages: vec![Vec::new()],
            y: MARGIN_TOP,
        }
    }

    pub(crate) fn ops(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    pub(crate) fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = MARGIN_TOP;
    }

    fn room(&self) -> f32 {
        PAGE_H - MARGIN_BOTTOM - self.y
    }

    fn ensure(&mut self, h: f32) {
        if h > self.room() && self.y > MARGIN_TOP {
            self.new_page();
        }
    }

    fn text(&mut self, x: f32, y: f32, size: f32, color: Rgb, bold: bool, text: &str) {
        self.ops().push(Op::Text {
            x,
            y,
            size,
            color,
            bold,
            text: text.to_string(),
        });
    }

    pub(crate) fn centered(&mut self, y: f32, size: f32, color: Rgb, bold: bool, text: &str) {
        let w = self.sh.width(text, size);
        self.text((PAGE_W - w) / 2.0, y, size, color, bold, text);
    }

    pub(crate) fn heading(&mut self, text: &str, size: f32) {
        self.ensure(size * 4.0);
        self.y += size * 0.8;
        let y = self.y + size;
        self.text(MARGIN_X, y, size, GREEN, true, text);
        self.ops().push(Op::Line {
            points: vec![
                (MARGIN_X, y + size * 0.4),
                (PAGE_W - MARGIN_X, y + size * 0.4),
            ],
            color: GREEN,
            width: 1.0,
            dash: None,
        });
        self.y = y + size * 1.0;
    }

    pub(crate) fn paragraph(&mut self, text: &str, size: f32, color: Rgb) {
        let lh = size * 1.5;
        for line in self.sh.wrap(text, size, CONTENT_W) {
            self.ensure(lh);
            let y = self.y + size;
            self.text(MARGIN_X, y, size, color, false, &line);
            self.y += lh;
        }
        self.y += size * 0.4;
    }

    /// A table with wrapped cells; the header repeats on every page it spans. A table that
    /// fits on one page is kept together.
    pub(crate) fn table(&mut self, cols: &[(&str, f32)], rows: &[Vec<Cell>], size: f32) {
        self.table_kept(cols, rows, size, true);
    }

    /// As [`Layout::table`], the table starting where it is (under its heading) even when it
    /// would fit on the next page whole.
    pub(crate) fn table_flowing(&mut self, cols: &[(&str, f32)], rows: &[Vec<Cell>], size: f32) {
        self.table_kept(cols, rows, size, false);
    }

    fn table_kept(&mut self, cols: &[(&str, f32)], rows: &[Vec<Cell>], size: f32, keep: bool) {
        let total: f32 = cols.iter().map(|c| c.1).sum();
        let widths: Vec<f32> = cols.iter().map(|c| c.1 / total * CONTENT_W).collect();
        let pad = 2.5;
        let lh = size * 1.3;
        let header: Vec<Cell> = cols
            .iter()
            .map(|(h, _)| Cell {
                text: (*h).to_string(),
                fill: Some(HEADER_BG),
            })
            .collect();
        let header_lines = self.row_lines(&header, &widths, size, pad);
        let header_h = row_height(&header_lines, lh, pad);
        let whole = self.table_height(cols, rows, size);
        // A table that fits on one page is kept together; a longer one starts where it is.
        if keep && whole <= PAGE_H - MARGIN_TOP - MARGIN_BOTTOM {
            self.ensure(whole);
        } else {
            self.ensure(header_h * 2.5);
        }
        self.draw_row(&header, &header_lines, &widths, size, lh, pad, true);
        for row in rows {
            let lines = self.row_lines(row, &widths, size, pad);
            let h = row_height(&lines, lh, pad);
            if h > self.room() {
                self.new_page();
                self.draw_row(&header, &header_lines, &widths, size, lh, pad, true);
            }
            self.draw_row(row, &lines, &widths, size, lh, pad, false);
        }
        self.y += size;
    }

    /// Height of a whole table, header included.
    fn table_height(&self, cols: &[(&str, f32)], rows: &[Vec<Cell>], size: f32) -> f32 {
        let total: f32 = cols.iter().map(|c| c.1).sum();
        let widths: Vec<f32> = cols.iter().map(|c| c.1 / total * CONTENT_W).collect();
        let (pad, lh) = (2.5, size * 1.3);
        let header: Vec<Cell> = cols.iter().map(|(h, _)| cell(*h)).collect();
        std::iter::once(&header)
            .chain(rows)
            .map(|r| row_height(&self.row_lines(r, &widths, size, pad), lh, pad))
            .sum()
    }

    /// Starts a new page unless a heading, `extra` points of text and the table fit here;
    /// a table longer than a page only needs its first rows to fit.
    fn keep_with_table(&mut self, extra: f32, cols: &[(&str, f32)], rows: &[Vec<Cell>], size: f32) {
        let h = self.table_height(cols, rows, size) + extra;
        let need = if h <= PAGE_H - MARGIN_TOP - MARGIN_BOTTOM {
            h
        } else {
            extra + 80.0
        };
        self.ensure(need);
    }

    fn row_lines(&self, row: &[Cell], widths: &[f32], size: f32, pad: f32) -> Vec<Vec<String>> {
        row.iter()
            .zip(widths)
            .map(|(c, w)| self.sh.wrap(&c.text, size, w - 2.0 * pad))
            .collect()
    }

    #[allow(clippy::too_many_arguments)]
    fn draw_row(
        &mut self,
        row: &[Cell],
        lines: &[Vec<String>],
        widths: &[f32],
        size: f32,
        lh: f32,
        pad: f32,
        bold: bool,
    ) {
        let h = row_height(lines, lh, pad);
        let mut x = MARGIN_X;
        let y0 = self.y;
        for ((c, ls), w) in row.iter().zip(lines).zip(widths) {
            self.ops().push(Op::Rect {
                x,
                y: y0,
                w: *w,
                h,
                fill: c.fill,
                stroke: Some(((160, 160, 160), 0.5)),
            });
            for (k, line) in ls.iter().enumerate() {
                let y = y0 + pad + size * 1.02 + k as f32 * lh;
                self.text(x + pad, y, size, BLACK, bold, line);
            }
            x += w;
        }
        self.y += h;
    }

    fn chart(&mut self, c: &Chart, ox: f32, oy: f32) {
        let f = |v: f64| v as f32;
        let p = |(x, y): (f64, f64)| (ox + f(x), oy + f(y));
        let (l, t, r, b) = c.plot;
        let fs = f(c.font_size);
        self.ops().push(Op::Rect {
            x: ox + f(l),
            y: oy + f(t),
            w: f(r - l),
            h: f(b - t),
            fill: Some((250, 250, 250)),
            stroke: Some(((150, 150, 150), 0.6)),
        });
        for (y, label) in &c.y_ticks {
            self.ops().push(Op::Line {
                points: vec![p((l, *y)), p((r, *y))],
                color: (224, 224, 224),
                width: 0.4,
                dash: None,
            });
            let w = self.sh.width(label, fs);
            self.text(
                ox + f(l) - 3.0 - w,
                oy + f(*y) + fs * 0.35,
                fs,
                GREY,
                false,
                label,
            );
        }
        for (x, label) in &c.x_ticks {
            self.ops().push(Op::Line {
                points: vec![p((*x, b)), p((*x, b + 3.0))],
                color: (150, 150, 150),
                width: 0.5,
                dash: None,
            });
            let w = self.sh.width(label, fs);
            self.text(
                ox + f(*x) - w / 2.0,
                oy + f(b) + fs * 1.3,
                fs,
                GREY,
                false,
                label,
            );
        }
        if let Some(bl) = &c.baseline {
            self.ops().push(Op::Line {
                points: vec![p((l, bl.y)), p((r, bl.y))],
                color: GREY,
                width: 0.8,
                dash: Some([1.5, 2.0]),
            });
            self.text(
                ox + f(l),
                oy + f(c.height) - 2.0,
                fs,
                GREY,
                false,
                &bl.label,
            );
        }
        if let Some(tg) = &c.target {
            self.ops().push(Op::Line {
                points: vec![p((l, tg.y)), p((tg.x_end, tg.y))],
                color: RED,
                width: 1.1,
                dash: Some([5.0, 3.0]),
            });
            let w = self.sh.width(&tg.label, fs);
            self.text(
                ox + f(tg.x_end) - 2.0 - w,
                oy + f(tg.label_y),
                fs,
                RED,
                false,
                &tg.label,
            );
        }
        if c.target_path.len() > 1 {
            self.ops().push(Op::Line {
                points: c.target_path.iter().map(|pt| p(*pt)).collect(),
                color: RED,
                width: 1.1,
                dash: Some([5.0, 3.0]),
            });
        }
        for (x, y, label) in &c.later_targets {
            let (px, py) = p((*x, *y));
            self.ops().push(Op::Rect {
                x: px - 2.5,
                y: py - 2.5,
                w: 5.0,
                h: 5.0,
                fill: Some(RED),
                stroke: None,
            });
            let w = self.sh.width(label, fs);
            let ly = if *y - t < c.font_size * 1.3 {
                py + fs * 1.3
            } else {
                py - fs * 0.5
            };
            self.text(px - 2.0 - w, ly, fs, RED, false, label);
        }
        if let Some((a, z)) = c.projection {
            self.ops().push(Op::Line {
                points: vec![p(a), p(z)],
                color: BLUE,
                width: 0.8,
                dash: Some([2.0, 2.0]),
            });
        }
        if c.series.len() > 1 {
            self.ops().push(Op::Line {
                points: c.series.iter().map(|pt| p(*pt)).collect(),
                color: BLUE,
                width: 1.5,
                dash: None,
            });
        }
        for pt in &c.series {
            let (x, y) = p(*pt);
            self.ops().push(Op::Diamond {
                x,
                y,
                r: 2.2,
                color: BLUE,
                filled: true,
            });
        }
        for pt in &c.assigned {
            let (x, y) = p(*pt);
            self.ops().push(Op::Diamond {
                x,
                y,
                r: 3.2,
                color: RED,
                filled: false,
            });
        }
        if let Some(n) = &c.note {
            let w = self.sh.width(n, fs);
            self.text(
                ox + f((l + r) / 2.0) - w / 2.0,
                oy + f(c.note_y) + fs * 0.35,
                fs,
                GREY,
                false,
                n,
            );
        }
    }

    pub(crate) fn finish(self) -> Vec<Vec<Op>> {
        self.pages
    }
}

fn row_height(lines: &[Vec<String>], lh: f32, pad: f32) -> f32 {
    let n = lines.iter().map(Vec::len).max().unwrap_or(1).max(1);
    n as f32 * lh + 2.0 * pad
}

fn title_page(l: &mut Layout<'_, '_>, data: &ReportData) {
    let c = &data.cover;
    // A red rule above the title, as on a government document's cover.
    l.ops().push(Op::Line {
        points: vec![(MARGIN_X, 200.0), (PAGE_W - MARGIN_X, 200.0)],
        color: RED,
        width: 2.0,
        dash: None,
    });
    let size = 22.0;
    let mut y = 260.0;
    for line in l.sh.wrap(&c.title, size, CONTENT_W - 40.0) {
        l.centered(y, size, BLACK, true, &line);
        y += size * 1.6;
    }
    y += 24.0;
    l.centered(y, 14.0, BLACK, false, &format!("评估年度：{}年", c.year));
    y += 30.0;
    let basis = format!("评估依据：{}", data.basis_text());
    for line in l.sh.wrap(&basis, 10.5, CONTENT_W) {
        l.centered(y, 10.5, GREY, false, &line);
        y += 16.0;
    }
    let y = PAGE_H - 220.0;
    l.centered(y, 15.0, BLACK, false, &format!("编制单位：{}", c.unit));
    l.centered(y + 32.0, 15.0, BLACK, false, &c.date_text());
}

fn summary(l: &mut Layout<'_, '_>, data: &ReportData) {
    l.heading("摘要", 15.0);
    l.paragraph(&data.summary_text(), 10.5, BLACK);
}

fn overview(l: &mut Layout<'_, '_>, data: &ReportData) {
    l.heading("一、总体情况", 15.0);
    let s = &data.summary;
    let mut cols: Vec<(&str, f32)> = vec![("类别", 2.2)];
    cols.extend(Status::ALL.iter().map(|s| (s.label(), 1.0)));
    cols.push(("合计", 1.0));
    let mut rows: Vec<Vec<Cell>> = data
        .by_category
        .iter()
        .map(|g| counts_row(&g.name, g))
        .collect();
    let mut total = vec![cell("全部指标")];
    total.extend(Status::ALL.iter().map(|st| cell(s.get(*st).to_string())));
    total.push(cell(s.total.to_string()));
    rows.push(total);
    l.table(&cols, &rows, 8.0);
}

fn counts_row(name: &str, g: &Group) -> Vec<Cell> {
    let mut row = vec![cell(name)];
    row.extend(
        Status::ALL
            .iter()
            .map(|s| cell(g.counts.get(*s).to_string())),
    );
    row.push(cell(g.counts.total.to_string()));
    row
}

fn indicator_table(l: &mut Layout<'_, '_>, data: &ReportData) {
    l.heading("二、指标评估", 15.0);
    let rows: Vec<Vec<Cell>> = data
        .indicators
        .iter()
        .map(|i| {
            let st = i.assessment.status;
            let reason = i.reasoning.clone();
            vec![
                cell(i.number.to_string()),
                cell(i.name.clone()),
                cell(i.unit.clone()),
                cell(i.baseline_text.clone()),
                cell(i.target_text()),
                cell(i.latest_text()),
                Cell {
                    text: st.label().to_string(),
                    fill: Some(status_rgb(st)),
                },
                cell(reason),
            ]
        })
        .collect();
    l.table(
        &[
            ("序号", 1.0),
            ("指标", 3.5),
            ("单位", 1.6),
            ("基期", 2.4),
            ("目标", 2.6),
            ("最新值", 2.2),
            ("状态", 1.7),
            ("评估说明", 7.5),
        ],
        &rows,
        7.5,
    );
}

fn charts(l: &mut Layout<'_, '_>, data: &ReportData) {
    l.heading("指标走势", 13.0);
    l.paragraph(
        "实线为逐年实际值，红色虚线为目标值（延伸至红色方块所示的远期目标），灰色点线为基期值，蓝色细虚线为按近年趋势的推算，红色空心菱形为省级下达的年度目标。",
        8.5,
        GREY,
    );
    let gap = 16.0;
    let w = (CONTENT_W - gap) / 2.0;
    let h = 150.0;
    let caption = 14.0;
    let charted: Vec<&crate::IndicatorReport> = data
        .indicators
        .iter()
        .filter(|i| i.chart_absence().is_none())
        .collect();
    for pair in charted.chunks(2) {
        l.ensure(h + caption + 8.0);
        let y = l.y;
        for (k, i) in pair.iter().enumerate() {
            let x = MARGIN_X + k as f32 * (w + gap);
            let mut title = format!("{}. {}（{}）", i.number, i.name, i.unit);
            while l.sh.width(&title, 8.5) > w && title.chars().count() > 4 {
                title.pop();
            }
            l.text(x, y + 9.0, 8.5, BLACK, true, &title);
            let c = chart::layout(
                i,
                data.plan.baseline_year,
                data.year,
                f64::from(w),
                f64::from(h),
                6.5,
            );
            l.chart(&c, x, y + caption);
        }
        l.y = y + h + caption + 8.0;
    }
    let absent: Vec<String> = data
        .indicators
        .iter()
        .filter_map(|i| Some(format!("{}. {}：{}", i.number, i.name, i.chart_absence()?)))
        .collect();
    if !absent.is_empty() {
        l.paragraph("以下指标无走势图：", 8.5, GREY);
        for line in absent {
            l.paragraph(&line, 8.5, GREY);
        }
    }
}

fn appendix(l: &mut Layout<'_, '_>, data: &ReportData) {
    l.new_page();
    l.heading("附录：评估方法与计算过程", 15.0);
    l.paragraph(&data.method_text(), 8.5, GREY);
    let rows: Vec<Vec<Cell>> = data
        .indicators
        .iter()
        .map(|i| {
            let e = &i.explanation;
            vec![
                cell(i.number.to_string()),
                cell(i.name.clone()),
                Cell {
                    text: e.status.label().to_string(),
                    fill: Some(status_rgb(e.status)),
                },
                cell(e.method_name()),
                cell(e.figures()),
                cell(e.trend_text()),
            ]
        })
        .collect();
    let trend = format!("趋势外推：{}", crate::TREND_METHOD);
    l.table_flowing(
        &[
            ("序号", 1.0),
            ("指标", 3.2),
            ("状态", 1.6),
            ("评估方法", 3.0),
            ("计算过程", 7.5),
            (trend.as_str(), 4.2),
        ],
        &rows,
        7.0,
    );
}

fn tasks(l: &mut Layout<'_, '_>, data: &ReportData) {
    l.new_page();
    l.heading("三、任务进展", 15.0);
    let t = &data.task_summary;
    l.paragraph(
        &format!(
            "共{}项任务：已完成{}项，推进中{}项，未启动{}项，滞后{}项，未报告{}项。",
            t.total, t.completed, t.in_progress, t.not_started, t.lagging, t.unreported
        ),
        10.0,
        BLACK,
    );
    let mut rows = Vec::new();
    for a in &data.areas {
        for task in &a.tasks {
            let units: Vec<&str> = task.responsible.iter().map(|u| u.name.as_str()).collect();
            let fill = match task.status {
                Some(TaskState::Completed) => Some(status_rgb(Status::TargetAchieved)),
                Some(TaskState::Lagging) => Some(status_rgb(Status::Deterioration)),
                Some(TaskState::NotStarted) => Some(status_rgb(Status::LimitedProgress)),
                Some(TaskState::InProgress) => None,
                None => Some(status_rgb(Status::NotAvailable)),
            };
            rows.push(vec![
                cell(task.code.clone()),
                cell(task.title.clone()),
                cell(units.join("、")),
                Cell {
                    text: task.status.map_or("未报告", TaskState::label).to_string(),
                    fill,
                },
                cell(task.period.clone().unwrap_or_else(|| "—".into())),
                cell(task.narrative.clone().unwrap_or_else(|| "—".into())),
            ]);
        }
    }
    l.table(
        &[
            ("编号", 0.9),
            ("任务", 4.5),
            ("责任单位", 3.5),
            ("状态", 1.3),
            ("报告期", 1.3),
            ("进展情况", 5.0),
        ],
        &rows,
        7.5,
    );
}

fn ledger(l: &mut Layout<'_, '_>, data: &ReportData) {
    l.heading("任务台账事项", 12.0);
    if data.ledger.is_empty() {
        l.paragraph(&format!("{}年度无任务台账事项。", data.year), 10.0, BLACK);
        return;
    }
    let done = data.ledger.iter().filter(|i| i.complete).count();
    l.paragraph(
        &format!(
            "{}年度共{}个事项，已完成{}个。只计审核通过的报告；数量类事项的全市值为各县（市、区）审核通过数值之和。",
            data.year,
            data.ledger.len(),
            done
        ),
        10.0,
        BLACK,
    );
    let part = |p: &crate::LedgerPart| {
        let state = if p.complete {
            "已完成"
        } else if p.overdue {
            "逾期"
        } else {
            "未完成"
        };
        format!("{}：{state}", p.name)
    };
    let rows: Vec<Vec<Cell>> = data
        .ledger
        .iter()
        .map(|i| {
            let fill = if i.complete {
                Some(status_rgb(Status::TargetAchieved))
            } else {
                None
            };
            vec![
                cell(format!("{} {}", i.id, i.text)),
                cell(i.measure.clone()),
                cell(i.deadline.clone()),
                Cell {
                    text: format!(
                        "{}：{}",
                        if i.complete { "已完成" } else { "未完成" },
                        i.city
                    ),
                    fill,
                },
                cell(
                    i.parts
                        .iter()
                        .filter(|p| p.county)
                        .map(part)
                        .collect::<Vec<_>>()
                        .join("；"),
                ),
                cell(
                    i.parts
                        .iter()
                        .filter(|p| !p.county)
                        .map(part)
                        .collect::<Vec<_>>()
                        .join("；"),
                ),
            ]
        })
        .collect();
    l.table(
        &[
            ("事项", 4.0),
            ("计量", 2.0),
            ("完成时限", 1.5),
            ("全市情况", 2.5),
            ("各县（市、区）", 4.5),
            ("各单位", 3.0),
        ],
        &rows,
        7.0,
    );
    let tally: Vec<Vec<Cell>> = data
        .ledger_tallies
        .iter()
        .map(|t| {
            vec![
                cell(t.name.clone()),
                cell(t.done.to_string()),
                cell(t.overdue.to_string()),
                cell(t.total.to_string()),
            ]
        })
        .collect();
    l.table(
        &[
            ("责任单位 / 县（市、区）", 6.0),
            ("已完成", 2.0),
            ("逾期", 2.0),
            ("承担", 2.0),
        ],
        &tally,
        7.5,
    );
}

fn group_rows(groups: &[&Group], scores: &[Score]) -> Vec<Vec<Cell>> {
    groups
        .iter()
        .map(|g| {
            let mut row = counts_row(&g.name, g);
            match scores.iter().find(|s| s.key == g.key) {
                Some(s) => match s.grading {
                    Grading::Graded {
                        score,
                        grade,
                        capped,
                    } => {
                        row.push(cell(s.deducted.to_string()));
                        row.push(cell(score.to_string()));
                        row.push(cell(if capped {
                            format!("{}（封顶）", grade.label())
                        } else {
                            grade.label().to_string()
                        }));
                    }
                    Grading::Incomplete { .. } => {
                        row.extend([cell("—"), cell("—"), cell(s.grading.label())]);
                    }
                },
                None => row.extend([cell("—"), cell("—"), cell("—")]),
            }
            row
        })
        .collect()
}

fn group_cols(first: &str) -> Vec<(&str, f32)> {
    let mut cols: Vec<(&str, f32)> = vec![(first, 2.0)];
    cols.extend(Status::ALL.iter().map(|s| (s.label(), 1.05)));
    cols.extend([("合计", 0.8), ("扣分", 0.8), ("得分", 0.8), ("等级", 1.4)]);
    cols
}

fn units(l: &mut Layout<'_, '_>, data: &ReportData) {
    l.heading("四、责任单位", 15.0);
    let d = &data.scoring.deductions;
    l.paragraph(
        &format!(
            "百分制：满分{}分，按指标状态扣分（需加快{}、进展缓慢{}、倒退{}、未完成{}、人工评定未达到{}）；优秀≥{}，良好≥{}，合格≥{}。有指标无数据的单位不评分、不定等级，记为“数据不全”。",
            data.scoring.full_marks,
            d.moderate_progress,
            d.limited_progress,
            d.deterioration,
            d.target_missed,
            d.manual_not_met,
            data.scoring.grades.excellent,
            data.scoring.grades.good,
            data.scoring.grades.pass
        ),
        8.5,
        GREY,
    );
    let groups: Vec<&Group> = data.by_unit.iter().collect();
    l.table(
        &group_cols("责任单位"),
        &group_rows(&groups, &data.unit_scores),
        7.5,
    );
    let rows: Vec<Vec<Cell>> = data
        .tasks_by_unit
        .iter()
        .map(|u| {
            let c = &u.counts;
            vec![
                cell(u.name.clone()),
                cell(c.completed.to_string()),
                cell(c.in_progress.to_string()),
                cell(c.not_started.to_string()),
                cell(c.lagging.to_string()),
                cell(c.unreported.to_string()),
                cell(c.total.to_string()),
            ]
        })
        .collect();
    let cols = [
        ("责任单位", 3.0),
        ("已完成", 1.0),
        ("推进中", 1.0),
        ("未启动", 1.0),
        ("滞后", 1.0),
        ("未报告", 1.0),
        ("合计", 1.0),
    ];
    l.keep_with_table(40.0, &cols, &rows, 7.5);
    l.heading("任务进展（按责任单位）", 12.0);
    l.table(&cols, &rows, 7.5);
}

fn counties(l: &mut Layout<'_, '_>, data: &ReportData) {
    let groups: Vec<&Group> = data
        .by_division
        .iter()
        .filter(|g| data.is_county(&g.key))
        .collect();
    let cols = group_cols("县（市、区）");
    let rows = group_rows(&groups, &data.division_scores);
    l.keep_with_table(70.0, &cols, &rows, 7.5);
    l.heading("五、县（市、区）", 15.0);
    let note = if groups.iter().all(|g| g.counts.total == 0) {
        "各县（市、区）本年度尚未上报指标数据。"
    } else {
        "各县（市、区）按其已上报数据的指标评估；未上报任何数据的指标不计入。"
    };
    l.paragraph(note, 8.5, GREY);
    l.table(&cols, &rows, 7.5);
}

fn paint(c: Rgb) -> krilla::paint::Paint {
    rgb::Color::new(c.0, c.1, c.2).into()
}

fn fill(c: Rgb) -> Fill {
    Fill {
        paint: paint(c),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }
}

fn stroke(c: Rgb, width: f32, dash: Option<[f32; 2]>) -> Stroke {
    Stroke {
        paint: paint(c),
        width,
        dash: dash.map(|d| StrokeDash {
            array: d.to_vec(),
            offset: 0.0,
        }),
        ..Stroke::default()
    }
}

/// Writes the laid-out pages; with `cover`, the first page is a cover without a page number.
pub(crate) fn emit(
    title: &str,
    cover: bool,
    sh: &Shaper<'_>,
    font: &[u8],
    face: u32,
    pages: Vec<Vec<Op>>,
) -> Result<Vec<u8>, ReportError> {
    let kfont = Font::new(font.to_vec().into(), face)
        .ok_or_else(|| ReportError::Font("krilla 无法读取该字体".to_string()))?;
    let settings = PageSettings::from_wh(PAGE_W, PAGE_H)
        .ok_or_else(|| ReportError::Pdf("页面尺寸无效".to_string()))?;
    let mut doc = Document::new();
    doc.set_metadata(
        Metadata::new()
            .title(title.to_string())
            .language("zh-CN".to_string())
            .creator("qingshan".to_string()),
    );
    let n = pages.len();
    for (k, ops) in pages.into_iter().enumerate() {
        let mut page = doc.start_page_with(settings.clone());
        let mut s = page.surface();
        for op in ops {
            match op {
                Op::Text {
                    x,
                    y,
                    size,
                    color,
                    bold,
                    text,
                } => {
                    s.set_fill(Some(fill(color)));
                    // No bold face is at hand; a hairline stroke of the same colour stands in.
                    s.set_stroke(bold.then(|| stroke(color, size * 0.03, None)));
                    s.draw_glyphs(
                        Point::from_xy(x, y),
                        &sh.glyphs(&text),
                        kfont.clone(),
                        &text,
                        size,
                        false,
                    );
                }
                Op::Rect {
                    x,
                    y,
                    w,
                    h,
                    fill: f,
                    stroke: st,
                } => {
                    let Some(rect) = Rect::from_xywh(x, y, w.max(0.01), h.max(0.01)) else {
                        continue;
                    };
                    let mut pb = PathBuilder::new();
                    pb.push_rect(rect);
                    if let Some(path) = pb.finish() {
                        s.set_fill(f.map(fill));
                        s.set_stroke(st.map(|(c, w)| stroke(c, w, None)));
                        s.draw_path(&path);
                    }
                }
                Op::Line {
                    points,
                    color,
                    width,
                    dash,
                } => {
                    let mut pb = PathBuilder::new();
                    for (i, (x, y)) in points.iter().enumerate() {
                        if i == 0 {
                            pb.move_to(*x, *y);
                        } else {
                            pb.line_to(*x, *y);
                        }
                    }
                    if let Some(path) = pb.finish() {
                        s.set_fill(None);
                        s.set_stroke(Some(stroke(color, width, dash)));
                        s.draw_path(&path);
                    }
                }
                Op::Diamond {
                    x,
                    y,
                    r,
                    color,
                    filled,
                } => {
                    let mut pb = PathBuilder::new();
                    pb.move_to(x, y - r);
                    pb.line_to(x + r, y);
                    pb.line_to(x, y + r);
                    pb.line_to(x - r, y);
                    pb.close();
                    if let Some(path) = pb.finish() {
                        s.set_fill(filled.then(|| fill(color)));
                        s.set_stroke((!filled).then(|| stroke(color, 0.9, None)));
                        s.draw_path(&path);
                    }
                }
            }
        }
        // The cover carries no page number; the body is numbered from its first page.
        let first = usize::from(cover);
        if k >= first {
            let footer = format!("— {} / {} —", k + 1 - first, n - first);
            let w = sh.width(&footer, 8.0);
            s.set_stroke(None);
            s.set_fill(Some(fill(GREY)));
            s.draw_glyphs(
                Point::from_xy((PAGE_W - w) / 2.0, PAGE_H - 30.0),
                &sh.glyphs(&footer),
                kfont.clone(),
                &footer,
                8.0,
                false,
            );
        }
        s.finish();
        page.finish();
    }
    doc.finish().map_err(|e| ReportError::Pdf(format!("{e:?}")))
}
