//! XLSX bombs, built by hand as an attacker would: tiny files that expand to gigabytes of cell
//! text if a reader materialises them. Shared by the tabular tests, its `bombs` benchmark and the
//! server's abuse tests (included there by path), so all three try the same files.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;

use zip::write::SimpleFileOptions;

const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="数据" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#;

/// A workbook whose one shared string is `string_chars` copies of `A`, referenced by `cells`
/// cells of column A (rows 1 to `cells`). The issue's bombs are `(1 << 20, 1500)`, 7.8 KB
/// that expand to 1.5 GB of cell text, and `(60 << 20, 10)`, 220 KB holding a 60 MB string.
pub fn shared_string_bomb(string_chars: usize, cells: usize) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let deflated = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(string_chars > u32::MAX as usize / 2);
    for (name, body) in [
        ("_rels/.rels", ROOT_RELS),
        ("xl/workbook.xml", WORKBOOK),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
    ] {
        w.start_file(name, deflated).unwrap();
        w.write_all(body.as_bytes()).unwrap();
    }
    w.start_file("xl/sharedStrings.xml", deflated).unwrap();
    w.write_all(
        br#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>"#,
    )
    .unwrap();
    let chunk = vec![b'A'; 1 << 16];
    let mut left = string_chars;
    while left > 0 {
        let n = left.min(chunk.len());
        w.write_all(&chunk[..n]).unwrap();
        left -= n;
    }
    w.write_all(b"</t></si></sst>").unwrap();
    w.start_file("xl/worksheets/sheet1.xml", deflated).unwrap();
    w.write_all(
        br#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
    )
    .unwrap();
    for row in 1..=cells {
        write!(
            w,
            r#"<row r="{row}"><c r="A{row}" t="s"><v>0</v></c></row>"#
        )
        .unwrap();
    }
    w.write_all(b"</sheetData></worksheet>").unwrap();
    w.finish().unwrap().into_inner()
}

/// A workbook whose first sheet holds one inline-string cell of `chars` copies of `长` at B2.
pub fn long_inline_cell(chars: usize) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let deflated =
        SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, body) in [
        ("_rels/.rels", ROOT_RELS),
        ("xl/workbook.xml", WORKBOOK),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
    ] {
        w.start_file(name, deflated).unwrap();
        w.write_all(body.as_bytes()).unwrap();
    }
    w.start_file("xl/worksheets/sheet1.xml", deflated).unwrap();
    write!(
        w,
        r#"<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>名称</t></is></c></row><row r="2"><c r="B2" t="inlineStr"><is><t>{}</t></is></c></row></sheetData></worksheet>"#,
        "长".repeat(chars)
    )
    .unwrap();
    w.finish().unwrap().into_inner()
}
