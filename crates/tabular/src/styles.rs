//! Which cell formats show dates, and a date serial as the text a person typed.
//!
//! A spreadsheet stores a date as a number of days (a *serial*) and shows it as a date only
//! through the cell's number format; the importers want `YYYY-MM-DD`, so a number in a cell
//! whose format is a date format is turned into that text, and every other number is kept as
//! stored.

use std::collections::HashMap;

use quick_xml::events::Event;

use crate::TabularError;
use crate::xml::{self, attr};

/// For each cell format (`cellXfs` index, the `s` of a cell) whether it shows a date or time.
#[derive(Debug, Default)]
pub(crate) struct Styles {
    dates: Vec<bool>,
}

impl Styles {
    /// Whether a cell with style index `s` shows a date or time.
    pub(crate) fn is_date(&self, s: usize) -> bool {
        self.dates.get(s).copied().unwrap_or(false)
    }

    /// Reads `xl/styles.xml`: the custom number formats and the cell formats using them.
    pub(crate) fn parse(text: &str, part: &str) -> Result<Styles, TabularError> {
        let mut r = xml::reader(text);
        let mut custom: HashMap<u32, bool> = HashMap::new();
        let mut xf_ids: Vec<u32> = Vec::new();
        // `<xf>` also appears in `cellStyleXfs`; only `cellXfs` is what cells point at.
        let mut in_cell_xfs = false;
        loop {
            match r.read_event().map_err(|e| xml::error(part, &r, e))? {
                Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                    "numFmt" => {
                        let id = attr(&e, "numFmtId", part, &r)?.and_then(|v| v.parse().ok());
                        let code = attr(&e, "formatCode", part, &r)?.unwrap_or_default();
                        if let Some(id) = id {
                            custom.insert(id, format_code_is_date(&code));
                        }
                    }
                    "cellXfs" => in_cell_xfs = true,
                    "xf" if in_cell_xfs => {
                        let id = attr(&e, "numFmtId", part, &r)?
                            .and_then(|v| v.parse().ok())
                            .unwrap_or(0);
                        xf_ids.push(id);
                    }
                    _ => {}
                },
                Event::End(e) if e.local_name().as_ref() == "cellXfs" => in_cell_xfs = false,
                Event::Eof => break,
                _ => {}
            }
        }
        let dates = xf_ids
            .iter()
            .map(|id| {
                custom
                    .get(id)
                    .copied()
                    .unwrap_or_else(|| builtin_is_date(*id))
            })
            .collect();
        Ok(Styles { dates })
    }
}

/// The built-in number formats that show dates or times: 14–22 and 45–47 everywhere, and
/// 27–36 and 50–58, which the Chinese (and Japanese and Korean) editions of Excel use for
/// their own date formats such as `yyyy"年"m"月"d"日"` without writing them into the file.
fn builtin_is_date(id: u32) -> bool {
    matches!(id, 14..=22 | 27..=36 | 45..=47 | 50..=58)
}

/// Whether a custom format code shows a date or time: it has a y, m, d, h or s outside quoted
/// literals, escaped characters, fill and padding characters, and bracketed colours, conditions
/// and locales (an elapsed-time bracket such as `[h]` counts).
fn format_code_is_date(code: &str) -> bool {
    let mut chars = code.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                for q in chars.by_ref() {
                    if q == '"' {
                        break;
                    }
                }
            }
            '\\' | '_' | '*' => {
                chars.next();
            }
            '[' => {
                let inner: String = chars.by_ref().take_while(|&b| b != ']').collect();
                let inner = inner.to_ascii_lowercase();
                if !inner.is_empty() && inner.chars().all(|b| matches!(b, 'h' | 'm' | 's')) {
                    return true;
                }
            }
            'y' | 'Y' | 'm' | 'M' | 'd' | 'D' | 'h' | 'H' | 's' | 'S' => return true,
            _ => {}
        }
    }
    false
}

/// Days from 1970-01-01 to a proleptic Gregorian date, inverted: the civil date of a day count.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The largest serial a spreadsheet shows as a date: 9999-12-31.
const MAX_SERIAL_DAYS: i64 = 2_958_465;

