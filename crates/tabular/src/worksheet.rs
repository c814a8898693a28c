//! The shared-string table and a worksheet's `sheetData`: cells to text, placed by reference.

use std::borrow::Cow;

use quick_xml::events::Event;

use crate::limits::{Limits, PREVIEW_CHARS, bytes_text, preview};
use crate::styles::{Styles, iso_text, serial_text};
use crate::xml::{self, attr, decode_escapes, push_reference};
use crate::{TabularError, column_letter};

/// The shared-string table, held as one text with the end of each string, so that a table of
/// many short strings costs a few bytes per string rather than a `String` each.
#[derive(Debug, Default)]
pub(crate) struct SharedStrings {
    text: String,
    ends: Vec<usize>,
}

impl SharedStrings {
    /// The `i`-th string.
    pub(crate) fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)?;
        let start = match i.checked_sub(1) {
            Some(p) => *self.ends.get(p)?,
            None => 0,
        };
        self.text.get(start..end)
    }
}

/// The most raw bytes a cell's text may take in the XML before it is decoded: a character may
/// take up to 8 (`&#x1F600;` is 9, but is then not one `Text` event); a generous bound that
/// stops a runaway cell long before it costs memory, the exact check being in characters.
fn raw_cap(limits: &Limits) -> usize {
    limits.max_cell_chars.saturating_mul(8)
}

/// The error for a cell (or shared string) over the character limit.
fn too_long(place: String, text: &str, limits: &Limits) -> TabularError {
    TabularError::CellTooLong {
        place,
        limit: limits.max_cell_chars,
        start: preview(text).into_owned(),
    }
}

/// Appends `chunk` to a cell's text unless that would take it past [`raw_cap`].
fn push_capped(
    out: &mut String,
    chunk: &str,
    decode: impl FnOnce() -> String,
    limits: &Limits,
    place: impl FnOnce() -> String,
) -> Result<(), TabularError> {
    if out.len().saturating_add(chunk.len()) > raw_cap(limits) {
        let mut sample = std::mem::take(out);
        if sample.chars().count() <= PREVIEW_CHARS {
            sample.extend(chunk.chars().take(PREVIEW_CHARS + 1));
        }
        return Err(too_long(place(), &sample, limits));
    }
    out.push_str(&decode());
    Ok(())
}

