//! 企业环境信息依法披露 (生态环境部令第24号): which reports an enterprise on the city's list owes,
//! when each is due, and which were late or are missing.
//!
//! An enterprise on the list of year Y owes the annual report covering Y, due on 15 March of
//! Y+1 (the rules file's deadline), and a temporary report for every triggering event of Y —
//! a penalty decision in its cases, or a trigger staff registered (permit granted, changed or
//! revoked, damage compensation …) — due 5 working days after the event (weekends, holidays and
//! 调休 from the working-day calendar file). A report is filed on the Beijing date of its first
//! submission; amendments are later revisions and never change that date.
//!
//! [`lateness`] is the fact the credit rating uses: every report of an enterprise and year that
//! was filed after its due date or is still missing after it.

use chrono::NaiveDate;
use qingshan_sources::disclosure::{Rules, WorkCalendar};
use qingshan_store::{DisclosureReport, DisclosureReportKey, Store, StoreError};
use serde::Serialize;

use crate::{Error, Result};

/// The disclosure rules (the embedded rules file).
pub fn rules() -> Result<&'static Rules> {
    Rules::embedded().map_err(|e| Error::Store(StoreError::Corrupt(e.to_string())))
}

/// The working-day calendar (the embedded calendar file).
pub fn calendar() -> Result<&'static WorkCalendar> {
    WorkCalendar::embedded().map_err(|e| Error::Store(StoreError::Corrupt(e.to_string())))
}

/// Annual or temporary report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// 年度环境信息依法披露报告, due 15 March of the next year.
    Annual,
    /// 临时环境信息依法披露报告, due 5 working days after the event.
    Temporary,
}

impl ReportKind {
    /// Stored code.
    pub fn code(self) -> &'static str {
        match self {
            ReportKind::Annual => "annual",
            ReportKind::Temporary => "temporary",
        }
    }

    /// Chinese label: 年度报告 or 临时报告.
    pub fn label(self) -> &'static str {
        match self {
            ReportKind::Annual => "年度报告",
            ReportKind::Temporary => "临时报告",
        }
    }

    /// The kind of a stored code.
    pub fn parse(code: &str) -> Option<ReportKind> {
        match code {
            "annual" => Some(ReportKind::Annual),
            "temporary" => Some(ReportKind::Temporary),
            _ => None,
        }
    }
}

/// One report an enterprise owes, with the report if it exists.
#[derive(Debug, Clone, Serialize)]
pub struct Due {
    /// Annual or temporary.
    pub kind: ReportKind,
    /// The year covered (annual) or of the event (temporary).
    pub year: i64,
    /// "" for the annual report; `case:ID` (penalty decision) or `trigger:ID`.
    pub trigger_key: String,
    /// The trigger's code in the rules file (`penalty`, `permit_change` …), temporary only.
    pub trigger_kind: Option<String>,
    /// What triggered it, in words (e.g. 生态环境行政处罚 案件 2026-0001 决定书 …).
    pub trigger_label: Option<String>,
    /// The event's date (temporary).
    pub event_date: Option<NaiveDate>,
    /// The last day on time.
    pub due_date: NaiveDate,
    /// The report (draft or submitted), if the enterprise has started it.
    pub report: Option<DisclosureReport>,
}

impl Due {
    /// The store key of this report.
    pub fn key(&self, credit_code: &str) -> DisclosureReportKey {
        DisclosureReportKey {
            credit_code: credit_code.to_string(),
            kind: self.kind.code().to_string(),
            year: self.year,
            trigger_key: self.trigger_key.clone(),
        }
    }

    /// The Beijing date of the first submission, if submitted.
    pub fn filed_date(&self) -> Option<NaiveDate> {
        self.report
            .as_ref()
            .filter(|r| r.revision > 0)
            .and_then(|r| r.filed_date.as_deref())
            .and_then(|d| d.parse().ok())
    }

    /// Where the report stands on `as_of`.
    pub fn status(&self, as_of: NaiveDate) -> DueStatus {
        match self.filed_date() {
            Some(f) if f > self.due_date => DueStatus::Late,
            Some(_) => DueStatus::OnTime,
            None if as_of > self.due_date => DueStatus::Missing,
            None => DueStatus::Open,
        }
    }
}

/// Where a report stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DueStatus {
    /// Not submitted, not yet due.
    Open,
    /// Submitted on or before its due date.
    OnTime,
    /// Submitted after its due date (迟报).
    Late,
    /// Not submitted and past its due date (未报).
    Missing,
}

impl DueStatus {
    /// Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            DueStatus::Open => "待报送",
            DueStatus::OnTime => "按时报送",
            DueStatus::Late => "逾期报送",
            DueStatus::Missing => "逾期未报",
        }
    }
}

