//! 企业环境信用评价: an enterprise's rating for a year, recomputed from the records qingshan
//! already holds — exceedance incidents not explained by a valid data mark, orders not answered
//! in time, decided cases by severity, late or missing disclosure, a device's 有效传输率 below
//! the threshold, and 一票否决 findings (falsified monitoring data, …) — under the rule set of
//! `qingshan_sources::credit`. Every deduction names its source record (kind, id, link). Staff
//! compute drafts and publish (freeze) them; an enterprise sees its own ratings with their events,
//! objects to an event (staff uphold or reject; upheld takes it out and rescoring follows) and,
//! after the waiting period, applies for 信用修复 (staff decide within the time limit; accepted
//! cancels the points and restores the grade). The public looks up published ratings only.
//! Who may do what is decided here, once, for pages, API and CLI; dates are parameters.

use chrono::{DateTime, NaiveDate, Utc};
use qingshan_sources::credit::{self as model, CreditEvent, CreditRules, Grade, Scored};
use qingshan_sources::marking::MarkingOptions;
use qingshan_store::{
    Actor, CaseFilter, CreditEvidence, CreditFilter, CreditFinding, CreditObjection, CreditRating,
    CreditRepair, CreditResult, IncidentFilter, NewCreditRating, NewEvidence, OrderFilter, Paged,
    Role, Store, StoreError, User,
};
use serde::Serialize;

use crate::{Error, Result};

/// Longest reason, decision or note, characters.
pub const MAX_TEXT_CHARS: usize = 2000;

/// Rows fetched per page when collecting an enterprise's records.
const BATCH: i64 = 500;

/// The rule set in force (the embedded Shanxi pilot set, 忻州).
pub fn rules() -> Result<&'static CreditRules> {
    model::shanxi_2024().ok_or_else(|| Error::Conflict("信用评价规则文件无法读取".into()))
}

/// Who may compute, publish, record findings and decide objections and repairs: the bureau's
/// staff and administrators.
pub fn may_manage(user: Option<&User>) -> Result<()> {
    let u = user.ok_or(Error::Unauthenticated)?;
    match u.role {
        Role::Admin | Role::Staff => Ok(()),
        _ => Err(Error::Forbidden(
            "企业环境信用评价由生态环境局工作人员计算、审核和公布".into(),
        )),
    }
}

/// Which ratings the user may list in full (drafts included): `(county, credit code)` to confine
/// to — staff all, a county official its county, an enterprise account its own.
pub fn scope(user: Option<&User>) -> Result<(Option<String>, Option<String>)> {
    crate::scope::enforcement_scope(user, "信用评价明细")
}

/// Late or missing disclosure (企业环境信息依法披露, 生态环境部令第24号) counted in the rated year:
/// the lapses [`crate::disclosure::lateness`] reports whose due date falls in `year` — the annual
/// report on the previous year (due 15 March of `year`) and the temporary reports due in it.
/// A report filed late is `disclosure_late`; one still missing at `now` is `disclosure_missing`.
pub async fn disclosure_events(
    store: &Store,
    credit_code: &str,
    year: i32,
    now: DateTime<Utc>,
) -> Result<Vec<CreditEvent>> {
    let (from, to) = year_bounds(year)?;
    let as_of = crate::beijing::local(now).date();
    let mut out = Vec::new();
    for covered in [year - 1, year] {
        for l in crate::disclosure::lateness(store, credit_code, i64::from(covered), as_of).await? {
            if l.due_date < from || l.due_date > to {
                continue;
            }
            let kind = if l.filed_date.is_some() {
                "disclosure_late"
            } else {
                "disclosure_missing"
            };
            let link = match l.report_id {
                Some(id) => format!("/disclosure/reports/{id}"),
                None => "/disclosure/overdue".to_string(),
            };
            let what = match &l.trigger_label {
                Some(t) => format!("{}（{t}）", l.kind_label),
                None => format!("{} 年度{}", l.year, l.kind_label),
            };
            let how = match l.filed_date {
                Some(f) => format!("{f} 报送，逾期 {} 天", l.days_late),
                None => format!("至今未报，已逾期 {} 天", l.days_late),
            };
            out.push(event(
                kind,
                "disclosure",
                format!(
                    "{}/{}/{}",
                    l.kind.code(),
                    l.year,
                    l.trigger_key.as_deref().unwrap_or("annual")
                ),
                link,
                &(l.due_date + chrono::Days::new(1)).to_string(),
                format!("{what}应于 {} 前披露，{how}", l.due_date),
            ));
        }
    }
    Ok(out)
}

