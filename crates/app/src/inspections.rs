//! Inspection rectification lists (督察整改): the register of problems found by central or
//! provincial environmental inspections (中央/省级生态环境保护督察) or audits. Staff register a
//! problem with its source, description, measures, responsible units (the plan's) and counties
//! (GB/T 2260, the plan's) and deadline, and revise it (a new revision, never an overwrite);
//! the responsible units' reporters and the counties' officials report progress with evidence
//! files; staff close it (销号) with its basis once evidence of completion is on file, and may
//! re-open it with a reason. The public sees a summary of closed problems without internal
//! notes. Who may do what is decided here, once, for pages, API and CLI; dates are parameters.

use chrono::{Datelike, Days, NaiveDate};
use qingshan_plan::{DivisionLevel, Plan};
use qingshan_store::{
    Actor, InspectionEvent, InspectionEvidence, InspectionFields, InspectionFilter,
    InspectionProblem, InspectionRevision, InspectionSourceCount, InspectionStep, NewEvidence,
    Paged, Role, Store, StoreError, User, labels,
};
use serde::Serialize;

use crate::{Error, Result};

/// Longest title or batch, characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest description, measures, report or note, characters.
pub const MAX_TEXT_CHARS: usize = 4000;
/// Days before its deadline an open problem counts as at risk (临期), unless configured.
pub const DEFAULT_WARN_DAYS: u32 = 30;
/// The source kinds a problem may have, in the order forms list them.
pub const SOURCE_KINDS: [&str; 4] = ["central", "provincial", "audit", "other"];
/// The states of a problem.
pub const STATES: [&str; 3] = ["rectifying", "reported", "closed"];

/// Who may register, revise, close and re-open problems: the bureau's staff and administrators.
pub fn may_manage(user: Option<&User>) -> Result<()> {
    let u = user.ok_or(Error::Unauthenticated)?;
    match u.role {
        Role::Admin | Role::Staff => Ok(()),
        _ => Err(Error::Forbidden(
            "督察整改问题由生态环境局工作人员登记、审核和销号".into(),
        )),
    }
}

/// Which problems the user may see: staff all, a reporter its unit's, a county official its
/// county's; `(unit, county)` to confine the list to. Enterprises and the public are refused.
pub fn scope(user: Option<&User>) -> Result<(Option<String>, Option<String>)> {
    let u = user.ok_or(Error::Unauthenticated)?;
    match u.role {
        Role::Admin | Role::Staff => Ok((None, None)),
        Role::Reporter => match &u.unit_id {
            Some(unit) => Ok((Some(unit.clone()), None)),
            None => Err(Error::Forbidden("填报账号未设置所属责任单位".into())),
        },
        Role::County => match &u.division_code {
            Some(code) => Ok((None, Some(code.clone()))),
            None => Err(Error::Forbidden("区县账号未设置所属区县".into())),
        },
        Role::Enterprise => Err(Error::Forbidden(
            "督察整改台账仅向生态环境局、责任单位和区县开放".into(),
        )),
    }
}

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

fn store_err(id: i64, e: StoreError) -> Error {
    match e {
        StoreError::NotFound(_) => Error::NotFound(format!("没有编号为 {id} 的督察整改问题")),
        StoreError::Conflict(m) => Error::Conflict(m),
        other => other.into(),
    }
}

/// What staff give to register or revise a problem, as typed.
#[derive(Debug, Clone, Default)]
pub struct Registration {
    /// central, provincial, audit or other.
    pub source_kind: String,
    /// The batch or round.
    pub source_batch: String,
    /// A short title.
    pub title: String,
    /// The problem.
    pub description: String,
    /// The rectification measures.
    pub measures: String,
    /// Responsible units: the plan's unit ids.
    pub units: Vec<String>,
    /// Counties: GB/T 2260 codes of the plan's counties.
    pub counties: Vec<String>,
    /// Deadline, YYYY-MM-DD.
    pub deadline: String,
    /// Internal note (staff only, never public).
    pub internal_note: Option<String>,
}

