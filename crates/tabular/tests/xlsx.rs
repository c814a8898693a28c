//! Workbooks written by rust_xlsxwriter (as Excel writes them) and by hand (what other
//! producers write) read back to exactly the text that was put in.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;

use proptest::prelude::*;
use qingshan_tabular::{
    Limits, MAX_PART_BYTES, Sheet, TabularError, is_xlsx, read_first_sheet, read_first_sheet_with,
};
use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};
use zip::write::SimpleFileOptions;

fn rows(sheet: &Sheet) -> Vec<Vec<&str>> {
    sheet
        .rows()
        .iter()
        .map(|r| r.iter().map(String::as_str).collect())
        .collect()
}

#[test]
fn numbers_text_dates_and_gaps_read_back_exactly() {
    let mut wb = Workbook::new();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let builtin_date = Format::new().set_num_format_index(14);
    let chinese_date = Format::new().set_num_format("yyyy\"年\"m\"月\"d\"日\"");
    let two_places = Format::new().set_num_format("0.00");
    let bold = Format::new().set_bold();
    let ws = wb.add_worksheet().set_name("登记表").unwrap();
    for (c, h) in ["name", "value", "date", "code", "flag"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    ws.write_string(1, 0, "某热电有限公司").unwrap();
    ws.write_number(1, 1, 0.015).unwrap();
    ws.write_datetime_with_format(1, 2, ExcelDateTime::from_ymd(2024, 1, 1).unwrap(), &date)
        .unwrap();
    ws.write_string(1, 3, "0140902").unwrap();
    ws.write_boolean(1, 4, true).unwrap();
    // Row 3: gaps at B and D, a number shown with two places is still stored as 60.
    ws.write_string(2, 0, "某热电有限公司").unwrap();
    ws.write_number_with_format(2, 1, 60.0, &two_places)
        .unwrap();
    ws.write_datetime_with_format(
        2,
        2,
        ExcelDateTime::from_ymd(2028, 12, 31).unwrap(),
        &builtin_date,
    )
    .unwrap();
    ws.write_blank(2, 3, &bold).unwrap();
    ws.write_boolean(2, 4, false).unwrap();
    // Row 4 empty; row 5 has a Chinese date, a rich string and a formula's stored result.
    ws.write_datetime_with_format(
        4,
        2,
        ExcelDateTime::from_ymd(2024, 2, 29).unwrap(),
        &chinese_date,
    )
    .unwrap();
    ws.write_rich_string(4, 0, &[(&bold, "粗体"), (&Format::new(), "与常规")])
        .unwrap();
    ws.write_formula(4, 3, Formula::new("=\"AB\"&\"C\"").set_result("ABC"))
        .unwrap();
    ws.write_number(4, 1, -1234567.125).unwrap();
    ws.write_number(5, 1, 0.0000001).unwrap();
    ws.write_number(6, 1, 123456789012345.0).unwrap();
    let other = wb.add_worksheet().set_name("说明").unwrap();
    other.write_string(0, 0, "ignored").unwrap();
    other.write_number(9, 9, 1.0).unwrap();
    let bytes = wb.save_to_buffer().unwrap();
    assert!(is_xlsx(&bytes));

    let sheet = read_first_sheet(&bytes).unwrap();
    assert_eq!(sheet.name(), "登记表");
    assert_eq!(
        rows(&sheet),
        vec![
            vec!["name", "value", "date", "code", "flag"],
            vec!["某热电有限公司", "0.015", "2024-01-01", "0140902", "TRUE"],
            vec!["某热电有限公司", "60", "2028-12-31", "", "FALSE"],
            vec![],
            vec!["粗体与常规", "-1234567.125", "2024-02-29", "ABC"],
            vec!["", "0.0000001"],
            vec!["", "123456789012345"],
        ]
    );
    assert_eq!(
        sheet.to_csv(),
        "name,value,date,code,flag\n\
         某热电有限公司,0.015,2024-01-01,0140902,TRUE\n\
         某热电有限公司,60,2028-12-31,,FALSE\n\
         ,,,,\n\
         粗体与常规,-1234567.125,2024-02-29,ABC,\n\
         ,0.0000001,,,\n\
         ,123456789012345,,,\n"
    );
    // The CSV reader sees one record per sheet row: record n + 1 is sheet row n + 2.
    let csv_text = sheet.to_csv();
    let mut rdr = csv::Reader::from_reader(csv_text.as_bytes());
    let records: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 6);
    assert_eq!(&records[3][2], "2024-02-29");
    assert_eq!(sheet.header_column("date"), Some(2));
    assert_eq!(sheet.cell(5, 3), "ABC");
}

