//! Cases (立案 → 处罚决定 → 整改 → 复查 → 销号): staff open a case on an enterprise from its
//! incidents or from an order (which becomes 转立案), citing penalty articles from the list held
//! as data (`qingshan_sources::legal`); record the decision with its 决定书文号, measures, fine
//! (checked against the articles' statutory range) and rectification deadline; the enterprise
//! reports its rectification with documents; staff check it (复查) and close the case (销号).
//! A case file (案卷) renders as a PDF listing the evidence frames with their SHA-256.
//! Who may do what is decided here, once, for pages, API and CLI. Clocks are parameters.

use chrono::{DateTime, NaiveDate, Utc};
use qingshan_report::{Block, Document, Section};
use qingshan_sources::legal::{self, LegalBasis};
use qingshan_sources::supervision::AlarmKind;
use qingshan_store::{
    Actor, Case, CaseBasis, CaseEvent, CaseEvidence, CaseFilter, CaseStep, NewCase, NewEvidence,
    Paged, Role, Store, StoreError, User, labels,
};

use crate::display::{factor, time};
use crate::incidents::IncidentDetail;
use crate::marks::stored_time;
use crate::{Error, Result};

/// Longest title or decision number, characters.
pub const MAX_TITLE_CHARS: usize = 100;
/// Longest facts, report, finding or note, characters.
pub const MAX_TEXT_CHARS: usize = 4000;
/// Most incidents one case may link.
pub const MAX_INCIDENTS: usize = 50;

