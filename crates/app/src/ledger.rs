//! The task ledger (任务台账): the items of each task (the plan file's, with staff's web
//! revisions and additions), who reports on them (each county concerned, the lead and
//! supporting units), the checks a report and a review pass, and the roll-up from accepted
//! reports only: the city's value of a count item is the sum of the counties' (docs/plan-format.md).

use std::collections::HashMap;

use chrono::NaiveDate;
use qingshan_plan::{Decimal, Measure, Plan, TaskItem, sum_decimals};
use qingshan_store::{
    Actor, ItemEvidence, ItemReport, ItemRevision, NewEvidence, NewItemReport, Role, Store, User,
};
use serde::Serialize;

use crate::{Error, Result};

/// Who reports on an item: a county or a unit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", content = "code", rename_all = "snake_case")]
pub enum Party {
    /// A county (GB/T 2260 code).
    County(String),
    /// A responsible unit (unit id).
    Unit(String),
}

impl Party {
    /// `county` or `unit`, as stored.
    pub fn kind(&self) -> &'static str {
        match self {
            Party::County(_) => "county",
            Party::Unit(_) => "unit",
        }
    }

    /// The county code or unit id.
    pub fn code(&self) -> &str {
        match self {
            Party::County(c) | Party::Unit(c) => c,
        }
    }

    /// Its name in the plan.
    pub fn name(&self, plan: &Plan) -> String {
        match self {
            Party::County(c) => plan.division(c).map_or(c.clone(), |d| d.name.clone()),
            Party::Unit(u) => plan.unit_name(u).to_string(),
        }
    }

    fn of(report: &ItemReport) -> Party {
        if report.party_kind == "county" {
            Party::County(report.party.clone())
        } else {
            Party::Unit(report.party.clone())
        }
    }
}

/// The items in force: the plan file's, each replaced by its latest web revision, then the
/// items added on the web, in task order.
pub fn effective_items(plan: &Plan, revisions: &[ItemRevision]) -> Vec<TaskItem> {
    let mut latest: HashMap<&str, &ItemRevision> = HashMap::new();
    for r in revisions {
        let e = latest.entry(r.item_id.as_str()).or_insert(r);
        if r.revision > e.revision {
            *e = r;
        }
    }
    let parse = |r: &ItemRevision| serde_json::from_str::<TaskItem>(&r.definition).ok();
    let mut out: Vec<TaskItem> = plan
        .items()
        .map(|i| {
            latest
                .get(i.id.as_str())
                .and_then(|r| parse(r))
                .unwrap_or_else(|| i.clone())
        })
        .collect();
    let mut added: Vec<&ItemRevision> = latest
        .values()
        .filter(|r| !plan.items().any(|i| i.id == r.item_id))
        .copied()
        .collect();
    added.sort_by_key(|r| r.id);
    out.extend(added.into_iter().filter_map(parse));
    out.sort_by_key(|i| (i.area, i.task));
    out
}

/// The items in force (see [`effective_items`]).
pub async fn items(store: &Store, plan: &Plan) -> Result<Vec<TaskItem>> {
    Ok(effective_items(
        plan,
        &store.item_revisions(&plan.meta.id).await?,
    ))
}

/// One item in force, or [`Error::NotFound`].
pub async fn item(store: &Store, plan: &Plan, id: &str) -> Result<TaskItem> {
    items(store, plan)
        .await?
        .into_iter()
        .find(|i| i.id == id)
        .ok_or_else(|| Error::NotFound(format!("没有任务台账事项 {id}")))
}

/// The party `user` reports for on `item`: her county when the item concerns it, her unit when
/// it leads or supports the item. Everyone else (staff included: they review) is refused.
pub fn item_permission(user: &User, item: &TaskItem) -> Result<Party> {
    let refused = |why: &str| Err(Error::Forbidden(format!("事项 {}：{why}", item.id)));
    match user.role {
        Role::County => match &user.division_code {
            Some(c) if item.concerns_county(c) => Ok(Party::County(c.clone())),
            _ => refused("不涉及本县（市、区），无权填报"),
        },
        Role::Reporter => match &user.unit_id {
            Some(u) if item.involves_unit(u) => Ok(Party::Unit(u.clone())),
            _ => refused("本单位不是牵头或配合单位，无权填报"),
        },
        Role::Admin | Role::Staff => refused("由县（市、区）和责任单位填报，工作人员负责审核"),
        Role::Enterprise => refused("排污单位账号不能填报任务台账"),
    }
}