/// A workbook from hand-written parts, each `(name, xml)`.
fn package(parts: &[(&str, &str)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, xml) in parts {
        w.start_file(*name, SimpleFileOptions::default()).unwrap();
        w.write_all(xml.as_bytes()).unwrap();
    }
    w.finish().unwrap().into_inner()
}

const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;

/// A workbook whose tabs are, in order, a hidden sheet, `数据` (in `xl/worksheets/data.xml`) and
/// `Sheet1` (in `xl/worksheets/sheet1.xml`), with every element prefixed as the OpenXML SDK does.
fn hand_made(data: &str, sst: &str, styles: &str, date1904: bool) -> Vec<u8> {
    let workbook = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<x:workbook xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<x:workbookPr date1904="{}"/>
<x:sheets><x:sheet name="隐藏" sheetId="3" state="hidden" r:id="rId9"/><x:sheet name="数据" sheetId="2" r:id="rId7"/><x:sheet name="Sheet1" sheetId="1" r:id="rId1"/></x:sheets></x:workbook>"#,
        if date1904 { "1" } else { "0" }
    );
    let rels = r#"<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId7" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="/xl/worksheets/data.xml"/>
<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/hidden.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>
<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>
<Relationship Id="rId4" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" Target="http://example.invalid/" TargetMode="External"/>
</Relationships>"#;
    let wrap = |body: &str| {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>{body}</x:sheetData></x:worksheet>"#
        )
    };
    package(&[
        ("[Content_Types].xml", "<Types/>"),
        ("_rels/.rels", ROOT_RELS),
        ("xl/workbook.xml", &workbook),
        ("xl/_rels/workbook.xml.rels", rels),
        (
            "xl/worksheets/sheet1.xml",
            &wrap(
                r#"<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>second tab</x:t></x:is></x:c></x:row>"#,
            ),
        ),
        (
            "xl/worksheets/hidden.xml",
            &wrap(
                r#"<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>hidden</x:t></x:is></x:c></x:row>"#,
            ),
        ),
        ("xl/worksheets/data.xml", &wrap(data)),
        ("xl/sharedStrings.xml", sst),
        ("xl/styles.xml", styles),
    ])
}

const SST: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<x:sst xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="4" uniqueCount="4">
<x:si><x:t>credit_code</x:t></x:si>
<x:si><x:r><x:rPr><x:b/></x:rPr><x:t xml:space="preserve">忻州 </x:t></x:r><x:r><x:t>热电</x:t></x:r><x:rPh sb="0" eb="2"><x:t>シンシュウ</x:t></x:rPh></x:si>
<x:si><x:t>a &amp; b &lt;c&gt; &#x4E2D;_x000D_</x:t></x:si>
<x:si/>
</x:sst>"#;

const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<x:styleSheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<x:numFmts count="2"><x:numFmt numFmtId="164" formatCode="yyyy/m/d;@"/><x:numFmt numFmtId="165" formatCode="0.000&quot;mg/L&quot;"/></x:numFmts>
<x:cellStyleXfs count="1"><x:xf numFmtId="14"/></x:cellStyleXfs>
<x:cellXfs count="5"><x:xf numFmtId="0"/><x:xf numFmtId="164" applyNumberFormat="1"/><x:xf numFmtId="165"/><x:xf numFmtId="31"/><x:xf numFmtId="22"><x:alignment/></x:xf></x:cellXfs>
</x:styleSheet>"#;

