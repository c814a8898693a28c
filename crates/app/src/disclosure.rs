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

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use qingshan_sources::disclosure::{Rules, WorkCalendar};
use qingshan_store::{
    Actor, DisclosureListFilter, DisclosureListing, DisclosureReport, DisclosureReportFilter,
    DisclosureReportKey, DisclosureRevision, DisclosureTrigger, NewDisclosureTrigger, Paged, Role,
    Store, StoreError, User, labels,
};
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

// ---- who may do what ---------------------------------------------------------------------

/// Who keeps the list and registers triggers, and sees the overdue lists: the bureau's staff
/// and administrators.
pub fn may_manage(user: Option<&User>) -> Result<()> {
    let u = user.ok_or(Error::Unauthenticated)?;
    match u.role {
        Role::Admin | Role::Staff => Ok(()),
        _ => Err(Error::Forbidden(
            "环境信息依法披露企业名单和逾期情况由生态环境局工作人员管理".into(),
        )),
    }
}

/// Whose reports (drafts included) the user may read: an enterprise account its own (asking
/// for another's is [`Error::Forbidden`]), staff any enterprise's; `credit_code` defaults to
/// the enterprise account's own. Others are refused.
pub fn reader_of(user: Option<&User>, credit_code: Option<&str>) -> Result<String> {
    let u = user.ok_or(Error::Unauthenticated)?;
    let asked = credit_code.map(str::trim).filter(|c| !c.is_empty());
    if let Some(own) = crate::scope::confined_to(u) {
        return match asked {
            Some(c) if c != own => Err(Error::Forbidden(
                "排污单位账号只能查看和填报本单位的环境信息披露报告".into(),
            )),
            _ => Ok(own.to_string()),
        };
    }
    may_manage(user)?;
    asked
        .map(str::to_string)
        .ok_or_else(|| Error::invalid("credit_code", "请填写统一社会信用代码"))
}

/// Who may write a report: only the enterprise's own account (the report is the enterprise's
/// statement; staff read it, never write it).
pub fn writer_of(user: Option<&User>, credit_code: Option<&str>) -> Result<String> {
    let u = user.ok_or(Error::Unauthenticated)?;
    if crate::scope::confined_to(u).is_none() {
        return Err(Error::Forbidden(
            "环境信息披露报告只能由排污单位本单位账号填报".into(),
        ));
    }
    reader_of(user, credit_code)
}

// ---- the list ------------------------------------------------------------------------------

/// Longest reason, document, note or field text, characters.
pub const MAX_TEXT_CHARS: usize = 4000;

fn text(field: &str, label: &str, value: &str, max: usize) -> Result<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(Error::invalid(field, format!("请填写{label}")));
    }
    let n = v.chars().count();
    if n > max {
        return Err(Error::invalid(
            field,
            format!("{label}最多 {max} 个字，现为 {n} 个字"),
        ));
    }
    Ok(v.to_string())
}

fn year_of(field: &str, year: i64, today: NaiveDate) -> Result<i64> {
    let latest = i64::from(today.year()) + 1;
    if !(2021..=latest).contains(&year) {
        return Err(Error::invalid(
            field,
            format!("年份应在 2021 至 {latest} 之间，现为 {year}"),
        ));
    }
    Ok(year)
}

fn date_of(field: &str, value: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d").map_err(|_| {
        Error::invalid(
            field,
            format!("「{}」不是有效的日期，应为 YYYY-MM-DD", value.trim()),
        )
    })
}

async fn registered(store: &Store, credit_code: &str) -> Result<String> {
    let code = credit_code.trim();
    qingshan_sources::check_credit_code(code)
        .map_err(|e| Error::invalid("credit_code", e.to_string()))?;
    let reg = store.export_registry().await?;
    if !reg.enterprises.iter().any(|e| e.credit_code == code) {
        return Err(Error::invalid(
            "credit_code",
            format!("污染源名录中没有统一社会信用代码为 {code} 的排污单位"),
        ));
    }
    Ok(code.to_string())
}

fn conflict(e: StoreError) -> Error {
    match e {
        StoreError::Conflict(m) => Error::Conflict(m),
        StoreError::NotFound(m) => Error::NotFound(m),
        other => other.into(),
    }
}

