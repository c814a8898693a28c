//! 企业环境信息依法披露 rules as data (`rules/disclosure-2021-24.toml`, from
//! ../shared/reference/credit-disclosure-complaints.md §2): the list bases (第七条), the list
//! reasons of 第八条, the temporary-report triggers, the annual report's sections with their
//! fields, and the deadlines; plus the working-day calendar (`rules/workdays-cn.toml`) the
//! 5-working-day deadline is counted with. Pure: no storage, no clock.

use std::collections::{BTreeMap, HashSet};
use std::sync::OnceLock;

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

/// The rules file, embedded.
pub const RULES_TOML: &str = include_str!("../rules/disclosure-2021-24.toml");

/// The working-day calendar, embedded.
pub const CALENDAR_TOML: &str = include_str!("../rules/workdays-cn.toml");

/// The rule set's title and documents.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct RuleInfo {
    /// 管理办法 title.
    pub title: String,
    /// Issuer and number.
    pub issuer: String,
    /// In force from, YYYY-MM-DD.
    pub in_force: String,
    /// The format rule.
    pub format_rule: String,
    /// Where it comes from.
    pub source: String,
}

/// The deadlines.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Deadlines {
    /// Month of the annual report's deadline (in the year after the report year).
    pub annual_month: u32,
    /// Day of that month (the last day it is on time).
    pub annual_day: u32,
    /// Source of the annual deadline.
    pub annual_source: String,
    /// Whether the reference confirmed it.
    pub annual_confirmed: bool,
    /// Working days after the legal document within which the temporary report is due.
    pub temporary_working_days: u32,
    /// Source of the temporary deadline.
    pub temporary_source: String,
    /// Whether the reference confirmed it.
    pub temporary_confirmed: bool,
    /// Month by which the city publishes the year's list.
    pub list_month: u32,
    /// Day of that month.
    pub list_day: u32,
    /// Source of the list deadline.
    pub list_source: String,
    /// Whether the reference confirmed it.
    pub list_confirmed: bool,
}

/// A code with its Chinese name and source (list basis, list reason, trigger).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Coded {
    /// Stored code.
    pub code: String,
    /// Chinese name.
    pub name: String,
    /// Article, where the file names one.
    #[serde(default)]
    pub article: Option<String>,
    /// Where it comes from.
    pub source: String,
    /// Whether the reference confirmed it.
    #[serde(default = "yes")]
    pub confirmed: bool,
}

fn yes() -> bool {
    true
}

/// One field of a report section.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Field {
    /// Key in the stored content.
    pub key: String,
    /// Chinese label.
    pub label: String,
    /// text, long, number or date.
    pub kind: String,
    /// Where qingshan prefills it from, if anywhere.
    #[serde(default)]
    pub prefill: Option<String>,
}

/// One section of the annual report.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Section {
    /// Key in the stored content.
    pub code: String,
    /// Chinese title.
    pub title: String,
    /// The article it follows.
    pub article: String,
    /// all, cleaner_production or listed.
    pub applies: String,
    /// Where it comes from.
    pub source: String,
    /// Whether the section is confirmed (its field list is an option either way).
    pub confirmed: bool,
    /// Its fields.
    pub fields: Vec<Field>,
}

/// The disclosure rules.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Rules {
    /// Title and documents.
    pub rule: RuleInfo,
    /// Deadlines.
    pub deadlines: Deadlines,
    /// List bases (第七条).
    pub basis: Vec<Coded>,
    /// List reasons of 第八条.
    pub penalty_reason: Vec<Coded>,
    /// Temporary-report triggers.
    pub trigger: Vec<Coded>,
    /// Annual-report sections.
    pub section: Vec<Section>,
    /// Temporary-report fields.
    pub temporary_field: Vec<Field>,
}

/// A rules or calendar file that does not parse.
#[derive(Debug, thiserror::Error)]
#[error("披露规则文件有误：{0}")]
pub struct RulesError(String);