#[test]
fn hand_written_parts_read_back_exactly() {
    let data = r#"
<x:row r="1"><x:c r="A1" t="s"><x:v>0</x:v></x:c><x:c r="B1" t="inlineStr"><x:is><x:r><x:t>value</x:t></x:r><x:r><x:t>_text</x:t></x:r></x:is></x:c><x:c t="inlineStr"><x:is><x:t>third</x:t></x:is></x:c></x:row>
<x:row r="2"><x:c r="A2" t="s"><x:v>1</x:v></x:c><x:c r="C2"><x:v>1E-3</x:v></x:c><x:c r="E2" s="2"><x:v>0.0500</x:v></x:c></x:row>
<x:row><x:c r="A3" t="s"><x:v>2</x:v></x:c><x:c><x:v>60</x:v></x:c><x:c r="D3" t="s"><x:v>3</x:v></x:c></x:row>
<x:row r="5" spans="1:5"><x:c r="A5" s="1"><x:v>45292</x:v></x:c><x:c r="B5" s="3"><x:v>61</x:v></x:c><x:c r="C5" s="4"><x:v>45292.25</x:v></x:c><x:c r="D5" t="d"><x:v>2024-03-01T00:00:00Z</x:v></x:c><x:c r="E5" t="str"><x:f>A1</x:f><x:v>x_x005F_x0041_y</x:v></x:c></x:row>
<x:row r="6"><x:c r="A6" s="1"/><x:c r="B6" t="b"><x:v>1</x:v></x:c><x:c r="C6"><x:f>1/0</x:f></x:c></x:row>
<x:row r="7" customHeight="1"/>
"#;
    let sheet = read_first_sheet(&hand_made(data, SST, STYLES, false)).unwrap();
    assert_eq!(sheet.name(), "数据");
    assert_eq!(
        rows(&sheet),
        vec![
            vec!["credit_code", "value_text", "third"],
            vec!["忻州 热电", "", "1E-3", "", "0.0500"],
            vec!["a & b <c> 中\r", "60"],
            vec![],
            vec![
                "2024-01-01",
                "1900-03-01",
                "2024-01-01 06:00:00",
                "2024-03-01",
                "x_x0041_y"
            ],
            vec!["", "TRUE"],
        ]
    );
    // Quoted where CSV needs it, and every row keeps its record.
    assert!(sheet.to_csv().starts_with(
        "credit_code,value_text,third\n忻州 热电,,1E-3,,0.0500\n\"a & b <c> 中\r\",60,\n,,\n"
    ));

    let sheet = read_first_sheet(&hand_made(
        r#"<x:row r="1"><x:c r="A1" s="1"><x:v>0</x:v></x:c><x:c r="B1" s="1"><x:v>43830</x:v></x:c></x:row>"#,
        SST,
        STYLES,
        true,
    ))
    .unwrap();
    assert_eq!(rows(&sheet), vec![vec!["1904-01-01", "2024-01-01"]]);
}