/// Checks a registration against the plan: a known source kind, the plan's units and
/// counties, a real date.
pub fn check_fields(plan: &Plan, r: &Registration) -> Result<InspectionFields> {
    let kind = r.source_kind.trim();
    if !SOURCE_KINDS.contains(&kind) {
        return Err(Error::invalid(
            "source_kind",
            "问题来源应为 central（中央生态环境保护督察）、provincial（省级生态环境保护督察）、audit（审计）或 other（其他督查检查）",
        ));
    }
    let mut units: Vec<String> = Vec::new();
    for u in r.units.iter().map(|u| u.trim()).filter(|u| !u.is_empty()) {
        if plan.unit(u).is_none() {
            return Err(Error::invalid(
                "units",
                format!("责任单位「{u}」不是规划中的单位"),
            ));
        }
        if !units.iter().any(|x| x == u) {
            units.push(u.to_string());
        }
    }
    if units.is_empty() {
        return Err(Error::invalid("units", "请至少选择一个责任单位"));
    }
    let mut counties: Vec<String> = Vec::new();
    for c in r
        .counties
        .iter()
        .map(|c| c.trim())
        .filter(|c| !c.is_empty())
    {
        if !plan
            .division(c)
            .is_some_and(|d| d.level == DivisionLevel::County)
        {
            return Err(Error::invalid(
                "counties",
                format!("「{c}」不是本市的县（市、区）行政区划代码"),
            ));
        }
        if !counties.iter().any(|x| x == c) {
            counties.push(c.to_string());
        }
    }
    let deadline = NaiveDate::parse_from_str(r.deadline.trim(), "%Y-%m-%d").map_err(|_| {
        Error::invalid(
            "deadline",
            format!("「{}」不是有效的日期，应为 YYYY-MM-DD", r.deadline.trim()),
        )
    })?;
    let internal_note = match r
        .internal_note
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        Some(v) => Some(text("internal_note", "内部备注", v, MAX_TEXT_CHARS)?),
        None => None,
    };
    Ok(InspectionFields {
        source_kind: kind.to_string(),
        source_batch: text(
            "source_batch",
            "督察批次或轮次",
            &r.source_batch,
            MAX_TITLE_CHARS,
        )?,
        title: text("title", "问题标题", &r.title, MAX_TITLE_CHARS)?,
        description: text("description", "问题描述", &r.description, MAX_TEXT_CHARS)?,
        measures: text("measures", "整改措施", &r.measures, MAX_TEXT_CHARS)?,
        units,
        counties,
        deadline: deadline.format("%Y-%m-%d").to_string(),
        internal_note,
    })
}

/// Registers a problem (staff only), numbered in the year of `today`.
pub async fn register(
    store: &Store,
    plan: &Plan,
    user: Option<&User>,
    actor: &Actor,
    r: &Registration,
    files: &[NewEvidence],
    today: NaiveDate,
) -> Result<InspectionProblem> {
    may_manage(user)?;
    let f = check_fields(plan, r)?;
    store
        .register_inspection_problem(today.year(), &f, files, actor)
        .await
        .map_err(|e| store_err(0, e))
}

/// Revises a problem (staff only): a new revision with its reason.
pub async fn revise(
    store: &Store,
    plan: &Plan,
    user: Option<&User>,
    actor: &Actor,
    id: i64,
    r: &Registration,
    reason: &str,
) -> Result<InspectionProblem> {
    may_manage(user)?;
    let f = check_fields(plan, r)?;
    let reason = text("reason", "修改原因", reason, MAX_TEXT_CHARS)?;
    store
        .revise_inspection_problem(id, &f, &reason, actor)
        .await
        .map_err(|e| store_err(id, e))
}

async fn problem(store: &Store, id: i64) -> Result<InspectionProblem> {
    store
        .inspection_problem(id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("没有编号为 {id} 的督察整改问题")))
}

