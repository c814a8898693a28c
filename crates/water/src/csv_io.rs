//! The `water classify` CSV contract: a transactional reader and the writer.
//!
//! Input columns: `id`, `water_body` (`river` or `lake`) and any of the item
//! codes of [`Item`] (empty cell = not measured). Output columns: `id`,
//! `class`, `status`, `class_<item>` per input item (input order), `exceed`,
//! `main_pollutants`.
//!
//! How TN and fecal coliform show up: both are reported apart (22号), so they
//! get their own `class_TN` / `class_FC` column but never move `class`, never
//! appear in `exceed` and are never main pollutants. River TN has no standard,
//! so `class_TN` is empty for rivers. `exceed` lists, in Table 1 order, the
//! class-setting items above Class III with their 超标倍数; pH and DO have no
//! multiple and so never appear there (they can still be main pollutants).

use std::io::{Read, Write};

use crate::assess::{AssessOptions, Assessment, Sample, assess};
use crate::error::{CellProblem, HeaderProblem, WaterError};
use crate::exact::{Exact, ParseExactError};
use crate::standard::{Item, WaterBody};

/// One data row of the classify input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputRow {
    /// Row number as a spreadsheet shows it (header = row 1).
    pub row: u64,
    /// The `id` cell.
    pub id: String,
    /// The measured values.
    pub sample: Sample,
}

/// A fully validated classify input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClassifyInput {
    /// Item columns in input order.
    pub items: Vec<Item>,
    /// Data rows in input order.
    pub rows: Vec<InputRow>,
}

/// Options for [`classify_csv`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClassifyOptions {
    /// Evaluation policy.
    pub assess: AssessOptions,
    /// Decimals of the multiples in `exceed` (half to even; a non-zero
    /// multiple that would print as zero keeps one significant figure).
    pub multiple_decimals: u32,
}

impl Default for ClassifyOptions {
    fn default() -> Self {
        ClassifyOptions {
            assess: AssessOptions::default(),
            multiple_decimals: 2,
        }
    }
}

enum Column {
    Id,
    WaterBody,
    Item(Item),
}

fn malformed(err: &csv::Error) -> WaterError {
    WaterError::MalformedCsv {
        row: err.position().map_or(0, |p| p.line()),
        message: match err.kind() {
            csv::ErrorKind::UnequalLengths {
                expected_len, len, ..
            } => format!("expected {expected_len} fields, found {len}"),
            _ => err.to_string(),
        },
    }
}

/// The blank lines at `bytes[start..]`, which the CSV reader skips and counts into the record
/// after them: `\r\n`, `\n` and `\r` each end one, and a `\n` right after a `\r` is the rest
/// of the line end before it (the reader stops between the two). `previous` is the byte before
/// `start`, if any.
fn blank_lines(bytes: &[u8], mut previous: Option<u8>) -> u64 {
    let mut n = 0;
    for &b in bytes {
        match b {
            b'\r' => n += 1,
            b'\n' if previous != Some(b'\r') => n += 1,
            b'\n' => {}
            _ => break,
        }
        previous = Some(b);
    }
    n
}

/// A run of line-end bytes (`\r`, `\n`) seen in the input, from byte `start`.
struct LineEndRun {
    start: u64,
    bytes: Vec<u8>,
}

/// The input as the CSV reader reads it, keeping the runs of line-end bytes it has not yet
/// asked about: the reader's own line count is off after CRLF line ends and blank lines, and
/// the rows must be numbered as a spreadsheet shows them without holding the whole input.
/// Runs are dropped once the rows after them are numbered, so what is kept is bounded by
/// what the reader buffers ahead plus the longest stretch of blank lines.
struct LineEndTap<R> {
    inner: R,
    position: u64,
    runs: std::collections::VecDeque<LineEndRun>,
}