fn year_bounds(year: i32) -> Result<(NaiveDate, NaiveDate)> {
    match (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    ) {
        (Some(a), Some(b)) => Ok((a, b)),
        _ => Err(Error::invalid("year", "年份无效")),
    }
}

/// The Beijing date of a stored RFC 3339 time.
fn beijing_day(t: &str) -> Option<NaiveDate> {
    DateTime::parse_from_rfc3339(t)
        .ok()
        .map(|t| crate::beijing::local(t.with_timezone(&Utc)).date())
}

fn event(
    kind: &str,
    source_kind: &str,
    source_id: String,
    link: String,
    on: &str,
    summary: String,
) -> CreditEvent {
    CreditEvent {
        kind: kind.into(),
        source_kind: source_kind.into(),
        source_id,
        link,
        occurred_on: on.into(),
        summary,
        points: 0,
        veto: false,
        excluded: None,
    }
}

/// Exceedance incidents of the enterprise starting in the year whose start hour no valid data
/// mark explains (a mark taking the hour out of the exceedance judgement).
async fn exceedance_events(
    store: &Store,
    credit_code: &str,
    from: NaiveDate,
    to: NaiveDate,
    opts: &MarkingOptions,
) -> Result<Vec<CreditEvent>> {
    let f = IncidentFilter {
        credit_code: Some(credit_code.into()),
        kind: Some("exceedance".into()),
        from_day: Some(from.to_string()),
        to_day: Some(to.to_string()),
        ..Default::default()
    };
    let mut incidents = Vec::new();
    let mut offset = 0;
    loop {
        let page = store.incidents_paged(&f, BATCH, offset).await?;
        let n = page.items.len() as i64;
        incidents.extend(page.items);
        offset += n;
        if n == 0 || offset >= page.total {
            break;
        }
    }
    let start = crate::beijing::to_utc(from.and_hms_opt(0, 0, 0).unwrap_or_default());
    let end = crate::beijing::to_utc(
        (to + chrono::Days::new(1))
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default(),
    );
    let mut marks: std::collections::HashMap<String, crate::marks::Periods> =
        std::collections::HashMap::new();
    let mut out = Vec::new();
    for i in incidents {
        if !marks.contains_key(&i.mn) {
            let p = crate::marks::excluded_periods(store, &i.mn, start, end, false, opts, 8 * 3600)
                .await?;
            marks.insert(i.mn.clone(), p);
        }
        if marks
            .get(&i.mn)
            .is_some_and(|p| p.covers(&i.factor, &i.start_time))
        {
            continue;
        }
        out.push(event(
            "exceedance",
            "incident",
            i.id.to_string(),
            format!("/incidents/{}", i.id),
            &i.start_day,
            format!(
                "设备 {} {} 超标{}，{} 小时",
                i.mn,
                crate::display::factor(&i.factor),
                i.peak
                    .as_deref()
                    .map(|p| format!("（峰值 {p}）"))
                    .unwrap_or_default(),
                i.hours
            ),
        ));
    }
    Ok(out)
}