/// For whom a user reports on `p`: a reporter for its unit, a county official for its county
/// (each only when the problem names them), staff for the bureau; anyone else is refused.
pub fn reporting_for(
    user: Option<&User>,
    p: &InspectionProblem,
) -> Result<(Option<String>, Option<String>)> {
    let u = user.ok_or(Error::Unauthenticated)?;
    match u.role {
        Role::Admin | Role::Staff => Ok((None, None)),
        Role::Reporter => match &u.unit_id {
            Some(unit) if p.fields.units.contains(unit) => Ok((Some(unit.clone()), None)),
            _ => Err(Error::Forbidden("该问题的责任单位不包括本单位".into())),
        },
        Role::County => match &u.division_code {
            Some(c) if p.fields.counties.contains(c) => Ok((None, Some(c.clone()))),
            _ => Err(Error::Forbidden("该问题不涉及本区县".into())),
        },
        Role::Enterprise => Err(Error::Forbidden("督察整改进展由责任单位和区县报送".into())),
    }
}

/// Reports progress on a problem (a responsible unit's reporter, a concerned county's official,
/// or staff), with evidence files; `done` says the rectification is complete.
pub async fn report(
    store: &Store,
    user: Option<&User>,
    actor: &Actor,
    id: i64,
    note: &str,
    done: bool,
    files: &[NewEvidence],
) -> Result<InspectionProblem> {
    let p = problem(store, id).await?;
    let (for_unit, for_county) = reporting_for(user, &p)?;
    let note = text("note", "整改进展", note, MAX_TEXT_CHARS)?;
    let step = InspectionStep::Report {
        done,
        for_unit,
        for_county,
    };
    store
        .inspection_step(id, &step, &note, files, actor)
        .await
        .map_err(|e| store_err(id, e))
}

/// Closes a problem (销号, staff only) with its basis; evidence of completion must be on file
/// or come with the decision.
pub async fn close(
    store: &Store,
    user: Option<&User>,
    actor: &Actor,
    id: i64,
    basis: &str,
    files: &[NewEvidence],
) -> Result<InspectionProblem> {
    may_manage(user)?;
    let basis = text("note", "销号依据", basis, MAX_TEXT_CHARS)?;
    store
        .inspection_step(id, &InspectionStep::Close, &basis, files, actor)
        .await
        .map_err(|e| store_err(id, e))
}

/// Re-opens a closed problem (staff only) with the reason.
pub async fn reopen(
    store: &Store,
    user: Option<&User>,
    actor: &Actor,
    id: i64,
    reason: &str,
) -> Result<InspectionProblem> {
    may_manage(user)?;
    let reason = text("note", "重新打开原因", reason, MAX_TEXT_CHARS)?;
    store
        .inspection_step(id, &InspectionStep::Reopen, &reason, &[], actor)
        .await
        .map_err(|e| store_err(id, e))
}

/// Where a problem stands against its deadline on `today`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Due {
    /// Closed, or the deadline is more than the warning days away.
    OnTime,
    /// Open, the deadline within the warning days (临期).
    AtRisk,
    /// Open, the deadline passed (逾期).
    Overdue,
}

impl Due {
    /// Chinese label ("" when on time).
    pub fn label(self) -> &'static str {
        match self {
            Due::OnTime => "",
            Due::AtRisk => "临期",
            Due::Overdue => "逾期",
        }
    }
}

/// The last day an open problem's deadline makes it at risk: `today` + `warn_days`.
fn warn_until(today: NaiveDate, warn_days: u32) -> NaiveDate {
    today
        .checked_add_days(Days::new(warn_days.into()))
        .unwrap_or(NaiveDate::MAX)
}

/// Whether `p` is overdue or at risk on `today` (Beijing date).
pub fn due(p: &InspectionProblem, today: NaiveDate, warn_days: u32) -> Due {
    if p.state == "closed" {
        return Due::OnTime;
    }
    let Ok(d) = NaiveDate::parse_from_str(&p.fields.deadline, "%Y-%m-%d") else {
        return Due::OnTime;
    };
    if d < today {
        Due::Overdue
    } else if d <= warn_until(today, warn_days) {
        Due::AtRisk
    } else {
        Due::OnTime
    }
}