/// What staff give to put an enterprise on a year's list, as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ListingInput {
    /// The list year (the year the annual report covers).
    pub year: i64,
    /// 统一社会信用代码 (must be in the registry).
    pub credit_code: String,
    /// The basis code of the rules file (第七条 item).
    pub basis: String,
    /// Why, in words (e.g. 第八条's circumstance, the 名录 it is on).
    pub reason: String,
}

/// Puts an enterprise on a year's list (staff; audited by the store).
pub async fn add_listing(
    store: &Store,
    user: Option<&User>,
    actor: &Actor,
    input: &ListingInput,
    today: NaiveDate,
) -> Result<DisclosureListing> {
    may_manage(user)?;
    let year = year_of("year", input.year, today)?;
    let code = registered(store, &input.credit_code).await?;
    let rules = rules()?;
    let basis = input.basis.trim();
    if rules.basis(basis).is_none() {
        let names: Vec<String> = rules
            .basis
            .iter()
            .map(|b| format!("{}（{}）", b.code, b.name))
            .collect();
        return Err(Error::invalid(
            "basis",
            format!("应为 {}", names.join("、")),
        ));
    }
    let reason = text("reason", "列入理由", &input.reason, MAX_TEXT_CHARS)?;
    store
        .add_disclosure_listing(year, &code, basis, &reason, actor)
        .await
        .map_err(conflict)
}

/// Takes an enterprise off a list with the reason (staff; the row and its history stay).
pub async fn remove_listing(
    store: &Store,
    user: Option<&User>,
    actor: &Actor,
    id: i64,
    reason: &str,
) -> Result<DisclosureListing> {
    may_manage(user)?;
    let reason = text("reason", "移出理由", reason, MAX_TEXT_CHARS)?;
    store
        .remove_disclosure_listing(id, &reason, actor)
        .await
        .map_err(conflict)
}

/// A listing with its basis in words.
#[derive(Debug, Clone, Serialize)]
pub struct ListingView {
    /// The listing.
    #[serde(flatten)]
    pub listing: DisclosureListing,
    /// The basis's name.
    pub basis_name: String,
    /// The basis's article.
    pub basis_article: String,
}

/// A listing with its basis in words.
pub fn listing_view(l: DisclosureListing) -> Result<ListingView> {
    let rules = rules()?;
    let (basis_name, basis_article) = rules.basis(&l.basis).map_or_else(
        || (l.basis.clone(), String::new()),
        |b| (b.name.clone(), b.article.clone().unwrap_or_default()),
    );
    Ok(ListingView {
        listing: l,
        basis_name,
        basis_article,
    })
}

/// One page of a year's list: the published list (`listed` only) for everyone; staff may ask
/// for removed entries too (`state`).
pub async fn listings(
    store: &Store,
    filter: &DisclosureListFilter,
    limit: i64,
    offset: i64,
) -> Result<Paged<ListingView>> {
    let p = store
        .disclosure_listings_paged(filter, limit, offset)
        .await?;
    let mut items = Vec::with_capacity(p.items.len());
    for l in p.items {
        items.push(listing_view(l)?);
    }
    Ok(Paged {
        items,
        total: p.total,
    })
}

// ---- triggers ----------------------------------------------------------------------------

/// What staff give to register a trigger, as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct TriggerInput {
    /// 统一社会信用代码.
    pub credit_code: String,
    /// Trigger code of the rules file (not `penalty`: those come from the cases).
    pub kind: String,
    /// The legal document, name and number.
    pub document: String,
    /// The day the enterprise received it, YYYY-MM-DD.
    pub event_date: String,
    /// Note.
    #[serde(default)]
    pub note: Option<String>,
}

/// Registers a temporary-report trigger (staff). Penalty decisions are not registered here:
/// they come from the cases' decisions.
pub async fn add_trigger(
    store: &Store,
    user: Option<&User>,
    actor: &Actor,
    input: &TriggerInput,
    today: NaiveDate,
) -> Result<DisclosureTrigger> {
    may_manage(user)?;
    let code = registered(store, &input.credit_code).await?;
    let rules = rules()?;
    let kind = input.kind.trim();
    if kind == "penalty" {
        return Err(Error::invalid(
            "kind",
            "行政处罚由案件的处罚决定自动产生临时报告义务，无需另行登记",
        ));
    }
    if rules.trigger(kind).is_none() {
        let names: Vec<String> = rules
            .trigger
            .iter()
            .filter(|t| t.code != "penalty")
            .map(|t| format!("{}（{}）", t.code, t.name))
            .collect();
        return Err(Error::invalid("kind", format!("应为 {}", names.join("、"))));
    }
    let document = text("document", "法律文书名称及文号", &input.document, 200)?;
    let date = date_of("event_date", &input.event_date)?;
    if date > today {
        return Err(Error::invalid("event_date", "收到日期不能晚于今天"));
    }
    let note = match input
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        Some(n) => Some(text("note", "备注", n, MAX_TEXT_CHARS)?),
        None => None,
    };
    Ok(store
        .add_disclosure_trigger(
            &NewDisclosureTrigger {
                credit_code: code,
                kind: kind.to_string(),
                document,
                event_date: date.format("%Y-%m-%d").to_string(),
                note,
            },
            actor,
        )
        .await?)
}