impl Rules {
    /// Parses a rules file.
    pub fn parse(text: &str) -> Result<Rules, RulesError> {
        toml::from_str(text).map_err(|e| RulesError(e.to_string()))
    }

    /// The embedded rules, parsed once.
    pub fn embedded() -> Result<&'static Rules, RulesError> {
        static RULES: OnceLock<Result<Rules, String>> = OnceLock::new();
        RULES
            .get_or_init(|| Rules::parse(RULES_TOML).map_err(|e| e.0))
            .as_ref()
            .map_err(|e| RulesError(e.clone()))
    }

    /// The list basis `code`.
    pub fn basis(&self, code: &str) -> Option<&Coded> {
        self.basis.iter().find(|b| b.code == code)
    }

    /// The trigger `code`.
    pub fn trigger(&self, code: &str) -> Option<&Coded> {
        self.trigger.iter().find(|b| b.code == code)
    }

    /// The sections an enterprise listed on `bases` fills: every `all` section, plus
    /// 第十四条's for a cleaner-production listing and 第十五条's for a listed company or issuer.
    pub fn sections_for(&self, bases: &[&str]) -> Vec<&Section> {
        self.section
            .iter()
            .filter(|s| match s.applies.as_str() {
                "cleaner_production" => bases.contains(&"cleaner_production"),
                "listed" => bases
                    .iter()
                    .any(|b| *b == "listed_penalised" || *b == "bond_penalised"),
                _ => true,
            })
            .collect()
    }

    /// The annual report for `year` is due on this day of the next year (the last day on time).
    pub fn annual_due(&self, year: i32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(
            year + 1,
            self.deadlines.annual_month,
            self.deadlines.annual_day,
        )
    }
}

/// One year of the working-day calendar.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct CalendarYear {
    /// The year.
    pub year: i32,
    /// The notice it comes from.
    pub source: String,
    /// Whether the dates were checked against the notice.
    pub confirmed: bool,
    /// Statutory holidays (with the days off of 调休).
    pub holidays: Vec<NaiveDate>,
    /// Weekend days that are working days (调休上班).
    pub workdays: Vec<NaiveDate>,
}

#[derive(Deserialize)]
struct CalendarFile {
    year: Vec<CalendarYear>,
}

/// The working-day calendar: weekends are not working days, except the 调休 working days;
/// holidays are not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkCalendar {
    holidays: HashSet<NaiveDate>,
    workdays: HashSet<NaiveDate>,
    /// The years the calendar holds, with their sources.
    pub years: BTreeMap<i32, CalendarYear>,
}

impl WorkCalendar {
    /// Weekends only, no holidays.
    pub fn weekends_only() -> WorkCalendar {
        WorkCalendar::default()
    }

    /// Parses a calendar file.
    pub fn parse(text: &str) -> Result<WorkCalendar, RulesError> {
        let f: CalendarFile = toml::from_str(text).map_err(|e| RulesError(e.to_string()))?;
        let mut c = WorkCalendar::default();
        for y in f.year {
            for d in &y.holidays {
                if d.year() != y.year {
                    return Err(RulesError(format!("{} 年的节假日 {d} 不在该年", y.year)));
                }
            }
            c.holidays.extend(y.holidays.iter().copied());
            c.workdays.extend(y.workdays.iter().copied());
            c.years.insert(y.year, y);
        }
        Ok(c)
    }