/// Who may open, decide, check and close cases: the bureau's staff and administrators.
pub fn may_handle(user: Option<&User>) -> Result<()> {
    let u = user.ok_or(Error::Unauthenticated)?;
    match u.role {
        Role::Admin | Role::Staff => Ok(()),
        _ => Err(Error::Forbidden(
            "案件仅由生态环境局工作人员立案和办理".into(),
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

fn optional(field: &str, label: &str, value: Option<&str>) -> Result<Option<String>> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => text(field, label, v, MAX_TEXT_CHARS).map(Some),
        None => Ok(None),
    }
}

fn store_err(id: i64, e: StoreError) -> Error {
    match e {
        StoreError::NotFound(m) if m.starts_with("案件") => {
            Error::NotFound(format!("没有编号为 {id} 的案件"))
        }
        StoreError::NotFound(m) => Error::NotFound(format!("没有{m}")),
        StoreError::Conflict(m) => Error::Conflict(m),
        other => other.into(),
    }
}

/// The articles for the given codes, in the list's order; an unknown code is refused.
pub fn chosen_bases(codes: &[String]) -> Result<Vec<&'static LegalBasis>> {
    if codes.is_empty() {
        return Err(Error::invalid("bases", "请至少选择一项处罚依据"));
    }
    let mut out = Vec::new();
    for c in codes {
        let b = legal::basis(c.trim())
            .ok_or_else(|| Error::invalid("bases", format!("处罚依据「{c}」不在处罚依据清单中")))?;
        if !out.iter().any(|o: &&LegalBasis| o.code == b.code) {
            out.push(b);
        }
    }
    Ok(out)
}

/// What staff give to open a case.
#[derive(Debug, Clone, Default)]
pub struct Opening {
    /// Incidents (the order's incident is added).
    pub incident_ids: Vec<i64>,
    /// The order it comes from.
    pub order_id: Option<i64>,
    /// 案由.
    pub title: String,
    /// 违法事实.
    pub facts: String,
    /// Codes of the articles cited.
    pub bases: Vec<String>,
}

/// Opens a case (staff only), numbered in the Beijing year of `now`; an order becomes 转立案.
pub async fn open(
    store: &Store,
    user: Option<&User>,
    actor: &Actor,
    o: &Opening,
    files: &[NewEvidence],
    now: DateTime<Utc>,
) -> Result<Case> {
    may_handle(user)?;
    let mut incidents = o.incident_ids.clone();
    if let Some(oid) = o.order_id {
        let order = store
            .order(oid)
            .await?
            .ok_or_else(|| Error::NotFound(format!("没有编号为 {oid} 的督办单")))?;
        incidents.insert(0, order.incident_id);
    }
    incidents.sort_unstable();
    incidents.dedup();
    if incidents.is_empty() {
        return Err(Error::invalid("incidents", "请至少关联一个事件"));
    }
    if incidents.len() > MAX_INCIDENTS {
        return Err(Error::invalid(
            "incidents",
            format!("一个案件最多关联 {MAX_INCIDENTS} 个事件"),
        ));
    }
    let bases = chosen_bases(&o.bases)?
        .into_iter()
        .map(|b| CaseBasis {
            basis_code: b.code.clone(),
            citation: b.citation(),
            violation: b.violation.clone(),
            fine_range: b.range_text(),
        })
        .collect();
    let n = NewCase {
        year: chrono::Datelike::year(&crate::beijing::local(now)),
        incident_ids: incidents,
        order_id: o.order_id,
        title: text("title", "案由", &o.title, MAX_TITLE_CHARS)?,
        facts: text("facts", "违法事实", &o.facts, MAX_TEXT_CHARS)?,
        bases,
    };
    store
        .open_case(&n, files, actor)
        .await
        .map_err(|e| store_err(0, e))
}

/// What staff give for the decision (处罚决定).
#[derive(Debug, Clone, Default)]
pub struct Decision {
    /// 处罚决定书文号.
    pub decision_number: String,
    /// Date of the decision, YYYY-MM-DD.
    pub decision_date: String,
    /// Measure codes ([`legal::MEASURES`]).
    pub measures: Vec<String>,
    /// Fine in yuan, up to two decimals, when `fine` is among the measures.
    pub penalty: Option<String>,
    /// Rectification deadline; required with 责令改正, 限制生产 or 停产整治.
    pub rectify_deadline: Option<DateTime<Utc>>,
    /// Remarks.
    pub note: Option<String>,
}

/// Checks a decision against the case's articles; returns the step to store.
pub fn check_decision(d: &Decision, bases: &[&LegalBasis], now: DateTime<Utc>) -> Result<CaseStep> {
    let number = text(
        "decision_number",
        "处罚决定书文号",
        &d.decision_number,
        MAX_TITLE_CHARS,
    )?;
    let date = NaiveDate::parse_from_str(d.decision_date.trim(), "%Y-%m-%d").map_err(|_| {
        Error::invalid(
            "decision_date",
            format!("「{}」不是有效的日期，应为 YYYY-MM-DD", d.decision_date),
        )
    })?;
    if date > crate::beijing::local(now).date() {
        return Err(Error::invalid("decision_date", "决定日期不能晚于今天"));
    }
    let mut measures: Vec<&str> = Vec::new();
    for m in &d.measures {
        let m = m.trim();
        if legal::measure_name(m).is_none() {
            return Err(Error::invalid(
                "measures",
                format!("处罚措施「{m}」不在清单中"),
            ));
        }
        if !measures.contains(&m) {
            measures.push(m);
        }
    }
    if measures.is_empty() {
        return Err(Error::invalid("measures", "请至少选择一项处罚措施"));
    }
    if measures.contains(&"exempt") && measures.len() > 1 {
        return Err(Error::invalid(
            "measures",
            "选择“不予处罚”时不能同时选择其他措施",
        ));
    }
    let fine = measures.contains(&"fine");
    let penalty_fen = match d
        .penalty
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        Some(p) if fine => {
            let fen = qingshan_exact::parse_scaled(p, 2).map_err(|e| {
                Error::invalid("penalty", format!("罚款金额{e}（单位：元，最多两位小数）"))
            })?;
            if fen <= 0 {
                return Err(Error::invalid("penalty", "罚款金额应大于零"));
            }
            legal::check_fine(bases, fen).map_err(|e| Error::invalid("penalty", e.to_string()))?;
            Some(fen)
        }
        Some(_) => {
            return Err(Error::invalid(
                "penalty",
                "未选择“罚款”措施时不应填写罚款金额",
            ));
        }
        None if fine => return Err(Error::invalid("penalty", "选择“罚款”时请填写罚款金额")),
        None => None,
    };
    let needs_deadline = measures
        .iter()
        .any(|m| matches!(*m, "rectify" | "limit" | "suspend"));
    let rectify_deadline = match d.rectify_deadline {
        Some(t) if t <= now => {
            return Err(Error::invalid("rectify_deadline", "整改期限应晚于当前时间"));
        }
        Some(t) => Some(stored_time(t)),
        None if needs_deadline => {
            return Err(Error::invalid(
                "rectify_deadline",
                "责令改正、限制生产或停产整治须规定整改期限",
            ));
        }
        None => None,
    };
    Ok(CaseStep::Decide {
        decision_number: number,
        decision_date: date.format("%Y-%m-%d").to_string(),
        measures: measures.join(","),
        penalty_fen,
        rectify_deadline,
    })
}