// ---- the enterprise's reports ------------------------------------------------------------

/// A section's or the temporary report's content: field key → text.
pub type FieldValues = BTreeMap<String, String>;

/// A report's content: section code → its fields (the temporary report is one section,
/// `temporary_report`).
pub type Content = BTreeMap<String, FieldValues>;

/// The section code of a temporary report's fields.
pub const TEMPORARY_SECTION: &str = "temporary_report";

/// One section of a report form with its values.
#[derive(Debug, Clone, Serialize)]
pub struct FormSection {
    /// Section code.
    pub code: String,
    /// Title.
    pub title: String,
    /// The article it follows.
    pub article: String,
    /// Its fields with their values.
    pub fields: Vec<FormField>,
}

/// One field of a report form.
#[derive(Debug, Clone, Serialize)]
pub struct FormField {
    /// Key.
    pub key: String,
    /// Form name: `section.key`.
    pub name: String,
    /// Label.
    pub label: String,
    /// text, long, number or date.
    pub kind: String,
    /// The value (draft, or prefilled).
    pub value: String,
    /// Prefilled from qingshan's data (and not yet saved by the enterprise).
    pub prefilled: bool,
}

/// A report's form: the due report, its sections and values, and where it stands.
#[derive(Debug, Clone, Serialize)]
pub struct ReportForm {
    /// The enterprise.
    pub credit_code: String,
    /// Its name in the registry.
    pub enterprise_name: Option<String>,
    /// The due report (with the stored report, if any).
    pub due: Due,
    /// Its status today.
    pub status: DueStatus,
    /// 状态 in words.
    pub status_label: &'static str,
    /// The sections with their values.
    pub sections: Vec<FormSection>,
}

fn due_for<'a>(dues: &'a [Due], kind: ReportKind, trigger_key: &str) -> Result<&'a Due> {
    dues.iter()
        .find(|d| d.kind == kind && d.trigger_key == trigger_key)
        .ok_or_else(|| {
            Error::NotFound(match kind {
                ReportKind::Annual => {
                    "该单位不在本年度环境信息依法披露企业名单中，无需报送年度报告".into()
                }
                ReportKind::Temporary => "没有这一临时报告事项（或该单位不在当年名单中）".into(),
            })
        })
}

fn parse_content(text: &str) -> Content {
    serde_json::from_str(text).unwrap_or_default()
}

