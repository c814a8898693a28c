//! Heavy-pollution response, first half (issue 16): the 绩效分级 register and the 应急减排清单
//! (一厂一策) with its check against the required overall reductions per warning level.
//!
//! Who may do what, decided here once for pages, API and CLI:
//! - an enterprise account applies for a grade (or an upgrade) for its own enterprise only;
//! - a county official reviews (approves or returns with a reason) applications of its county;
//!   staff may review too;
//! - staff publish reviewed grades, record grades directly and edit the list and baselines;
//! - published grades are public (without the internal review notes).
//!
//! The rules (industries, grades, ratios, measure codes) are data: `qingshan_sources::heavy`.
//! The other half (the warning's life, activation, proof from the data, episode reports) builds
//! on [`grades_published`], [`reduction_list`] and [`list_check`].

use chrono::NaiveDate;
use qingshan_exact::{Ratio, Rounding};
use qingshan_sources::heavy::{self, POLLUTANTS};
use qingshan_store::{
    Actor, HeavyBaseline, HeavyGrade, HeavyGradeEvent, HeavyGradeEvidence, HeavyGradeFilter,
    HeavyGradeStep, HeavyMeasure, HeavyReduction, Kg4, NewEvidence, NewHeavyGrade,
    NewHeavyReduction, Paged, Role, Store, StoreError, User, labels,
};
use serde::Serialize;

use crate::{Error, Result};

/// Longest note or reason, characters.
pub const MAX_NOTE_CHARS: usize = 2000;
/// Longest process name, characters.
pub const MAX_PROCESS_CHARS: usize = 100;
/// Most measures per entry.
pub const MAX_MEASURES: usize = 20;
/// Most outlets per entry.
pub const MAX_OUTLETS: usize = 50;

fn store_err(e: StoreError) -> Error {
    match e {
        StoreError::NotFound(m) => Error::NotFound(format!("没有{m}")),
        StoreError::Conflict(m) => Error::Conflict(m),
        other => other.into(),
    }
}

fn note(field: &str, label: &str, v: Option<&str>) -> Result<Option<String>> {
    match v.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => {
            let n = v.chars().count();
            if n > MAX_NOTE_CHARS {
                return Err(Error::invalid(
                    field,
                    format!("{label}最多 {MAX_NOTE_CHARS} 个字，现为 {n} 个字"),
                ));
            }
            Ok(Some(v.to_string()))
        }
    }
}

fn is_staff(u: &User) -> bool {
    matches!(u.role, Role::Admin | Role::Staff)
}

/// Staff or administrators only (publish, record directly, edit the list).
pub fn may_manage(user: Option<&User>) -> Result<()> {
    let u = user.ok_or(Error::Unauthenticated)?;
    if is_staff(u) {
        Ok(())
    } else {
        Err(Error::Forbidden(
            "此操作仅由市生态环境局工作人员办理".into(),
        ))
    }
}

/// Whether the user sees the internal side of the register (review notes, applications):
/// staff, county officials and enterprise accounts (their own).
pub fn sees_internal(user: Option<&User>) -> bool {
    user.is_some_and(|u| {
        matches!(
            u.role,
            Role::Admin | Role::Staff | Role::County | Role::Enterprise
        )
    })
}

/// A grade record as pages and API show it: the stored record with its Chinese labels.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct GradeView {
    /// The record.
    #[serde(flatten)]
    pub grade: HeavyGrade,
    /// Industry name.
    pub industry_name: String,
    /// Grade label (A级 …).
    pub grade_label: String,
    /// State label.
    pub state_label: String,
    /// Kind label.
    pub kind_label: String,
}

impl GradeView {
    /// Labels a stored record.
    pub fn of(g: HeavyGrade) -> GradeView {
        GradeView {
            industry_name: heavy::industry(&g.industry)
                .map_or_else(|| format!("其他行业（{}）", g.industry), |i| i.name.clone()),
            grade_label: heavy::grade(&g.grade)
                .map_or_else(|| format!("其他级别（{}）", g.grade), |x| x.label.clone()),
            state_label: labels::heavy_grade_state(&g.state).into_owned(),
            kind_label: labels::heavy_grade_kind(&g.kind).into_owned(),
            grade: g,
        }
    }

    /// The public form: without the internal review note.
    pub fn public(mut self) -> GradeView {
        self.grade.internal_note = None;
        self
    }

