//! Column headers as people write them: each column of an import has one Chinese header (with
//! its unit, if it has one, e.g. `PM2.5（μg/m³）`) and one code (`pm25`), and a header cell
//! matches either, whatever the surrounding spaces, full-width letters or brackets, and
//! whatever unit is written after it in brackets.

/// One column of an import file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// The code the readers use (`credit_code`).
    pub code: &'static str,
    /// The Chinese header the templates write (`统一社会信用代码`, `PM2.5（μg/m³）`).
    pub zh: &'static str,
}

/// The most characters of a header cell looked at: no header is longer, and a hostile cell
/// is not copied whole.
const MAX_HEADER_CHARS: usize = 200;

/// A header cell's comparable form: full-width ASCII (`ＰＭ２．５`, `（`, `）`) made half-width,
/// `【】`, `〔〕` and `[]` read as `()`, a byte-order mark and spaces (also the ideographic space)
/// dropped, ASCII letters lower-cased; bracketed groups are kept ([`normalize`] drops them).
pub fn fold(cell: &str) -> String {
    cell.chars()
        .take(MAX_HEADER_CHARS)
        .filter_map(|c| match c {
            '\u{feff}' => None,
            c if c.is_whitespace() => None,
            '【' | '[' | '〔' => Some('('),
            '】' | ']' | '〕' => Some(')'),
            '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0),
            c => Some(c),
        })
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// A folded header without its last bracketed group (`氨氮(mg/l)` → `氨氮`); `None` when it
/// does not end in one, or the group is all there is.
pub fn strip_last_group(folded: &str) -> Option<String> {
    if !folded.ends_with(')') {
        return None;
    }
    let mut depth = 0usize;
    for (i, c) in folded.char_indices().rev() {
        match c {
            ')' => depth += 1,
            '(' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return (i > 0).then(|| folded[..i].to_string());
                }
            }
            _ => {}
        }
    }
    None
}

/// A header cell's comparable form: [`fold`]ed, and every bracketed group at the end (a unit,
/// `(mg/L)`, or a qualifier) dropped, never the whole header.
pub fn normalize(cell: &str) -> String {
    let mut s = fold(cell);
    while let Some(shorter) = strip_last_group(&s) {
        s = shorter;
    }
    s
}

/// The index in `table` of the column a header cell names (by its Chinese header or its code),
/// or `None`.
pub fn match_header(cell: &str, table: &[Header]) -> Option<usize> {
    let n = normalize(cell);
    if n.is_empty() {
        return None;
    }
    table
        .iter()
        .position(|h| normalize(h.zh) == n || normalize(h.code) == n)
}

/// The accepted headers of `table`, for an error message: `指标序号（indicator）、年份（year）…`.
pub fn accepted(table: &[Header]) -> String {
    table
        .iter()
        .map(|h| format!("{}（{}）", h.zh, h.code))
        .collect::<Vec<_>>()
        .join("、")
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const TABLE: [Header; 5] = [
        Header {
            code: "indicator",
            zh: "指标序号",
        },
        Header {
            code: "pm25",
            zh: "PM2.5（μg/m³）",
        },
        Header {
            code: "Cr6",
            zh: "铬（六价）",
        },
        Header {
            code: "credit_code",
            zh: "统一社会信用代码",
        },
        Header {
            code: "value",
            zh: "数值",
        },
    ];

    #[test]
    fn chinese_codes_and_variants_match() {
        for (cell, want) in [
            ("指标序号", 0),
            (" indicator ", 0),
            ("\u{feff}指标序号", 0),
            ("PM2.5（μg/m³）", 1),
            ("PM2.5", 1),
            ("pm2.5(μg/m3)", 1),
            ("ＰＭ２．５【μg/m³】", 1),
            ("PM25", 1),
            ("铬（六价）", 2),
            ("铬(六价)(mg/L)", 2),
            ("　统一社会信用代码　", 3),
            ("CREDIT_CODE", 3),
            ("数值（%）", 4),
        ] {
            assert_eq!(match_header(cell, &TABLE), Some(want), "{cell}");
        }
        for cell in ["", "（单位）", "数", "值", "colour", "(indicator)"] {
            assert_eq!(match_header(cell, &TABLE), None, "{cell}");
        }
        assert!(accepted(&TABLE).starts_with("指标序号（indicator）、PM2.5（μg/m³）（pm25）"));
    }

    fn spelling() -> impl Strategy<Value = (usize, String)> {
        (
            0..TABLE.len(),
            any::<bool>(),
            "[ \u{3000}]{0,2}",
            "[ \u{3000}]{0,2}",
            prop::option::of(("[(（【\\[]", "[a-zA-Z%/³μ]{0,6}", "[)）】\\]]")),
            any::<bool>(),
        )
            .prop_map(|(i, zh, pre, post, unit, wide)| {
                let mut s = if zh { TABLE[i].zh } else { TABLE[i].code }.to_string();
                if wide {
                    s = s
                        .chars()
                        .map(|c| match c {
                            '!'..='~' => char::from_u32(c as u32 + 0xfee0).unwrap_or(c),
                            c => c,
                        })
                        .collect();
                }
                if let Some((o, u, c)) = unit {
                    s = format!("{s}{o}{u}{c}");
                }
                (i, format!("{pre}{s}{post}"))
            })
    }

    proptest! {
        #[test]
        fn any_accepted_spelling_maps_to_its_column((i, cell) in spelling()) {
            prop_assert_eq!(match_header(&cell, &TABLE), Some(i));
        }

        #[test]
        fn arbitrary_cells_never_panic(cell in "\\PC*") {
            let _ = match_header(&cell, &TABLE);
            prop_assert!(normalize(&cell).chars().count() <= MAX_HEADER_CHARS);
        }

        #[test]
        fn brackets_never_panic(cell in "[()（）【】\\[\\]a数 ]{0,40}") {
            let _ = normalize(&cell);
        }
    }
}
