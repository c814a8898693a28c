//! CSV files through `read_import`: whatever their encoding, the same rows, each at the row a
//! spreadsheet shows it on; and no bytes at all make it panic.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use qingshan_tabular::{Limits, decode_csv, read_import};

/// A file as Chinese Excel or WPS may save it.
#[derive(Debug, Clone, Copy)]
enum Saved {
    Utf8,
    Utf8Bom,
    Gbk,
    Utf16Le,
    Utf16Be,
}

fn encode(text: &str, saved: Saved) -> Vec<u8> {
    match saved {
        Saved::Utf8 => text.as_bytes().to_vec(),
        Saved::Utf8Bom => [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
        Saved::Gbk => {
            let (bytes, _, unmappable) = encoding_rs::GBK.encode(text);
            assert!(!unmappable);
            bytes.into_owned()
        }
        Saved::Utf16Le => [0xFF, 0xFE]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
            .collect(),
        Saved::Utf16Be => [0xFE, 0xFF]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_be_bytes))
            .collect(),
    }
}

const ALL: [Saved; 5] = [
    Saved::Utf8,
    Saved::Utf8Bom,
    Saved::Gbk,
    Saved::Utf16Le,
    Saved::Utf16Be,
];

#[test]
fn a_gbk_registry_with_blank_and_comma_rows_reads_as_the_spreadsheet_shows_it() {
    let text = "credit_code,enterprise_name,address\r\n\
                91140900MA0K000001,某热电有限公司,\"忻州市忻府区，开发区\"\r\n\
                ,,\r\n\
                \r\n\
                91140900MA0K000002,忻州市“青山”水务,\"两行\r\n地址\"\r\n\
                , , \r\n";
    for saved in ALL {
        let import = read_import(&encode(text, saved), &Limits::default()).unwrap();
        assert!(!import.is_xlsx());
        let sheet = import.sheet();
        assert_eq!(sheet.rows().len(), 5, "{saved:?}");
        assert_eq!(sheet.cell(1, 1), "enterprise_name");
        assert_eq!(sheet.cell(2, 2), "忻州市忻府区，开发区");
        assert!(sheet.rows()[2].is_empty() && sheet.rows()[3].is_empty());
        assert_eq!(sheet.cell(5, 1), "忻州市“青山”水务");
        assert_eq!(sheet.cell(5, 2), "两行\r\n地址");
        // Rendered for the readers, record n is row n, blank rows as empty records.
        let csv_text = import.to_csv();
        let records: Vec<csv::StringRecord> = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(csv_text.as_bytes())
            .records()
            .map(Result::unwrap)
            .collect();
        assert_eq!(records.len(), 5);
        assert_eq!(&records[4][0], "91140900MA0K000002");
        assert!(records[2].iter().all(str::is_empty) && records[2].len() == 3);
    }
}

#[test]
fn other_encodings_are_refused_in_chinese() {
    // 0x83 0x41 is a GB18030 pair, 0xFF is neither GB18030 nor UTF-8.
    let e = read_import(b"name\n\x83\x41\xFF\n", &Limits::default()).unwrap_err();
    assert_eq!(e.kind(), "encoding");
    assert!(
        e.to_string()
            .starts_with("文件不是 UTF-8 或 GBK 编码的 CSV（第 2 行、第 7 字节处"),
        "{e}"
    );
    let e = read_import(b"\x00\x01\x02binary", &Limits::default()).unwrap_err();
    assert_eq!(e.kind(), "encoding");
    let e = read_import(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest", &Limits::default()).unwrap_err();
    assert_eq!(e.kind(), "legacy_workbook");
}

/// A cell: text a spreadsheet might hold, in characters GBK can carry.
fn cell() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[a-z0-9 .,\"\n\r\u{4e00}-\u{4e2f}“”，]{0,6}").unwrap()
}

fn write_csv(rows: &[Vec<String>]) -> String {
    let mut out = String::new();
    for row in rows {
        // An empty row is a blank line, as a spreadsheet saves it.
        let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
        if !row.is_empty() {
            w.write_record(row).unwrap();
            out.push_str(&String::from_utf8(w.into_inner().unwrap()).unwrap());
        } else {
            out.push('\n');
        }
    }
    out
}

/// What the reader should make of the rows: trailing spaces-only cells gone, rows of only
/// spaces empty, trailing empty rows gone.
fn expected(rows: &[Vec<String>]) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let used = r
                .iter()
                .rposition(|c| !c.trim().is_empty())
                .map_or(0, |i| i + 1);
            r[..used].to_vec()
        })
        .collect();
    while out.last().is_some_and(Vec::is_empty) {
        out.pop();
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn rows_survive_every_encoding(
        rows in proptest::collection::vec(proptest::collection::vec(cell(), 0..4), 1..8),
        which in 0usize..5,
    ) {
        // A lone empty field would be written as a blank line, which is an empty row anyway.
        let text = write_csv(&rows);
        let bytes = encode(&text, ALL[which]);
        // A short GBK text can be valid UTF-8 too (丐 is D8 A4, also UTF-8 for ؤ); such a file
        // is read as UTF-8, the encoding it would be in almost every time.
        prop_assume!(!matches!(ALL[which], Saved::Gbk) || std::str::from_utf8(&bytes).is_err());
        let import = read_import(&bytes, &Limits::default()).unwrap();
        let want = expected(&rows);
        prop_assert_eq!(import.sheet().rows(), want.as_slice());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let limits = Limits::default();
        if let Ok(text) = decode_csv(&bytes, &limits) {
            prop_assert!(!text.contains('\0'));
        }
        if let Ok(import) = read_import(&bytes, &limits) {
            let _ = import.to_csv();
        }
        for prefix in [&b"\xEF\xBB\xBF"[..], b"\xFF\xFE", b"\xFE\xFF", b"PK\x03\x04"] {
            let prefixed = [prefix, &bytes].concat();
            let _ = read_import(&prefixed, &limits);
        }
    }

    #[test]
    fn tight_budgets_refuse_rather_than_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..256),
        cells in 0usize..8,
        chars in 0usize..8,
        text in 0u64..16,
    ) {
        let limits = Limits {
            max_cells: cells,
            max_cell_chars: chars,
            max_text_bytes: text,
            max_rows: 4,
            max_columns: 4,
            ..Limits::default()
        };
        if let Ok(import) = read_import(&bytes, &limits) {
            let rows = import.sheet().rows();
            prop_assert!(rows.len() <= 4);
            let all = rows.iter().flatten();
            prop_assert!(all.clone().all(|c| c.chars().count() <= chars));
            prop_assert!(all.map(String::len).sum::<usize>() as u64 <= text);
            let width = rows.first().map_or(0, Vec::len);
            let rendered: usize = rows.iter().map(|r| r.len().max(width).max(1)).sum();
            prop_assert!(rendered <= cells);
        }
    }
}