/// Orders issued to the enterprise in the year that were answered after the deadline in force
/// (the issue's, or a return's new one), or are still unanswered past it at `now`.
async fn order_events(
    store: &Store,
    credit_code: &str,
    from: NaiveDate,
    to: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Vec<CreditEvent>> {
    let f = OrderFilter {
        credit_code: Some(credit_code.into()),
        ..Default::default()
    };
    let mut out = Vec::new();
    let mut offset = 0;
    loop {
        let page = store.orders_paged(&f, BATCH, offset).await?;
        let n = page.items.len() as i64;
        for o in &page.items {
            let Some(day) = beijing_day(&o.created_at) else {
                continue;
            };
            if day < from || day > to {
                continue;
            }
            let mut deadline: Option<String> = None;
            let mut late_at: Option<String> = None;
            for e in store.order_events(o.id).await? {
                match e.kind.as_str() {
                    "issue" | "return" => deadline = e.new_deadline.clone().or(deadline),
                    "reply"
                        if late_at.is_none()
                            && deadline.as_deref().is_some_and(|d| e.at.as_str() > d) =>
                    {
                        late_at = Some(e.at.clone());
                    }
                    _ => {}
                }
            }
            let unanswered = crate::orders::is_overdue(o, now);
            if late_at.is_none() && !unanswered {
                continue;
            }
            let how = match &late_at {
                Some(at) => format!("逾期答复（{}）", crate::display::time(at)),
                None => "逾期未答复".to_string(),
            };
            out.push(event(
                "order_late",
                "order",
                o.id.to_string(),
                format!("/orders/{}", o.id),
                &day.to_string(),
                format!(
                    "督办单“{}”期限 {}，{how}",
                    o.title,
                    crate::display::time(&o.deadline)
                ),
            ));
        }
        offset += n;
        if n == 0 || offset >= page.total {
            break;
        }
    }
    Ok(out)
}

/// Cases of the enterprise decided in the year (by the decision's date): one event by severity,
/// or an 一票否决 when the decision cites an article the rule set names (falsified data).
async fn case_events(
    store: &Store,
    rules: &CreditRules,
    credit_code: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<CreditEvent>> {
    let f = CaseFilter {
        credit_code: Some(credit_code.into()),
        ..Default::default()
    };
    let mut out = Vec::new();
    let mut offset = 0;
    loop {
        let page = store.cases_paged(&f, BATCH, offset).await?;
        let n = page.items.len() as i64;
        for c in &page.items {
            let Some(day) = c
                .decision_date
                .as_deref()
                .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            else {
                continue;
            };
            if day < from || day > to {
                continue;
            }
            let measures: Vec<&str> = c
                .measures
                .as_deref()
                .unwrap_or("")
                .split(',')
                .filter(|m| !m.is_empty())
                .collect();
            let bases = store.case_bases(c.id).await?;
            let codes: Vec<&str> = bases.iter().map(|b| b.basis_code.as_str()).collect();
            let decision = c.decision_number.clone().unwrap_or_default();
            if let Some(v) = rules.veto_of_bases(&codes) {
                out.push(event(
                    &v.kind,
                    "case",
                    c.id.to_string(),
                    format!("/cases/{}", c.id),
                    &day.to_string(),
                    format!("案件 {}（{decision}）：{}", c.case_number, v.label),
                ));
            }
            if let Some(kind) = rules.case_kind(&measures, c.penalty_fen) {
                let fine = c
                    .penalty_fen
                    .map(|f| format!("，罚款 {}", crate::cases::yuan(f)))
                    .unwrap_or_default();
                out.push(event(
                    kind,
                    "case",
                    c.id.to_string(),
                    format!("/cases/{}", c.id),
                    &day.to_string(),
                    format!("案件 {}（{decision}）“{}”{fine}", c.case_number, c.title),
                ));
            }
        }
        offset += n;
        if n == 0 || offset >= page.total {
            break;
        }
    }
    Ok(out)
}

/// One event per device of the enterprise whose 有效传输率 over the year's elapsed months is
/// below the rule set's threshold (valid marks taken out, as the device statistics count).
async fn transmission_events(
    store: &Store,
    rules: &CreditRules,
    credit_code: &str,
    year: i32,
    now: DateTime<Utc>,
    opts: &MarkingOptions,
) -> Result<Vec<CreditEvent>> {
    let Some(threshold) = rules
        .deduction("transmission_low")
        .and_then(|d| d.threshold_percent)
    else {
        return Ok(Vec::new());
    };
    let devices = store.enterprise_devices(credit_code).await?;
    let last_month = {
        let local = crate::beijing::local(now).date();
        use chrono::Datelike;
        if local.year() > year {
            12
        } else if local.year() < year {
            0
        } else {
            local.month()
        }
    };
    let mut out = Vec::new();
    for d in devices {
        let date = format!("{year}-12-31");
        let limits = store.supervised_limits_of(&d.mn, &date).await?;
        if limits.is_empty() {
            continue;
        }
        let (mut expected, mut valid) = (0u128, 0u128);
        for month in 1..=last_month {
            let v =
                crate::sources::device_statistics_at(store, &d.mn, year, month, &limits, now, opts)
                    .await?;
            let t = &v["month_total"];
            let e = t["expected"].as_u64().unwrap_or(0);
            let r = t["received"].as_u64().unwrap_or(0).min(e);
            expected += u128::from(e);
            valid += u128::from(t["valid"].as_u64().unwrap_or(0).min(r));
        }
        if expected == 0 || valid * 100 >= u128::from(threshold) * expected {
            continue;
        }
        let rate = qingshan_exact::Ratio::new(
            i128::try_from(valid * 100).unwrap_or(0),
            i128::try_from(expected).unwrap_or(1),
        )
        .map(|r| r.format_fixed(2, qingshan_exact::Rounding::HalfAwayFromZero))
        .unwrap_or_default();
        out.push(event(
            "transmission_low",
            "device",
            format!("{}/{year}", d.mn),
            format!("/sources/devices/{}", crate::path_segment(&d.mn)),
            &format!("{year}-12-31"),
            format!(
                "设备 {}（{}）{year} 年有效传输率 {rate}%，低于 {threshold}%",
                d.mn, d.outlet_name
            ),
        ));
    }
    Ok(out)
}

/// Every event of an enterprise's year, oldest first, not yet scored.
pub async fn events(
    store: &Store,
    rules: &CreditRules,
    credit_code: &str,
    year: i32,
    now: DateTime<Utc>,
    opts: &MarkingOptions,
) -> Result<Vec<CreditEvent>> {
    let (from, to) = year_bounds(year)?;
    let mut all = Vec::new();
    for f in store
        .credit_findings(credit_code, &from.to_string(), &to.to_string())
        .await?
    {
        let label = rules
            .veto(&f.kind)
            .map_or_else(|| f.kind.clone(), |v| v.label.clone());
        let link = match f.case_id {
            Some(c) => format!("/cases/{c}"),
            None => format!("/credit/findings/{}", f.id),
        };
        all.push(event(
            &f.kind,
            "finding",
            f.id.to_string(),
            link,
            &f.occurred_on,
            format!("认定：{label}（{}）", f.note),
        ));
    }
    all.extend(exceedance_events(store, credit_code, from, to, opts).await?);
    all.extend(order_events(store, credit_code, from, to, now).await?);
    all.extend(case_events(store, rules, credit_code, from, to).await?);
    all.extend(disclosure_events(store, credit_code, year, now).await?);
    all.extend(transmission_events(store, rules, credit_code, year, now, opts).await?);
    all.sort_by(|a, b| {
        a.occurred_on
            .cmp(&b.occurred_on)
            .then_with(|| a.key().cmp(&b.key()))
    });
    Ok(all)
}

fn result_of(scored: &Scored, events: &[CreditEvent]) -> Result<CreditResult> {
    Ok(CreditResult {
        score: scored.score,
        grade: scored.grade.clone(),
        vetoed: scored.vetoed,
        events_json: serde_json::to_string(events)
            .map_err(|e| Error::Conflict(format!("信用评价事项无法保存：{e}")))?,
    })
}

/// The events frozen in a rating.
pub fn rating_events(r: &CreditRating) -> Result<Vec<CreditEvent>> {
    serde_json::from_str(&r.events_json)
        .map_err(|e| Error::Conflict(format!("信用评价 {} 的事项无法读取：{e}", r.id)))
}

/// Computes (or recomputes) the drafts of `year` for one enterprise or every registered one
/// (staff only). Events an upheld objection took out stay out. Published ratings are left as
/// they are and not returned.
pub async fn compute(
    store: &Store,
    user: Option<&User>,
    actor: &Actor,
    year: i32,
    only: Option<&str>,
    now: DateTime<Utc>,
    opts: &MarkingOptions,
) -> Result<Vec<CreditRating>> {
    may_manage(user)?;
    let rules = rules()?;
    let this_year = {
        use chrono::Datelike;
        crate::beijing::local(now).year()
    };
    if year < 2000 || year > this_year {
        return Err(Error::invalid(
            "year",
            format!("应为 2000 至 {this_year} 年之间的年份"),
        ));
    }
    let registry = store.export_registry().await?;
    let enterprises: Vec<_> = registry
        .enterprises
        .iter()
        .filter(|e| only.is_none_or(|c| c == e.credit_code))
        .collect();
    if let Some(c) = only
        && enterprises.is_empty()
    {
        return Err(Error::NotFound(format!(
            "污染源登记中没有统一社会信用代码为 {c} 的排污单位"
        )));
    }
    let mut out = Vec::new();
    for e in enterprises {
        let f = CreditFilter {
            year: Some(year),
            credit_code: Some(e.credit_code.clone()),
            ..Default::default()
        };
        let existing = store.credit_ratings_paged(&f, 1, 0).await?.items.pop();
        if existing.as_ref().is_some_and(|r| r.state == "published") {
            continue;
        }
        let mut evs = events(store, rules, &e.credit_code, year, now, opts).await?;
        if let Some(r) = &existing {
            let upheld: Vec<String> = store
                .credit_objections(r.id)
                .await?
                .into_iter()
                .filter(|o| o.state == "upheld")
                .map(|o| o.event_key)
                .collect();
            for ev in evs.iter_mut() {
                if upheld.contains(&ev.key()) {
                    ev.excluded = Some("异议成立".into());
                }
            }
        }
        let scored = model::score(rules, &mut evs);
        let n = NewCreditRating {
            year,
            credit_code: e.credit_code.clone(),
            enterprise: e.name.clone(),
            division_code: e.division_code.clone(),
            rule_set: rules.rule_set.code.clone(),
            result: result_of(&scored, &evs)?,
        };
        out.push(store.save_credit_draft(&n, actor).await?);
    }
    Ok(out)
}

fn store_err(what: &str, id: i64, e: StoreError) -> Error {
    match e {
        StoreError::NotFound(_) => Error::NotFound(format!("没有编号为 {id} 的{what}")),
        StoreError::Conflict(m) => Error::Conflict(m),
        other => other.into(),
    }
}

/// Publishes (freezes) a draft (staff only).
pub async fn publish(
    store: &Store,
    user: Option<&User>,
    actor: &Actor,
    id: i64,
) -> Result<CreditRating> {
    may_manage(user)?;
    store
        .publish_credit_rating(id, actor)
        .await
        .map_err(|e| store_err("信用评价", id, e))
}

/// Filters of a list; `None` means any.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Year.
    pub year: Option<i32>,
    /// Grade code.
    pub grade: Option<String>,
    /// County (staff).
    pub county: Option<String>,
}

/// The ratings the user may see, drafts included, by year, grade and name.
pub async fn list(
    store: &Store,
    user: Option<&User>,
    f: &ListFilter,
    limit: i64,
    offset: i64,
) -> Result<Paged<CreditRating>> {
    let (county, code) = scope(user)?;
    if let Some(g) = &f.grade
        && rules()?.grade(g).is_none()
    {
        return Err(Error::invalid("grade", format!("没有「{g}」这个信用等级")));
    }
    let filter = CreditFilter {
        year: f.year,
        grade: f.grade.clone(),
        division_code: county.or_else(|| f.county.clone()),
        credit_code: code,
        published_only: false,
        query: None,
    };
    Ok(store.credit_ratings_paged(&filter, limit, offset).await?)
}

/// The public lookup: published ratings whose enterprise name contains `query` or whose
/// 统一社会信用代码 is `query` (anyone; drafts never appear).
pub async fn lookup(
    store: &Store,
    query: &str,
    limit: i64,
    offset: i64,
) -> Result<Paged<CreditRating>> {
    let q = query.trim();
    if q.chars().count() > 100 {
        return Err(Error::invalid("q", "查询内容最多 100 个字"));
    }
    let filter = CreditFilter {
        published_only: true,
        query: (!q.is_empty()).then(|| q.to_string()),
        ..Default::default()
    };
    Ok(store.credit_ratings_paged(&filter, limit, offset).await?)
}

/// A rating with its events, objections, repair applications and files, and what the user may
/// do with it.
#[derive(Debug, Clone, Serialize)]
pub struct RatingDetail {
    /// The rating.
    pub rating: CreditRating,
    /// Its events, in order, with their points.
    pub events: Vec<CreditEvent>,
    /// Objections.
    pub objections: Vec<CreditObjection>,
    /// Repair applications.
    pub repairs: Vec<CreditRepair>,
    /// Files.
    pub evidence: Vec<CreditEvidence>,
    /// Until when (YYYY-MM-DD) the enterprise may object, once published.
    pub objection_until: Option<String>,
    /// From when (YYYY-MM-DD) a repair application is accepted, for a grade that is repaired.
    pub repair_opens: Option<String>,
}

/// A rating the user may see in full: staff all, a county official its county's, an enterprise
/// account its own.
pub async fn detail(store: &Store, user: Option<&User>, id: i64) -> Result<RatingDetail> {
    let (county, code) = scope(user)?;
    let rating = store
        .credit_rating(id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("没有编号为 {id} 的信用评价")))?;
    if code.is_some_and(|c| c != rating.credit_code) {
        return Err(Error::Forbidden(
            "排污单位账号只能查看本单位的信用评价".into(),
        ));
    }
    if county.is_some() && county != rating.division_code {
        return Err(Error::Forbidden(
            "区县账号只能查看本区县企业的信用评价".into(),
        ));
    }
    let rules = rules()?;
    let published = rating.published_at.as_deref().and_then(beijing_day);
    let objection_until = published.map(|d| {
        (d + chrono::Days::new(u64::try_from(rules.procedure.objection_days).unwrap_or(0)))
            .to_string()
    });
    let repair_opens = match (published, rules.repair(&rating.grade)) {
        (Some(d), Some(r)) => Some(model::repair_opens(d, r.wait_months).to_string()),
        _ => None,
    };
    Ok(RatingDetail {
        events: rating_events(&rating)?,
        objections: store.credit_objections(id).await?,
        repairs: store.credit_repairs(id).await?,
        evidence: store.credit_evidence(id).await?,
        objection_until,
        repair_opens,
        rating,
    })
}

