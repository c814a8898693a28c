//! The ZIP package and its relationships: which part is the workbook, which is its first
//! worksheet, and where the shared strings and styles are.

use std::collections::HashMap;
use std::io::{Cursor, Read};

use quick_xml::events::Event;
use zip::ZipArchive;

use crate::TabularError;
use crate::limits::{Limits, PREVIEW_CHARS, preview};

/// The most bytes a run of text (between markup) may take: a cell's characters, each written
/// as XML may write it (`&quot;` is 6 bytes, `&#x1F600;` 9), with room to spare. Nothing
/// legitimate in a workbook part comes near it.
pub(crate) fn run_cap(max_cell_chars: usize) -> usize {
    max_cell_chars.saturating_mul(10).max(4096)
}
use crate::xml::{self, attr};

/// An opened package.
pub(crate) struct Package<'a> {
    zip: ZipArchive<Cursor<&'a [u8]>>,
    /// Part names are case-insensitive in OPC, so they are looked up lower-cased.
    names: HashMap<String, usize>,
    /// The most bytes one part may inflate to.
    max_part_bytes: u64,
    /// The most characters of one cell, which bounds how long a run of text may be.
    max_cell_chars: usize,
}

impl<'a> Package<'a> {
    /// Opens the package's central directory, to read parts within `limits`.
    pub(crate) fn open(bytes: &'a [u8], limits: &Limits) -> Result<Self, TabularError> {
        let zip = ZipArchive::new(Cursor::new(bytes)).map_err(|e| TabularError::Zip {
            part: "ZIP".into(),
            message: e.to_string(),
        })?;
        let mut names = HashMap::new();
        for i in 0..zip.len() {
            if let Some(Ok(name)) = zip.name_for_index(i) {
                names.insert(name.trim_start_matches('/').to_ascii_lowercase(), i);
            }
        }
        Ok(Package {
            zip,
            names,
            max_part_bytes: limits.max_part_bytes,
            max_cell_chars: limits.max_cell_chars,
        })
    }

    /// A part's bytes, or `None` when the package has no such part.
    ///
    /// The part is inflated chunk by chunk, and refused as soon as it passes the part limit or
    /// holds a run of text (between `<` and `>`) longer than any cell may take in XML: one huge
    /// string, a bomb's usual payload, is refused after a few hundred kilobytes rather than
    /// inflated whole.
    pub(crate) fn read(&mut self, part: &str) -> Result<Option<Vec<u8>>, TabularError> {
        let Some(&index) = self.names.get(&part.to_ascii_lowercase()) else {
            return Ok(None);
        };
        let zip_error = |e: &dyn std::fmt::Display| TabularError::Zip {
            part: part.to_string(),
            message: e.to_string(),
        };
        let mut file = self.zip.by_index(index).map_err(|e| zip_error(&e))?;
        let limit = self.max_part_bytes;
        let too_large = || TabularError::PartTooLarge {
            part: part.to_string(),
            limit,
        };
        // The declared size may lie, so the read below is capped as well.
        if file.size() > limit {
            return Err(too_large());
        }
        let max_chars = self.max_cell_chars;
        let max_run = run_cap(max_chars);
        let mut out = Vec::with_capacity(file.size().min(1 << 20) as usize);
        let mut chunk = vec![0u8; 64 * 1024];
        // Where the current run of text began in `out`.
        let mut run_start = 0usize;
        loop {
            let n = match file.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(zip_error(&e)),
            };
            if (out.len() + n) as u64 > limit {
                return Err(too_large());
            }
            let from = out.len();
            out.extend_from_slice(chunk.get(..n).unwrap_or_default());
            if let Some(last) = out
                .get(from..)
                .and_then(|new| new.iter().rposition(|b| matches!(b, b'<' | b'>')))
            {
                // Runs that ended inside this chunk are checked by the gaps between markup.
                let mut previous = run_start;
                for (i, b) in out.iter().enumerate().skip(from).take(last + 1) {
                    if matches!(b, b'<' | b'>') {
                        if i - previous > max_run {
                            return Err(run_too_long(part, &out[previous..i], max_chars));
                        }
                        previous = i + 1;
                    }
                }
                run_start = from + last + 1;
            }
            if out.len() - run_start > max_run {
                return Err(run_too_long(part, &out[run_start..], max_chars));
            }
        }
        Ok(Some(out))
    }

    /// A part's bytes; a missing part is an error.
    pub(crate) fn require(&mut self, part: &str) -> Result<Vec<u8>, TabularError> {
        self.read(part)?
            .ok_or_else(|| TabularError::MissingPart(part.to_string()))
    }
}

/// The error for a run of text longer than any cell may take.
fn run_too_long(part: &str, run: &[u8], max_cell_chars: usize) -> TabularError {
    let head = run.get(..PREVIEW_CHARS * 4 + 4).unwrap_or(run);
    TabularError::CellTooLong {
        place: format!("XLSX 部件 {part} 中的一段文字"),
        limit: max_cell_chars,
        start: preview(&String::from_utf8_lossy(head)).into_owned(),
    }
}

/// One relationship of a part.
pub(crate) struct Relationship {
    /// `Id`.
    pub(crate) id: String,
    /// `Type`, a URI whose last segment says what the target is.
    pub(crate) kind: String,
    /// The target part's name, resolved against the source part.
    pub(crate) target: String,
}

impl Relationship {
    /// Whether the type's last segment is `suffix` (transitional and strict URIs differ before it).
    pub(crate) fn is(&self, suffix: &str) -> bool {
        self.kind.rsplit('/').next() == Some(suffix)
    }
}

