//! Arbitrary bytes as an XLSX workbook: no panic, and a sheet that reads renders as CSV with a
//! record per row. The bytes are tried twice: as the whole file, and (split at 0xFF) as the
//! worksheet, shared strings and styles of a well-formed package, since mutated ZIP data rarely
//! gets past the checksums to the XML readers.
#![no_main]

use std::io::Write;

use libfuzzer_sys::fuzz_target;
use zip::write::SimpleFileOptions;

const RELS: &str = r#"<Relationships><Relationship Id="a" Type="x/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
const WORKBOOK: &str = r#"<workbook><sheets><sheet name="s" r:id="b"/></sheets></workbook>"#;
const WORKBOOK_RELS: &str = r#"<Relationships><Relationship Id="b" Type="x/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="c" Type="x/sharedStrings" Target="sharedStrings.xml"/><Relationship Id="d" Type="x/styles" Target="styles.xml"/></Relationships>"#;

fn check(bytes: &[u8]) {
    if let Ok(sheet) = qingshan_tabular::read_first_sheet(bytes) {
        let csv = sheet.to_csv();
        assert!(csv.matches('\n').count() >= sheet.rows().len());
    }
}

fn package(sheet: &[u8], shared: &[u8], styles: &[u8]) -> Option<Vec<u8>> {
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, body) in [
        ("_rels/.rels", RELS.as_bytes()),
        ("xl/workbook.xml", WORKBOOK.as_bytes()),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.as_bytes()),
        ("xl/worksheets/sheet1.xml", sheet),
        ("xl/sharedStrings.xml", shared),
        ("xl/styles.xml", styles),
    ] {
        w.start_file(name, stored).ok()?;
        w.write_all(body).ok()?;
    }
    Some(w.finish().ok()?.into_inner())
}

fuzz_target!(|data: &[u8]| {
    check(data);
    let mut parts = data.split(|b| *b == 0xFF);
    let sheet = parts.next().unwrap_or_default();
    let shared = parts.next().unwrap_or_default();
    let styles = parts.next().unwrap_or_default();
    if let Some(bytes) = package(sheet, shared, styles) {
        check(&bytes);
    }
});
