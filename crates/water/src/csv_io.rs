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
/// of the line end before it (the reader stops between the two).
fn blank_lines(bytes: &[u8], start: usize) -> u64 {
    let mut previous = start.checked_sub(1).and_then(|i| bytes.get(i)).copied();
    let mut n = 0;
    for &b in bytes.get(start..).unwrap_or_default() {
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

/// Reads and validates the whole input; on any error nothing is returned.
///
/// Rows are numbered as a spreadsheet shows them: one per record, blank lines included (the
/// CSV reader's own line count is off after CRLF line ends and blank lines), header = row 1.
pub fn read_classify_csv<R: Read>(mut reader: R) -> Result<ClassifyInput, WaterError> {
    let mut input = Vec::new();
    reader.read_to_end(&mut input)?;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(input.as_slice());
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
    let mut rows = Vec::new();
    let mut row = 1 + blank_lines(&input, 0);
    for record in rdr.records() {
        let record = record.map_err(|e| malformed(&e))?;
        let start = record.position().map_or(0, |p| p.byte() as usize);
        row += 1 + blank_lines(&input, start);
        // A row of only empty cells (what a spreadsheet leaves as `,,,`) is no sample; rows
        // after it keep their numbers.
        if record.iter().all(str::is_empty) {
            continue;
        }
        let mut id = None;
        let mut body = None;
        let mut values = Vec::new();
        for (i, (cell, col)) in record.iter().zip(&columns).enumerate() {
            let cell_err = |problem| WaterError::Cell {
                row,
                column_index: i + 1,
                column: headers
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
        rows.push(InputRow { row, id, sample });
    }
    Ok(ClassifyInput { items, rows })
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

/// Writes the classify output for already assessed rows.
pub fn write_classify_csv<W: Write>(
    input: &ClassifyInput,
    results: &[Assessment],
    out: W,
    multiple_decimals: u32,
) -> Result<(), WaterError> {
    let mut w = csv::Writer::from_writer(out);
    let write_err = |e: csv::Error| match e.into_kind() {
        csv::ErrorKind::Io(io) => WaterError::Io(io),
        other => WaterError::MalformedCsv {
            row: 0,
            message: format!("{other:?}"),
        },
    };
    let mut header = vec!["id".to_string(), "class".into(), "status".into()];
    header.extend(input.items.iter().map(|i| format!("class_{}", i.code())));
    header.extend(["exceed".to_string(), "main_pollutants".to_string()]);
    w.write_record(&header).map_err(write_err)?;
    for (row, a) in input.rows.iter().zip(results) {
        let mut rec = vec![
            row.id.clone(),
            a.class.map_or("", |c| c.as_str()).to_string(),
            a.status.map_or("", |s| s.as_str()).to_string(),
        ];
        for item in &input.items {
            let class = a.item(*item).and_then(|r| r.class);
            rec.push(class.map_or("", |c| c.as_str()).to_string());
        }
        let mut exceed = Vec::with_capacity(a.exceedances.len());
        for (item, m) in &a.exceedances {
            exceed.push(format!(
                "{}:{}",
                item.code(),
                format_multiple(*m, multiple_decimals)?
            ));
        }
        rec.push(exceed.join(";"));
        rec.push(
            a.main_pollutants
                .iter()
                .map(|m| m.item.code())
                .collect::<Vec<_>>()
                .join(";"),
        );
        w.write_record(&rec).map_err(write_err)?;
    }
    w.flush()?;
    Ok(())
}

/// Reads the whole input, classifies every row, then writes the output.
///
/// Transactional: any input error is returned before a single byte is
/// written. Returns the number of data rows written.
pub fn classify_csv<R: Read, W: Write>(
    input: R,
    output: W,
    options: &ClassifyOptions,
) -> Result<usize, WaterError> {
    let parsed = read_classify_csv(input)?;
    let results = parsed
        .rows
        .iter()
        .map(|r| assess(&r.sample, &options.assess))
        .collect::<Result<Vec<_>, _>>()?;
    write_classify_csv(&parsed, &results, output, options.multiple_decimals)?;
    Ok(parsed.rows.len())
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