fn text(field: &str, label: &str, value: &str) -> Result<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(Error::invalid(field, format!("请填写{label}")));
    }
    let n = v.chars().count();
    if n > MAX_TEXT_CHARS {
        return Err(Error::invalid(
            field,
            format!("{label}最多 {MAX_TEXT_CHARS} 个字，现为 {n} 个字"),
        ));
    }
    Ok(v.to_string())
}

fn own_enterprise(user: Option<&User>, r: &CreditRating, what: &str) -> Result<()> {
    let u = user.ok_or(Error::Unauthenticated)?;
    match (u.role, u.credit_code.as_deref()) {
        (Role::Enterprise, Some(c)) if c == r.credit_code => Ok(()),
        _ => Err(Error::Forbidden(format!(
            "{what}只能由被评价企业本单位账号提出"
        ))),
    }
}

/// The enterprise objects to one event of its rating, with reason and files, while the rating is
/// a draft or within the objection window after publication.
#[allow(clippy::too_many_arguments)]
pub async fn object(
    store: &Store,
    user: Option<&User>,
    actor: &Actor,
    rating_id: i64,
    event_key: &str,
    reason: &str,
    files: &[NewEvidence],
    today: NaiveDate,
) -> Result<CreditObjection> {
    let d = detail(store, user, rating_id).await?;
    own_enterprise(user, &d.rating, "异议")?;
    if !d.events.iter().any(|e| e.key() == event_key) {
        return Err(Error::invalid("event_key", "该信用评价中没有这一事项"));
    }
    let reason = text("objection_reason", "异议理由", reason)?;
    if let Some(until) = &d.objection_until
        && today.to_string().as_str() > until.as_str()
    {
        return Err(Error::Conflict(format!(
            "异议期已于 {until} 届满，不能再提出异议"
        )));
    }
    store
        .file_credit_objection(rating_id, event_key, &reason, files, actor)
        .await
        .map_err(|e| store_err("信用评价", rating_id, e))
}