/// What qingshan already holds for the annual report of `credit_code` for `year`: registry,
/// permits, the year's emissions summed from the hourly data (2061 `Cou`) of its devices, its
/// devices as the automatic part of 自行监测, its penalty decisions and temporary reports.
/// Only stored data; a factor without data says so.
pub async fn prefill(store: &Store, credit_code: &str, year: i64, dues: &[Due]) -> Result<Content> {
    let home = crate::enterprise::home(store, credit_code, chrono::Utc::now()).await?;
    let mut out = Content::new();
    let mut basic = FieldValues::new();
    basic.insert("name".into(), home.enterprise.name.clone());
    basic.insert("credit_code".into(), home.enterprise.credit_code.clone());
    if let Some(a) = &home.enterprise.address {
        basic.insert("address".into(), a.clone());
    }
    if let Some(i) = &home.enterprise.industry {
        basic.insert("industry".into(), i.clone());
    }
    out.insert("basic".into(), basic);
    let permits: Vec<String> = home
        .permits
        .iter()
        .map(|p| {
            format!(
                "排污许可证 {}，有效期 {} 至 {}",
                p.number, p.valid_from, p.valid_to
            )
        })
        .collect();
    let mut management = FieldValues::new();
    if !permits.is_empty() {
        management.insert("permits".into(), permits.join("\n"));
    }
    out.insert("management".into(), management);
    let mut emissions = Vec::new();
    let mut monitoring = Vec::new();
    for d in &home.devices {
        let dev = &d.device;
        monitoring.push(format!(
            "{} {}：自动监测设备 {}",
            dev.outlet_code, dev.outlet_name, dev.mn
        ));
        let data = store
            .uploads_between(
                &dev.mn,
                "2061",
                &format!("{year:04}0101000000"),
                &format!("{:04}0101000000", year + 1),
            )
            .await?;
        let mut factors: Vec<&str> = home
            .limits
            .iter()
            .filter(|l| l.outlet_code == dev.outlet_code)
            .map(|l| l.factor_code.as_str())
            .collect();
        factors.sort_unstable();
        factors.dedup();
        for f in factors {
            let cous: Vec<&str> = data
                .iter()
                .flat_map(|(_, fs)| fs.iter())
                .filter(|v| v.factor == f)
                .filter_map(|v| v.cou.as_deref())
                .collect();
            let name = crate::display::factor(f);
            if cous.is_empty() {
                emissions.push(format!(
                    "{} {} {name}：本年无排放量数据",
                    dev.outlet_code, dev.outlet_name
                ));
                continue;
            }
            let permitted = home
                .limits
                .iter()
                .find(|l| l.outlet_code == dev.outlet_code && l.factor_code == f)
                .and_then(|l| l.annual_total_t.as_deref());
            let t = qingshan_sources::stats::emission_total(
                &cous,
                qingshan_sources::stats::CouUnit::Kg,
                permitted,
            );
            let allowed = t
                .permitted_t
                .as_deref()
                .map(|p| format!("（许可年排放量 {p} 吨）"))
                .unwrap_or_default();
            emissions.push(format!(
                "{} {} {name}：{} 吨，由 {} 个小时自动监测数据累计{allowed}",
                dev.outlet_code,
                dev.outlet_name,
                t.total_t,
                cous.len()
            ));
        }
    }
    let mut pollution = FieldValues::new();
    if !emissions.is_empty() {
        pollution.insert("emissions".into(), emissions.join("\n"));
    }
    if !monitoring.is_empty() {
        pollution.insert("self_monitoring".into(), monitoring.join("\n"));
    }
    out.insert("pollution".into(), pollution);
    let mut violations = Vec::new();
    let mut temporary = Vec::new();
    for d in dues.iter().filter(|d| d.kind == ReportKind::Temporary) {
        let label = d.trigger_label.clone().unwrap_or_default();
        if d.trigger_kind.as_deref() == Some("penalty") {
            violations.push(format!(
                "{label}，决定日期 {}",
                d.event_date.map(|e| e.to_string()).unwrap_or_default()
            ));
        }
        let state = match d.filed_date() {
            Some(f) => format!("已于 {f} 披露"),
            None => "尚未披露".to_string(),
        };
        temporary.push(format!("{label}：{state}"));
    }
    let mut v = FieldValues::new();
    v.insert(
        "violations".into(),
        if violations.is_empty() {
            "本年度无生态环境行政处罚".into()
        } else {
            violations.join("\n")
        },
    );
    out.insert("violations".into(), v);
    let mut t = FieldValues::new();
    t.insert(
        "temporary".into(),
        if temporary.is_empty() {
            "本年度无临时报告事项".into()
        } else {
            temporary.join("\n")
        },
    );
    out.insert("temporary".into(), t);
    Ok(out)
}

fn temporary_prefill(due: &Due) -> Content {
    let mut v = FieldValues::new();
    if let Some(t) = due
        .trigger_kind
        .as_deref()
        .and_then(|k| rules().ok().and_then(|r| r.trigger(k)))
    {
        v.insert("matter".into(), t.name.clone());
    }
    if let Some(l) = &due.trigger_label {
        v.insert("document".into(), l.clone());
    }
    if let Some(d) = due.event_date {
        v.insert("received_on".into(), d.to_string());
    }
    let mut c = Content::new();
    c.insert(TEMPORARY_SECTION.into(), v);
    c
}

