//! Property tests of the transactional classify CSV reader.

// Helpers outside #[test] functions panic on purpose: a panic is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use qingshan_water::csv_io::read_classify_csv;
use qingshan_water::error::CellProblem;
use qingshan_water::{
    ClassifyOptions, ErrorKind, Exact, Item, WaterBody, WaterError, classify_csv,
};

/// A generated value: mantissa and scale, written as a plain decimal.
fn decimal_text(mantissa: u64, scale: u32) -> String {
    let s = format!("{:0>width$}", mantissa, width = scale as usize + 1);
    if scale == 0 {
        s
    } else {
        let (i, f) = s.split_at(s.len() - scale as usize);
        format!("{i}.{f}")
    }
}

/// One generated row: id, water body, one optional (mantissa, scale) per item.
type Row = (String, WaterBody, Vec<Option<(u64, u32)>>);

#[derive(Clone, Debug)]
struct Table {
    items: Vec<Item>,
    rows: Vec<Row>,
}

impl Table {
    fn render(&self, replace: Option<(usize, usize, &str)>) -> String {
        let mut out = String::from("id,water_body");
        for i in &self.items {
            out.push(',');
            out.push_str(i.code());
        }
        out.push('\n');
        for (r, (id, body, vals)) in self.rows.iter().enumerate() {
            out.push_str(id);
            out.push(',');
            out.push_str(body.as_str());
            for (c, v) in vals.iter().enumerate() {
                out.push(',');
                match replace {
                    Some((rr, cc, text)) if rr == r && cc == c => out.push_str(text),
                    _ => {
                        if let Some((m, s)) = v {
                            out.push_str(&decimal_text(*m, *s));
                        }
                    }
                }
            }
            out.push('\n');
        }
        out
    }
}

fn table() -> impl Strategy<Value = Table> {
    (Just(Item::ALL.to_vec()).prop_shuffle(), 1usize..8).prop_flat_map(|(all, n_items)| {
        let items: Vec<Item> = all.into_iter().take(n_items).collect();
        let n = items.len();
        let row = (
            "[a-z][a-z0-9_-]{0,8}",
            prop_oneof![Just(WaterBody::River), Just(WaterBody::Lake)],
            prop::collection::vec(prop::option::of((0u64..10_000_000, 0u32..8)), n),
        );
        prop::collection::vec(row, 1..12).prop_map(move |rows| Table {
            items: items.clone(),
            rows,
        })
    })
}