    /// Whether the grade is valid on a day (from ≤ day ≤ to).
    pub fn valid_on(&self, day: NaiveDate) -> bool {
        let d = day.format("%Y-%m-%d").to_string();
        self.grade.valid_from <= d && self.grade.valid_to.as_ref().is_none_or(|t| d <= *t)
    }
}

/// Every published grade (the public list), labelled; internal notes included — call
/// [`GradeView::public`] before showing it to the public.
pub async fn grades_published(store: &Store) -> Result<Vec<GradeView>> {
    Ok(store
        .heavy_grades_published()
        .await?
        .into_iter()
        .map(GradeView::of)
        .collect())
}

/// Which records a user may list: staff all, a county its own, an enterprise its own.
fn grade_scope(user: Option<&User>) -> Result<HeavyGradeFilter> {
    let (division_code, credit_code) = crate::scope::enforcement_scope(user, "绩效分级申请")?;
    Ok(HeavyGradeFilter {
        division_code,
        credit_code,
        ..Default::default()
    })
}

/// One page of grade records the user may see (applications on their way included).
pub async fn grades_internal(
    store: &Store,
    user: Option<&User>,
    state: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<Paged<GradeView>> {
    let mut f = grade_scope(user)?;
    f.state = state.map(str::to_string);
    let p = store.heavy_grades_paged(&f, limit, offset).await?;
    Ok(Paged {
        items: p.items.into_iter().map(GradeView::of).collect(),
        total: p.total,
    })
}

/// A grade record with its steps and documents.
#[derive(Debug, Clone, Serialize)]
pub struct GradeDetail {
    /// The record.
    pub grade: GradeView,
    /// Its steps, oldest first.
    pub events: Vec<HeavyGradeEvent>,
    /// Its documents.
    pub evidence: Vec<HeavyGradeEvidence>,
}

/// Whether the user may see a record: staff all, a county official its county's, an enterprise
/// its own; others refused.
fn may_see_grade(user: Option<&User>, g: &HeavyGrade) -> Result<()> {
    let f = grade_scope(user)?;
    if f.credit_code.as_ref().is_some_and(|c| *c != g.credit_code) {
        return Err(Error::Forbidden("该绩效分级记录不属于本单位".into()));
    }
    if f.division_code.is_some() && f.division_code != g.division_code {
        return Err(Error::Forbidden("该绩效分级记录不属于本区县".into()));
    }
    Ok(())
}

/// One record with its steps and documents, if the user may see it.
pub async fn grade_detail(store: &Store, user: Option<&User>, id: i64) -> Result<GradeDetail> {
    let g = store
        .heavy_grade(id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("没有编号为 {id} 的绩效分级记录")))?;
    may_see_grade(user, &g)?;
    Ok(GradeDetail {
        events: store.heavy_grade_events(id).await?,
        evidence: store.heavy_grade_evidence(id).await?,
        grade: GradeView::of(g),
    })
}

/// A document of a record with its content, if the user may see the record.
pub async fn grade_document(
    store: &Store,
    user: Option<&User>,
    id: i64,
) -> Result<(HeavyGradeEvidence, Vec<u8>)> {
    let (e, content) = store
        .heavy_grade_evidence_file(id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("没有编号为 {id} 的材料")))?;
    let g = store
        .heavy_grade(e.grade_id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("没有编号为 {id} 的材料")))?;
    may_see_grade(user, &g)?;
    Ok((e, content))
}

/// What an application or a direct record gives.
#[derive(Debug, Clone, Default)]
pub struct GradeForm {
    /// 统一社会信用代码 (an enterprise account: its own, filled in by the page).
    pub credit_code: String,
    /// Industry code.
    pub industry: String,
    /// Grade code.
    pub grade: String,
    /// Valid from, YYYY-MM-DD.
    pub valid_from: String,
    /// Valid to, YYYY-MM-DD (optional).
    pub valid_to: Option<String>,
    /// apply or upgrade (ignored for a direct record).
    pub kind: String,
    /// Note on the public list (direct records).
    pub public_note: Option<String>,
    /// Applicant's or recorder's note.
    pub note: Option<String>,
}

