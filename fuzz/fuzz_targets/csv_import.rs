//! Arbitrary bytes as an import file: no panic, whatever the encoding detection makes of them;
//! decoded text never holds a NUL, and a file that reads renders as CSV with a record per row;
//! its header cells go through the header matcher without a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qingshan_tabular::{Limits, decode_csv, read_import};

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    if let Ok(text) = decode_csv(data, &limits) {
        assert!(!text.contains('\0'));
    }
    if let Ok(import) = read_import(data, &limits) {
        let csv = import.to_csv();
        assert!(csv.matches('\n').count() >= import.sheet().rows().len());
        let table = [qingshan_tabular::headers::Header {
            code: "value",
            zh: "数值（mg/L）",
        }];
        for cell in import.sheet().rows().first().into_iter().flatten() {
            let _ = qingshan_tabular::headers::match_header(cell, &table);
        }
    }
});