proptest! {
    #[test]
    fn valid_tables_parse_exactly(t in table()) {
        let parsed = read_classify_csv(t.render(None).as_bytes()).unwrap();
        prop_assert_eq!(&parsed.items, &t.items);
        prop_assert_eq!(parsed.rows.len(), t.rows.len());
        for (k, ((id, body, vals), row)) in t.rows.iter().zip(&parsed.rows).enumerate() {
            prop_assert_eq!(row.row, k as u64 + 2);
            prop_assert_eq!(&row.id, id);
            prop_assert_eq!(row.sample.water_body, *body);
            for (item, v) in t.items.iter().zip(vals) {
                let expected = v.map(|(m, s)| Exact::ratio(i128::from(m), 10i128.pow(s)));
                prop_assert_eq!(row.sample.values.get(item).copied(), expected);
            }
        }
    }

    #[test]
    fn one_bad_cell_names_its_row_and_column_and_writes_nothing(
        t in table(),
        r in any::<prop::sample::Index>(),
        c in any::<prop::sample::Index>(),
        bad in prop_oneof![
            Just("abc".to_string()),
            Just("1.2.3".to_string()),
            Just("n.d.".to_string()),
            Just("<0.01".to_string()),
            "-[1-9][0-9]{0,3}(\\.[0-9]{1,3})?",
        ],
    ) {
        let r = r.index(t.rows.len());
        let c = c.index(t.items.len());
        let text = t.render(Some((r, c, &bad)));
        let mut out = Vec::new();
        let err = classify_csv(text.as_bytes(), &mut out, &ClassifyOptions::default()).unwrap_err();
        prop_assert!(out.is_empty());
        let expected_kind = if bad.starts_with('-') { ErrorKind::NegativeValue } else { ErrorKind::NotANumber };
        prop_assert_eq!(err.kind(), expected_kind);
        match &err {
            WaterError::Cell { row, column, column_index, problem } => {
                prop_assert_eq!(*row, r as u64 + 2);
                prop_assert_eq!(column.as_str(), t.items[c].code());
                prop_assert_eq!(*column_index, c + 3);
                let shown = match problem {
                    CellProblem::Negative(s) | CellProblem::NotANumber(s) => s.clone(),
                    other => format!("{other:?}"),
                };
                prop_assert_eq!(shown, bad.clone());
            }
            other => prop_assert!(false, "unexpected error {other:?}"),
        }
        let msg = err.to_string();
        let row_text = format!("row {}", r + 2);
        prop_assert!(msg.contains(&row_text), "{}", msg);
        prop_assert!(msg.contains(t.items[c].code()), "{}", msg);
    }

    #[test]
    fn unknown_header_is_named(t in table(), pos in any::<prop::sample::Index>(), name in "[A-Z][a-z]{2,6}x") {
        let text = t.render(None);
        let (header, body) = text.split_once('\n').unwrap();
        let mut cols: Vec<&str> = header.split(',').collect();
        let at = pos.index(cols.len() + 1);
        cols.insert(at, &name);
        let mut lines = vec![cols.join(",")];
        for line in body.lines() {
            let mut cells: Vec<&str> = line.split(',').collect();
            cells.insert(at, "1");
            lines.push(cells.join(","));
        }
        let input = lines.join("\n");
        let mut out = Vec::new();
        let err = classify_csv(input.as_bytes(), &mut out, &ClassifyOptions::default()).unwrap_err();
        prop_assert!(out.is_empty());
        prop_assert_eq!(err.kind(), ErrorKind::UnknownColumn);
        match err {
            WaterError::Header { column_index, column, .. } => {
                prop_assert_eq!(column_index, at + 1);
                prop_assert_eq!(column, name);
            }
            other => prop_assert!(false, "unexpected error {other:?}"),
        }
    }

    #[test]
    fn output_class_is_the_worst_class_setting_item(t in table()) {
        let mut out = Vec::new();
        classify_csv(t.render(None).as_bytes(), &mut out, &ClassifyOptions::default()).unwrap();
        let mut rdr = csv::Reader::from_reader(out.as_slice());
        let headers = rdr.headers().unwrap().clone();
        let order = ["I", "II", "III", "IV", "V", "劣V"];
        for rec in rdr.records() {
            let rec = rec.unwrap();
            let mut worst: Option<usize> = None;
            for (h, v) in headers.iter().zip(rec.iter()) {
                if let Some(code) = h.strip_prefix("class_") {
                    if code == "TN" || code == "FC" || v.is_empty() {
                        continue;
                    }
                    let k = order.iter().position(|o| *o == v).unwrap();
                    worst = Some(worst.map_or(k, |w| w.max(k)));
                }
            }
            let class = &rec[1];
            prop_assert_eq!(class, worst.map_or("", |k| order[k]));
            let status = &rec[2];
            let expected_status = match class {
                "I" | "II" => "优",
                "III" => "良好",
                "IV" => "轻度污染",
                "V" => "中度污染",
                "劣V" => "重度污染",
                _ => "",
            };
            prop_assert_eq!(status, expected_status);
            let mains = &rec[rec.len() - 1];
            if worst.is_none_or(|k| k <= 2) {
                prop_assert_eq!(mains, "");
            } else {
                let n = mains.split(';').count();
                prop_assert!((1..=3).contains(&n));
            }
        }
    }
}
