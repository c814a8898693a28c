use super::*;
use proptest::prelude::*;

fn p(s: &str) -> Ratio {
    Ratio::parse(s).unwrap()
}

fn r(n: i128, d: i128) -> Ratio {
    Ratio::new(n, d).unwrap()
}

fn dec(m: i64, s: u32) -> Ratio {
    Ratio::dec(m, s).unwrap()
}

#[test]
fn parses_plain_and_exponent_forms() {
    assert_eq!(p("0.00005"), dec(5, 5));
    assert_eq!(p("5e-5"), dec(5, 5));
    assert_eq!(p("5E-05"), dec(5, 5));
    assert_eq!(p(".5"), r(1, 2));
    assert_eq!(p("+2."), Ratio::int(2));
    assert_eq!(p("-0.05"), r(-1, 20));
    assert_eq!(p(" 15 "), Ratio::int(15));
    assert_eq!(p("1.2e3"), Ratio::int(1200));
    assert_eq!(p("0.100000000000000000000"), r(1, 10));
    assert_eq!(p("000"), Ratio::ZERO);
}

#[test]
fn rejects_text_and_extremes() {
    for bad in [
        "abc", "1,5", "1.2.3", "-", ".", "e5", "1e", "NaN", "inf", "0x10", "1e9999",
    ] {
        assert!(
            matches!(Ratio::parse(bad), Err(ParseError::Syntax(_))),
            "{bad}"
        );
    }
    assert_eq!(Ratio::parse("  "), Err(ParseError::Empty));
    assert!(matches!(
        Ratio::parse("0.0000000000000001"),
        Err(ParseError::TooPrecise(_))
    ));
    assert!(matches!(
        Ratio::parse("1000000000000000"),
        Err(ParseError::TooLarge(_))
    ));
    assert!(Ratio::parse("999999999999999.999999999999999").is_ok());
}

#[test]
fn binary_float_traps_are_exact_here() {
    let s = p("0.1").checked_add(p("0.2")).unwrap();
    assert_eq!(s, p("0.3"));
    assert!(p("0.00005") <= dec(5, 5));
    assert!(p("0.000050000000001") > dec(5, 5));
}

#[test]
fn comparison_matches_cross_multiplication() {
    let vals = [
        r(1, 3),
        r(-7, 9),
        r(22, 7),
        r(355, 113),
        dec(31415, 4),
        Ratio::ZERO,
        Ratio::int(-3),
    ];
    for a in vals {
        for b in vals {
            let expected = (a.numer() * b.denom()).cmp(&(b.numer() * a.denom()));
            assert_eq!(a.cmp(&b), expected, "{a} vs {b}");
        }
    }
    // Denominators whose cross product would overflow i128.
    let big = r(i128::MAX / 3, i128::MAX / 2 - 7);
    let big2 = r(i128::MAX / 3 - 1, i128::MAX / 2 - 7);
    assert!(big2 < big);
}

#[test]
fn half_even_rounding() {
    assert_eq!(p("4.95").round_half_even(1), Some(p("5.0")));
    assert_eq!(p("4.85").round_half_even(1), Some(p("4.8")));
    assert_eq!(p("4.851").round_half_even(1), Some(p("4.9")));
    assert_eq!(p("9.5").round_half_even(0), Some(p("10")));
    assert_eq!(p("8.5").round_half_even(0), Some(p("8")));
    assert_eq!(p("-2.5").round_half_even(0), Some(p("-2")));
    assert_eq!(p("0.00004").round_keep_significant(3), Some(p("0.00004")));
    assert_eq!(p("0.000046").round_keep_significant(3), Some(p("0.00005")));
    assert_eq!(p("0.0004").round_keep_significant(3), Some(p("0.0004")));
    assert_eq!(p("0").round_keep_significant(3), Some(p("0")));
    assert_eq!(p("0.0006").round_keep_significant(3), Some(p("0.001")));
}

