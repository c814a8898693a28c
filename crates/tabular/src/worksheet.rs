//! The shared-string table and a worksheet's `sheetData`: cells to text, placed by reference.

use std::borrow::Cow;

use quick_xml::events::Event;

use crate::styles::{Styles, iso_text, serial_text};
use crate::xml::{self, attr, decode_escapes, push_reference};
use crate::{MAX_CELLS, MAX_COLUMNS, MAX_ROWS, TabularError, column_letter};

/// Reads `xl/sharedStrings.xml`: each `<si>` is the text of its `<t>` elements, whether one
/// plain `<t>` or rich-text runs `<r><t>`; phonetic guides (`<rPh>`) are not part of the text.
pub(crate) fn shared_strings(text: &str, part: &str) -> Result<Vec<String>, TabularError> {
    let mut r = xml::reader(text);
    let mut out = Vec::new();
    let mut current = String::new();
    let (mut in_si, mut in_t, mut phonetic) = (false, false, 0u32);
    loop {
        match r.read_event().map_err(|e| xml::error(part, &r, e))? {
            Event::Start(e) => match e.local_name().as_ref() {
                "si" => {
                    in_si = true;
                    current.clear();
                }
                "t" => in_t = in_si,
                "rPh" => phonetic += 1,
                _ => {}
            },
            Event::Empty(e) if e.local_name().as_ref() == "si" => out.push(String::new()),
            Event::End(e) => match e.local_name().as_ref() {
                "si" => {
                    in_si = false;
                    out.push(decode_escapes(&current).into_owned());
                }
                "t" => in_t = false,
                "rPh" => phonetic = phonetic.saturating_sub(1),
                _ => {}
            },
            Event::Text(t) if in_t && phonetic == 0 => current.push_str(&t.xml10_content()),
            Event::CData(t) if in_t && phonetic == 0 => current.push_str(&t.xml10_content()),
            Event::GeneralRef(g) if in_t && phonetic == 0 => {
                push_reference(&mut current, &g, part, &r)?;
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(out)
}

/// Parses a cell reference such as `C5` into a 0-based column and a 1-based row.
pub(crate) fn parse_reference(reference: &str) -> Option<(u32, u32)> {
    let split = reference.find(|c: char| c.is_ascii_digit())?;
    let (letters, digits) = reference.split_at(split);
    if letters.is_empty() || letters.len() > 3 || !letters.bytes().all(|b| b.is_ascii_alphabetic())
    {
        return None;
    }
    let column = letters.bytes().fold(0u32, |acc, b| {
        acc * 26 + u32::from(b.to_ascii_uppercase() - b'A') + 1
    }) - 1;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 7 {
        return None;
    }
    let row: u32 = digits.parse().ok().filter(|r| *r >= 1)?;
    Some((column, row))
}

/// What a worksheet parse needs to know about the workbook.
pub(crate) struct Context<'a> {
    /// The sheet's name, for messages.
    pub(crate) sheet: &'a str,
    /// The sheet's part, for messages.
    pub(crate) part: &'a str,
    /// The shared-string table.
    pub(crate) shared: &'a [String],
    /// Which cell formats show dates.
    pub(crate) styles: &'a Styles,
    /// Whether serials count from 1904.
    pub(crate) date1904: bool,
}

/// The cell being read.
#[derive(Default)]
struct Cell {
    reference: Option<String>,
    kind: Option<String>,
    style: usize,
    value: String,
    inline: String,
    has_inline: bool,
}

/// Dense rows being filled, with the cells allocated so far (gaps included) counted against
/// [`MAX_CELLS`] before anything is allocated.
struct Grid<'a> {
    rows: Vec<Vec<String>>,
    allocated: usize,
    sheet: &'a str,
}

impl Grid<'_> {
    fn too_large(&self, what: String) -> TabularError {
        TabularError::SheetTooLarge {
            sheet: self.sheet.to_string(),
            what,
        }
    }

    fn place(&mut self, row: u32, column: u32, text: String) -> Result<(), TabularError> {
        if row > MAX_ROWS {
            return Err(self.too_large(format!("第 {row} 行超过 {MAX_ROWS} 行的上限")));
        }
        if column >= MAX_COLUMNS {
            return Err(self.too_large(format!(
                "{} 列超过 {MAX_COLUMNS} 列的上限",
                column_letter(column as usize)
            )));
        }
        let (r, c) = (row as usize - 1, column as usize);
        let new_rows = (r + 1).saturating_sub(self.rows.len());
        let width = self.rows.get(r).map_or(0, Vec::len);
        let new_cells = (c + 1).saturating_sub(width);
        self.allocated += new_rows + new_cells;
        if self.allocated > MAX_CELLS {
            return Err(self.too_large(format!("单元格（含空白）超过 {MAX_CELLS} 个")));
        }
        if new_rows > 0 {
            self.rows.resize_with(r + 1, Vec::new);
        }
        if let Some(cells) = self.rows.get_mut(r) {
            if new_cells > 0 {
                cells.resize_with(c + 1, String::new);
            }
            if let Some(slot) = cells.get_mut(c) {
                *slot = text;
            }
        }
        Ok(())
    }
}