impl<R: Read> Read for LineEndTap<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for (i, &b) in buf.get(..n).unwrap_or_default().iter().enumerate() {
            if b != b'\r' && b != b'\n' {
                continue;
            }
            let at = self.position + i as u64;
            match self.runs.back_mut() {
                Some(run) if run.start + run.bytes.len() as u64 == at => run.bytes.push(b),
                _ => self.runs.push_back(LineEndRun {
                    start: at,
                    bytes: vec![b],
                }),
            }
        }
        self.position += n as u64;
        Ok(n)
    }
}

impl<R> LineEndTap<R> {
    /// The line ends from byte `at` to the end of the run of line-end bytes holding it (0 if
    /// `at` is in none); forgets the runs before `at`.
    fn blank_lines_at(&mut self, at: u64) -> u64 {
        while self
            .runs
            .front()
            .is_some_and(|r| r.start + r.bytes.len() as u64 <= at)
        {
            self.runs.pop_front();
        }
        match self.runs.front() {
            Some(run) if run.start <= at => {
                let offset = (at - run.start) as usize;
                let previous = offset
                    .checked_sub(1)
                    .and_then(|i| run.bytes.get(i))
                    .copied();
                blank_lines(run.bytes.get(offset..).unwrap_or_default(), previous)
            }
            _ => 0,
        }
    }
}

/// The classify input read row by row: the header is checked when it is opened, each row
/// when it is reached, and nothing but the current row is kept.
pub struct ClassifyReader<R: Read> {
    rdr: csv::Reader<LineEndTap<R>>,
    headers: csv::StringRecord,
    columns: Vec<Column>,
    items: Vec<Item>,
    row: u64,
    record: csv::StringRecord,
}

impl<R: Read> ClassifyReader<R> {
    /// Opens the input and checks its header.
    pub fn new(reader: R) -> Result<ClassifyReader<R>, WaterError> {
        let tap = LineEndTap {
            inner: reader,
            position: 0,
            runs: std::collections::VecDeque::new(),
        };
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(true)
            .trim(csv::Trim::All)
            .buffer_capacity(64 * 1024)
            .from_reader(tap);
        let headers = rdr.headers().map_err(|e| malformed(&e))?.clone();
        let mut columns = Vec::with_capacity(headers.len());
        let mut items = Vec::new();
        let (mut has_id, mut has_body) = (false, false);
        for (i, raw) in headers.iter().enumerate() {
            // Spreadsheet exports often start with a UTF-8 byte-order mark.
            let name = raw.trim_start_matches('\u{feff}').trim();
            let header_err = |problem| WaterError::Header {
                column_index: i + 1,
                column: name.to_string(),
                problem,
            };
            let col = if name.eq_ignore_ascii_case("id") {
                if has_id {
                    return Err(header_err(HeaderProblem::Duplicate));
                }
                has_id = true;
                Column::Id
            } else if name.eq_ignore_ascii_case("water_body") {
                if has_body {
                    return Err(header_err(HeaderProblem::Duplicate));
                }
                has_body = true;
                Column::WaterBody
            } else if let Some(item) = Item::from_code(name) {
                if items.contains(&item) {
                    return Err(header_err(HeaderProblem::Duplicate));
                }
                items.push(item);
                Column::Item(item)
            } else {
                let accepted = Item::ALL.map(Item::code).join(", ");
                return Err(header_err(HeaderProblem::Unknown { accepted }));
            };
            columns.push(col);
        }
        if !has_id {
            return Err(WaterError::MissingColumn("id"));
        }
        if !has_body {
            return Err(WaterError::MissingColumn("water_body"));
        }
        let row = 1 + rdr.get_mut().blank_lines_at(0);
        Ok(ClassifyReader {
            rdr,
            headers,
            columns,
            items,
            row,
            record: csv::StringRecord::new(),
        })
    }

    /// Item columns in input order.
    pub fn items(&self) -> &[Item] {
        &self.items
    }