/// A report filed late or missing after its due date: what the credit rating deducts for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DisclosureLapse {
    /// Annual or temporary.
    pub kind: ReportKind,
    /// 年度报告 or 临时报告.
    pub kind_label: &'static str,
    /// The enterprise.
    pub credit_code: String,
    /// The year covered (annual) or of the event (temporary).
    pub year: i64,
    /// The report's id, if the enterprise started it (a missing report may have a draft).
    pub report_id: Option<i64>,
    /// `case:ID` or `trigger:ID` for a temporary report; `None` for the annual one.
    pub trigger_key: Option<String>,
    /// What triggered it, in words (temporary).
    pub trigger_label: Option<String>,
    /// The event's date (temporary).
    pub event_date: Option<NaiveDate>,
    /// The last day on time.
    pub due_date: NaiveDate,
    /// The Beijing date of the first submission; `None`: still missing.
    pub filed_date: Option<NaiveDate>,
    /// Calendar days after the due date: to the filing date, or to `as_of` if missing (≥ 1).
    pub days_late: i64,
    /// The same span in working days (the calendar file's), for a temporary report.
    pub working_days_late: Option<i64>,
}

/// The reports the enterprise `credit_code` owes for `year`: none unless it is on that year's
/// list (and not removed); then the annual report and one temporary report per triggering event
/// dated in `year` (penalty decisions of its cases, triggers staff registered), by due date.
pub async fn dues(store: &Store, credit_code: &str, year: i64) -> Result<Vec<Due>> {
    let listed = store
        .disclosure_listing_of(year, credit_code)
        .await?
        .is_some_and(|l| l.state == "listed");
    if !listed {
        return Ok(Vec::new());
    }
    let rules = rules()?;
    let cal = calendar()?;
    let y = i32::try_from(year).map_err(|_| Error::invalid("year", "年份超出范围"))?;
    let annual_due = rules
        .annual_due(y)
        .ok_or_else(|| Error::invalid("year", "年份超出范围"))?;
    let reports = store.disclosure_reports_of(credit_code, Some(year)).await?;
    let find = |kind: &str, key: &str| {
        reports
            .iter()
            .find(|r| r.key.kind == kind && r.key.trigger_key == key)
            .cloned()
    };
    let mut out = vec![Due {
        kind: ReportKind::Annual,
        year,
        trigger_key: String::new(),
        trigger_kind: None,
        trigger_label: None,
        event_date: None,
        due_date: annual_due,
        report: find("annual", ""),
    }];
    let from = format!("{year:04}-01-01");
    let to = format!("{year:04}-12-31");
    let days = rules.deadlines.temporary_working_days;
    let penalty_name = rules
        .trigger("penalty")
        .map_or("生态环境行政处罚", |t| t.name.as_str());
    for c in store.decided_cases_of(credit_code, &from, &to).await? {
        let Ok(date) = c.decision_date.parse::<NaiveDate>() else {
            continue;
        };
        let key = format!("case:{}", c.id);
        let doc = c
            .decision_number
            .as_deref()
            .map(|n| format!(" 决定书 {n}"))
            .unwrap_or_default();
        out.push(Due {
            kind: ReportKind::Temporary,
            year,
            trigger_kind: Some("penalty".into()),
            trigger_label: Some(format!("{penalty_name} 案件 {}{doc}", c.case_number)),
            event_date: Some(date),
            due_date: cal.add_working_days(date, days),
            report: find("temporary", &key),
            trigger_key: key,
        });
    }
    for t in store
        .disclosure_triggers_of(credit_code, &from, &to)
        .await?
    {
        let Ok(date) = t.event_date.parse::<NaiveDate>() else {
            continue;
        };
        let key = format!("trigger:{}", t.id);
        let name = rules
            .trigger(&t.kind)
            .map_or("其他事项", |x| x.name.as_str());
        out.push(Due {
            kind: ReportKind::Temporary,
            year,
            trigger_kind: Some(t.kind.clone()),
            trigger_label: Some(format!("{name} {}", t.document)),
            event_date: Some(date),
            due_date: cal.add_working_days(date, days),
            report: find("temporary", &key),
            trigger_key: key,
        });
    }
    out.sort_by(|a, b| {
        (a.kind != ReportKind::Annual, a.due_date, &a.trigger_key).cmp(&(
            b.kind != ReportKind::Annual,
            b.due_date,
            &b.trigger_key,
        ))
    });
    Ok(out)
}

