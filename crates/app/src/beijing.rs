//! Beijing time (UTC+8), the time of every page, export and default date.
//!
//! A fixed offset is exact: China has observed no daylight saving time since 1991, so no
//! time-zone database is needed.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, Utc};

/// The offset of Beijing time from UTC.
pub const OFFSET: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(o) => o,
    // Evaluated at compile time: 8 h is a valid offset, so this arm cannot be reached.
    None => panic!("UTC+8 is a valid offset"),
};

/// Now, in Beijing time.
pub fn now() -> DateTime<FixedOffset> {
    Utc::now().with_timezone(&OFFSET)
}

/// Today's date in Beijing.
pub fn today() -> NaiveDate {
    now().date_naive()
}

/// A UTC instant as Beijing wall-clock time, the form HJ 212 DataTimes are written in.
pub fn local(t: DateTime<Utc>) -> NaiveDateTime {
    t.with_timezone(&OFFSET).naive_local()
}

/// A Beijing wall-clock time as the UTC instant it names (never ambiguous: no DST).
pub fn to_utc(t: NaiveDateTime) -> DateTime<Utc> {
    (t - Duration::seconds(i64::from(OFFSET.local_minus_utc()))).and_utc()
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    #[test]
    fn half_past_four_utc_is_the_next_day_in_beijing() {
        let t = Utc
            .with_ymd_and_hms(2026, 12, 1, 16, 30, 0)
            .single()
            .unwrap()
            .with_timezone(&super::OFFSET);
        assert_eq!(t.format("%Y-%m-%d %H:%M").to_string(), "2026-12-02 00:30");
        let utc = t.with_timezone(&Utc);
        assert_eq!(super::to_utc(super::local(utc)), utc);
    }
}