    /// The next data row, checked; `None` at the end of the input. Rows of only empty cells
    /// are skipped (their numbers still count).
    pub fn next_row(&mut self) -> Result<Option<InputRow>, WaterError> {
        loop {
            if !self
                .rdr
                .read_record(&mut self.record)
                .map_err(|e| malformed(&e))?
            {
                return Ok(None);
            }
            let start = self.record.position().map_or(0, |p| p.byte());
            self.row += 1 + self.rdr.get_mut().blank_lines_at(start);
            // A row of only empty cells (what a spreadsheet leaves as `,,,`) is no sample;
            // rows after it keep their numbers.
            if self.record.iter().all(str::is_empty) {
                continue;
            }
            return self.check_row().map(Some);
        }
    }

    fn check_row(&self) -> Result<InputRow, WaterError> {
        let row = self.row;
        let mut id = None;
        let mut body = None;
        let mut values = Vec::new();
        for (i, (cell, col)) in self.record.iter().zip(&self.columns).enumerate() {
            let cell_err = |problem| WaterError::Cell {
                row,
                column_index: i + 1,
                column: self
                    .headers
                    .get(i)
                    .unwrap_or_default()
                    .trim_start_matches('\u{feff}')
                    .to_string(),
                problem,
            };
            match col {
                Column::Id => {
                    if cell.is_empty() {
                        return Err(cell_err(CellProblem::EmptyId));
                    }
                    id = Some(cell.to_string());
                }
                Column::WaterBody => {
                    body = Some(WaterBody::from_code(cell).ok_or_else(|| {
                        cell_err(CellProblem::UnknownWaterBody(cell.to_string()))
                    })?);
                }
                Column::Item(item) => {
                    if cell.is_empty() {
                        continue;
                    }
                    let v = Exact::parse(cell).map_err(|e| {
                        cell_err(match e {
                            ParseExactError::Syntax(t) => CellProblem::NotANumber(t),
                            ParseExactError::Empty => CellProblem::NotANumber(String::new()),
                            other => CellProblem::OutOfRange(other.to_string()),
                        })
                    })?;
                    if v.is_negative() {
                        return Err(cell_err(CellProblem::Negative(cell.to_string())));
                    }
                    values.push((*item, v));
                }
            }
        }
        // Both are present because the header had them and csv refuses ragged rows.
        let (Some(id), Some(water_body)) = (id, body) else {
            return Err(WaterError::MalformedCsv {
                row,
                message: "row is missing id or water_body".to_string(),
            });
        };
        let sample = Sample {
            water_body,
            values: values.into_iter().collect(),
        };
        Ok(InputRow { row, id, sample })
    }
}

/// Reads and validates the whole input; on any error nothing is returned.
///
/// Rows are numbered as a spreadsheet shows them: one per record, blank lines included (the
/// CSV reader's own line count is off after CRLF line ends and blank lines), header = row 1.
pub fn read_classify_csv<R: Read>(reader: R) -> Result<ClassifyInput, WaterError> {
    let mut rdr = ClassifyReader::new(reader)?;
    let mut rows = Vec::new();
    while let Some(r) = rdr.next_row()? {
        rows.push(r);
    }
    Ok(ClassifyInput {
        items: rdr.items,
        rows,
    })
}

/// Formats a multiple for the `exceed` column.
pub fn format_multiple(multiple: Exact, decimals: u32) -> Result<String, WaterError> {
    multiple
        .round_keep_significant(decimals)
        .and_then(|r| {
            let places = r
                .to_decimal_string()?
                .split_once('.')
                .map_or(0, |(_, f)| f.len());
            r.to_fixed(decimals.max(places as u32))
        })
        .ok_or(WaterError::Overflow("formatting a multiple"))
}

fn write_err(e: csv::Error) -> WaterError {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => WaterError::Io(io),
        other => WaterError::MalformedCsv {
            row: 0,
            message: format!("{other:?}"),
        },
    }
}

/// The classify output's header for `items`.
fn write_header<W: Write>(w: &mut csv::Writer<W>, items: &[Item]) -> Result<(), WaterError> {
    let mut header = vec!["id".to_string(), "class".into(), "status".into()];
    header.extend(items.iter().map(|i| format!("class_{}", i.code())));
    header.extend(["exceed".to_string(), "main_pollutants".to_string()]);
    w.write_record(&header).map_err(write_err)
}