/// Which problems a list asks for beyond the user's scope.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Source kind.
    pub source_kind: Option<String>,
    /// State.
    pub state: Option<String>,
    /// County (staff; a county official always sees their own).
    pub county: Option<String>,
    /// Responsible unit (staff; a reporter always sees their own).
    pub unit: Option<String>,
    /// Only overdue ([`Due::Overdue`]) or due-soon-or-overdue ([`Due::AtRisk`]) problems.
    pub due: Option<Due>,
}

/// One page of the problems the user may see, by deadline.
pub async fn list(
    store: &Store,
    user: Option<&User>,
    f: &ListFilter,
    today: NaiveDate,
    warn_days: u32,
    limit: i64,
    offset: i64,
) -> Result<Paged<InspectionProblem>> {
    let (unit, county) = scope(user)?;
    let due_by = match f.due {
        Some(Due::Overdue) => today.pred_opt(),
        Some(Due::AtRisk) => Some(warn_until(today, warn_days)),
        _ => None,
    };
    let filter = InspectionFilter {
        unit_id: unit.or_else(|| f.unit.clone()),
        division_code: county.or_else(|| f.county.clone()),
        source_kind: f.source_kind.clone(),
        state: f.state.clone(),
        due_by: due_by.map(|d| d.format("%Y-%m-%d").to_string()),
    };
    Ok(store
        .inspection_problems_paged(&filter, limit, offset)
        .await?)
}

/// Open problems overdue and at risk (deadline within `warn_days`), for the dashboard.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Attention {
    /// Deadline passed, not closed.
    pub overdue: i64,
    /// Deadline today or within the warning days, not closed.
    pub at_risk: i64,
    /// The warning days.
    pub warn_days: u32,
}

/// Counts overdue and at-risk problems of the whole register on `today`.
pub async fn attention(store: &Store, today: NaiveDate, warn_days: u32) -> Result<Attention> {
    let count = |d: Option<NaiveDate>| {
        let f = InspectionFilter {
            due_by: d.map(|d| d.format("%Y-%m-%d").to_string()),
            ..Default::default()
        };
        async move { Ok::<i64, Error>(store.inspection_problems_paged(&f, 1, 0).await?.total) }
    };
    let overdue = match today.pred_opt() {
        Some(d) => count(Some(d)).await?,
        None => 0,
    };
    let by_warn = count(Some(warn_until(today, warn_days))).await?;
    Ok(Attention {
        overdue,
        at_risk: by_warn - overdue,
        warn_days,
    })
}

/// A problem with everything that belongs to it.
#[derive(Debug, Clone, Serialize)]
pub struct ProblemDetail {
    /// The problem.
    pub problem: InspectionProblem,
    /// Its revisions, oldest first.
    pub revisions: Vec<InspectionRevision>,
    /// Its steps, oldest first.
    pub events: Vec<InspectionEvent>,
    /// Its evidence files.
    pub evidence: Vec<InspectionEvidence>,
}

/// One problem, if the user may see it.
pub async fn detail(store: &Store, user: Option<&User>, id: i64) -> Result<ProblemDetail> {
    let (unit, county) = scope(user)?;
    let p = problem(store, id).await?;
    if unit.is_some_and(|u| !p.fields.units.contains(&u)) {
        return Err(Error::Forbidden("该问题的责任单位不包括本单位".into()));
    }
    if county.is_some_and(|c| !p.fields.counties.contains(&c)) {
        return Err(Error::Forbidden("该问题不涉及本区县".into()));
    }
    Ok(ProblemDetail {
        revisions: store.inspection_revisions(id).await?,
        events: store.inspection_events(id).await?,
        evidence: store.inspection_evidence(id).await?,
        problem: p,
    })
}

/// A closed problem as the public sees it: no internal note, no reports, no files.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PublicProblem {
    /// 问题编号.
    pub problem_number: String,
    /// Source kind, in Chinese.
    pub source: String,
    /// Batch or round.
    pub source_batch: String,
    /// Title.
    pub title: String,
    /// The problem.
    pub description: String,
    /// The measures taken.
    pub measures: String,
    /// Responsible units, by name.
    pub units: String,
    /// Counties, by name.
    pub counties: String,
    /// Deadline.
    pub deadline: String,
    /// When closed, RFC 3339 UTC.
    pub closed_at: Option<String>,
}