/// Staff decide an objection; upheld takes its event out and rescores the rating (a published
/// rating too: the correction is audited with old and new result).
pub async fn decide_objection(
    store: &Store,
    user: Option<&User>,
    actor: &Actor,
    id: i64,
    upheld: bool,
    decision: &str,
) -> Result<CreditObjection> {
    may_manage(user)?;
    let decision = text("decision", "处理意见", decision)?;
    let o = store
        .credit_objection(id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("没有编号为 {id} 的异议")))?;
    let result = if upheld {
        let r = store
            .credit_rating(o.rating_id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("没有编号为 {} 的信用评价", o.rating_id)))?;
        let mut evs = rating_events(&r)?;
        for e in evs.iter_mut() {
            if e.key() == o.event_key {
                e.excluded = Some(format!("异议成立（异议 {id}）"));
            }
        }
        let scored = model::score(rules()?, &mut evs);
        Some(result_of(&scored, &evs)?)
    } else {
        None
    };
    store
        .decide_credit_objection(id, upheld, &decision, result.as_ref(), actor)
        .await
        .map_err(|e| store_err("异议", id, e))
}

/// The enterprise applies for 信用修复 of a published rating whose grade the rule set repairs,
/// once the waiting period has passed, with what was rectified and its files; the decision is
/// due within the rule's working days.
pub async fn apply_repair(
    store: &Store,
    user: Option<&User>,
    actor: &Actor,
    rating_id: i64,
    reason: &str,
    files: &[NewEvidence],
    today: NaiveDate,
) -> Result<CreditRepair> {
    let d = detail(store, user, rating_id).await?;
    own_enterprise(user, &d.rating, "信用修复申请")?;
    let reason = text("repair_reason", "整改及修复说明", reason)?;
    if d.rating.state != "published" {
        return Err(Error::Conflict("信用评价尚未公布，不能申请修复".into()));
    }
    if d.rating.repaired_at.is_some() {
        return Err(Error::Conflict("该信用评价已经修复".into()));
    }
    let rules = rules()?;
    let Some(rule) = rules.repair(&d.rating.grade) else {
        return Err(Error::Conflict(format!(
            "{}无须修复",
            rules
                .grade(&d.rating.grade)
                .map_or(d.rating.grade.clone(), |g| g.label.clone())
        )));
    };
    if let Some(opens) = &d.repair_opens
        && today.to_string().as_str() < opens.as_str()
    {
        return Err(Error::Conflict(format!(
            "等级公布满 {} 个月后方可申请修复（{opens} 起）",
            rule.wait_months
        )));
    }
    // The working-day calendar with 调休 is the disclosure rules' (workdays-cn.toml).
    let due = crate::disclosure::calendar()?.add_working_days(today, rule.review_working_days);
    store
        .file_credit_repair(rating_id, &reason, &due.to_string(), files, actor)
        .await
        .map_err(|e| store_err("信用评价", rating_id, e))
}