fn date(field: &str, label: &str, v: &str) -> Result<String> {
    NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d")
        .map(|d| d.format("%Y-%m-%d").to_string())
        .map_err(|_| Error::invalid(field, format!("{label}应为 YYYY-MM-DD 格式的日期")))
}

/// Checks a grade form against the rules: known industry, a grade the industry uses, dates in
/// order; `kind` becomes the stored kind.
fn check_grade_form(f: &GradeForm, kind: &str) -> Result<NewHeavyGrade> {
    let industry = heavy::industry(f.industry.trim())
        .ok_or_else(|| Error::invalid("industry", "请选择重点行业清单中的行业"))?;
    let grades = heavy::grades_of(&industry.code);
    let grade = grades
        .iter()
        .find(|g| g.code == f.grade.trim())
        .ok_or_else(|| {
            Error::invalid(
                "grade",
                format!(
                    "{}行业的绩效级别只能是：{}",
                    industry.name,
                    grades
                        .iter()
                        .map(|g| g.label.as_str())
                        .collect::<Vec<_>>()
                        .join("、")
                ),
            )
        })?;
    let valid_from = date("valid_from", "有效期起", &f.valid_from)?;
    let valid_to = match f
        .valid_to
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        Some(v) => Some(date("valid_to", "有效期止", v)?),
        None => None,
    };
    if valid_to.as_ref().is_some_and(|t| *t < valid_from) {
        return Err(Error::invalid("valid_to", "有效期止不能早于有效期起"));
    }
    Ok(NewHeavyGrade {
        credit_code: f.credit_code.trim().to_string(),
        industry: industry.code.clone(),
        grade: grade.code.clone(),
        valid_from,
        valid_to,
        kind: kind.to_string(),
        public_note: note("public_note", "公开说明", f.public_note.as_deref())?,
        note: note("note", "说明", f.note.as_deref())?,
    })
}

/// An enterprise applies for a grade or an upgrade for itself, with documents (at least one).
/// An upgrade needs a published grade in the industry that is worse than the one asked for.
pub async fn apply(
    store: &Store,
    user: Option<&User>,
    actor: &Actor,
    f: &GradeForm,
    files: &[NewEvidence],
) -> Result<GradeView> {
    let u = user.ok_or(Error::Unauthenticated)?;
    if u.role != Role::Enterprise {
        return Err(Error::Forbidden(
            "绩效分级由排污单位本单位申请；工作人员请用“直接录入”".into(),
        ));
    }
    let own = u.credit_code.as_deref().unwrap_or("");
    if f.credit_code.trim() != own {
        return Err(Error::Forbidden(
            "排污单位账号只能为本单位申请绩效分级".into(),
        ));
    }
    let kind = match f.kind.trim() {
        "" | "apply" => "apply",
        "upgrade" => "upgrade",
        _ => return Err(Error::invalid("kind", "申请类型应为“申请评级”或“申请升级”")),
    };
    let n = check_grade_form(f, kind)?;
    if files.is_empty() {
        return Err(Error::invalid("files", "请上传绩效分级佐证材料"));
    }
    if kind == "upgrade" {
        let current = store
            .heavy_grades_published()
            .await?
            .into_iter()
            .find(|g| g.credit_code == n.credit_code && g.industry == n.industry);
        let rank = |c: &str| heavy::grade(c).map_or(u32::MAX, |g| g.rank);
        match current {
            None => {
                return Err(Error::invalid(
                    "kind",
                    "本单位在该行业尚无已公布的绩效级别，请选择“申请评级”",
                ));
            }
            Some(c) if rank(&n.grade) >= rank(&c.grade) => {
                return Err(Error::invalid(
                    "grade",
                    format!(
                        "申请升级的级别应高于现有级别（{}）",
                        heavy::grade(&c.grade).map_or(c.grade.as_str(), |g| g.label.as_str())
                    ),
                ));
            }
            Some(_) => {}
        }
    }
    store
        .heavy_grade_apply(&n, files, actor)
        .await
        .map(GradeView::of)
        .map_err(store_err)
}

/// Staff record a grade directly (published at once, replacing the enterprise's published
/// grade in the industry).
pub async fn record(
    store: &Store,
    user: Option<&User>,
    actor: &Actor,
    f: &GradeForm,
    files: &[NewEvidence],
) -> Result<GradeView> {
    may_manage(user)?;
    let n = check_grade_form(f, "direct")?;
    store
        .heavy_grade_apply(&n, files, actor)
        .await
        .map(GradeView::of)
        .map_err(store_err)
}