/// The public summary: per source the problems registered and closed, and the closed problems.
#[derive(Debug, Clone, Serialize)]
pub struct PublicSummary {
    /// Per source kind and batch.
    pub sources: Vec<PublicSourceCount>,
    /// Closed problems, by number.
    pub closed: Vec<PublicProblem>,
}

/// Problems of one source in the public summary.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PublicSourceCount {
    /// Source kind, in Chinese.
    pub source: String,
    /// The batch.
    pub source_batch: String,
    /// Registered.
    pub total: i64,
    /// Closed.
    pub closed: i64,
}

/// The names of units, joined with "、".
pub fn unit_names(plan: &Plan, ids: &[String]) -> String {
    ids.iter()
        .map(|u| plan.unit(u).map_or_else(|| u.clone(), |x| x.name.clone()))
        .collect::<Vec<_>>()
        .join("、")
}

/// The names of counties, joined with "、"; none: 全市.
pub fn county_names(plan: &Plan, codes: &[String]) -> String {
    if codes.is_empty() {
        return "全市".into();
    }
    codes
        .iter()
        .map(|c| {
            plan.division(c)
                .map_or_else(|| c.clone(), |d| d.name.clone())
        })
        .collect::<Vec<_>>()
        .join("、")
}

/// Most closed problems the public page lists.
pub const PUBLIC_MAX: i64 = 1000;

/// The public summary of the register (for anyone, signed in or not).
pub async fn public_summary(store: &Store, plan: &Plan) -> Result<PublicSummary> {
    let sources = store
        .inspection_source_counts()
        .await?
        .into_iter()
        .map(|c: InspectionSourceCount| PublicSourceCount {
            source: labels::inspection_source(&c.source_kind).into_owned(),
            source_batch: c.source_batch,
            total: c.total,
            closed: c.closed,
        })
        .collect();
    let f = InspectionFilter {
        state: Some("closed".into()),
        ..Default::default()
    };
    let mut closed: Vec<PublicProblem> = store
        .inspection_problems_paged(&f, PUBLIC_MAX, 0)
        .await?
        .items
        .into_iter()
        .map(|p| PublicProblem {
            source: labels::inspection_source(&p.fields.source_kind).into_owned(),
            units: unit_names(plan, &p.fields.units),
            counties: county_names(plan, &p.fields.counties),
            problem_number: p.problem_number,
            source_batch: p.fields.source_batch,
            title: p.fields.title,
            description: p.fields.description,
            measures: p.fields.measures,
            deadline: p.fields.deadline,
            closed_at: p.closed_at,
        })
        .collect();
    closed.sort_by(|a, b| a.problem_number.cmp(&b.problem_number));
    Ok(PublicSummary { sources, closed })
}