/// Staff decide a repair application; accepted cancels the points (核销记分) of every event of
/// the rating and regrades it at once, the grade before kept.
pub async fn decide_repair(
    store: &Store,
    user: Option<&User>,
    actor: &Actor,
    id: i64,
    accepted: bool,
    decision: &str,
) -> Result<CreditRepair> {
    may_manage(user)?;
    let decision = text("decision", "处理意见", decision)?;
    let a = store
        .credit_repair(id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("没有编号为 {id} 的信用修复申请")))?;
    let result = if accepted {
        let r = store
            .credit_rating(a.rating_id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("没有编号为 {} 的信用评价", a.rating_id)))?;
        let mut evs = rating_events(&r)?;
        for e in evs.iter_mut() {
            if e.excluded.is_none() {
                e.excluded = Some(format!("信用修复（申请 {id}）"));
            }
        }
        let scored = model::score(rules()?, &mut evs);
        Some(result_of(&scored, &evs)?)
    } else {
        None
    };
    store
        .decide_credit_repair(id, accepted, &decision, result.as_ref(), actor)
        .await
        .map_err(|e| store_err("信用修复申请", id, e))
}

/// Staff record an 一票否决 finding (a kind of the rule set) about an enterprise, with its date,
/// basis and the case that established it (if any); the next computation counts it.
#[allow(clippy::too_many_arguments)]
pub async fn record_finding(
    store: &Store,
    user: Option<&User>,
    actor: &Actor,
    credit_code: &str,
    kind: &str,
    occurred_on: &str,
    case_id: Option<i64>,
    note: &str,
) -> Result<CreditFinding> {
    may_manage(user)?;
    if rules()?.veto(kind).is_none() {
        return Err(Error::invalid(
            "finding_kind",
            format!("没有「{kind}」这一一票否决事项"),
        ));
    }
    let day = NaiveDate::parse_from_str(occurred_on.trim(), "%Y-%m-%d")
        .map_err(|_| Error::invalid("occurred_on", "应为 YYYY-MM-DD 格式的日期"))?;
    let note = text("note", "认定依据", note)?;
    let code = credit_code.trim();
    if !store
        .export_registry()
        .await?
        .enterprises
        .iter()
        .any(|e| e.credit_code == code)
    {
        return Err(Error::invalid(
            "enterprise",
            format!("污染源登记中没有统一社会信用代码为 {code} 的排污单位"),
        ));
    }
    if let Some(c) = case_id {
        match store.case(c).await? {
            Some(k) if k.credit_code == code => {}
            Some(_) => return Err(Error::invalid("case_id", "该案件不是这家企业的")),
            None => return Err(Error::invalid("case_id", format!("没有编号为 {c} 的案件"))),
        }
    }
    Ok(store
        .record_credit_finding(code, kind, &day.to_string(), case_id, &note, actor)
        .await?)
}