/// The county reviews an application of its county: approve, or return with a reason. Staff
/// may review any.
pub async fn review(
    store: &Store,
    user: Option<&User>,
    actor: &Actor,
    id: i64,
    approve: bool,
    reason: Option<&str>,
) -> Result<GradeView> {
    let u = user.ok_or(Error::Unauthenticated)?;
    let g = store
        .heavy_grade(id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("没有编号为 {id} 的绩效分级记录")))?;
    match u.role {
        Role::Admin | Role::Staff => {}
        Role::County => {
            if u.division_code.is_none() || u.division_code != g.division_code {
                return Err(Error::Forbidden(
                    "区县账号只能审核本区县企业的绩效分级申请".into(),
                ));
            }
        }
        _ => {
            return Err(Error::Forbidden("绩效分级申请由所在区县审核".into()));
        }
    }
    let reason = note("reason", "审核意见", reason)?;
    if !approve && reason.is_none() {
        return Err(Error::invalid("reason", "退回须写明原因"));
    }
    let step = if approve {
        HeavyGradeStep::Approve
    } else {
        HeavyGradeStep::Return
    };
    store
        .heavy_grade_step(id, step, reason.as_deref(), actor)
        .await
        .map(GradeView::of)
        .map_err(store_err)
}

/// The city publishes a reviewed grade (staff only).
pub async fn publish(
    store: &Store,
    user: Option<&User>,
    actor: &Actor,
    id: i64,
    remark: Option<&str>,
) -> Result<GradeView> {
    may_manage(user)?;
    let remark = note("note", "公布说明", remark)?;
    store
        .heavy_grade_step(id, HeavyGradeStep::Publish, remark.as_deref(), actor)
        .await
        .map(GradeView::of)
        .map_err(store_err)
}

/// The exact value of a stored kg/h figure (stored figures were checked on write; a figure
/// that no longer reads counts as zero).
pub fn kg(k: &Kg4, pollutant: &str) -> Ratio {
    let t = match pollutant {
        "so2" => &k.so2,
        "nox" => &k.nox,
        "pm" => &k.pm,
        "vocs" => &k.vocs,
        _ => return Ratio::ZERO,
    };
    heavy::parse_kg(t).unwrap_or(Ratio::ZERO)
}

/// One measure of an entry with its Chinese text.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct MeasureView {
    /// Code.
    pub code: String,
    /// Chinese name.
    pub name: String,
    /// Percentage, if the measure takes one.
    pub percent: Option<String>,
    /// Process or facility.
    pub process: Option<String>,
    /// The whole measure in words: "限产 20 %", "停用工序：2号焦炉推焦".
    pub text: String,
}

impl MeasureView {
    fn of(m: &HeavyMeasure) -> MeasureView {
        let name = heavy::measure(&m.code)
            .map_or_else(|| format!("其他措施（{}）", m.code), |k| k.name.clone());
        let mut text = name.clone();
        if let Some(p) = &m.percent {
            text.push_str(&format!(" {p} %"));
        }
        if let Some(p) = &m.process {
            text.push_str(&format!("：{p}"));
        }
        MeasureView {
            code: m.code.clone(),
            name,
            percent: m.percent.clone(),
            process: m.process.clone(),
            text,
        }
    }
}

/// An enterprise's entry of the list at one level, for the pages and for the warning's
/// activation and proof (helper `warnings`).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct EnterpriseReduction {
    /// 统一社会信用代码.
    pub credit_code: String,
    /// Enterprise name (the code if it left the registry).
    pub enterprise: String,
    /// County (division code).
    pub division_code: Option<String>,
    /// yellow, orange or red.
    pub level: String,
    /// 黄色预警 …
    pub level_label: String,
    /// Measures, in order.
    pub measures: Vec<MeasureView>,
    /// Committed reductions, kg/h (exact decimal text; [`kg`] reads them).
    pub reduction: Kg4,
    /// Current baseline emissions, kg/h, if recorded.
    pub baseline: Option<Kg4>,
    /// Affected outlet codes.
    pub outlet_codes: Vec<String>,
    /// MNs of the devices on those outlets.
    pub mns: Vec<String>,
    /// The enterprise's published grades: "焦化 B级"; empty if none.
    pub grades: Vec<String>,
    /// Pollutants whose committed reduction exceeds the baseline (an error in the entry).
    pub above_baseline: Vec<String>,
    /// Revision of the entry.
    pub revision: i64,
    /// Note.
    pub note: Option<String>,
    /// Who saved it.
    pub by_name: Option<String>,
    /// When, RFC 3339 UTC.
    pub at: String,
}