/// Records the decision (staff only), checking the fine against the case's articles.
pub async fn decide(
    store: &Store,
    user: Option<&User>,
    actor: &Actor,
    id: i64,
    d: &Decision,
    files: &[NewEvidence],
    now: DateTime<Utc>,
) -> Result<Case> {
    may_handle(user)?;
    let codes: Vec<String> = store
        .case_bases(id)
        .await?
        .into_iter()
        .map(|b| b.basis_code)
        .collect();
    // An article since dropped from the list no longer bounds the fine; the rest still do.
    let bases: Vec<&LegalBasis> = codes.iter().filter_map(|c| legal::basis(c)).collect();
    let step = check_decision(d, &bases, now)?;
    let note = optional("note", "说明", d.note.as_deref())?;
    store
        .case_step(id, &step, note.as_deref(), files, actor)
        .await
        .map_err(|e| store_err(id, e))
}

/// The enterprise reports its rectification (only the case's own enterprise, while 整改中).
pub async fn report(
    store: &Store,
    user: Option<&User>,
    actor: &Actor,
    id: i64,
    report: &str,
    files: &[NewEvidence],
) -> Result<Case> {
    let u = user.ok_or(Error::Unauthenticated)?;
    let own = crate::scope::confined_to(u)
        .ok_or_else(|| Error::Forbidden("整改情况由被处罚单位报送".into()))?;
    let c = store
        .case(id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("没有编号为 {id} 的案件")))?;
    if c.credit_code != own {
        return Err(Error::Forbidden("该案件不涉及本单位".into()));
    }
    let note = text("report", "整改情况", report, MAX_TEXT_CHARS)?;
    store
        .case_step(id, &CaseStep::Report, Some(&note), files, actor)
        .await
        .map_err(|e| store_err(id, e))
}

/// The closing check (复查, staff only): passed, or not with a new deadline later than `now`.
#[allow(clippy::too_many_arguments)]
pub async fn check(
    store: &Store,
    user: Option<&User>,
    actor: &Actor,
    id: i64,
    passed: bool,
    finding: &str,
    new_deadline: Option<DateTime<Utc>>,
    files: &[NewEvidence],
    now: DateTime<Utc>,
) -> Result<Case> {
    may_handle(user)?;
    let finding = text("finding", "复查意见", finding, MAX_TEXT_CHARS)?;
    let step = if passed {
        CaseStep::CheckPass
    } else {
        match new_deadline {
            Some(t) if t > now => CaseStep::CheckFail {
                new_deadline: stored_time(t),
            },
            Some(_) => {
                return Err(Error::invalid("new_deadline", "新的整改期限应晚于当前时间"));
            }
            None => {
                return Err(Error::invalid(
                    "new_deadline",
                    "复查不合格时请规定新的整改期限",
                ));
            }
        }
    };
    store
        .case_step(id, &step, Some(&finding), files, actor)
        .await
        .map_err(|e| store_err(id, e))
}

/// Closes the case (销号, staff only) with a closing note.
pub async fn close(
    store: &Store,
    user: Option<&User>,
    actor: &Actor,
    id: i64,
    note: &str,
) -> Result<Case> {
    may_handle(user)?;
    let note = text("note", "销号意见", note, MAX_TEXT_CHARS)?;
    store
        .case_step(id, &CaseStep::Close, Some(&note), &[], actor)
        .await
        .map_err(|e| store_err(id, e))
}

/// One page of the cases the user may see, with `filter`'s state/overdue asked for.
pub async fn list(
    store: &Store,
    user: Option<&User>,
    mut filter: CaseFilter,
    limit: i64,
    offset: i64,
) -> Result<Paged<Case>> {
    let (county, code) = crate::scope::enforcement_scope(user, "案件")?;
    if county.is_some() {
        filter.division_code = county;
    }
    if code.is_some() {
        filter.credit_code = code;
    }
    Ok(store.cases_paged(&filter, limit, offset).await?)
}

/// Whether a case's rectification is overdue at `now`.
pub fn is_overdue(c: &Case, now: DateTime<Utc>) -> bool {
    c.state == "rectifying"
        && c.rectify_deadline
            .as_deref()
            .is_some_and(|d| d < stored_time(now).as_str())
}