/// The text of a date serial in a date-formatted cell: `YYYY-MM-DD`, with ` HH:MM:SS` added
/// when the serial has a time of day, or only `HH:MM:SS` for a time without a date. `None`
/// when the number is no serial a spreadsheet would show as a date (the number is then kept).
///
/// In the 1900 date system serial 1 is 1900-01-01, but Excel, to stay compatible with Lotus
/// 1-2-3, treats 1900 as a leap year: serial 60 is a 29 February 1900 that never was, and every
/// serial from 61 on is one day more than the days actually elapsed. That is why serials below
/// 60 count from 1899-12-31, serials from 61 count from 1899-12-30, and 60 is shown as Excel
/// shows it, `1900-02-29`. In the 1904 system (old Mac workbooks) serial 0 is 1904-01-01 and
/// there is no such day.
pub(crate) fn serial_text(number: &str, date1904: bool) -> Option<String> {
    let serial: f64 = number.trim().parse().ok()?;
    if !serial.is_finite() || serial < 0.0 || serial >= (MAX_SERIAL_DAYS + 1) as f64 {
        return None;
    }
    // Times are kept to the second, as a spreadsheet shows them.
    let seconds = (serial * 86_400.0).round() as i64;
    let (days, time) = (seconds / 86_400, seconds % 86_400);
    let clock = format!("{:02}:{:02}:{:02}", time / 3600, time / 60 % 60, time % 60);
    let unix_days = if date1904 {
        days - 24_107
    } else {
        match days {
            0 => return (time > 0).then_some(clock),
            60 => return Some(with_time("1900-02-29".into(), time, &clock)),
            1..=59 => days - 25_568,
            _ => days - 25_569,
        }
    };
    let (y, m, d) = civil_from_days(unix_days);
    Some(with_time(format!("{y:04}-{m:02}-{d:02}"), time, &clock))
}

fn with_time(date: String, time: i64, clock: &str) -> String {
    if time == 0 {
        date
    } else {
        format!("{date} {clock}")
    }
}

/// The text of an ISO 8601 date cell (`t="d"`): the date alone at midnight, otherwise the date
/// and time separated by a space, as a date-formatted serial would be.
pub(crate) fn iso_text(value: &str) -> String {
    let v = value.trim().trim_end_matches('Z');
    let v = v.strip_suffix(".000").unwrap_or(v);
    match v.split_once('T') {
        Some((date, "00:00:00" | "00:00")) => date.to_string(),
        Some((date, time)) => format!("{date} {time}"),
        None => v.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_follow_excel_including_the_1900_leap_year() {
        let t = |s: &str| serial_text(s, false);
        assert_eq!(t("1").as_deref(), Some("1900-01-01"));
        assert_eq!(t("59").as_deref(), Some("1900-02-28"));
        assert_eq!(t("60").as_deref(), Some("1900-02-29"));
        assert_eq!(t("61").as_deref(), Some("1900-03-01"));
        assert_eq!(t("25569").as_deref(), Some("1970-01-01"));
        assert_eq!(t("45292").as_deref(), Some("2024-01-01"));
        assert_eq!(t("45351").as_deref(), Some("2024-02-29"));
        assert_eq!(t("45292.5").as_deref(), Some("2024-01-01 12:00:00"));
        assert_eq!(t("0.75").as_deref(), Some("18:00:00"));
        assert_eq!(t("2958465").as_deref(), Some("9999-12-31"));
        assert_eq!(t("2958466"), None);
        assert_eq!(t("-1"), None);
        assert_eq!(t("0"), None);
        assert_eq!(t("abc"), None);
        assert_eq!(serial_text("0", true).as_deref(), Some("1904-01-01"));
        assert_eq!(serial_text("43830", true).as_deref(), Some("2024-01-01"));
    }

    #[test]
    fn format_codes() {
        for date in [
            "yyyy-mm-dd",
            "yyyy/m/d;@",
            "[$-F800]dddd\\,\\ mmmm\\ dd\\,\\ yyyy",
            "yyyy\"年\"m\"月\"d\"日\"",
            "[h]:mm:ss",
            "mm:ss",
            "d-mmm",
        ] {
            assert!(format_code_is_date(date), "{date}");
        }
        for not_date in [
            "General",
            "0.00",
            "#,##0.00\"元\"",
            "0.00E+00",
            "[Red]0.0",
            "_(* #,##0_)",
            "@",
            "0.0\"mg/m3\"",
        ] {
            assert!(!format_code_is_date(not_date), "{not_date}");
        }
        assert!(builtin_is_date(14) && builtin_is_date(22) && builtin_is_date(31));
        assert!(!builtin_is_date(0) && !builtin_is_date(2) && !builtin_is_date(49));
    }

    #[test]
    fn iso_dates() {
        assert_eq!(iso_text("2024-01-01T00:00:00Z"), "2024-01-01");
        assert_eq!(iso_text("2024-01-01T08:30:00"), "2024-01-01 08:30:00");
        assert_eq!(iso_text("2024-01-01"), "2024-01-01");
    }
}