/// One output row: `id`'s assessment `a` over the input's `items`.
fn write_row<W: Write>(
    w: &mut csv::Writer<W>,
    items: &[Item],
    id: &str,
    a: &Assessment,
    multiple_decimals: u32,
) -> Result<(), WaterError> {
    w.write_field(id).map_err(write_err)?;
    w.write_field(a.class.map_or("", |c| c.as_str()))
        .map_err(write_err)?;
    w.write_field(a.status.map_or("", |s| s.as_str()))
        .map_err(write_err)?;
    for item in items {
        let class = a.item(*item).and_then(|r| r.class);
        w.write_field(class.map_or("", |c| c.as_str()))
            .map_err(write_err)?;
    }
    let mut exceed = String::new();
    for (k, (item, m)) in a.exceedances.iter().enumerate() {
        if k > 0 {
            exceed.push(';');
        }
        exceed.push_str(item.code());
        exceed.push(':');
        exceed.push_str(&format_multiple(*m, multiple_decimals)?);
    }
    w.write_field(&exceed).map_err(write_err)?;
    let mut main = String::new();
    for (k, m) in a.main_pollutants.iter().enumerate() {
        if k > 0 {
            main.push(';');
        }
        main.push_str(m.item.code());
    }
    w.write_field(&main).map_err(write_err)?;
    w.write_record(None::<&[u8]>).map_err(write_err)
}

/// Writes the classify output for already assessed rows.
pub fn write_classify_csv<W: Write>(
    input: &ClassifyInput,
    results: &[Assessment],
    out: W,
    multiple_decimals: u32,
) -> Result<(), WaterError> {
    let mut w = csv::Writer::from_writer(out);
    write_header(&mut w, &input.items)?;
    for (row, a) in input.rows.iter().zip(results) {
        write_row(&mut w, &input.items, &row.id, a, multiple_decimals)?;
    }
    w.flush()?;
    Ok(())
}

/// Reads the whole input, classifies every row, then writes the output.
///
/// Transactional: any input error is returned before a single byte is
/// written (the output is gathered in memory first; [`classify_csv_streaming`] is the
/// row-by-row form for inputs of any size). Returns the number of data rows written.
pub fn classify_csv<R: Read, W: Write>(
    input: R,
    mut output: W,
    options: &ClassifyOptions,
) -> Result<usize, WaterError> {
    let mut out = Vec::new();
    let n = classify_csv_streaming(input, &mut out, options)?;
    output.write_all(&out)?;
    output.flush()?;
    Ok(n)
}