/// The form of one report the enterprise owes: its sections (the annual report's follow the
/// enterprise's list basis), with the draft's values, else the submitted ones, else what
/// qingshan prefills. `trigger_key` is "" for the annual report.
pub async fn form(
    store: &Store,
    credit_code: &str,
    year: i64,
    kind: ReportKind,
    trigger_key: &str,
    today: NaiveDate,
) -> Result<ReportForm> {
    let dues = dues(store, credit_code, year).await?;
    let due = due_for(&dues, kind, trigger_key)?.clone();
    let rules = rules()?;
    let listing = store.disclosure_listing_of(year, credit_code).await?;
    let saved = due.report.as_ref().map(|r| parse_content(&r.draft));
    let filled = match (&saved, kind) {
        (Some(c), _) => c.clone(),
        (None, ReportKind::Annual) => prefill(store, credit_code, year, &dues).await?,
        (None, ReportKind::Temporary) => temporary_prefill(&due),
    };
    let prefilled = saved.is_none();
    let make = |code: &str, fields: &[qingshan_sources::disclosure::Field]| -> Vec<FormField> {
        fields
            .iter()
            .map(|f| {
                let value = filled
                    .get(code)
                    .and_then(|s| s.get(&f.key))
                    .cloned()
                    .unwrap_or_default();
                FormField {
                    key: f.key.clone(),
                    name: format!("{code}.{}", f.key),
                    label: f.label.clone(),
                    kind: f.kind.clone(),
                    prefilled: prefilled && !value.is_empty(),
                    value,
                }
            })
            .collect()
    };
    let sections = match kind {
        ReportKind::Annual => {
            let basis = listing
                .as_ref()
                .map(|l| l.basis.clone())
                .unwrap_or_default();
            rules
                .sections_for(&[basis.as_str()])
                .into_iter()
                .map(|s| FormSection {
                    code: s.code.clone(),
                    title: s.title.clone(),
                    article: s.article.clone(),
                    fields: make(&s.code, &s.fields),
                })
                .collect()
        }
        ReportKind::Temporary => vec![FormSection {
            code: TEMPORARY_SECTION.into(),
            title: "临时报告".into(),
            article: "第十八条".into(),
            fields: make(TEMPORARY_SECTION, &rules.temporary_field),
        }],
    };
    let status = due.status(today);
    Ok(ReportForm {
        credit_code: credit_code.to_string(),
        enterprise_name: listing.and_then(|l| l.enterprise_name),
        status_label: status.label(),
        status,
        due,
        sections,
    })
}

/// What the enterprise sends: the form's values by `section.key`, whether to submit, and (for
/// an amendment) why.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct Filing {
    /// The year covered (annual) or of the event (temporary).
    pub year: i64,
    /// annual or temporary.
    pub kind: String,
    /// "" for the annual report; the temporary report's trigger key.
    #[serde(default)]
    pub trigger_key: String,
    /// Field values by `section.key`.
    #[serde(default)]
    pub values: BTreeMap<String, String>,
    /// Submit (publish) rather than save the draft.
    #[serde(default)]
    pub submit: bool,
    /// Why an already submitted report is amended (required then).
    #[serde(default)]
    pub reason: Option<String>,
}