/// A report as entered.
#[derive(Debug, Clone, Default)]
pub struct ReportInput {
    /// Count value (exact decimal text).
    pub value: Option<String>,
    /// Milestone state: `yes` or `no`.
    pub done: Option<String>,
    /// Names of the objects done.
    pub objects_done: Vec<String>,
    /// What was done.
    pub narrative: String,
}

/// Checks a report `user` makes on `item`: permission ([`Error::Forbidden`]), then the measure's
/// field and the narrative ([`Error::Invalid`]). Objects of another county are refused.
pub fn check_report(
    plan: &Plan,
    user: &User,
    item: &TaskItem,
    input: ReportInput,
) -> Result<NewItemReport> {
    let party = item_permission(user, item)?;
    let narrative = input.narrative.trim().to_string();
    if narrative.is_empty() || narrative.chars().count() > 5000 {
        return Err(Error::invalid(
            "narrative",
            "进展说明不能为空且不超过 5000 字",
        ));
    }
    let (mut value, mut done, mut objects_done) = (None, None, None);
    match &item.measure {
        Measure::Count { .. } => {
            let text = input.value.unwrap_or_default();
            let v: Decimal = text
                .trim()
                .parse()
                .map_err(|_| Error::invalid("value", "应为数字，如 3 或 2.5"))?;
            if v < Decimal::from_int(0) {
                return Err(Error::invalid("value", "不能为负"));
            }
            value = Some(v.to_string());
        }
        Measure::Milestone => {
            done = Some(match input.done.as_deref() {
                Some("yes") => true,
                Some("no") => false,
                _ => return Err(Error::invalid("done", "应选择“已完成”或“未完成”")),
            });
        }
        Measure::Objects { objects } => {
            let mine: Vec<&str> = objects
                .iter()
                .filter(|o| match &party {
                    Party::County(c) => o.county.as_deref() == Some(c.as_str()),
                    Party::Unit(_) => true,
                })
                .map(|o| o.name.as_str())
                .collect();
            let mut list = Vec::new();
            for name in input.objects_done {
                if !mine.contains(&name.as_str()) {
                    return Err(Error::invalid(
                        "objects",
                        format!("「{name}」不是本事项中由本{}填报的对象", party_word(&party)),
                    ));
                }
                if !list.contains(&name) {
                    list.push(name);
                }
            }
            objects_done = Some(list);
        }
    }
    Ok(NewItemReport {
        plan_id: plan.meta.id.clone(),
        item_id: item.id.clone(),
        party_kind: party.kind().to_string(),
        party: party.code().to_string(),
        value,
        done,
        objects_done,
        narrative,
    })
}

fn party_word(p: &Party) -> &'static str {
    match p {
        Party::County(_) => "县（市、区）",
        Party::Unit(_) => "单位",
    }
}

/// Stores a checked report with its checked evidence files.
pub async fn record_report(
    store: &Store,
    report: &NewItemReport,
    evidence: &[NewEvidence],
    actor: &Actor,
) -> Result<(ItemReport, Vec<ItemEvidence>)> {
    Ok(store.record_item_report(report, evidence, actor).await?)
}

/// A report of `plan` by id, or [`Error::NotFound`].
pub async fn report_of_plan(store: &Store, plan: &Plan, id: i64) -> Result<ItemReport> {
    match store.item_report(id).await? {
        Some(r) if r.plan_id == plan.meta.id => Ok(r),
        _ => Err(Error::NotFound(format!("没有编号为 {id} 的事项报告"))),
    }
}