/// The grade an enterprise's pages show: its latest published rating with the grade's label,
/// plate and colour.
#[derive(Debug, Clone, Serialize)]
pub struct Badge {
    /// Rated year.
    pub year: i32,
    /// Grade code.
    pub grade: String,
    /// Label, e.g. A级.
    pub label: String,
    /// National name, e.g. 环保诚信企业.
    pub national: String,
    /// Plate, e.g. 绿牌.
    pub plate: String,
    /// CSS colour.
    pub colour: String,
    /// Score.
    pub score: i64,
}

/// The badge of a rating's grade.
pub fn badge_of(r: &CreditRating) -> Option<Badge> {
    let g: &Grade = rules().ok()?.grade(&r.grade)?;
    Some(Badge {
        year: r.year,
        grade: g.code.clone(),
        label: g.label.clone(),
        national: g.national.clone(),
        plate: g.plate.clone(),
        colour: g.colour.clone(),
        score: r.score,
    })
}

/// The published grade of an enterprise, if any (for its home page and the registry).
pub async fn badge(store: &Store, credit_code: &str) -> Result<Option<Badge>> {
    Ok(store
        .latest_published_credit(credit_code)
        .await?
        .as_ref()
        .and_then(badge_of))
}

/// The published grade (latest year) of each of these enterprises that has one, by 统一社会信用代码:
/// for a page of a list such as the registry, which asks only for the enterprises it shows.
pub async fn badges(
    store: &Store,
    credit_codes: &[&str],
) -> Result<std::collections::HashMap<String, Badge>> {
    let mut codes = credit_codes.to_vec();
    codes.sort_unstable();
    codes.dedup();
    Ok(store
        .latest_published_credits(&codes)
        .await?
        .into_iter()
        .filter_map(|(code, r)| badge_of(&r).map(|b| (code, b)))
        .collect())
}