#[test]
fn gbt8170_examples_from_reference() {
    // 60.5 → 60, 61.5 → 62, 2.25 → 2.2, 2.35 → 2.4
    assert_eq!(r(605, 10).round_half_even(0), Some(Ratio::int(60)));
    assert_eq!(r(615, 10).round_half_even(0), Some(Ratio::int(62)));
    assert_eq!(r(225, 100).round_half_even(1), Some(r(22, 10)));
    assert_eq!(r(235, 100).round_half_even(1), Some(r(24, 10)));
    // a 5 followed by a non-zero digit rounds up
    assert_eq!(r(6051, 100).round_half_even(0), Some(Ratio::int(61)));
    assert_eq!(r(2251, 1000).round_half_even(1), Some(r(23, 10)));
    // 6 rounds up, 4 down
    assert_eq!(r(606, 10).round_half_even(0), Some(Ratio::int(61)));
    assert_eq!(r(604, 10).round_half_even(0), Some(Ratio::int(60)));
    // 13/40 = 0.325 → 0.32 (the composite-index trap)
    assert_eq!(r(13, 40).round_half_even(2), Some(r(32, 100)));
    assert_eq!(r(13, 40).format_gbt8170(2), "0.32");
    assert_eq!(r(1, 3).format_gbt8170(3), "0.333");
    assert_eq!(r(5, 2).format_gbt8170(0), "2");
}

#[test]
fn rounds_half_away_from_zero() {
    let away = |x: Ratio, d| {
        x.to_decimal(d, Rounding::HalfAwayFromZero)
            .map(|d| d.to_string())
    };
    assert_eq!(away(r(19, 20), 1).as_deref(), Some("1.0"));
    assert_eq!(away(r(-1, 8), 2).as_deref(), Some("-0.13"));
    assert_eq!(away(r(1, 3), 6).as_deref(), Some("0.333333"));
    assert_eq!(away(r(2, 3), 6).as_deref(), Some("0.666667"));
    assert_eq!(
        r(-1, 8).format_fixed(2, Rounding::HalfAwayFromZero),
        "-0.13"
    );
}

#[test]
fn arithmetic_is_exact_and_checked() {
    let a = p("16.71");
    let b = p("14.21");
    assert_eq!(a.checked_sub(b), Ratio::new(5, 2));
    assert_eq!(a.checked_sub(b).unwrap().div_int(5), Ratio::new(1, 2));
    assert_eq!(Ratio::int(3).checked_div(Ratio::ZERO), None);
    assert_eq!(Ratio::int(3).div_int(0), None);
    let big = r(i128::MAX, 1);
    assert_eq!(big.checked_add(Ratio::ONE), None);
    assert_eq!(big.checked_mul(Ratio::int(2)), None);
    assert_eq!(Ratio::new(i128::MIN, 1), None);
    assert_eq!(Ratio::new(i128::MIN, 2), Some(r(-(1 << 126), 1)));
    assert_eq!(Ratio::new(1, 0), None);
    assert_eq!(-big, r(-i128::MAX, 1));
    assert_eq!((-big).abs(), big);
    assert_eq!(big.round_half_even(1), None);
    assert_eq!(
        Ratio::sum(&[r(1, 3), r(1, 6), r(1, 2)]).value(),
        Some(Ratio::ONE)
    );
    assert_eq!(
        Ratio::sum(&[r(1, 3), r(2, 3), r(7, 6)]).div_int(3),
        Ratio::new(13, 18)
    );
    assert_eq!(Ratio::sum(&[]).div_int(0), None);
    assert_eq!(Ratio::sum(&[big, big]).value(), None);
    assert_eq!(Ratio::sum(&[big, big]).div_int(2), None);
}

#[test]
fn floor_ceil() {
    assert_eq!(r(7, 2).floor(), 3);
    assert_eq!(r(7, 2).ceil(), 4);
    assert_eq!(r(-7, 2).floor(), -4);
    assert_eq!(r(-7, 2).ceil(), -3);
    assert_eq!(r(101, 20).ceil(), 6);
    assert_eq!(Ratio::int(5).ceil(), 5);
}

#[test]
fn formatting() {
    assert_eq!(p("1.2").to_fixed(2).unwrap(), "1.20");
    assert_eq!(p("-0.125").to_fixed(2).unwrap(), "-0.12");
    assert_eq!(p("-0.001").to_fixed(2).unwrap(), "0.00");
    assert_eq!(p("9.995").to_fixed(2).unwrap(), "10.00");
    assert_eq!(p("3").to_fixed(0).unwrap(), "3");
    assert_eq!(p("0.00005").to_string(), "0.00005");
    assert_eq!(r(1, 3).to_string(), "1/3");
    assert_eq!(r(1, 8).to_string(), "0.125");
    // Denominators near 2^127 take the slow digit path and still format.
    let near = r(i128::MAX - 1, i128::MAX);
    assert_eq!(near.format_gbt8170(3), "1.000");
    assert_eq!(r(1, i128::MAX).format_gbt8170(2), "0.00");
}