/// The relationships part of `source` (`xl/workbook.xml` → `xl/_rels/workbook.xml.rels`).
pub(crate) fn rels_part(source: &str) -> String {
    match source.rsplit_once('/') {
        Some((dir, name)) => format!("{dir}/_rels/{name}.rels"),
        None => format!("_rels/{source}.rels"),
    }
}

/// Resolves a relationship target against the directory of its source part.
fn resolve(source: &str, target: &str) -> String {
    let mut segments: Vec<&str> = if let Some(absolute) = target.strip_prefix('/') {
        absolute.split('/').collect()
    } else {
        let dir = source.rsplit_once('/').map_or("", |(d, _)| d);
        dir.split('/').chain(target.split('/')).collect()
    };
    let mut out: Vec<&str> = Vec::with_capacity(segments.len());
    for s in segments.drain(..) {
        match s {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    out.join("/")
}

/// Reads the relationships of `source`; a package without that part has none.
pub(crate) fn relationships(
    pkg: &mut Package<'_>,
    source: &str,
) -> Result<Vec<Relationship>, TabularError> {
    let part = rels_part(source);
    let Some(bytes) = pkg.read(&part)? else {
        return Ok(Vec::new());
    };
    let text = xml::utf8(&bytes, &part)?;
    let mut r = xml::reader(text);
    let mut out = Vec::new();
    loop {
        match r.read_event().map_err(|e| xml::error(&part, &r, e))? {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "Relationship" => {
                let external = attr(&e, "TargetMode", &part, &r)?.as_deref() == Some("External");
                let (Some(id), Some(kind), Some(target)) = (
                    attr(&e, "Id", &part, &r)?,
                    attr(&e, "Type", &part, &r)?,
                    attr(&e, "Target", &part, &r)?,
                ) else {
                    continue;
                };
                if !external {
                    out.push(Relationship {
                        id,
                        kind,
                        target: resolve(source, &target),
                    });
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(out)
}

/// What the workbook part says about its sheets.
pub(crate) struct Workbook {
    /// The first worksheet's name.
    pub(crate) sheet_name: String,
    /// The first worksheet's part.
    pub(crate) sheet_part: String,
    /// The shared-string table's part, if any.
    pub(crate) shared_strings: Option<String>,
    /// The styles part, if any.
    pub(crate) styles: Option<String>,
    /// Serials count from 1904-01-01 (old Mac workbooks) instead of 1900-01-01.
    pub(crate) date1904: bool,
}

/// Finds the workbook part and its first worksheet.
///
/// "First" is the first tab: the first visible worksheet in the workbook's `<sheets>` order
/// (chart and macro sheets are skipped; hidden sheets are skipped because the person filling
/// in the file never sees them), or the first worksheet at all if every one is hidden.
pub(crate) fn workbook(pkg: &mut Package<'_>) -> Result<Workbook, TabularError> {
    let main = relationships(pkg, "")?
        .into_iter()
        .find(|r| r.is("officeDocument"))
        .map_or_else(|| "xl/workbook.xml".to_string(), |r| r.target);
    let bytes = pkg.require(&main)?;
    let text = xml::utf8(&bytes, &main)?;
    let mut r = xml::reader(text);
    let mut sheets: Vec<(String, String, bool)> = Vec::new();
    let mut date1904 = false;
    loop {
        match r.read_event().map_err(|e| xml::error(&main, &r, e))? {
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                "workbookPr" => {
                    date1904 = matches!(
                        attr(&e, "date1904", &main, &r)?.as_deref(),
                        Some("1" | "true")
                    );
                }
                "sheet" => {
                    let name = attr(&e, "name", &main, &r)?.unwrap_or_default();
                    let hidden = attr(&e, "state", &main, &r)?
                        .is_some_and(|s| s == "hidden" || s == "veryHidden");
                    if let Some(id) = attr(&e, "id", &main, &r)? {
                        sheets.push((name, id, hidden));
                    }
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    let rels = relationships(pkg, &main)?;
    let find = |suffix: &str| {
        rels.iter()
            .find(|rel| rel.is(suffix))
            .map(|rel| rel.target.clone())
    };
    let worksheets: Vec<(&String, &Relationship, bool)> = sheets
        .iter()
        .filter_map(|(name, id, hidden)| {
            rels.iter()
                .find(|rel| &rel.id == id && rel.is("worksheet"))
                .map(|rel| (name, rel, *hidden))
        })
        .collect();
    let Some((name, rel, _)) = worksheets
        .iter()
        .find(|(_, _, hidden)| !hidden)
        .or_else(|| worksheets.first())
    else {
        return Err(TabularError::NoWorksheet);
    };
    Ok(Workbook {
        sheet_name: (*name).clone(),
        sheet_part: rel.target.clone(),
        shared_strings: find("sharedStrings"),
        styles: find("styles"),
        date1904,
    })
}

#[cfg(test)]
mod tests {
    use super::{rels_part, resolve};

    #[test]
    fn targets_resolve_against_the_source() {
        assert_eq!(
            resolve("xl/workbook.xml", "worksheets/sheet1.xml"),
            "xl/worksheets/sheet1.xml"
        );
        assert_eq!(
            resolve("xl/workbook.xml", "/xl/worksheets/a.xml"),
            "xl/worksheets/a.xml"
        );
        assert_eq!(
            resolve("xl/workbook.xml", "../customXml/item1.xml"),
            "customXml/item1.xml"
        );
        assert_eq!(resolve("", "xl/workbook.xml"), "xl/workbook.xml");
        assert_eq!(rels_part("xl/workbook.xml"), "xl/_rels/workbook.xml.rels");
        assert_eq!(rels_part(""), "_rels/.rels");
    }
}
