//! XLSX bombs and oversized cells are refused against the budget, with a Chinese message that
//! names what was exceeded and repeats at most a hundred characters of the cell. How fast and at
//! what memory is measured by `benches/bombs.rs`, not asserted here.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/bombs.rs"]
mod bombs;

use qingshan_tabular::{Limits, PREVIEW_CHARS, TabularError, read_import};

/// The message of a refusal, checked not to echo the cell.
fn refusal(bytes: &[u8], limits: &Limits) -> TabularError {
    let e = read_import(bytes, limits).unwrap_err();
    let message = e.to_string();
    assert!(
        message.chars().count() < PREVIEW_CHARS + 120,
        "message too long: {message}"
    );
    assert!(
        !message.contains(&"A".repeat(PREVIEW_CHARS + 1)),
        "{message}"
    );
    e
}

#[test]
fn the_issues_bomb_is_refused_for_its_long_string() {
    // 1 MiB string referenced by 1,500 cells: 7.8 KB in, 1.5 GB of text if expanded.
    let bomb = bombs::shared_string_bomb(1 << 20, 1500);
    assert!(bomb.len() < 64 * 1024, "{}", bomb.len());
    let e = refusal(&bomb, &Limits::default());
    assert_eq!(e.kind(), "cell_too_long");
    let message = e.to_string();
    assert!(
        message.starts_with("XLSX 部件 xl/sharedStrings.xml 中的一段文字超过 32767 个字符的上限"),
        "{message}"
    );
    assert!(
        message.contains(&format!("「{}…」", "A".repeat(PREVIEW_CHARS))),
        "{message}"
    );
}

#[test]
fn a_sixty_megabyte_string_is_refused_before_it_is_inflated() {
    let bomb = bombs::shared_string_bomb(60 << 20, 10);
    assert!(bomb.len() < 1 << 20, "{}", bomb.len());
    assert_eq!(refusal(&bomb, &Limits::default()).kind(), "cell_too_long");
}

#[test]
fn many_references_to_a_legal_string_run_out_of_the_text_budget() {
    // 30,000 characters is a legal cell; 2,000 references to it are 60 MB of text.
    let bomb = bombs::shared_string_bomb(30_000, 2_000);
    let e = refusal(&bomb, &Limits::default());
    assert_eq!(e.kind(), "sheet_too_large");
    let message = e.to_string();
    assert!(
        message.starts_with("工作表「数据」过大：单元格文字合计超过上限 32 MiB（读到 A"),
        "{message}"
    );
    // The cell where it ran out: 32 MiB / 30,000 bytes is past row 1,118.
    assert!(message.contains("A1119 单元格时"), "{message}");
    // Within the budget the same workbook reads.
    let fewer = bombs::shared_string_bomb(30_000, 1_000);
    let sheet = read_import(&fewer, &Limits::default())
        .unwrap()
        .into_sheet();
    assert_eq!(sheet.rows().len(), 1_000);
    assert_eq!(sheet.cell(1_000, 0).len(), 30_000);
}

#[test]
fn a_shared_string_over_the_cell_limit_is_refused_by_its_place() {
    // Shorter than a run of text may be, longer than a cell may be.
    let bomb = bombs::shared_string_bomb(40_000, 3);
    let e = refusal(&bomb, &Limits::default());
    assert_eq!(
        e,
        TabularError::CellTooLong {
            place: "XLSX 共享字符串表第 1 项".into(),
            limit: 32_767,
            start: format!("{}…", "A".repeat(PREVIEW_CHARS)),
        }
    );
    // And the counted budgets, on a smaller scale.
    let tight = Limits {
        max_cells: 2,
        ..Limits::default()
    };
    let e = refusal(&bombs::shared_string_bomb(10, 3), &tight);
    assert_eq!(e.kind(), "sheet_too_large");
    assert!(e.to_string().contains("单元格（含空白）超过 2 个"), "{e}");
    let no_strings = Limits {
        max_cells: 0,
        ..Limits::default()
    };
    let e = refusal(&bombs::shared_string_bomb(10, 1), &no_strings);
    assert!(e.to_string().contains("共享字符串超过 0 个的上限"), "{e}");
    let little_text = Limits {
        max_text_bytes: 5,
        ..Limits::default()
    };
    let e = refusal(&bombs::shared_string_bomb(10, 1), &little_text);
    assert!(
        e.to_string().contains("共享字符串合计超过上限 5 字节"),
        "{e}"
    );
}

#[test]
fn an_inline_cell_over_the_limit_is_named() {
    let e = refusal(&bombs::long_inline_cell(40_000), &Limits::default());
    assert_eq!(
        e,
        TabularError::CellTooLong {
            place: "工作表「数据」B2 单元格".into(),
            limit: 32_767,
            start: format!("{}…", "长".repeat(PREVIEW_CHARS)),
        }
    );
    let sheet = read_import(&bombs::long_inline_cell(32_767), &Limits::default())
        .unwrap()
        .into_sheet();
    assert_eq!(sheet.cell(2, 1).chars().count(), 32_767);
}

#[test]
fn files_over_the_size_limit_are_refused_unread() {
    let small = Limits {
        max_file_bytes: 100,
        ..Limits::default()
    };
    let bomb = bombs::shared_string_bomb(10, 1);
    assert_eq!(
        read_import(&bomb, &small).unwrap_err(),
        TabularError::FileTooLarge {
            size: bomb.len() as u64,
            limit: 100
        }
    );
    assert_eq!(
        read_import(&[b'a'; 101], &small).unwrap_err().kind(),
        "file_too_large"
    );
}