/// Reads `xl/sharedStrings.xml`: each `<si>` is the text of its `<t>` elements, whether one
/// plain `<t>` or rich-text runs `<r><t>`; phonetic guides (`<rPh>`) are not part of the text.
///
/// The table is read against the budget: no string over the cell limit, no more strings than
/// cells, no more text than all cells together may hold. A string is refused as soon as it
/// passes the limit, before the rest of it is collected.
pub(crate) fn shared_strings(
    text: &str,
    part: &str,
    sheet: &str,
    limits: &Limits,
) -> Result<SharedStrings, TabularError> {
    let mut r = xml::reader(text);
    let mut out = SharedStrings::default();
    let mut current = String::new();
    let (mut in_si, mut in_t, mut phonetic) = (false, false, 0u32);
    let too_large = |what: String| TabularError::SheetTooLarge {
        sheet: sheet.to_string(),
        what,
    };
    let place = |n: usize| format!("XLSX 共享字符串表第 {} 项", n + 1);
    loop {
        let event = r.read_event().map_err(|e| xml::error(part, &r, e))?;
        let finished = match event {
            Event::Start(e) => {
                match e.local_name().as_ref() {
                    "si" => {
                        in_si = true;
                        current.clear();
                    }
                    "t" => in_t = in_si,
                    "rPh" => phonetic += 1,
                    _ => {}
                }
                false
            }
            Event::Empty(e) => e.local_name().as_ref() == "si",
            Event::End(e) => match e.local_name().as_ref() {
                "si" => {
                    in_si = false;
                    true
                }
                "t" => {
                    in_t = false;
                    false
                }
                "rPh" => {
                    phonetic = phonetic.saturating_sub(1);
                    false
                }
                _ => false,
            },
            Event::Text(t) if in_t && phonetic == 0 => {
                let n = out.ends.len();
                push_capped(
                    &mut current,
                    &t,
                    || t.xml10_content().into_owned(),
                    limits,
                    || place(n),
                )?;
                false
            }
            Event::CData(t) if in_t && phonetic == 0 => {
                let n = out.ends.len();
                push_capped(
                    &mut current,
                    &t,
                    || t.xml10_content().into_owned(),
                    limits,
                    || place(n),
                )?;
                false
            }
            Event::GeneralRef(g) if in_t && phonetic == 0 => {
                push_reference(&mut current, &g, part, &r)?;
                false
            }
            Event::Eof => break,
            _ => false,
        };
        if finished {
            let n = out.ends.len();
            if n >= limits.max_cells {
                return Err(too_large(format!(
                    "共享字符串超过 {} 个的上限",
                    limits.max_cells
                )));
            }
            let decoded = decode_escapes(&current);
            if decoded.chars().count() > limits.max_cell_chars {
                return Err(too_long(place(n), &decoded, limits));
            }
            if (out.text.len() + decoded.len()) as u64 > limits.max_text_bytes {
                return Err(too_large(format!(
                    "共享字符串合计超过上限 {}",
                    bytes_text(limits.max_text_bytes)
                )));
            }
            out.text.push_str(&decoded);
            out.ends.push(out.text.len());
            current.clear();
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
    pub(crate) shared: &'a SharedStrings,
    /// Which cell formats show dates.
    pub(crate) styles: &'a Styles,
    /// Whether serials count from 1904.
    pub(crate) date1904: bool,
    /// The budget.
    pub(crate) limits: &'a Limits,
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

/// Dense rows being filled, with the cells allocated so far (gaps included) and their text
/// counted against the budget before anything is allocated.
struct Grid<'a> {
    rows: Vec<Vec<String>>,
    allocated: usize,
    text_bytes: u64,
    sheet: &'a str,
    limits: &'a Limits,
}

impl Grid<'_> {
    fn too_large(&self, what: String) -> TabularError {
        TabularError::SheetTooLarge {
            sheet: self.sheet.to_string(),
            what,
        }
    }

    fn place(&mut self, row: u32, column: u32, text: String) -> Result<(), TabularError> {
        let (max_rows, max_columns) = (self.limits.max_rows, self.limits.max_columns);
        if row > max_rows {
            return Err(self.too_large(format!("第 {row} 行超过 {max_rows} 行的上限")));
        }
        if column >= max_columns {
            return Err(self.too_large(format!(
                "{} 列超过 {max_columns} 列的上限",
                column_letter(column as usize)
            )));
        }
        self.text_bytes += text.len() as u64;
        if self.text_bytes > self.limits.max_text_bytes {
            // The cell where the budget ran out is named: with shared strings, that is where
            // the expansion happened.
            return Err(self.too_large(format!(
                "单元格文字合计超过上限 {}（读到 {}{row} 单元格时）",
                bytes_text(self.limits.max_text_bytes),
                column_letter(column as usize)
            )));
        }
        let (r, c) = (row as usize - 1, column as usize);
        let new_rows = (r + 1).saturating_sub(self.rows.len());
        let width = self.rows.get(r).map_or(0, Vec::len);
        let new_cells = (c + 1).saturating_sub(width);
        self.allocated += new_rows + new_cells;
        if self.allocated > self.limits.max_cells {
            return Err(
                self.too_large(format!("单元格（含空白）超过 {} 个", self.limits.max_cells))
            );
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
        text_bytes: 0,
        sheet: cx.sheet,
        limits: cx.limits,
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
                                        reference: preview(&v).into_owned(),
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
                        if text.chars().count() > cx.limits.max_cell_chars {
                            return Err(too_long(cell_place(column, at_row, cx), &text, cx.limits));
                        }
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
                    let decode = || t.xml10_content().into_owned();
                    if in_v {
                        push_capped(&mut c.value, t, decode, cx.limits, || {
                            pending_place(c.reference.as_deref(), row, next_column, cx)
                        })?;
                    } else if in_is_t && phonetic == 0 {
                        push_capped(&mut c.inline, t, decode, cx.limits, || {
                            pending_place(c.reference.as_deref(), row, next_column, cx)
                        })?;
                    }
                }
            }
            Event::CData(ref t) => {
                if let Some(c) = cell.as_mut() {
                    let decode = || t.xml10_content().into_owned();
                    if in_v {
                        push_capped(&mut c.value, t, decode, cx.limits, || {
                            pending_place(c.reference.as_deref(), row, next_column, cx)
                        })?;
                    } else if in_is_t && phonetic == 0 {
                        push_capped(&mut c.inline, t, decode, cx.limits, || {
                            pending_place(c.reference.as_deref(), row, next_column, cx)
                        })?;
                    }
                }
            }
            Event::GeneralRef(ref g) => {
                if let Some(c) = cell.as_mut() {
                    // One character each: the raw cap is only reached through many of them.
                    let cap = raw_cap(cx.limits);
                    let target = if in_v {
                        Some(&mut c.value)
                    } else if in_is_t && phonetic == 0 {
                        Some(&mut c.inline)
                    } else {
                        None
                    };
                    if let Some(target) = target {
                        if target.len() >= cap {
                            let text = std::mem::take(target);
                            let place = pending_place(c.reference.as_deref(), row, next_column, cx);
                            return Err(too_long(place, &text, cx.limits));
                        }
                        push_reference(target, g, part, &r)?;
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(grid.rows)
}

/// A cell as messages name it: `工作表「数据」B5 单元格`.
fn cell_place(column: u32, row: u32, cx: &Context<'_>) -> String {
    format!(
        "工作表「{}」{}{row} 单元格",
        cx.sheet,
        column_letter(column as usize)
    )
}

/// The cell being read, as messages name it, before its text is complete.
fn pending_place(reference: Option<&str>, row: u32, next_column: u32, cx: &Context<'_>) -> String {
    match reference.map(str::trim).and_then(parse_reference) {
        Some((column, at_row)) => cell_place(column, at_row, cx),
        None if reference.is_none() && row > 0 => cell_place(next_column, row, cx),
        None => format!("工作表「{}」中的单元格", cx.sheet),
    }
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
                reference: preview(reference).into_owned(),
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
                .map(str::to_string)
                .ok_or_else(|| TabularError::SharedString {
                    sheet: cx.sheet.to_string(),
                    cell: name(),
                    index: preview(index).into_owned(),
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
                value: preview(value).into_owned(),
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
