//! Golden tests of the `water classify` CSV output.

// Helpers outside #[test] functions panic on purpose: a panic is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use qingshan_water::{ClassifyOptions, PriorityRule, classify_csv};

fn classify(input: &str, options: &ClassifyOptions) -> String {
    let mut out = Vec::new();
    classify_csv(input.as_bytes(), &mut out, options).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn classify_sections_default_policy() {
    let input = include_str!("data/classify_sections.csv");
    insta::assert_snapshot!(classify(input, &ClassifyOptions::default()));
}

#[test]
fn classify_sections_without_priority() {
    let input = include_str!("data/classify_sections.csv");
    let mut options = ClassifyOptions::default();
    options.assess.priority = PriorityRule::Off;
    insta::assert_snapshot!(classify(input, &options));
}

#[test]
fn classify_sections_with_82_rounding() {
    let input = include_str!("data/classify_sections.csv");
    let mut options = ClassifyOptions::default();
    options.assess.rounding = qingshan_water::Rounding::Gb8170Evaluation;
    insta::assert_snapshot!(classify(input, &options));
}