#[test]
fn broken_workbooks_are_refused_naming_the_part_or_cell() {
    let err = |data: &str| read_first_sheet(&hand_made(data, SST, STYLES, false)).unwrap_err();
    let e = err(r#"<x:row r="5"><x:c r="D5" t="e"><x:v>#N/A</x:v></x:c></x:row>"#);
    assert_eq!(e.kind(), "error_cell");
    assert_eq!(
        e.to_string(),
        "工作表「数据」D5 单元格（第 5 行 D 列）是公式错误值 #N/A，请修正后再导入"
    );
    let e = err(r#"<x:row r="1"><x:c r="B1" t="s"><x:v>99</x:v></x:c></x:row>"#);
    assert_eq!(e.kind(), "shared_string");
    assert!(e.to_string().contains("B1"), "{e}");
    let e = err(r#"<x:row r="1"><x:c r="1A"><x:v>1</x:v></x:c></x:row>"#);
    assert_eq!(e.kind(), "cell_reference");
    let e = err(r#"<x:row r="1"><x:c r="A1"><x:v>1</x:v></x:row>"#);
    assert_eq!(e.kind(), "xml");
    assert!(e.to_string().contains("xl/worksheets/data.xml"), "{e}");
    let e = err(r#"<x:row r="1"><x:c r="A1048577"><x:v>1</x:v></x:c></x:row>"#);
    assert_eq!(e.kind(), "sheet_too_large");
    // Cells far apart are a grid mostly of padding: refused before it is allocated…
    let wide: String = (1..=130)
        .map(|i| format!(r#"<x:row r="{i}"><x:c r="XFD{i}"><x:v>1</x:v></x:c></x:row>"#))
        .collect();
    let e = err(&wide);
    assert_eq!(e.kind(), "sheet_too_large");
    // …and a wide header over many rows would make a huge CSV.
    let e = err(
        r#"<x:row r="1"><x:c r="CV1"><x:v>1</x:v></x:c></x:row><x:row r="1000000"><x:c r="A1000000"><x:v>1</x:v></x:c></x:row>"#,
    );
    assert_eq!(e.kind(), "sheet_too_large");

    assert_eq!(
        read_first_sheet(b"PK\x03\x04not really")
            .unwrap_err()
            .kind(),
        "zip"
    );
    let no_workbook = package(&[("_rels/.rels", ROOT_RELS)]);
    assert_eq!(
        read_first_sheet(&no_workbook).unwrap_err(),
        TabularError::MissingPart("xl/workbook.xml".into())
    );
    let no_sheets = package(&[
        ("_rels/.rels", ROOT_RELS),
        ("xl/workbook.xml", "<workbook><sheets/></workbook>"),
    ]);
    assert_eq!(
        read_first_sheet(&no_sheets).unwrap_err().kind(),
        "no_worksheet"
    );
}

#[test]
fn a_part_inflating_past_the_limit_is_refused() {
    // Stored, not deflated: building a large deflated part is slow in a debug build.
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.start_file("_rels/.rels", stored).unwrap();
    w.write_all(ROOT_RELS.as_bytes()).unwrap();
    w.start_file("xl/workbook.xml", stored).unwrap();
    let chunk = vec![b' '; 1 << 20];
    for _ in 0..=2 {
        w.write_all(&chunk).unwrap();
    }
    let bytes = w.finish().unwrap().into_inner();
    let limits = Limits {
        max_part_bytes: 2 << 20,
        ..Limits::default()
    };
    assert_eq!(
        read_first_sheet_with(&bytes, &limits).unwrap_err(),
        TabularError::PartTooLarge {
            part: "xl/workbook.xml".into(),
            limit: 2 << 20
        }
    );
    // The default part limit is larger than the default file limit: a stored part that big
    // is refused for the file's size before it is opened.
    assert!(MAX_PART_BYTES > Limits::default().max_file_bytes);
}

/// A decimal with at most 15 significant digits, as plain text without exponent or trailing
/// zeros: the text a spreadsheet stores for it.
fn decimal() -> impl Strategy<Value = String> {
    (-999_999_999_999_999i64..=999_999_999_999_999, 0u32..=12).prop_map(|(m, scale)| {
        let digits = m.unsigned_abs().to_string();
        let scale = scale as usize;
        let padded = format!("{digits:0>width$}", width = scale + 1);
        let (int, frac) = padded.split_at(padded.len() - scale);
        let frac = frac.trim_end_matches('0');
        let sign = if m < 0 { "-" } else { "" };
        if frac.is_empty() {
            format!("{sign}{int}")
        } else {
            format!("{sign}{int}.{frac}")
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn strings_and_decimals_round_trip(
        texts in proptest::collection::vec(any::<String>(), 1..6),
        numbers in proptest::collection::vec(decimal(), 1..6),
    ) {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        for (i, t) in texts.iter().enumerate() {
            ws.write_string(i as u32, 0, t).unwrap();
        }
        for (i, n) in numbers.iter().enumerate() {
            ws.write_number(i as u32, 1, n.parse::<f64>().unwrap()).unwrap();
        }
        let sheet = read_first_sheet(&wb.save_to_buffer().unwrap()).unwrap();
        for (i, t) in texts.iter().enumerate() {
            prop_assert_eq!(sheet.cell(i + 1, 0), t.as_str());
        }
        for (i, n) in numbers.iter().enumerate() {
            prop_assert_eq!(sheet.cell(i + 1, 1), n.as_str());
        }
        // And through CSV, field for field.
        let csv_text = sheet.to_csv();
        let mut rdr = csv::ReaderBuilder::new().has_headers(false).from_reader(csv_text.as_bytes());
        for (i, rec) in rdr.records().enumerate() {
            let rec = rec.unwrap();
            // The CSV reader drops a byte-order mark at the very start of its input.
            let first = sheet.cell(i + 1, 0);
            let first = if i == 0 { first.trim_start_matches('\u{feff}') } else { first };
            prop_assert_eq!(rec.get(0).unwrap_or(""), first);
            prop_assert_eq!(rec.get(1).unwrap_or(""), sheet.cell(i + 1, 1));
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let mut with_magic = b"PK\x03\x04".to_vec();
        with_magic.extend_from_slice(&bytes);
        let _ = read_first_sheet(&bytes);
        let _ = read_first_sheet(&with_magic);
    }
}