/// The lapse of one due report on `as_of`, if it is late or missing.
pub fn lapse_of(credit_code: &str, due: &Due, as_of: NaiveDate) -> Result<Option<DisclosureLapse>> {
    let end = match due.status(as_of) {
        DueStatus::Late => due.filed_date(),
        DueStatus::Missing => Some(as_of),
        DueStatus::Open | DueStatus::OnTime => None,
    };
    let Some(end) = end else {
        return Ok(None);
    };
    let working_days_late = match due.kind {
        ReportKind::Temporary => Some(calendar()?.working_days_between(due.due_date, end)),
        ReportKind::Annual => None,
    };
    Ok(Some(DisclosureLapse {
        kind: due.kind,
        kind_label: due.kind.label(),
        credit_code: credit_code.to_string(),
        year: due.year,
        report_id: due.report.as_ref().map(|r| r.id),
        trigger_key: (!due.trigger_key.is_empty()).then(|| due.trigger_key.clone()),
        trigger_label: due.trigger_label.clone(),
        event_date: due.event_date,
        due_date: due.due_date,
        filed_date: due.filed_date(),
        days_late: (end - due.due_date).num_days(),
        working_days_late,
    }))
}

/// The reports of the enterprise `credit_code` for `year` that were filed after their due date
/// or are still missing on `as_of` (Beijing date; pass [`crate::beijing::today`] for now), by
/// due date. Empty when the enterprise is not on that year's list. A report not yet due is no
/// lapse; an amendment after the due date is none either (lateness is the first submission's).
pub async fn lateness(
    store: &Store,
    credit_code: &str,
    year: i64,
    as_of: NaiveDate,
) -> Result<Vec<DisclosureLapse>> {
    let mut out = Vec::new();
    for due in dues(store, credit_code, year).await? {
        if let Some(l) = lapse_of(credit_code, &due, as_of)? {
            out.push(l);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn report(filed: Option<&str>) -> DisclosureReport {
        DisclosureReport {
            id: 7,
            key: DisclosureReportKey {
                credit_code: "X".into(),
                kind: "annual".into(),
                year: 2025,
                trigger_key: String::new(),
            },
            enterprise_name: None,
            event_date: None,
            due_date: "2026-03-15".into(),
            revision: i64::from(filed.is_some()),
            draft: "{}".into(),
            content: None,
            first_submitted_at: None,
            filed_date: filed.map(str::to_string),
            last_submitted_at: None,
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    fn annual(filed: Option<&str>, started: bool) -> Due {
        Due {
            kind: ReportKind::Annual,
            year: 2025,
            trigger_key: String::new(),
            trigger_kind: None,
            trigger_label: None,
            event_date: None,
            due_date: rules().unwrap().annual_due(2025).unwrap(),
            report: (started || filed.is_some()).then(|| report(filed)),
        }
    }

    #[test]
    fn the_annual_report_missing_on_16_march_is_one_day_late() {
        let due = annual(None, false);
        assert!(lapse_of("X", &due, d("2026-03-15")).unwrap().is_none());
        let l = lapse_of("X", &due, d("2026-03-16")).unwrap().unwrap();
        assert_eq!((l.filed_date, l.days_late, l.report_id), (None, 1, None));
        // A draft is not a filing.
        let l = lapse_of("X", &annual(None, true), d("2026-03-20"))
            .unwrap()
            .unwrap();
        assert_eq!((l.filed_date, l.days_late, l.report_id), (None, 5, Some(7)));
    }

    #[test]
    fn a_report_filed_on_the_due_date_is_on_time_and_the_next_day_late() {
        let on_time = annual(Some("2026-03-15"), true);
        assert_eq!(on_time.status(d("2026-12-31")), DueStatus::OnTime);
        assert!(lapse_of("X", &on_time, d("2026-12-31")).unwrap().is_none());
        let late = annual(Some("2026-03-18"), true);
        let l = lapse_of("X", &late, d("2026-12-31")).unwrap().unwrap();
        assert_eq!((l.filed_date, l.days_late), (Some(d("2026-03-18")), 3));
    }

    #[test]
    fn a_temporary_report_counts_working_days() {
        let cal = calendar().unwrap();
        // Decision on Monday 2026-03-02: due Monday 2026-03-09 (5 working days).
        let due_date = cal.add_working_days(d("2026-03-02"), 5);
        assert_eq!(due_date, d("2026-03-09"));
        let mut r = report(Some("2026-03-10"));
        r.key.kind = "temporary".into();
        let due = Due {
            kind: ReportKind::Temporary,
            year: 2026,
            trigger_key: "case:1".into(),
            trigger_kind: Some("penalty".into()),
            trigger_label: None,
            event_date: Some(d("2026-03-02")),
            due_date,
            report: Some(r),
        };
        let l = lapse_of("X", &due, d("2026-03-31")).unwrap().unwrap();
        assert_eq!((l.days_late, l.working_days_late), (1, Some(1)));
    }
}