/// Row by row: reads one row, classifies it and writes its output row, keeping nothing else,
/// so memory does not grow with the input. Returns the number of data rows written.
///
/// Not transactional by itself: on an error the rows before the bad one are already in
/// `output`. A caller that must write nothing on a refused file (as `qingshan water classify`
/// does) gives it a spool and discards it on error.
pub fn classify_csv_streaming<R: Read, W: Write>(
    input: R,
    output: W,
    options: &ClassifyOptions,
) -> Result<usize, WaterError> {
    let mut rdr = ClassifyReader::new(input)?;
    let mut w = csv::WriterBuilder::new()
        .buffer_capacity(64 * 1024)
        .from_writer(output);
    write_header(&mut w, rdr.items())?;
    let mut n = 0;
    while let Some(row) = rdr.next_row()? {
        let a = assess(&row.sample, &options.assess)?;
        write_row(&mut w, rdr.items(), &row.id, &a, options.multiple_decimals)?;
        n += 1;
    }
    w.flush()?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn run(input: &str) -> Result<String, WaterError> {
        let mut out = Vec::new();
        let r = classify_csv(input.as_bytes(), &mut out, &ClassifyOptions::default());
        if r.is_err() {
            assert!(out.is_empty(), "output written despite an error");
        }
        r.map(|_| String::from_utf8(out).unwrap())
    }

    #[test]
    fn rows_of_empty_cells_are_skipped_and_counted() {
        let e = run("id,water_body,NH3N\na,river,1\n,,\n , ,\n\nb,river,-1\n").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NegativeValue);
        assert!(e.to_string().starts_with("row 6,"), "{e}");
        let out = run("id,water_body,NH3N\n,,\na,river,1\n,,\n").unwrap();
        assert_eq!(out.lines().count(), 2, "{out}");
        // As Excel saves it: CRLF line ends, a blank line, a cell over two lines.
        let e = run("id,water_body,NH3N\r\na,river,1\r\n\r\n\"b\r\nc\",river,1\r\nd,river,-1\r\n")
            .unwrap_err();
        assert!(e.to_string().starts_with("row 5,"), "{e}");
    }

    #[test]
    fn errors_name_row_and_column() {
        let e = run("id,water_body,NH3N,XYZ\na,river,1,2\n").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::UnknownColumn);
        assert!(
            e.to_string()
                .starts_with("row 1 (header), column 4 `XYZ`: unknown item"),
            "{e}"
        );

        let e = run("id,water_body,NH3N,TP\na,river,1,0.1\nb,river,-0.5,0.1\n").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NegativeValue);
        assert_eq!(
            e.to_string(),
            "row 3, column 3 `NH3N`: negative value `-0.5`"
        );

        let e = run("id,water_body,NH3N,TP\na,river,1,0.1\nb,river,1,n.d.\n").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotANumber);
        assert_eq!(
            e.to_string(),
            "row 3, column 4 `TP`: `n.d.` is not a number"
        );

        let e = run("id,water_body,TP\na,sea,0.1\n").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::UnknownWaterBody);
        assert_eq!(
            e.to_string(),
            "row 2, column 2 `water_body`: water body `sea` is neither `river` nor `lake`"
        );

        let e = run("id,water_body,TP\n,river,0.1\n").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::EmptyId);

        let e = run("id,TP\na,0.1\n").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::MissingColumn);
        assert_eq!(
            e.to_string(),
            "row 1 (header): missing required column `water_body`"
        );

        let e = run("id,water_body,TP,tp\n").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::DuplicateColumn);

        let e = run("id,water_body,TP\na,river,0.1\nb,river\n").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::MalformedCsv);
        assert_eq!(
            e.to_string(),
            "row 3: malformed CSV: expected 3 fields, found 2"
        );

        let e = run("id,water_body,Hg\na,river,0.0000000000000001\n").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::OutOfRange);
        assert!(e.to_string().starts_with("row 2, column 3 `Hg`: "));
    }

    #[test]
    fn accepts_bom_blanks_and_case() {
        let out = run("\u{feff}ID, Water_Body ,ph,nh3n\n a , River , 7 , 0.5 \n").unwrap();
        assert_eq!(
            out,
            "id,class,status,class_pH,class_NH3N,exceed,main_pollutants\na,II,优,I,II,,\n"
        );
    }

    #[test]
    fn header_only_gives_header_only() {
        let out = run("id,water_body,COD\n").unwrap();
        assert_eq!(out, "id,class,status,class_COD,exceed,main_pollutants\n");
    }

    #[test]
    fn unmeasured_row_has_no_class() {
        let out = run("id,water_body,COD,TN\nx,river,,3\n").unwrap();
        assert_eq!(
            out,
            "id,class,status,class_COD,class_TN,exceed,main_pollutants\nx,,,,,,\n"
        );
    }

    #[test]
    fn multiple_formatting() {
        let p = |s| Exact::parse(s).unwrap();
        assert_eq!(format_multiple(p("1.2"), 2).unwrap(), "1.20");
        assert_eq!(format_multiple(p("0.125"), 2).unwrap(), "0.12");
        assert_eq!(format_multiple(p("0.001"), 2).unwrap(), "0.001");
        assert_eq!(
            format_multiple(Exact::new(1, 3).unwrap(), 2).unwrap(),
            "0.33"
        );
        assert_eq!(
            format_multiple(Exact::new(1, 3000).unwrap(), 2).unwrap(),
            "0.0003"
        );
    }
}