/// Staff accept (`accept`) or return a submitted report; a return needs its reason.
pub async fn review(
    store: &Store,
    plan: &Plan,
    user: &User,
    id: i64,
    accept: bool,
    reason: &str,
    actor: &Actor,
) -> Result<ItemReport> {
    if !matches!(user.role, Role::Admin | Role::Staff) {
        return Err(Error::Forbidden(
            "只有生态环境局工作人员可以审核事项报告".into(),
        ));
    }
    report_of_plan(store, plan, id).await?;
    let reason = reason.trim();
    if !accept && reason.is_empty() {
        return Err(Error::invalid("reason", "退回须写明理由"));
    }
    if reason.chars().count() > 1000 {
        return Err(Error::invalid("reason", "不超过 1000 字"));
    }
    let reason = (!reason.is_empty()).then_some(reason);
    store
        .review_item_report(id, accept, reason, actor)
        .await
        .map_err(|e| match e {
            qingshan_store::StoreError::Conflict(m) => Error::Conflict(m),
            other => other.into(),
        })
}

/// An item as staff enter it on the web (the fields of the form or the API body).
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ItemInput {
    /// Item id (new items only; a revision keeps its id).
    #[serde(default)]
    pub id: String,
    /// The task "area-number".
    #[serde(default)]
    pub task: String,
    /// What is to be done.
    #[serde(default)]
    pub text: String,
    /// `count`, `milestone` or `objects`.
    #[serde(default)]
    pub measure: String,
    /// Count unit.
    #[serde(default)]
    pub measure_unit: String,
    /// Count target.
    #[serde(default)]
    pub target: String,
    /// `at_least` or `at_most`.
    #[serde(default)]
    pub direction: String,
    /// Objects, one per line: `名称` or `名称|区县代码`.
    #[serde(default)]
    pub objects: String,
    /// Lead unit id.
    #[serde(default)]
    pub lead: String,
    /// Supporting unit ids, separated by commas or spaces.
    #[serde(default)]
    pub supporting: String,
    /// County codes, separated by commas or spaces; `all` for every county.
    #[serde(default)]
    pub counties: String,
    /// YYYY-MM-DD.
    #[serde(default)]
    pub deadline: String,
    /// Assessment year.
    #[serde(default)]
    pub year: String,
    /// Why it is added or changed.
    #[serde(default)]
    pub reason: String,
}

fn list(s: &str) -> Vec<String> {
    s.split(|c: char| c == ',' || c == '，' || c == '、' || c.is_whitespace())
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

/// Builds and checks an item from the web's fields (the same checks as the plan file's).
pub fn item_from_input(plan: &Plan, input: &ItemInput) -> Result<TaskItem> {
    let (area, task) = input
        .task
        .split_once('-')
        .and_then(|(a, n)| Some((a.trim().parse().ok()?, n.trim().parse().ok()?)))
        .ok_or_else(|| Error::invalid("task", "应为任务编号，如 3-1"))?;
    let measure = match input.measure.as_str() {
        "count" => Measure::Count {
            unit: input.measure_unit.trim().to_string(),
            target: input
                .target
                .trim()
                .parse()
                .map_err(|_| Error::invalid("target", "应为数字，如 0 或 12"))?,
            direction: match input.direction.as_str() {
                "at_least" => qingshan_plan::CountDirection::AtLeast,
                "at_most" => qingshan_plan::CountDirection::AtMost,
                _ => return Err(Error::invalid("direction", "应选择“不低于”或“不高于”")),
            },
        },
        "milestone" => Measure::Milestone,
        "objects" => Measure::Objects {
            objects: input
                .objects
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(|l| match l.split_once(['|', '｜']) {
                    Some((n, c)) => qingshan_plan::NamedObject {
                        name: n.trim().to_string(),
                        county: Some(c.trim().to_string()).filter(|c| !c.is_empty()),
                    },
                    None => qingshan_plan::NamedObject {
                        name: l.to_string(),
                        county: None,
                    },
                })
                .collect(),
        },
        _ => return Err(Error::invalid("measure", "应为数量、节点或清单")),
    };
    let counties = if input.counties.trim() == "all" {
        plan.county_codes()
    } else {
        list(&input.counties)
    };
    let item = TaskItem {
        id: input.id.trim().to_string(),
        area,
        task,
        text: input.text.trim().to_string(),
        measure,
        lead: input.lead.trim().to_string(),
        supporting: list(&input.supporting),
        counties,
        deadline: input.deadline.trim().to_string(),
        year: input
            .year
            .trim()
            .parse()
            .map_err(|_| Error::invalid("year", "应为年份，如 2025"))?,
    };
    plan.check_item(&item).map_err(|p| {
        let field = match p.field.as_str() {
            "unit" => "measure_unit".to_string(),
            f => f.split('[').next().unwrap_or(f).to_string(),
        };
        Error::invalid(&field, p.message)
    })?;
    Ok(item)
}

/// Adds an item (`existing` = None) or revises one in force; staff only. A new id already in
/// use is a [`Error::Conflict`]; a revision keeps its id.
pub async fn save_item(
    store: &Store,
    plan: &Plan,
    user: &User,
    existing: Option<&str>,
    mut input: ItemInput,
    actor: &Actor,
) -> Result<TaskItem> {
    if !matches!(user.role, Role::Admin | Role::Staff) {
        return Err(Error::Forbidden(
            "只有生态环境局工作人员可以新增或修订任务台账事项".into(),
        ));
    }
    let current = items(store, plan).await?;
    if let Some(id) = existing {
        if !current.iter().any(|i| i.id == id) {
            return Err(Error::NotFound(format!("没有任务台账事项 {id}")));
        }
        input.id = id.to_string();
    } else if current.iter().any(|i| i.id == input.id.trim()) {
        return Err(Error::Conflict(format!(
            "事项编号「{}」已存在",
            input.id.trim()
        )));
    }
    let reason = input.reason.trim().to_string();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(Error::invalid(
            "reason",
            "须写明新增或修订的理由（不超过 500 字）",
        ));
    }
    let item = item_from_input(plan, &input)?;
    let definition = serde_json::to_string(&item)
        .map_err(|e| Error::invalid("body", format!("事项无法保存：{e}")))?;
    let in_plan = plan.items().any(|i| i.id == item.id);
    store
        .record_item_revision(
            &plan.meta.id,
            &item.id,
            &definition,
            &reason,
            in_plan,
            actor,
        )
        .await?;
    Ok(item)
}