/// A case with everything that belongs to it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CaseDetail {
    /// The case.
    pub case: Case,
    /// Its incidents with their alarms and evidence frames.
    pub incidents: Vec<IncidentDetail>,
    /// Articles cited.
    pub bases: Vec<CaseBasis>,
    /// Steps, oldest first.
    pub events: Vec<CaseEvent>,
    /// Documents of the steps.
    pub documents: Vec<CaseEvidence>,
}

/// One case, if the user may see it: staff any, a county official their county's, the
/// enterprise its own.
pub async fn detail(store: &Store, user: Option<&User>, id: i64) -> Result<CaseDetail> {
    let (county, code) = crate::scope::enforcement_scope(user, "案件")?;
    let case = store
        .case(id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("没有编号为 {id} 的案件")))?;
    if code.is_some_and(|c| c != case.credit_code) {
        return Err(Error::Forbidden("该案件不涉及本单位".into()));
    }
    if county.is_some() && county != case.division_code {
        return Err(Error::Forbidden("该案件不属于本区县".into()));
    }
    let mut incidents = Vec::new();
    for iid in store.case_incident_ids(id).await? {
        incidents.push(crate::incidents::detail(store, user, iid).await?);
    }
    Ok(CaseDetail {
        bases: store.case_bases(id).await?,
        events: store.case_events(id).await?,
        documents: store.case_evidence(id).await?,
        incidents,
        case,
    })
}

/// A fine in fen as the decision writes it: `150000.00 元`.
pub fn yuan(fen: i64) -> String {
    format!("{}.{:02} 元", fen / 100, fen % 100)
}