/// GB/T 8170 on the decimal text itself, digit by digit: the reference the rationals are
/// checked against.
fn reference_half_even(negative: bool, int: &str, frac: &str, decimals: usize) -> String {
    let frac: Vec<u8> = frac.bytes().map(|b| b - b'0').collect();
    let mut kept: Vec<u8> = int.bytes().map(|b| b - b'0').collect();
    kept.extend((0..decimals).map(|i| frac.get(i).copied().unwrap_or(0)));
    let next = frac.get(decimals).copied().unwrap_or(0);
    let rest = frac.iter().skip(decimals + 1).any(|&d| d != 0);
    let last_odd = kept.last().is_some_and(|d| d % 2 == 1);
    if next > 5 || (next == 5 && (rest || last_odd)) {
        let mut i = kept.len();
        loop {
            if i == 0 {
                kept.insert(0, 1);
                break;
            }
            i -= 1;
            if kept[i] == 9 {
                kept[i] = 0;
            } else {
                kept[i] += 1;
                break;
            }
        }
    }
    let split = kept.len() - decimals;
    let text: String = kept.iter().map(|&d| char::from(b'0' + d)).collect();
    let (i, f) = text.split_at(split);
    let i = i.trim_start_matches('0');
    let i = if i.is_empty() { "0" } else { i };
    let zero = kept.iter().all(|&d| d == 0);
    let sign = if negative && !zero { "-" } else { "" };
    if decimals == 0 {
        format!("{sign}{i}")
    } else {
        format!("{sign}{i}.{f}")
    }
}

proptest! {
    #[test]
    fn half_even_matches_the_digit_reference(
        negative in any::<bool>(),
        int in "[0-9]{1,12}",
        frac in "[0-9]{0,15}",
        decimals in 0usize..18,
    ) {
        let text = format!("{}{int}.{frac}", if negative { "-" } else { "" });
        let x = Ratio::parse(&text).unwrap();
        let want = reference_half_even(negative, &int, &frac, decimals);
        prop_assert_eq!(x.format_gbt8170(decimals as u32), want.clone());
        let rounded = x.round_half_even(decimals as u32).unwrap();
        prop_assert_eq!(rounded.to_fixed(decimals as u32).unwrap(), want.clone());
        let d = x.to_decimal(decimals as u32, Rounding::HalfEven).unwrap();
        prop_assert_eq!(d.to_string(), want);
    }

    #[test]
    fn display_round_trips(m in -999_999_999_999_999i64..999_999_999_999_999, s in 0u32..16) {
        let x = Ratio::dec(m, s).unwrap();
        prop_assert_eq!(Ratio::parse(&x.to_string()), Ok(x));
    }

    #[test]
    fn arithmetic_matches_i128_reference(
        a in -1_000_000i128..1_000_000, b in 1i128..1_000_000,
        c in -1_000_000i128..1_000_000, d in 1i128..1_000_000,
    ) {
        let (x, y) = (r(a, b), r(c, d));
        prop_assert_eq!(x.checked_add(y), Ratio::new(a * d + c * b, b * d));
        prop_assert_eq!(x.checked_sub(y), Ratio::new(a * d - c * b, b * d));
        prop_assert_eq!(x.checked_mul(y), Ratio::new(a * c, b * d));
        prop_assert_eq!(x.checked_div(y), Ratio::new(a * d, b * c));
        prop_assert_eq!(x.cmp(&y), (a * d).cmp(&(c * b)));
        prop_assert_eq!(x.floor(), a.div_euclid(b));
    }

    #[test]
    fn comparison_never_overflows(a in any::<i128>(), b in 1i128.., c in any::<i128>(), d in 1i128..) {
        if let (Some(x), Some(y)) = (Ratio::new(a, b), Ratio::new(c, d)) {
            prop_assert_eq!(x.cmp(&y), y.cmp(&x).reverse());
            let _ = x.checked_add(y);
            let _ = x.checked_mul(y);
            let _ = x.checked_div(y);
            let _ = x.round_half_even(3);
            let _ = x.format_gbt8170(3);
        }
    }

    #[test]
    fn parse_never_panics(s in "\\PC*") {
        let _ = Ratio::parse(&s);
    }
}