/// Where one county or unit stands on an item.
#[derive(Debug, Clone, Serialize)]
pub struct PartyStatus {
    /// The party.
    pub party: Party,
    /// Its name.
    pub name: String,
    /// `county`, `lead` or `supporting`.
    pub role: &'static str,
    /// Its latest revision, whatever its state.
    pub latest: Option<ItemReport>,
    /// Its latest accepted revision: the one that counts.
    pub accepted: Option<ItemReport>,
    /// Its part done, judged from the accepted revision.
    pub complete: bool,
    /// Deadline passed and its part not done.
    pub overdue: bool,
    /// Its latest revision was returned.
    pub returned: bool,
    /// What its accepted revision says, in words.
    pub shown: String,
}

/// An item with its roll-up.
#[derive(Debug, Clone, Serialize)]
pub struct ItemStatus {
    /// The item.
    pub item: TaskItem,
    /// The lead unit's name.
    pub lead_name: String,
    /// The supporting units' names.
    pub supporting_names: Vec<String>,
    /// The city's value in words (sum of counts, objects done, counties done).
    pub city: String,
    /// The city's exact value of a count item.
    pub city_value: Option<String>,
    /// The item done for the city.
    pub complete: bool,
    /// Counties (or, with none, units) whose part is done, and how many there are.
    pub done_parties: usize,
    /// How many parties decide completion.
    pub deciding_parties: usize,
    /// Every county and unit.
    pub parties: Vec<PartyStatus>,
}

fn shown(item: &TaskItem, r: &ItemReport) -> String {
    match &item.measure {
        Measure::Count { unit, .. } => format!("{}{unit}", r.value.clone().unwrap_or_default()),
        Measure::Milestone => if r.done == Some(true) {
            "已完成"
        } else {
            "未完成"
        }
        .to_string(),
        Measure::Objects { .. } => {
            let o = r.objects_done.clone().unwrap_or_default();
            if o.is_empty() {
                "无对象完成".to_string()
            } else {
                format!("已完成：{}", o.join("、"))
            }
        }
    }
}