fn level_of(level: &str) -> Result<&'static heavy::Level> {
    heavy::level(level.trim()).ok_or_else(|| {
        Error::invalid(
            "level",
            "预警级别应为 yellow（黄色）、orange（橙色）或 red（红色）",
        )
    })
}

/// The current list at a level (yellow, orange, red), by county then enterprise.
pub async fn reduction_list(store: &Store, level: &str) -> Result<Vec<EnterpriseReduction>> {
    let lvl = level_of(level)?;
    let entries = store.heavy_reductions(&lvl.code).await?;
    let grades = store.heavy_grades_published().await?;
    let mut out = Vec::with_capacity(entries.len());
    for e in entries {
        let baseline = store
            .heavy_baseline(&e.credit_code)
            .await?
            .map(|b| b.baseline);
        out.push(entry_view(e, baseline, &grades, lvl));
    }
    Ok(out)
}

fn entry_view(
    e: HeavyReduction,
    baseline: Option<Kg4>,
    grades: &[HeavyGrade],
    lvl: &heavy::Level,
) -> EnterpriseReduction {
    let above_baseline = match &baseline {
        Some(b) => POLLUTANTS
            .iter()
            .filter(|(p, _)| kg(&e.reduction, p) > kg(b, p))
            .map(|(_, n)| n.to_string())
            .collect(),
        None => Vec::new(),
    };
    EnterpriseReduction {
        enterprise: e
            .enterprise
            .clone()
            .unwrap_or_else(|| e.credit_code.clone()),
        division_code: e.division_code.clone(),
        level: e.level.clone(),
        level_label: lvl.label.clone(),
        measures: e.measures.iter().map(MeasureView::of).collect(),
        grades: grades
            .iter()
            .filter(|g| g.credit_code == e.credit_code)
            .map(|g| {
                let v = GradeView::of(g.clone());
                format!("{} {}", v.industry_name, v.grade_label)
            })
            .collect(),
        above_baseline,
        reduction: e.reduction,
        baseline,
        outlet_codes: e.outlet_codes,
        mns: e.mns,
        revision: e.revision,
        note: e.note,
        by_name: e.by_name,
        at: e.at,
        credit_code: e.credit_code,
    }
}

/// One pollutant's check, as text for pages and API.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PollutantLine {
    /// so2, nox, pm or vocs.
    pub pollutant: String,
    /// Chinese name.
    pub name: String,
    /// Sum of the committed reductions, kg/h.
    pub reduction_kg: String,
    /// Sum of the baselines, kg/h.
    pub baseline_kg: String,
    /// Reduction ÷ baseline, percent, one decimal; `None` without baseline.
    pub achieved_percent: Option<String>,
    /// Required, percent.
    pub required_percent: String,
    /// Percentage points missing, one decimal ("0.0" when met); `None` without baseline.
    pub shortfall_points: Option<String>,
    /// Met.
    pub met: bool,
    /// "差 3.0 个百分点（已达 7.0 %，要求 10.0 %）" or "达标（…）".
    pub verdict: String,
}

/// The list at a level checked against the required overall reductions.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ListCheck {
    /// yellow, orange or red.
    pub level: String,
    /// 黄色预警 …
    pub level_label: String,
    /// Enterprises on the list at this level.
    pub enterprises: usize,
    /// Enterprises whose baseline is counted (every enterprise with a baseline: the base is
    /// the emissions of all of them, listed at this level or not).
    pub baseline_enterprises: usize,
    /// Listed enterprises without a baseline (their reductions still count; the check is then
    /// too kind, so the page says so).
    pub missing_baseline: Vec<String>,
    /// Per pollutant.
    pub pollutants: Vec<PollutantLine>,
    /// Every pollutant met.
    pub met: bool,
    /// Where the required ratios come from.
    pub source: String,
}

fn fixed(r: Ratio, decimals: u32) -> String {
    r.format_fixed(decimals, Rounding::HalfEven)
}