/// The register as a table: (column, Chinese label) and rows, for the CSV/XLSX export.
pub fn register_table(
    plan: &Plan,
    problems: &[InspectionProblem],
    today: NaiveDate,
    warn_days: u32,
) -> (Vec<(&'static str, &'static str)>, Vec<Vec<String>>) {
    let columns = vec![
        ("problem_number", "问题编号"),
        ("source", "问题来源"),
        ("source_batch", "督察批次或轮次"),
        ("title", "问题标题"),
        ("description", "问题描述"),
        ("measures", "整改措施"),
        ("units", "责任单位"),
        ("counties", "涉及区县"),
        ("deadline", "整改期限"),
        ("state", "状态"),
        ("due", "期限提示"),
        ("closed_at", "销号时间"),
        ("close_basis", "销号依据"),
        ("revision", "版本"),
    ];
    let rows = problems
        .iter()
        .map(|p| {
            vec![
                p.problem_number.clone(),
                labels::inspection_source(&p.fields.source_kind).into_owned(),
                p.fields.source_batch.clone(),
                p.fields.title.clone(),
                p.fields.description.clone(),
                p.fields.measures.clone(),
                unit_names(plan, &p.fields.units),
                county_names(plan, &p.fields.counties),
                p.fields.deadline.clone(),
                labels::inspection_state(&p.state).into_owned(),
                due(p, today, warn_days).label().to_string(),
                p.closed_at
                    .as_deref()
                    .map(crate::display::time)
                    .unwrap_or_default(),
                p.close_basis.clone().unwrap_or_default(),
                p.revision.to_string(),
            ]
        })
        .collect();
    (columns, rows)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn plan() -> Plan {
        qingshan_plan::xinzhou().unwrap()
    }

    fn reg() -> Registration {
        Registration {
            source_kind: "central".into(),
            source_batch: "第二轮中央生态环境保护督察".into(),
            title: "某河段黑臭".into(),
            description: "群众反映强烈".into(),
            measures: "截污纳管".into(),
            units: vec!["sthj".into(), "sthj".into()],
            counties: vec!["140902".into()],
            deadline: "2026-06-30".into(),
            internal_note: None,
        }
    }

    fn user(role: Role, unit: Option<&str>, county: Option<&str>) -> User {
        User {
            id: 1,
            username: "u".into(),
            display_name: "u".into(),
            role,
            unit_id: unit.map(str::to_string),
            division_code: county.map(str::to_string),
            credit_code: None,
            active: true,
            must_change_password: false,
        }
    }

    #[test]
    fn fields_are_checked_against_the_plan() {
        let p = plan();
        let f = check_fields(&p, &reg()).unwrap();
        assert_eq!(f.units, ["sthj"]);
        let field = |r: Registration| match check_fields(&p, &r).unwrap_err() {
            Error::Invalid { field, .. } => field,
            e => panic!("{e}"),
        };
        assert_eq!(
            field(Registration {
                source_kind: "rumour".into(),
                ..reg()
            }),
            "source_kind"
        );
        assert_eq!(
            field(Registration {
                units: vec!["nobody".into()],
                ..reg()
            }),
            "units"
        );
        assert_eq!(
            field(Registration {
                counties: vec!["140900".into()],
                ..reg()
            }),
            "counties"
        );
        assert_eq!(
            field(Registration {
                deadline: "2026-02-30".into(),
                ..reg()
            }),
            "deadline"
        );
    }

    #[test]
    fn due_and_reporting_rights() {
        let p = plan();
        let problem = InspectionProblem {
            id: 1,
            problem_number: "2026-0001".into(),
            revision: 1,
            fields: check_fields(&p, &reg()).unwrap(),
            state: "rectifying".into(),
            closed_at: None,
            close_basis: None,
            created_by: None,
            created_by_name: None,
            created_at: String::new(),
            updated_at: String::new(),
        };
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(due(&problem, d("2026-07-01"), 30), Due::Overdue);
        assert_eq!(due(&problem, d("2026-06-30"), 30), Due::AtRisk);
        assert_eq!(due(&problem, d("2026-05-31"), 30), Due::AtRisk);
        assert_eq!(due(&problem, d("2026-05-30"), 30), Due::OnTime);
        let closed = InspectionProblem {
            state: "closed".into(),
            ..problem.clone()
        };
        assert_eq!(due(&closed, d("2027-01-01"), 30), Due::OnTime);
        let ok = reporting_for(Some(&user(Role::County, None, Some("140902"))), &problem);
        assert_eq!(ok.unwrap(), (None, Some("140902".into())));
        assert!(reporting_for(Some(&user(Role::County, None, Some("140921"))), &problem).is_err());
        assert_eq!(
            reporting_for(Some(&user(Role::Reporter, Some("sthj"), None)), &problem).unwrap(),
            (Some("sthj".into()), None)
        );
        assert!(reporting_for(Some(&user(Role::Reporter, Some("zjj"), None)), &problem).is_err());
        assert!(reporting_for(Some(&user(Role::Enterprise, None, None)), &problem).is_err());
        assert!(may_manage(Some(&user(Role::County, None, Some("140902")))).is_err());
        assert!(scope(Some(&user(Role::Enterprise, None, None))).is_err());
    }
}