/// Whether an accepted report completes the party's part.
fn part_done(item: &TaskItem, party: &Party, r: &ItemReport, deciding: bool) -> bool {
    if !deciding {
        return true;
    }
    match &item.measure {
        Measure::Count {
            target, direction, ..
        } => match direction {
            qingshan_plan::CountDirection::AtMost => r
                .value
                .as_deref()
                .and_then(|v| v.parse::<Decimal>().ok())
                .is_some_and(|v| v <= *target),
            qingshan_plan::CountDirection::AtLeast => true,
        },
        Measure::Milestone => r.done == Some(true),
        Measure::Objects { objects } => {
            let done = r.objects_done.clone().unwrap_or_default();
            objects
                .iter()
                .filter(|o| match party {
                    Party::County(c) => o.county.as_deref() == Some(c.as_str()),
                    Party::Unit(_) => o.county.is_none(),
                })
                .all(|o| done.contains(&o.name))
        }
    }
}

/// The roll-up of one item from its reports (any revisions of any item may be passed; only
/// this item's count), as of `today` (Beijing time) for the deadline.
pub fn rollup(
    plan: &Plan,
    item: &TaskItem,
    reports: &[ItemReport],
    today: NaiveDate,
) -> ItemStatus {
    let mut latest: HashMap<Party, &ItemReport> = HashMap::new();
    let mut accepted: HashMap<Party, &ItemReport> = HashMap::new();
    for r in reports
        .iter()
        .filter(|r| r.item_id == item.id && r.plan_id == plan.meta.id)
    {
        let p = Party::of(r);
        let e = latest.entry(p.clone()).or_insert(r);
        if r.revision > e.revision {
            *e = r;
        }
        if r.state == "accepted" {
            let e = accepted.entry(p).or_insert(r);
            if r.revision > e.revision {
                *e = r;
            }
        }
    }
    let past = qingshan_plan::iso_date(&item.deadline).is_some_and(|d| d < today);
    let by_counties = !item.counties.is_empty();
    let mut parties: Vec<(Party, &'static str, bool)> = Vec::new();
    for c in &item.counties {
        parties.push((Party::County(c.clone()), "county", true));
    }
    parties.push((Party::Unit(item.lead.clone()), "lead", !by_counties));
    for u in &item.supporting {
        parties.push((Party::Unit(u.clone()), "supporting", false));
    }
    let statuses: Vec<PartyStatus> = parties
        .into_iter()
        .map(|(party, role, deciding)| {
            let acc = accepted.get(&party).copied();
            let lat = latest.get(&party).copied();
            let complete = acc.is_some_and(|r| part_done(item, &party, r, deciding));
            PartyStatus {
                name: party.name(plan),
                role,
                shown: acc.map(|r| shown(item, r)).unwrap_or_default(),
                latest: lat.cloned(),
                accepted: acc.cloned(),
                complete,
                overdue: past && !complete,
                returned: lat.is_some_and(|r| r.state == "returned"),
                party,
            }
        })
        .collect();
    // The parties that decide: the counties, or the units of a unit-only item (the lead for a
    // milestone; every unit's value for a count).
    let deciding: Vec<&PartyStatus> = statuses
        .iter()
        .filter(|p| {
            if by_counties {
                p.role == "county"
            } else {
                p.role == "lead" || matches!(item.measure, Measure::Count { .. })
            }
        })
        .collect();
    let all_accepted = deciding.iter().all(|p| p.accepted.is_some());
    let (city, city_value, complete) = match &item.measure {
        Measure::Count {
            unit,
            target,
            direction,
        } => {
            let values: Vec<Decimal> = deciding
                .iter()
                .filter_map(|p| p.accepted.as_ref()?.value.as_deref()?.parse().ok())
                .collect();
            let sum = sum_decimals(&values);
            let reported = values.len();
            // With nothing accepted there is no city value: a 0 would read as 清零.
            let sum = sum.filter(|_| reported > 0);
            let text = match sum {
                Some(s) => format!("{s}{unit}（{reported}/{} 已通过审核）", deciding.len()),
                None if reported == 0 => "尚无审核通过的报告".to_string(),
                None => "无法汇总".to_string(),
            };
            let complete = all_accepted && sum.is_some_and(|s| direction.met(s, *target));
            (text, sum.map(|s| s.to_string()), complete)
        }
        Measure::Milestone => {
            let done = deciding.iter().filter(|p| p.complete).count();
            (
                format!("{done}/{} 已完成", deciding.len()),
                None,
                done == deciding.len(),
            )
        }
        Measure::Objects { objects } => {
            let done = objects
                .iter()
                .filter(|o| {
                    let owner = match &o.county {
                        Some(c) => Party::County(c.clone()),
                        None => Party::Unit(item.lead.clone()),
                    };
                    accepted
                        .get(&owner)
                        .and_then(|r| r.objects_done.as_ref())
                        .is_some_and(|d| d.contains(&o.name))
                })
                .count();
            (
                format!("{done}/{} 个对象已完成", objects.len()),
                None,
                done == objects.len(),
            )
        }
    };
    let done_parties = deciding.iter().filter(|p| p.complete).count();
    let deciding_parties = deciding.len();
    ItemStatus {
        lead_name: plan.unit_name(&item.lead).to_string(),
        supporting_names: item
            .supporting
            .iter()
            .map(|u| plan.unit_name(u).to_string())
            .collect(),
        city,
        city_value,
        complete,
        done_parties,
        deciding_parties,
        parties: statuses,
        item: item.clone(),
    }
}

/// Every item in force with its roll-up, as of `today`.
pub async fn ledger(store: &Store, plan: &Plan, today: NaiveDate) -> Result<Vec<ItemStatus>> {
    let items = items(store, plan).await?;
    let reports = store.item_reports(&plan.meta.id).await?;
    Ok(items
        .iter()
        .map(|i| rollup(plan, i, &reports, today))
        .collect())
}

/// One line of the lists of what needs attention: an overdue part or a returned report.
#[derive(Debug, Clone, Serialize)]
pub struct AttentionRow {
    /// Item id.
    pub item_id: String,
    /// Its task "area-number".
    pub task: String,
    /// Item text.
    pub text: String,
    /// Deadline.
    pub deadline: String,
    /// The county or unit.
    pub party: Party,
    /// Its name.
    pub party_name: String,
    /// `overdue` or `returned`.
    pub reason: &'static str,
    /// The returned revision (for `returned`).
    pub report_id: Option<i64>,
    /// Why it was returned.
    pub review_reason: Option<String>,
}

/// What needs attention: returned reports and overdue parts, optionally of one party only.
pub fn attention(statuses: &[ItemStatus], only: Option<&Party>) -> Vec<AttentionRow> {
    let mut out = Vec::new();
    for s in statuses {
        for p in &s.parties {
            if only.is_some_and(|o| *o != p.party) {
                continue;
            }
            let row = |reason, report: Option<&ItemReport>| AttentionRow {
                item_id: s.item.id.clone(),
                task: s.item.task_code(),
                text: s.item.text.clone(),
                deadline: s.item.deadline.clone(),
                party: p.party.clone(),
                party_name: p.name.clone(),
                reason,
                report_id: report.map(|r| r.id),
                review_reason: report.and_then(|r| r.review_reason.clone()),
            };
            if p.returned {
                out.push(row("returned", p.latest.as_ref()));
            }
            if p.overdue {
                out.push(row("overdue", None));
            }
        }
    }
    out
}

/// The party a signed-in user works for, if she reports at all (county officials and reporters).
pub fn party_of(user: &User) -> Option<Party> {
    match user.role {
        Role::County => user.division_code.clone().map(Party::County),
        Role::Reporter => user.unit_id.clone().map(Party::Unit),
        _ => None,
    }
}

/// A reporter's or county official's to-do list (我的待办).
#[derive(Debug, Clone, Serialize, Default)]
pub struct Todo {
    /// Items concerning her whose part is not done yet.
    pub open: Vec<AttentionRow>,
    /// Her reports staff returned, awaiting a new revision.
    pub returned: Vec<AttentionRow>,
}

/// The to-do list of `user` (empty for staff and the public).
pub async fn todo_for(store: &Store, plan: &Plan, user: &User, today: NaiveDate) -> Result<Todo> {
    let Some(party) = party_of(user) else {
        return Ok(Todo::default());
    };
    let statuses = ledger(store, plan, today).await?;
    let mut todo = Todo::default();
    for s in &statuses {
        let Some(p) = s.parties.iter().find(|p| p.party == party) else {
            continue;
        };
        let row = |reason, report: Option<&ItemReport>| AttentionRow {
            item_id: s.item.id.clone(),
            task: s.item.task_code(),
            text: s.item.text.clone(),
            deadline: s.item.deadline.clone(),
            party: p.party.clone(),
            party_name: p.name.clone(),
            reason,
            report_id: report.map(|r| r.id),
            review_reason: report.and_then(|r| r.review_reason.clone()),
        };
        if p.returned {
            todo.returned.push(row("returned", p.latest.as_ref()));
        } else if !p.complete {
            todo.open
                .push(row(if p.overdue { "overdue" } else { "open" }, None));
        }
    }
    Ok(todo)
}

/// An item's measure in words: 数量：不高于 0台, 节点, 清单 3 个对象.
pub fn measure_text(item: &TaskItem) -> String {
    match &item.measure {
        Measure::Count {
            unit,
            target,
            direction,
        } => format!("数量：{} {target}{unit}", direction.label()),
        Measure::Milestone => "节点（完成/未完成）".to_string(),
        Measure::Objects { objects } => format!("清单：{} 个对象", objects.len()),
    }
}

/// An item with its roll-up as the annual report prints it.
pub fn report_item(s: &ItemStatus) -> qingshan_report::LedgerItem {
    qingshan_report::LedgerItem {
        id: s.item.id.clone(),
        area: s.item.area,
        task: s.item.task,
        text: s.item.text.clone(),
        measure: measure_text(&s.item),
        deadline: s.item.deadline.clone(),
        year: s.item.year,
        city: s.city.clone(),
        complete: s.complete,
        parts: s
            .parties
            .iter()
            .map(|p| qingshan_report::LedgerPart {
                name: p.name.clone(),
                county: p.role == "county",
                role: match p.role {
                    "county" => "区县",
                    "lead" => "牵头单位",
                    _ => "配合单位",
                }
                .to_string(),
                shown: p.shown.clone(),
                complete: p.complete,
                overdue: p.overdue,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(item: &str, county: &str, rev: i64, value: &str, state: &str) -> ItemReport {
        ItemReport {
            id: rev,
            plan_id: "xinzhou-beautiful-shanxi-2023".into(),
            item_id: item.into(),
            party_kind: "county".into(),
            party: county.into(),
            revision: rev,
            value: Some(value.into()),
            done: None,
            objects_done: None,
            narrative: "n".into(),
            state: state.into(),
            reported_by_name: None,
            reported_at: String::new(),
            reviewed_by_name: None,
            reviewed_at: None,
            review_reason: None,
        }
    }

    #[test]
    fn a_count_is_the_sum_of_accepted_county_values_and_returned_ones_do_not_count() {
        let plan = qingshan_plan::xinzhou().unwrap();
        let mut item = plan.items().find(|i| i.id == "3-1-1").unwrap().clone();
        item.counties = vec!["140902".into(), "140921".into(), "140922".into()];
        let today = NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
        let rs = vec![
            report("3-1-1", "140902", 1, "2", "accepted"),
            report("3-1-1", "140921", 1, "3", "accepted"),
            report("3-1-1", "140922", 1, "4", "returned"),
        ];
        let s = rollup(&plan, &item, &rs, today);
        assert_eq!(s.city_value.as_deref(), Some("5"));
        assert!(!s.complete);
        let mut rs = rs;
        rs.push(report("3-1-1", "140922", 2, "0", "accepted"));
        let s = rollup(&plan, &item, &rs, today);
        assert_eq!(s.city_value.as_deref(), Some("5"));
        assert_eq!(
            s.done_parties, 1,
            "only the county at 0 has cleared its boilers"
        );
        assert!(!s.complete, "清零 needs the city's sum at 0");
        let zeros: Vec<ItemReport> = ["140902", "140921", "140922"]
            .iter()
            .map(|c| report("3-1-1", c, 1, "0", "accepted"))
            .collect();
        assert!(rollup(&plan, &item, &zeros, today).complete);
        let late = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        assert!(rollup(&plan, &item, &rs, late).parties[0].overdue);
    }
}