/// Checks the list at a level: sum of the committed reductions ÷ sum of the baselines of every
/// enterprise with one, per pollutant, against the level's requirement (10/20/30 % by default,
/// rules data), with the shortfall in percentage points.
pub async fn list_check(store: &Store, level: &str) -> Result<ListCheck> {
    let lvl = level_of(level)?;
    let entries = store.heavy_reductions(&lvl.code).await?;
    let baselines = store.heavy_baselines_current().await?;
    check_of(lvl, &entries, &baselines)
}

fn check_of(
    lvl: &heavy::Level,
    entries: &[HeavyReduction],
    baselines: &[HeavyBaseline],
) -> Result<ListCheck> {
    let overflow = || Error::Conflict("减排清单合计数值过大，无法核算".into());
    let mut sums = [(Ratio::ZERO, Ratio::ZERO); 4];
    for (i, (p, _)) in POLLUTANTS.iter().enumerate() {
        for e in entries {
            sums[i].0 = sums[i]
                .0
                .checked_add(kg(&e.reduction, p))
                .ok_or_else(overflow)?;
        }
        for b in baselines {
            sums[i].1 = sums[i]
                .1
                .checked_add(kg(&b.baseline, p))
                .ok_or_else(overflow)?;
        }
    }
    let checks = heavy::check(lvl, &sums).ok_or_else(overflow)?;
    let pollutants: Vec<PollutantLine> = checks
        .iter()
        .map(|c| PollutantLine {
            name: heavy::pollutant_name(&c.pollutant)
                .unwrap_or("")
                .to_string(),
            reduction_kg: c
                .reduction
                .to_decimal_string()
                .unwrap_or_else(|| fixed(c.reduction, 6)),
            baseline_kg: c
                .baseline
                .to_decimal_string()
                .unwrap_or_else(|| fixed(c.baseline, 6)),
            achieved_percent: c.achieved_percent.map(|a| fixed(a, 1)),
            required_percent: fixed(c.required_percent, 1),
            shortfall_points: c.shortfall_points.map(|s| fixed(s, 1)),
            met: c.met(),
            verdict: c.verdict(),
            pollutant: c.pollutant.clone(),
        })
        .collect();
    let missing_baseline = entries
        .iter()
        .filter(|e| !baselines.iter().any(|b| b.credit_code == e.credit_code))
        .map(|e| {
            e.enterprise
                .clone()
                .unwrap_or_else(|| e.credit_code.clone())
        })
        .collect();
    Ok(ListCheck {
        level: lvl.code.clone(),
        level_label: lvl.label.clone(),
        enterprises: entries.len(),
        baseline_enterprises: baselines.len(),
        missing_baseline,
        met: pollutants.iter().all(|p| p.met),
        pollutants,
        source: lvl.source.clone(),
    })
}

/// One measure as a form gives it.
#[derive(Debug, Clone, Default)]
pub struct MeasureInput {
    /// Code.
    pub code: String,
    /// Percentage (for 限产 / 停产部分生产线).
    pub percent: Option<String>,
    /// Process or facility.
    pub process: Option<String>,
}

/// An entry of the list as staff give it.
#[derive(Debug, Clone, Default)]
pub struct ReductionForm {
    /// 统一社会信用代码.
    pub credit_code: String,
    /// yellow, orange or red.
    pub level: String,
    /// Measures (empty codes are skipped).
    pub measures: Vec<MeasureInput>,
    /// SO₂ reduction, kg/h.
    pub so2: String,
    /// NOx reduction, kg/h.
    pub nox: String,
    /// PM reduction, kg/h.
    pub pm: String,
    /// VOCs reduction, kg/h.
    pub vocs: String,
    /// Outlet codes, separated by commas, 、 or spaces.
    pub outlets: String,
    /// Note.
    pub note: Option<String>,
}

fn kg_field(field: &str, v: &str) -> Result<String> {
    let v = v.trim();
    let v = if v.is_empty() { "0" } else { v };
    let name = heavy::pollutant_name(field).unwrap_or(field);
    heavy::parse_kg(v).ok_or_else(|| {
        Error::invalid(
            field,
            format!(
                "{name}应为不小于 0 的数（千克/小时，最多 {} 位小数）",
                heavy::MAX_KG_DECIMALS
            ),
        )
    })?;
    Ok(v.to_string())
}