/// Reads a worksheet's cells into dense rows (`rows[0]` is row 1), each row as long as its last
/// cell with a value; rows and cells without a value take no place beyond what a later cell needs.
pub(crate) fn cells(text: &str, cx: &Context<'_>) -> Result<Vec<Vec<String>>, TabularError> {
    let part = cx.part;
    let mut r = xml::reader(text);
    let mut grid = Grid {
        rows: Vec::new(),
        allocated: 0,
        sheet: cx.sheet,
    };
    // Where the next cell without a reference goes: rows and cells may omit `r`.
    let (mut row, mut next_column) = (0u32, 0u32);
    let mut cell: Option<Cell> = None;
    let (mut in_v, mut in_is_t, mut phonetic) = (false, false, 0u32);
    loop {
        let event = r.read_event().map_err(|e| xml::error(part, &r, e))?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                match e.local_name().as_ref() {
                    "row" => {
                        row = match attr(e, "r", part, &r)? {
                            Some(v) => {
                                v.trim().parse().ok().filter(|n| *n >= 1).ok_or_else(|| {
                                    TabularError::CellReference {
                                        sheet: cx.sheet.to_string(),
                                        reference: v.clone(),
                                    }
                                })?
                            }
                            None => row.saturating_add(1),
                        };
                        next_column = 0;
                    }
                    "c" => {
                        let c = Cell {
                            reference: attr(e, "r", part, &r)?,
                            kind: attr(e, "t", part, &r)?,
                            style: attr(e, "s", part, &r)?
                                .and_then(|s| s.trim().parse().ok())
                                .unwrap_or(0),
                            ..Cell::default()
                        };
                        if empty {
                            next_column = locate(&c, row, next_column, cx)?.0 + 1;
                        } else {
                            cell = Some(c);
                        }
                    }
                    "v" if !empty => in_v = cell.is_some(),
                    "is" => {
                        if let Some(c) = cell.as_mut() {
                            c.has_inline = true;
                        }
                    }
                    "t" if !empty => in_is_t = cell.as_ref().is_some_and(|c| c.has_inline),
                    "rPh" if !empty => phonetic += 1,
                    _ => {}
                }
            }
            Event::End(ref e) => match e.local_name().as_ref() {
                "v" => in_v = false,
                "t" => in_is_t = false,
                "rPh" => phonetic = phonetic.saturating_sub(1),
                "c" => {
                    if let Some(c) = cell.take() {
                        let (column, at_row) = locate(&c, row, next_column, cx)?;
                        next_column = column + 1;
                        let text = cell_text(&c, column, at_row, cx)?;
                        if !text.is_empty() {
                            grid.place(at_row, column, text)?;
                        }
                    }
                }
                // Nothing after the cells matters.
                "sheetData" => break,
                _ => {}
            },
            Event::Text(ref t) => {
                if let Some(c) = cell.as_mut() {
                    if in_v {
                        c.value.push_str(&t.xml10_content());
                    } else if in_is_t && phonetic == 0 {
                        c.inline.push_str(&t.xml10_content());
                    }
                }
            }
            Event::CData(ref t) => {
                if let Some(c) = cell.as_mut() {
                    if in_v {
                        c.value.push_str(&t.xml10_content());
                    } else if in_is_t && phonetic == 0 {
                        c.inline.push_str(&t.xml10_content());
                    }
                }
            }
            Event::GeneralRef(ref g) => {
                if let Some(c) = cell.as_mut() {
                    if in_v {
                        push_reference(&mut c.value, g, part, &r)?;
                    } else if in_is_t && phonetic == 0 {
                        push_reference(&mut c.inline, g, part, &r)?;
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(grid.rows)
}

/// The cell's 0-based column and 1-based row: its own reference, or the place after the
/// previous cell of the current row.
fn locate(
    c: &Cell,
    row: u32,
    next_column: u32,
    cx: &Context<'_>,
) -> Result<(u32, u32), TabularError> {
    match &c.reference {
        Some(reference) => {
            parse_reference(reference.trim()).ok_or_else(|| TabularError::CellReference {
                sheet: cx.sheet.to_string(),
                reference: reference.clone(),
            })
        }
        None if row == 0 => Err(TabularError::CellReference {
            sheet: cx.sheet.to_string(),
            reference: String::new(),
        }),
        None => Ok((next_column, row)),
    }
}

/// A cell's text by its type: shared and inline strings as written, booleans as `TRUE`/`FALSE`
/// (as a spreadsheet shows them), numbers exactly as stored (`0.015` stays `0.015`), except that
/// a number in a date-formatted cell becomes its date.
fn cell_text(c: &Cell, column: u32, row: u32, cx: &Context<'_>) -> Result<String, TabularError> {
    let name = || format!("{}{row}", column_letter(column as usize));
    Ok(match c.kind.as_deref() {
        Some("s") => {
            let index = c.value.trim();
            index
                .parse::<usize>()
                .ok()
                .and_then(|i| cx.shared.get(i))
                .cloned()
                .ok_or_else(|| TabularError::SharedString {
                    sheet: cx.sheet.to_string(),
                    cell: name(),
                    index: index.to_string(),
                })?
        }
        Some("inlineStr") => {
            let raw: &str = if c.has_inline { &c.inline } else { &c.value };
            decode_escapes(raw).into_owned()
        }
        Some("str") => decode_escapes(&c.value).into_owned(),
        Some("b") => match c.value.trim() {
            "1" => "TRUE".into(),
            "0" => "FALSE".into(),
            other => other.to_string(),
        },
        Some("e") => {
            let value = c.value.trim();
            if value.is_empty() {
                return Ok(String::new());
            }
            return Err(TabularError::ErrorCell {
                sheet: cx.sheet.to_string(),
                cell: name(),
                row,
                column: column_letter(column as usize),
                value: value.to_string(),
            });
        }
        Some("d") => iso_text(&c.value),
        _ => {
            let number = c.value.trim();
            let date = if cx.styles.is_date(c.style) && !number.is_empty() {
                serial_text(number, cx.date1904).map(Cow::Owned)
            } else {
                None
            };
            date.unwrap_or(Cow::Borrowed(number)).into_owned()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::parse_reference;

    #[test]
    fn references() {
        assert_eq!(parse_reference("A1"), Some((0, 1)));
        assert_eq!(parse_reference("C5"), Some((2, 5)));
        assert_eq!(parse_reference("Z10"), Some((25, 10)));
        assert_eq!(parse_reference("AA1"), Some((26, 1)));
        assert_eq!(parse_reference("XFD1048576"), Some((16383, 1_048_576)));
        assert_eq!(parse_reference("b2"), Some((1, 2)));
        for bad in ["", "A", "1", "A0", "A1B", "ABCD1", "A-1", "Ä1", "A12345678"] {
            assert_eq!(parse_reference(bad), None, "{bad}");
        }
    }
}