/// Columns and rows of the ratings list as exported (XLSX), in Chinese.
pub fn table(
    plan: &qingshan_plan::Plan,
    ratings: &[CreditRating],
) -> (Vec<(&'static str, &'static str)>, Vec<Vec<String>>) {
    let columns = vec![
        ("year", "年度"),
        ("credit_code", "统一社会信用代码"),
        ("enterprise", "企业名称"),
        ("county", "区县"),
        ("score", "得分"),
        ("grade", "信用等级"),
        ("national", "对应国家等级"),
        ("plate", "标识"),
        ("vetoed", "一票否决"),
        ("state", "状态"),
        ("published_at", "公布时间"),
        ("grade_before_repair", "修复前等级"),
    ];
    let rules = rules().ok();
    let rows = ratings
        .iter()
        .map(|r| {
            let g = rules.and_then(|x| x.grade(&r.grade));
            let county = r
                .division_code
                .as_deref()
                .and_then(|c| plan.divisions.iter().find(|d| d.code == c))
                .map(|d| d.name.clone())
                .unwrap_or_default();
            vec![
                r.year.to_string(),
                r.credit_code.clone(),
                r.enterprise.clone(),
                county,
                r.score.to_string(),
                g.map_or(r.grade.clone(), |g| g.label.clone()),
                g.map(|g| g.national.clone()).unwrap_or_default(),
                g.map(|g| g.plate.clone()).unwrap_or_default(),
                if r.vetoed { "是" } else { "否" }.into(),
                state_label(&r.state).into(),
                r.published_at
                    .as_deref()
                    .map(crate::display::time)
                    .unwrap_or_default(),
                r.grade_before_repair
                    .as_deref()
                    .and_then(|c| rules.and_then(|x| x.grade(c)))
                    .map(|g| g.label.clone())
                    .unwrap_or_default(),
            ]
        })
        .collect();
    (columns, rows)
}

/// The Chinese label of a rating's state.
pub fn state_label(state: &str) -> &'static str {
    match state {
        "draft" => "待审核",
        "published" => "已公布",
        _ => "其他",
    }
}

/// The Chinese label of an objection's or repair application's state.
pub fn decision_label(state: &str) -> &'static str {
    match state {
        "pending" => "待处理",
        "upheld" => "异议成立",
        "rejected" => "不予采纳",
        "accepted" => "修复通过",
        _ => "其他",
    }
}

/// The Chinese label of an event kind (a deduction or an 一票否决 of the rule set).
pub fn event_label(kind: &str) -> String {
    match rules() {
        Ok(r) => r
            .deduction(kind)
            .map(|d| d.label.clone())
            .or_else(|| r.veto(kind).map(|v| format!("一票否决：{}", v.label)))
            .unwrap_or_else(|| "其他事项".into()),
        Err(_) => "其他事项".into(),
    }
}