/// Checks the four kg/h fields of a form.
pub fn kg4(so2: &str, nox: &str, pm: &str, vocs: &str) -> Result<Kg4> {
    Ok(Kg4 {
        so2: kg_field("so2", so2)?,
        nox: kg_field("nox", nox)?,
        pm: kg_field("pm", pm)?,
        vocs: kg_field("vocs", vocs)?,
    })
}

/// Checks a list entry: known level and measure codes, percentages in (0, 100], processes named
/// where the measure needs one, exact kg/h figures.
pub fn check_reduction(f: &ReductionForm) -> Result<NewHeavyReduction> {
    let lvl = level_of(&f.level)?;
    let mut measures = Vec::new();
    for m in f.measures.iter().filter(|m| !m.code.trim().is_empty()) {
        let kind = heavy::measure(m.code.trim()).ok_or_else(|| {
            Error::invalid("measures", format!("未知的减排措施「{}」", m.code.trim()))
        })?;
        let percent = match m
            .percent
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
        {
            Some(p) if kind.percent => {
                let r = heavy::parse_kg(p).filter(|r| !r.is_zero() && *r <= Ratio::int(100));
                if r.is_none() {
                    return Err(Error::invalid(
                        "measures",
                        format!("{}的比例应为大于 0、不大于 100 的百分数", kind.name),
                    ));
                }
                Some(p.to_string())
            }
            None if kind.percent => {
                return Err(Error::invalid(
                    "measures",
                    format!("请填写{}的比例（%）", kind.name),
                ));
            }
            _ => None,
        };
        let process = match m
            .process
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
        {
            Some(p) if p.chars().count() > MAX_PROCESS_CHARS => {
                return Err(Error::invalid(
                    "measures",
                    format!("工序或设施名称最多 {MAX_PROCESS_CHARS} 个字"),
                ));
            }
            Some(p) => Some(p.to_string()),
            None if kind.process => {
                return Err(Error::invalid(
                    "measures",
                    format!("请填写{}所涉工序或设施", kind.name),
                ));
            }
            None => None,
        };
        measures.push(HeavyMeasure {
            code: kind.code.clone(),
            percent,
            process,
        });
    }
    if measures.is_empty() {
        return Err(Error::invalid("measures", "请至少填写一项减排措施"));
    }
    if measures.len() > MAX_MEASURES {
        return Err(Error::invalid(
            "measures",
            format!("每级最多 {MAX_MEASURES} 项措施"),
        ));
    }
    let mut outlet_codes: Vec<String> = f
        .outlets
        .split([',', '，', '、', ' ', ';', '；'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    outlet_codes.sort();
    outlet_codes.dedup();
    if outlet_codes.len() > MAX_OUTLETS {
        return Err(Error::invalid(
            "outlets",
            format!("最多关联 {MAX_OUTLETS} 个排放口"),
        ));
    }
    Ok(NewHeavyReduction {
        credit_code: f.credit_code.trim().to_string(),
        level: lvl.code.clone(),
        measures,
        reduction: kg4(&f.so2, &f.nox, &f.pm, &f.vocs)?,
        outlet_codes,
        note: note("note", "说明", f.note.as_deref())?,
    })
}

/// Staff save an entry of the list (a new revision).
pub async fn save_reduction(
    store: &Store,
    user: Option<&User>,
    actor: &Actor,
    f: &ReductionForm,
) -> Result<HeavyReduction> {
    may_manage(user)?;
    let n = check_reduction(f)?;
    store
        .heavy_reduction_save(&n, actor)
        .await
        .map_err(store_err)
}

/// Staff take an enterprise off the list at a level, with a reason.
pub async fn remove_reduction(
    store: &Store,
    user: Option<&User>,
    actor: &Actor,
    credit_code: &str,
    level: &str,
    reason: Option<&str>,
) -> Result<()> {
    may_manage(user)?;
    let lvl = level_of(level)?;
    let reason = note("reason", "移出原因", reason)?
        .ok_or_else(|| Error::invalid("reason", "请写明移出原因"))?;
    store
        .heavy_reduction_remove(credit_code.trim(), &lvl.code, &reason, actor)
        .await
        .map_err(store_err)
}

/// Staff save an enterprise's baseline emissions (a new revision).
pub async fn save_baseline(
    store: &Store,
    user: Option<&User>,
    actor: &Actor,
    credit_code: &str,
    baseline: &Kg4,
    basis: Option<&str>,
) -> Result<HeavyBaseline> {
    may_manage(user)?;
    let b = kg4(&baseline.so2, &baseline.nox, &baseline.pm, &baseline.vocs)?;
    let basis = note("note", "基准说明", basis)?;
    store
        .heavy_baseline_save(credit_code.trim(), &b, basis.as_deref(), actor)
        .await
        .map_err(store_err)
}

/// Who may see the list: staff all, a county official its county's entries, an enterprise its
/// own; others refused. Returns `(county, credit code)` to confine to.
pub fn list_scope(user: Option<&User>) -> Result<(Option<String>, Option<String>)> {
    crate::scope::enforcement_scope(user, "应急减排清单")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(credit: &str, so2: &str) -> HeavyReduction {
        HeavyReduction {
            id: 1,
            credit_code: credit.into(),
            enterprise: None,
            division_code: None,
            level: "yellow".into(),
            revision: 1,
            removed: false,
            reduction: Kg4 {
                so2: so2.into(),
                nox: "0".into(),
                pm: "0".into(),
                vocs: "0".into(),
            },
            note: None,
            by_user: None,
            by_name: None,
            at: String::new(),
            measures: Vec::new(),
            outlet_codes: Vec::new(),
            mns: Vec::new(),
        }
    }

    fn base(credit: &str, so2: &str) -> HeavyBaseline {
        HeavyBaseline {
            id: 1,
            credit_code: credit.into(),
            revision: 1,
            baseline: Kg4 {
                so2: so2.into(),
                nox: "0".into(),
                pm: "0".into(),
                vocs: "0".into(),
            },
            note: None,
            by_user: None,
            by_name: None,
            at: String::new(),
        }
    }

    #[test]
    fn the_base_is_every_enterprise_with_a_baseline() {
        let lvl = heavy::level("yellow").unwrap();
        // 4.2 of 60 = 7 %: one enterprise cuts, the other is not listed but still emits.
        let c = check_of(
            lvl,
            &[entry("a", "4.2")],
            &[base("a", "40"), base("b", "20")],
        )
        .unwrap();
        assert_eq!(c.pollutants[0].achieved_percent.as_deref(), Some("7.0"));
        assert_eq!(c.pollutants[0].shortfall_points.as_deref(), Some("3.0"));
        assert!(!c.met);
        assert!(c.missing_baseline.is_empty());
        let c = check_of(lvl, &[entry("c", "1")], &[base("a", "40")]).unwrap();
        assert_eq!(c.missing_baseline, ["c"]);
    }

    #[test]
    fn entries_are_checked_against_the_rules() {
        let mut f = ReductionForm {
            credit_code: "x".into(),
            level: "yellow".into(),
            measures: vec![MeasureInput {
                code: "limit".into(),
                percent: Some("20".into()),
                process: None,
            }],
            so2: "1.5".into(),
            outlets: "DA001、DA002,DA001".into(),
            ..Default::default()
        };
        let n = check_reduction(&f).unwrap();
        assert_eq!(n.outlet_codes, ["DA001", "DA002"]);
        assert_eq!(n.reduction.nox, "0");
        f.measures[0].percent = None;
        assert!(check_reduction(&f).is_err());
        f.measures[0] = MeasureInput {
            code: "stop_process".into(),
            percent: None,
            process: None,
        };
        assert!(check_reduction(&f).is_err());
        f.measures[0].process = Some("烧结机".into());
        f.so2 = "-1".into();
        assert!(check_reduction(&f).is_err());
        f.so2 = "1".into();
        f.level = "blue".into();
        assert!(check_reduction(&f).is_err());
    }

    #[test]
    fn a_grade_must_be_one_the_industry_uses() {
        let mut f = GradeForm {
            credit_code: "x".into(),
            industry: "cement_clinker".into(),
            grade: "B-".into(),
            valid_from: "2026-01-01".into(),
            ..Default::default()
        };
        assert!(check_grade_form(&f, "apply").is_err());
        f.grade = "B".into();
        assert_eq!(check_grade_form(&f, "apply").unwrap().grade, "B");
        f.valid_to = Some("2025-12-31".into());
        assert!(check_grade_form(&f, "apply").is_err());
    }
}