/// The case file (案卷) as a document: the case, its articles, the decision, the steps, the
/// incidents and every evidence frame with its SHA-256, and the documents with theirs.
pub fn case_file(d: &CaseDetail, printed: &str) -> Document {
    let c = &d.case;
    let mut fields = vec![
        ("立案编号".to_string(), c.case_number.clone()),
        ("案由".to_string(), c.title.clone()),
        (
            "当事人".to_string(),
            format!(
                "{}（统一社会信用代码 {}）",
                c.enterprise.as_deref().unwrap_or("未登记名称"),
                c.credit_code
            ),
        ),
        (
            "所在区县".to_string(),
            c.division_code.clone().unwrap_or_else(|| "未登记".into()),
        ),
        (
            "案件状态".to_string(),
            labels::case_state(&c.state).into_owned(),
        ),
        (
            "立案时间".to_string(),
            format!(
                "{}（{}）",
                time(&c.created_at),
                c.created_by_name.as_deref().unwrap_or("—")
            ),
        ),
    ];
    if let Some(o) = c.order_id {
        fields.push(("来源".to_string(), format!("督办单 {o} 转立案")));
    }
    let mut sections = vec![
        Section {
            heading: "一、基本情况".into(),
            blocks: vec![Block::Fields(fields)],
        },
        Section {
            heading: "二、违法事实".into(),
            blocks: vec![Block::Paragraph(c.facts.clone())],
        },
        Section {
            heading: "三、处罚依据".into(),
            blocks: vec![Block::Table {
                columns: vec![
                    ("条款".into(), 2.4),
                    ("违法行为".into(), 2.6),
                    ("罚款幅度".into(), 1.2),
                ],
                rows: d
                    .bases
                    .iter()
                    .map(|b| {
                        vec![
                            b.citation.clone(),
                            b.violation.clone(),
                            b.fine_range.clone().unwrap_or_else(|| "不设罚款".into()),
                        ]
                    })
                    .collect(),
                empty: "未选择处罚依据".into(),
            }],
        },
    ];
    let decision = match &c.decision_number {
        Some(n) => vec![Block::Fields(vec![
            ("处罚决定书文号".into(), n.clone()),
            (
                "决定日期".into(),
                c.decision_date.clone().unwrap_or_default(),
            ),
            (
                "处罚措施".into(),
                labels::case_measures(c.measures.as_deref().unwrap_or("")),
            ),
            (
                "罚款金额".into(),
                c.penalty_fen.map_or_else(|| "无".into(), yuan),
            ),
            (
                "整改期限".into(),
                c.rectify_deadline
                    .as_deref()
                    .map_or_else(|| "无".into(), time),
            ),
        ])],
        None => vec![Block::Paragraph("尚未作出处罚决定。".into())],
    };
    sections.push(Section {
        heading: "四、处罚决定".into(),
        blocks: decision,
    });
    sections.push(Section {
        heading: "五、办理经过".into(),
        blocks: vec![Block::Table {
            columns: vec![
                ("时间".into(), 1.2),
                ("环节".into(), 1.0),
                ("办理人".into(), 0.9),
                ("内容".into(), 3.4),
            ],
            rows: d
                .events
                .iter()
                .map(|e| {
                    let mut what = e.note.clone().unwrap_or_default();
                    if let Some(dl) = &e.new_deadline {
                        what.push_str(&format!("（整改期限 {}）", time(dl)));
                    }
                    vec![
                        time(&e.at),
                        labels::case_event(&e.kind).into_owned(),
                        e.by_name.clone().unwrap_or_else(|| "—".into()),
                        what,
                    ]
                })
                .collect(),
            empty: "无".into(),
        }],
    });
    let mut evidence = vec![Block::Table {
        columns: vec![
            ("事件".into(), 0.6),
            ("类型".into(), 0.9),
            ("排放口 / 因子".into(), 2.0),
            ("起止".into(), 2.0),
            ("峰值 / 超标倍数".into(), 1.2),
            ("时数".into(), 0.5),
        ],
        rows: d
            .incidents
            .iter()
            .map(|i| {
                let n = &i.incident;
                vec![
                    n.id.to_string(),
                    AlarmKind::parse(&n.kind)
                        .map_or_else(|| n.kind.clone(), |k| k.label().to_string()),
                    format!(
                        "{} · {} · {}",
                        n.outlet.as_deref().unwrap_or("—"),
                        n.mn,
                        factor(&n.factor)
                    ),
                    format!(
                        "{} 至 {}",
                        time(&n.start_time),
                        n.end_time.as_deref().map_or_else(|| "持续中".into(), time)
                    ),
                    format!(
                        "{}{}",
                        n.peak.as_deref().unwrap_or("—"),
                        i.multiple
                            .as_deref()
                            .map(|m| format!(" / {m} 倍"))
                            .unwrap_or_default()
                    ),
                    n.hours.to_string(),
                ]
            })
            .collect(),
        empty: "无关联事件".into(),
    }];
    let frames: Vec<Vec<String>> = d
        .incidents
        .iter()
        .flat_map(|i| {
            i.frames.iter().map(move |f| {
                vec![
                    i.incident.id.to_string(),
                    f.id.to_string(),
                    f.data_time.as_deref().map_or_else(|| "—".into(), time),
                    time(&f.received_at),
                    f.sha256.clone(),
                ]
            })
        })
        .collect();
    evidence.push(Block::Note(format!(
        "下表为原始报文存档中与上述事件对应的小时数据报文（每个事件最多 {} 条），SHA-256 为报文原始字节的摘要，可与存档逐条核对。",
        crate::incidents::FRAMES_MAX
    )));
    evidence.push(Block::Table {
        columns: vec![
            ("事件".into(), 0.5),
            ("存档编号".into(), 0.7),
            ("数据时间".into(), 1.2),
            ("接收时间".into(), 1.2),
            ("SHA-256".into(), 4.0),
        ],
        rows: frames,
        empty: "存档中没有对应的报文。".into(),
    });
    sections.push(Section {
        heading: "六、证据：事件与原始报文".into(),
        blocks: evidence,
    });
    sections.push(Section {
        heading: "七、案件材料".into(),
        blocks: vec![Block::Table {
            columns: vec![
                ("文件".into(), 2.0),
                ("环节".into(), 0.9),
                ("上传时间".into(), 1.1),
                ("SHA-256".into(), 3.6),
            ],
            rows: d
                .documents
                .iter()
                .map(|f| {
                    let step = d
                        .events
                        .iter()
                        .find(|e| e.id == f.event_id)
                        .map_or_else(String::new, |e| labels::case_event(&e.kind).into_owned());
                    vec![
                        f.file_name.clone(),
                        step,
                        time(&f.uploaded_at),
                        f.sha256.clone(),
                    ]
                })
                .collect(),
            empty: "无".into(),
        }],
    });
    Document {
        title: "生态环境行政处罚案卷".into(),
        subtitle: vec![format!("立案编号 {} · 打印时间 {printed}", c.case_number)],
        sections,
    }
}