/// Saves or submits a report of the enterprise `credit_code` (the caller checked it is the
/// user's own, [`writer_of`]). Values are checked against the form's fields (unknown ones are
/// refused; numbers exact decimals, dates YYYY-MM-DD, texts at most [`MAX_TEXT_CHARS`]); a
/// submission needs the enterprise name (annual) or the matter (temporary) and, when it amends
/// a submitted report, a reason. The filing date is `today` (Beijing).
pub async fn file(
    store: &Store,
    actor: &Actor,
    credit_code: &str,
    f: &Filing,
    today: NaiveDate,
) -> Result<DisclosureReport> {
    let kind = ReportKind::parse(f.kind.trim())
        .ok_or_else(|| Error::invalid("kind", "应为 annual（年度报告）或 temporary（临时报告）"))?;
    let form = form(
        store,
        credit_code,
        f.year,
        kind,
        f.trigger_key.trim(),
        today,
    )
    .await?;
    let mut content = Content::new();
    for s in &form.sections {
        let mut values = FieldValues::new();
        for fld in &s.fields {
            let Some(v) = f.values.get(&fld.name).map(|v| v.trim()) else {
                continue;
            };
            if v.is_empty() {
                continue;
            }
            let n = v.chars().count();
            if n > MAX_TEXT_CHARS {
                return Err(Error::invalid(
                    &fld.name,
                    format!("{}最多 {MAX_TEXT_CHARS} 个字，现为 {n} 个字", fld.label),
                ));
            }
            match fld.kind.as_str() {
                "number" => {
                    qingshan_exact::Number::parse(v, qingshan_exact::Syntax::PLAN).map_err(
                        |_| Error::invalid(&fld.name, format!("{}「{v}」不是数字", fld.label)),
                    )?;
                }
                "date" => {
                    date_of(&fld.name, v)?;
                }
                _ => {}
            }
            values.insert(fld.key.clone(), v.to_string());
        }
        content.insert(s.code.clone(), values);
    }
    let known: std::collections::HashSet<&str> = form
        .sections
        .iter()
        .flat_map(|s| s.fields.iter().map(|x| x.name.as_str()))
        .collect();
    if let Some(unknown) = f.values.keys().find(|k| !known.contains(k.as_str())) {
        return Err(Error::invalid(unknown, "报告中没有这一项"));
    }
    let json = serde_json::to_string(&content)
        .map_err(|e| Error::Store(StoreError::Corrupt(e.to_string())))?;
    let key = form.due.key(credit_code);
    let event = form.due.event_date.map(|d| d.to_string());
    let due_date = form.due.due_date.to_string();
    if !f.submit {
        return Ok(store
            .save_disclosure_draft(&key, event.as_deref(), &due_date, &json, actor)
            .await?);
    }
    let (section, field, label) = match kind {
        ReportKind::Annual => ("basic", "name", "企业名称"),
        ReportKind::Temporary => (TEMPORARY_SECTION, "matter", "事项"),
    };
    if content.get(section).and_then(|s| s.get(field)).is_none() {
        return Err(Error::invalid(
            &format!("{section}.{field}"),
            format!("提交前请填写{label}"),
        ));
    }
    let amending = form.due.report.as_ref().is_some_and(|r| r.revision > 0);
    let reason = match f.reason.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => Some(text("reason", "更正理由", r, MAX_TEXT_CHARS)?),
        None if amending => {
            return Err(Error::invalid(
                "reason",
                "更正已披露的报告须说明更正内容和理由",
            ));
        }
        None => None,
    };
    Ok(store
        .submit_disclosure_report(
            &key,
            event.as_deref(),
            &due_date,
            &json,
            reason.as_deref(),
            &today.to_string(),
            actor,
        )
        .await?)
}

/// A due report with where it stands, for the enterprise's page and the API.
#[derive(Debug, Clone, Serialize)]
pub struct DueView {
    /// The due report.
    #[serde(flatten)]
    pub due: Due,
    /// 年度报告 or 临时报告.
    pub kind_label: &'static str,
    /// Status today.
    pub status: DueStatus,
    /// In words.
    pub status_label: &'static str,
    /// The filing date.
    pub filed_date: Option<NaiveDate>,
    /// Its lapse, if late or missing.
    pub lapse: Option<DisclosureLapse>,
}

/// The reports `credit_code` owes for `year` with their status on `as_of`.
pub async fn due_views(
    store: &Store,
    credit_code: &str,
    year: i64,
    as_of: NaiveDate,
) -> Result<Vec<DueView>> {
    let mut out = Vec::new();
    for due in dues(store, credit_code, year).await? {
        let status = due.status(as_of);
        out.push(DueView {
            lapse: lapse_of(credit_code, &due, as_of)?,
            kind_label: due.kind.label(),
            status,
            status_label: status.label(),
            filed_date: due.filed_date(),
            due,
        });
    }
    Ok(out)
}

// ---- public and staff views --------------------------------------------------------------

/// A submitted report as the public reads it: its latest content and every revision.
#[derive(Debug, Clone, Serialize)]
pub struct PublicReport {
    /// The report (its draft is not shown: blanked).
    pub report: DisclosureReport,
    /// 年度报告 or 临时报告.
    pub kind_label: String,
    /// Late on filing (filed after the due date).
    pub late: bool,
    /// The latest submitted content, section by section with labels.
    pub sections: Vec<PublicSection>,
    /// The submitted revisions, oldest first (content omitted).
    pub revisions: Vec<DisclosureRevision>,
}

/// A section of a published report.
#[derive(Debug, Clone, Serialize)]
pub struct PublicSection {
    /// Title.
    pub title: String,
    /// (label, value) of its filled fields.
    pub fields: Vec<(String, String)>,
}

