//! A plain A4 document — title, headed sections of paragraphs, field lists and tables — drawn
//! with the report's PDF layout, for files other than the annual report (a case file, say).
//! The caller brings the words; nothing here knows what they mean.

use crate::ReportError;
use crate::pdf::{BLACK, GREY, Layout, MARGIN_X, Op, PAGE_W, RED, Shaper, cell, emit};

/// A document to render.
#[derive(Debug, Clone, Default)]
pub struct Document {
    /// Title, centred on the first page and in the PDF's metadata.
    pub title: String,
    /// Lines under the title (number, date, issuer).
    pub subtitle: Vec<String>,
    /// The body.
    pub sections: Vec<Section>,
}

/// A headed section.
#[derive(Debug, Clone, Default)]
pub struct Section {
    /// Heading.
    pub heading: String,
    /// Content, in order.
    pub blocks: Vec<Block>,
}

/// A piece of a section.
#[derive(Debug, Clone)]
pub enum Block {
    /// Wrapped text.
    Paragraph(String),
    /// Smaller grey text (sources, remarks).
    Note(String),
    /// Label–value pairs, drawn as a two-column table.
    Fields(Vec<(String, String)>),
    /// A table: column headings with relative widths, and rows of cells.
    Table {
        /// Headings and relative widths.
        columns: Vec<(String, f32)>,
        /// Rows; each as many cells as columns.
        rows: Vec<Vec<String>>,
        /// Said instead of an empty table.
        empty: String,
    },
}

/// Renders the document as an A4 PDF embedding `face` of `font` as a subset; pages are numbered.
pub fn render_document_pdf(doc: &Document, font: &[u8], face: u32) -> Result<Vec<u8>, ReportError> {
    let sh = Shaper::new(font, face)?;
    let mut l = Layout::new(&sh);
    // A red rule over the title, as on a government document.
    l.ops().push(Op::Line {
        points: vec![(MARGIN_X, 52.0), (PAGE_W - MARGIN_X, 52.0)],
        color: RED,
        width: 1.5,
        dash: None,
    });
    l.y = 70.0;
    l.centered(l.y + 18.0, 18.0, BLACK, true, &doc.title);
    l.y += 34.0;
    for line in &doc.subtitle {
        l.centered(l.y + 10.5, 10.5, GREY, false, line);
        l.y += 16.0;
    }
    l.y += 6.0;
    for s in &doc.sections {
        l.heading(&s.heading, 13.0);
        for b in &s.blocks {
            match b {
                Block::Paragraph(t) => l.paragraph(t, 10.5, BLACK),
                Block::Note(t) => l.paragraph(t, 8.5, GREY),
                Block::Fields(pairs) => {
                    let rows: Vec<_> = pairs
                        .iter()
                        .map(|(k, v)| vec![cell(k.as_str()), cell(v.as_str())])
                        .collect();
                    l.table_flowing(&[("项目", 1.0), ("内容", 3.2)], &rows, 9.5);
                }
                Block::Table {
                    columns,
                    rows,
                    empty,
                } => {
                    if rows.is_empty() {
                        l.paragraph(empty, 10.0, GREY);
                        continue;
                    }
                    let cols: Vec<(&str, f32)> =
                        columns.iter().map(|(h, w)| (h.as_str(), *w)).collect();
                    let rows: Vec<Vec<_>> = rows
                        .iter()
                        .map(|r| r.iter().map(|c| cell(c.as_str())).collect())
                        .collect();
                    l.table_flowing(&cols, &rows, 8.5);
                }
            }
        }
    }
    let pages = l.finish();
    emit(&doc.title, false, &sh, font, face, pages)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_long_document_flows_over_numbered_pages() {
        let Some((_, font)) = crate::find_cjk_font() else {
            assert!(std::env::var_os("CI").is_none(), "CI must have a CJK font");
            eprintln!("SKIPPED: no CJK font");
            return;
        };
        let rows: Vec<Vec<String>> = (0..200)
            .map(|i| vec![i.to_string(), format!("报文 {i}"), "a".repeat(64)])
            .collect();
        let doc = Document {
            title: "案卷".into(),
            subtitle: vec!["立案编号 2026-0001".into()],
            sections: vec![Section {
                heading: "一、证据".into(),
                blocks: vec![
                    Block::Fields(vec![("案由".into(), "超标排放".into())]),
                    Block::Table {
                        columns: vec![
                            ("序号".into(), 0.5),
                            ("名称".into(), 1.0),
                            ("SHA-256".into(), 3.0),
                        ],
                        rows,
                        empty: "无".into(),
                    },
                ],
            }],
        };
        let pdf = render_document_pdf(&doc, &font, 0).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        // 200 rows cannot fit one A4 page: the table must have flowed on, footers counting.
        let path =
            std::env::temp_dir().join(format!("qingshan-document-{}.pdf", std::process::id()));
        std::fs::write(&path, &pdf).unwrap();
        let text = match std::process::Command::new("pdftotext")
            .arg(&path)
            .arg("-")
            .output()
        {
            Ok(o) => String::from_utf8_lossy(&o.stdout).to_string(),
            Err(_) => {
                assert!(std::env::var_os("CI").is_none(), "CI must have pdftotext");
                eprintln!("SKIPPED: no pdftotext");
                return;
            }
        };
        let _ = std::fs::remove_file(&path);
        assert!(text.contains("立案编号 2026-0001"), "{text}");
        assert!(text.contains("报文 199"), "{text}");
        let flat = text.replace(' ', "");
        assert!(flat.contains("—1/") && flat.contains("—3/"), "{text}");
    }
}