    /// The embedded calendar, parsed once.
    pub fn embedded() -> Result<&'static WorkCalendar, RulesError> {
        static CAL: OnceLock<Result<WorkCalendar, String>> = OnceLock::new();
        CAL.get_or_init(|| WorkCalendar::parse(CALENDAR_TOML).map_err(|e| e.0))
            .as_ref()
            .map_err(|e| RulesError(e.clone()))
    }

    /// Whether `d` is a working day.
    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        if self.workdays.contains(&d) {
            return true;
        }
        if self.holidays.contains(&d) {
            return false;
        }
        !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
    }

    /// The `n`-th working day after `d` (`d` itself not counted); `n = 0` is `d`.
    pub fn add_working_days(&self, d: NaiveDate, n: u32) -> NaiveDate {
        let mut day = d;
        let mut left = n;
        while left > 0 {
            day += Duration::days(1);
            if self.is_working_day(day) {
                left -= 1;
            }
        }
        day
    }

    /// Working days after `from` up to and including `to` (0 when `to <= from`).
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        let mut n = 0;
        let mut day = from;
        while day < to {
            day += Duration::days(1);
            if self.is_working_day(day) {
                n += 1;
            }
        }
        n
    }

    /// Whether the calendar holds the holidays of `year` (else it counts weekends only).
    pub fn knows_year(&self, year: i32) -> bool {
        self.years.contains_key(&year)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn embedded_files_parse_and_name_their_sources() {
        let r = Rules::embedded().unwrap();
        assert_eq!(r.annual_due(2025), Some(d("2026-03-15")));
        assert_eq!(r.deadlines.temporary_working_days, 5);
        assert!(r.basis("key_discharger").is_some());
        assert!(r.trigger("penalty").is_some_and(|t| t.confirmed));
        assert!(r.trigger("criminal").is_some_and(|t| !t.confirmed));
        for s in &r.section {
            assert!(!s.source.is_empty() && !s.fields.is_empty(), "{}", s.code);
        }
        let c = WorkCalendar::embedded().unwrap();
        assert!(c.knows_year(2026));
    }

    #[test]
    fn sections_follow_the_bases() {
        let r = Rules::embedded().unwrap();
        let plain: Vec<_> = r
            .sections_for(&["key_discharger"])
            .iter()
            .map(|s| s.code.clone())
            .collect();
        assert!(!plain.contains(&"cleaner_production".to_string()));
        assert!(!plain.contains(&"financing".to_string()));
        let cp: Vec<_> = r
            .sections_for(&["cleaner_production"])
            .iter()
            .map(|s| s.code.clone())
            .collect();
        assert!(cp.contains(&"cleaner_production".to_string()));
        let listed: Vec<_> = r
            .sections_for(&["listed_penalised"])
            .iter()
            .map(|s| s.code.clone())
            .collect();
        assert!(listed.contains(&"financing".to_string()));
    }

    #[test]
    fn working_days_skip_weekends_and_holidays_and_keep_adjusted_workdays() {
        let w = WorkCalendar::weekends_only();
        // Monday 2026-03-02 + 5 working days = Monday 2026-03-09.
        assert_eq!(w.add_working_days(d("2026-03-02"), 5), d("2026-03-09"));
        // Friday + 1 = Monday.
        assert_eq!(w.add_working_days(d("2026-03-06"), 1), d("2026-03-09"));
        assert_eq!(w.working_days_between(d("2026-03-02"), d("2026-03-09")), 5);
        let c = WorkCalendar::parse(
            "[[year]]\nyear = 2026\nsource = \"t\"\nconfirmed = false\nholidays = [\"2026-05-01\", \"2026-05-04\"]\nworkdays = [\"2026-05-09\"]\n",
        )
        .unwrap();
        // Thu 30 Apr + 5: Fri 1 May (holiday), Mon 4 May (holiday): 5,6,7,8 May and Sat 9 May (调休).
        assert_eq!(c.add_working_days(d("2026-04-30"), 5), d("2026-05-09"));
        assert!(!c.is_working_day(d("2026-05-01")));
        assert!(c.is_working_day(d("2026-05-09")));
    }

    #[test]
    fn a_holiday_outside_its_year_is_refused() {
        let e = WorkCalendar::parse(
            "[[year]]\nyear = 2026\nsource = \"t\"\nconfirmed = false\nholidays = [\"2025-05-01\"]\nworkdays = []\n",
        );
        assert!(e.is_err());
    }
}