fn public_sections(kind: &str, content: &Content) -> Result<Vec<PublicSection>> {
    let rules = rules()?;
    let mut out = Vec::new();
    let label_of = |fields: &[qingshan_sources::disclosure::Field], vals: &FieldValues| {
        fields
            .iter()
            .filter_map(|f| vals.get(&f.key).map(|v| (f.label.clone(), v.clone())))
            .collect::<Vec<_>>()
    };
    if kind == "temporary" {
        if let Some(v) = content.get(TEMPORARY_SECTION) {
            out.push(PublicSection {
                title: "临时报告".into(),
                fields: label_of(&rules.temporary_field, v),
            });
        }
        return Ok(out);
    }
    for s in &rules.section {
        if let Some(v) = content.get(&s.code) {
            let fields = label_of(&s.fields, v);
            if !fields.is_empty() {
                out.push(PublicSection {
                    title: s.title.clone(),
                    fields,
                });
            }
        }
    }
    Ok(out)
}

/// A submitted report for anyone; a draft never submitted is [`Error::NotFound`].
pub async fn public_report(store: &Store, id: i64) -> Result<PublicReport> {
    let missing = || Error::NotFound(format!("没有编号为 {id} 的已披露报告"));
    let mut r = store.disclosure_report(id).await?.ok_or_else(missing)?;
    if r.revision == 0 {
        return Err(missing());
    }
    r.draft = String::new();
    let content = parse_content(r.content.as_deref().unwrap_or("{}"));
    let mut revisions = store.disclosure_revisions(id).await?;
    for v in &mut revisions {
        v.content = String::new();
    }
    Ok(PublicReport {
        kind_label: labels::disclosure_kind(&r.key.kind).into_owned(),
        late: r
            .filed_date
            .as_deref()
            .is_some_and(|f| f > r.due_date.as_str()),
        sections: public_sections(&r.key.kind, &content)?,
        report: r,
        revisions,
    })
}

/// One page of submitted reports for the public search (name fragment or credit code, kind,
/// year); drafts are never listed. The drafts are blanked.
pub async fn search(
    store: &Store,
    query: Option<String>,
    kind: Option<String>,
    year: Option<i64>,
    limit: i64,
    offset: i64,
) -> Result<Paged<DisclosureReport>> {
    if let Some(k) = kind.as_deref()
        && ReportKind::parse(k).is_none()
    {
        return Err(Error::invalid(
            "kind",
            "应为 annual（年度报告）或 temporary（临时报告）",
        ));
    }
    let f = DisclosureReportFilter {
        query,
        kind,
        year,
        submitted_only: true,
        ..Default::default()
    };
    let mut p = store.disclosure_reports_paged(&f, limit, offset).await?;
    for r in &mut p.items {
        r.draft = String::new();
    }
    Ok(p)
}

/// One row of the staff's overdue list.
#[derive(Debug, Clone, Serialize)]
pub struct OverdueRow {
    /// The enterprise's name.
    pub enterprise_name: Option<String>,
    /// The lapse.
    #[serde(flatten)]
    pub lapse: DisclosureLapse,
    /// 逾期报送 or 逾期未报.
    pub status_label: &'static str,
}

/// Every late or missing report of the enterprises on `year`'s list on `as_of` (staff), by
/// enterprise then due date.
pub async fn overdue(
    store: &Store,
    user: Option<&User>,
    year: i64,
    as_of: NaiveDate,
) -> Result<Vec<OverdueRow>> {
    may_manage(user)?;
    let filter = DisclosureListFilter {
        year: Some(year),
        state: Some("listed".into()),
        ..Default::default()
    };
    let mut out = Vec::new();
    let mut offset = 0;
    loop {
        let page = store
            .disclosure_listings_paged(&filter, 200, offset)
            .await?;
        let n = page.items.len() as i64;
        for l in page.items {
            for lapse in lateness(store, &l.credit_code, year, as_of).await? {
                out.push(OverdueRow {
                    enterprise_name: l.enterprise_name.clone(),
                    status_label: if lapse.filed_date.is_some() {
                        DueStatus::Late.label()
                    } else {
                        DueStatus::Missing.label()
                    },
                    lapse,
                });
            }
        }
        offset += n;
        if n == 0 || offset >= page.total {
            break;
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