/// The case file as PDF bytes, with a CJK font found on the machine.
pub fn case_file_pdf(d: &CaseDetail, now: DateTime<Utc>) -> Result<Vec<u8>> {
    let Some((_, font)) = qingshan_report::find_cjk_font() else {
        return Err(Error::Report(qingshan_report::ReportError::Font(
            "未找到中文字体（安装 fonts-wqy-microhei 或设置 QINGSHAN_FONT）".into(),
        )));
    };
    let printed = crate::beijing::local(now)
        .format("%Y-%m-%d %H:%M")
        .to_string();
    qingshan_report::render_document_pdf(&case_file(d, &printed), &font, 0).map_err(Error::Report)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn now() -> DateTime<Utc> {
        crate::marks::parse_time("t", "2026-03-20T12:00:00+08:00").unwrap()
    }

    fn decision() -> Decision {
        Decision {
            decision_number: "忻环罚〔2026〕12号".into(),
            decision_date: "2026-03-20".into(),
            measures: vec!["rectify".into(), "fine".into()],
            penalty: Some("150000".into()),
            rectify_deadline: Some(crate::marks::parse_time("d", "2026-04-20 00:00").unwrap()),
            note: None,
        }
    }

    #[test]
    fn a_decision_is_checked_against_the_articles_and_the_measures() {
        let air = [legal::basis("air-99-2").unwrap()];
        let step = check_decision(&decision(), &air, now()).unwrap();
        assert_eq!(
            step,
            CaseStep::Decide {
                decision_number: "忻环罚〔2026〕12号".into(),
                decision_date: "2026-03-20".into(),
                measures: "rectify,fine".into(),
                penalty_fen: Some(15_000_000),
                rectify_deadline: Some("2026-04-19T16:00:00Z".into()),
            }
        );
        let field = |d: Decision| match check_decision(&d, &air, now()).unwrap_err() {
            Error::Invalid { field, message } => (field, message),
            e => panic!("{e}"),
        };
        let low = Decision {
            penalty: Some("50000".into()),
            ..decision()
        };
        let (f, m) = field(low);
        assert_eq!(f, "penalty");
        assert!(m.contains("10万元以上100万元以下"), "{m}");
        let none = Decision {
            penalty: None,
            ..decision()
        };
        assert_eq!(field(none).0, "penalty");
        let cents = Decision {
            penalty: Some("150000.001".into()),
            ..decision()
        };
        assert_eq!(field(cents).0, "penalty");
        let no_deadline = Decision {
            rectify_deadline: None,
            ..decision()
        };
        assert_eq!(field(no_deadline).0, "rectify_deadline");
        let future = Decision {
            decision_date: "2026-03-21".into(),
            ..decision()
        };
        assert_eq!(field(future).0, "decision_date");
        let mixed = Decision {
            measures: vec!["exempt".into(), "fine".into()],
            ..decision()
        };
        assert_eq!(field(mixed).0, "measures");
        let unknown = Decision {
            measures: vec!["jail".into()],
            ..decision()
        };
        assert_eq!(field(unknown).0, "measures");
        // 不予处罚: no fine, no deadline needed.
        let exempt = Decision {
            measures: vec!["exempt".into()],
            penalty: None,
            rectify_deadline: None,
            ..decision()
        };
        assert!(matches!(
            check_decision(&exempt, &air, now()).unwrap(),
            CaseStep::Decide {
                penalty_fen: None,
                rectify_deadline: None,
                ..
            }
        ));
    }

    #[test]
    fn only_staff_handle_cases_and_bases_must_be_listed() {
        let u = |role| User {
            id: 1,
            username: "u".into(),
            display_name: "u".into(),
            role,
            unit_id: None,
            division_code: None,
            credit_code: None,
            active: true,
            must_change_password: false,
        };
        assert!(may_handle(Some(&u(Role::Staff))).is_ok());
        assert!(may_handle(Some(&u(Role::County))).is_err());
        assert!(may_handle(Some(&u(Role::Enterprise))).is_err());
        assert!(may_handle(None).is_err());
        assert!(chosen_bases(&[]).is_err());
        assert!(chosen_bases(&["nope".into()]).is_err());
        assert_eq!(
            chosen_bases(&["air-99-2".into(), "air-99-2".into()])
                .unwrap()
                .len(),
            1
        );
    }
}
