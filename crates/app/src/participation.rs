//! Public participation (公众参与, 《环境保护公众参与办法》 环境保护部令第35号): staff publish a
//! draft for comment (征求意见) with its documents and period — Art. 5 asks the notice to give
//! the background, the start and end dates, how to submit and a contact — and revise it (a new
//! revision, never an overwrite). Anyone comments during the period, without signing in; a name
//! and contact are optional, personal information that only staff see (masked in lists, whole
//! on an audited request). A submission needs the answer to a server-side question (no outside
//! service) and is limited per address. Staff publish or hide each comment with a reason,
//! record how each was handled (采纳/部分采纳/不采纳, one by one or a group at once) and publish
//! the summary once the period has ended; the public then sees it.
//!
//! The satisfaction questionnaire (`data/satisfaction.json`: the questions are data) is
//! answered the same way and aggregated per year, shown beside indicator 22 as a supporting
//! figure: the indicator itself remains the statistics bureau's survey.

use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate};
use qingshan_exact::Ratio;
use qingshan_plan::Plan;
use qingshan_store::{
    Actor, ChoiceCount, CommentCounts, CommentFilter, CommentPrivate, Consultation,
    ConsultationComment, ConsultationDocument, ConsultationFields, ConsultationRevision,
    NewEvidence, Paged, Role, Store, StoreError, User, labels, text_in,
};
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// The kinds of draft put out for comment, in the order forms list them.
pub const KINDS: [&str; 3] = ["plan_revision", "policy", "project"];
/// The decisions on a comment, in the order forms list them.
pub const DECISIONS: [&str; 3] = ["adopted", "partly", "rejected"];
/// Longest title, characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest notice text, characters.
pub const MAX_BODY_CHARS: usize = 20_000;
/// Longest contact text, reason or summary, characters.
pub const MAX_TEXT_CHARS: usize = 4000;
/// Longest comment, characters.
pub const MAX_COMMENT_CHARS: usize = 2000;
/// Longest name or contact a commenter may give, characters.
pub const MAX_PERSONAL_CHARS: usize = 100;
/// Minutes a challenge stays valid.
pub const CHALLENGE_MINUTES: i64 = 30;
/// Public submissions (comments and questionnaires) accepted from one address per window,
/// unless configured (an engineering setting, not a rule: docs/participation.md).
pub const DEFAULT_MAX_SUBMISSIONS: i64 = 10;
/// The rate limit's window, minutes.
pub const DEFAULT_WINDOW_MINUTES: i64 = 60;

/// Who may publish, revise, moderate and summarise consultations, and see commenters' details:
/// the bureau's staff and administrators.
pub fn may_manage(user: Option<&User>) -> Result<()> {
    let u = user.ok_or(Error::Unauthenticated)?;
    match u.role {
        Role::Admin | Role::Staff => Ok(()),
        _ => Err(Error::Forbidden(
            "征求意见由生态环境局工作人员发布和处理".into(),
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

fn optional(field: &str, label: &str, value: Option<&str>, max: usize) -> Result<Option<String>> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => text(field, label, v, max).map(Some),
        None => Ok(None),
    }
}

fn date(field: &str, label: &str, value: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d").map_err(|_| {
        Error::invalid(
            field,
            format!("{label}「{}」不是有效的日期，应为 YYYY-MM-DD", value.trim()),
        )
    })
}

fn store_err(what: &str, id: i64, e: StoreError) -> Error {
    match e {
        StoreError::NotFound(_) => Error::NotFound(format!("没有编号为 {id} 的{what}")),
        StoreError::Conflict(m) => Error::Conflict(m),
        other => other.into(),
    }
}

/// What staff give to publish or revise a consultation, as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Draft {
    /// plan_revision, policy or project.
    #[serde(default)]
    pub kind: String,
    /// Title.
    #[serde(default)]
    pub title: String,
    /// The notice and the draft's text.
    #[serde(default)]
    pub body: String,
    /// How else to submit, and whom to contact.
    #[serde(default)]
    pub contact: String,
    /// First day of the period, YYYY-MM-DD.
    #[serde(default)]
    pub opens_on: String,
    /// Last day of the period, YYYY-MM-DD.
    #[serde(default)]
    pub closes_on: String,
}

/// Checks a draft: a known kind, the texts, a period whose end is not before its start.
/// The Measures set no minimum length for the period (Art. 5), so none is imposed.
pub fn check_fields(d: &Draft) -> Result<ConsultationFields> {
    let kind = d.kind.trim();
    if !KINDS.contains(&kind) {
        return Err(Error::invalid(
            "kind",
            "征求意见类别应为 plan_revision（规划修订）、policy（政策文件）或 project（建设项目）",
        ));
    }
    let opens = date("opens_on", "征求意见开始日期", &d.opens_on)?;
    let closes = date("closes_on", "征求意见截止日期", &d.closes_on)?;
    if closes < opens {
        return Err(Error::invalid(
            "closes_on",
            format!("截止日期 {closes} 早于开始日期 {opens}"),
        ));
    }
    Ok(ConsultationFields {
        kind: kind.to_string(),
        title: text("title", "标题", &d.title, MAX_TITLE_CHARS)?,
        body: text("body", "征求意见说明和正文", &d.body, MAX_BODY_CHARS)?,
        contact: text(
            "contact",
            "其他提交方式和联系方式",
            &d.contact,
            MAX_TEXT_CHARS,
        )?,
        opens_on: opens.format("%Y-%m-%d").to_string(),
        closes_on: closes.format("%Y-%m-%d").to_string(),
    })
}

/// Publishes a draft for comment (staff only) with its documents.
pub async fn create(
    store: &Store,
    user: Option<&User>,
    actor: &Actor,
    d: &Draft,
    files: &[NewEvidence],
) -> Result<Consultation> {
    may_manage(user)?;
    let f = check_fields(d)?;
    store
        .create_consultation(&f, files, actor)
        .await
        .map_err(|e| store_err("征求意见", 0, e))
}

/// Revises a consultation (staff only): a new revision with its reason and any further
/// documents; refused once the summary is published.
pub async fn revise(
    store: &Store,
    user: Option<&User>,
    actor: &Actor,
    id: i64,
    d: &Draft,
    reason: &str,
    files: &[NewEvidence],
) -> Result<Consultation> {
    may_manage(user)?;
    let f = check_fields(d)?;
    let reason = text("reason", "修改原因", reason, MAX_TEXT_CHARS)?;
    store
        .revise_consultation(id, &f, &reason, files, actor)
        .await
        .map_err(|e| store_err("征求意见", id, e))
}

/// Where a consultation stands on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Before its first day.
    Upcoming,
    /// Within its period: comments accepted.
    Open,
    /// After its last day.
    Closed,
}

impl Phase {
    /// Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            Phase::Upcoming => "尚未开始",
            Phase::Open => "正在征求意见",
            Phase::Closed => "征求意见已结束",
        }
    }
}

/// The phase of `c` on `today` (Beijing date); the period's both days included.
pub fn phase(c: &Consultation, today: NaiveDate) -> Phase {
    let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
    match (d(&c.fields.opens_on), d(&c.fields.closes_on)) {
        (Some(o), _) if today < o => Phase::Upcoming,
        (_, Some(e)) if today > e => Phase::Closed,
        _ => Phase::Open,
    }
}

async fn consultation(store: &Store, id: i64) -> Result<Consultation> {
    store
        .consultation(id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("没有编号为 {id} 的征求意见")))
}

/// One page of consultations (anyone: every consultation is public), latest first.
pub async fn list(store: &Store, limit: i64, offset: i64) -> Result<Paged<Consultation>> {
    Ok(store.consultations_paged(limit, offset).await?)
}

/// A question asked before a public submission.
#[derive(Debug, Clone, Serialize)]
pub struct Challenge {
    /// The token the form sends back.
    pub token: String,
    /// The question, in Chinese.
    pub question: String,
}

const DIGITS: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];

/// 1..=99 in Chinese numerals (十二, 二十, 三十七).
pub fn chinese_number(n: u32) -> String {
    let (tens, ones) = (n / 10, n % 10);
    let one = |d: u32| DIGITS.get(d as usize).copied().unwrap_or("");
    match (tens, ones) {
        (0, o) => one(o).to_string(),
        (1, 0) => "十".into(),
        (1, o) => format!("十{}", one(o)),
        (t, 0) => format!("{}十", one(t)),
        (t, o) => format!("{}十{}", one(t), one(o)),
    }
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Issues a challenge: a sum of two numbers written in Chinese numerals, the answer kept by
/// the server (only the token's hash is stored) for [`CHALLENGE_MINUTES`], usable once.
pub async fn issue_challenge(store: &Store, peer: &str) -> Result<Challenge> {
    let mut rng = rand::rngs::OsRng;
    let (a, b): (u32, u32) = (rng.gen_range(2..=19), rng.gen_range(2..=19));
    let mut raw = [0u8; 24];
    rng.fill(&mut raw);
    let token = hex::encode(raw);
    store
        .issue_participation_challenge(
            &hash(&token),
            &(a + b).to_string(),
            peer,
            &text_in(CHALLENGE_MINUTES * 60),
        )
        .await?;
    Ok(Challenge {
        token,
        question: format!(
            "{} 加 {} 等于多少？（请填写阿拉伯数字）",
            chinese_number(a),
            chinese_number(b)
        ),
    })
}

/// Checks an answer to a challenge, using the challenge up either way.
pub async fn check_challenge(store: &Store, token: &str, answer: &str) -> Result<()> {
    let token = token.trim();
    if token.is_empty() {
        return Err(Error::invalid(
            "challenge",
            "缺少验证问题，请刷新页面后重新填写",
        ));
    }
    match store.take_participation_challenge(&hash(token)).await? {
        None => Err(Error::invalid(
            "challenge",
            "验证问题已过期或已使用，请刷新页面回答新的验证问题",
        )),
        Some(expected) if expected == answer.trim() => Ok(()),
        Some(_) => Err(Error::invalid(
            "challenge_answer",
            "验证问题回答不正确，请刷新页面回答新的验证问题",
        )),
    }
}

/// The rate limit on public submissions per address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Submissions accepted per window.
    pub max: i64,
    /// The window, minutes.
    pub window_minutes: i64,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit {
            max: DEFAULT_MAX_SUBMISSIONS,
            window_minutes: DEFAULT_WINDOW_MINUTES,
        }
    }
}

/// `Some(minutes to wait)` when `peer` has used up its submissions in the window.
pub async fn throttled(store: &Store, peer: &str, limit: RateLimit) -> Result<Option<i64>> {
    let since = text_in(-limit.window_minutes * 60);
    let n = store.participation_submissions_since(peer, &since).await?;
    Ok((n >= limit.max).then_some(limit.window_minutes))
}

/// A comment as the public sends it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CommentInput {
    /// The comment.
    #[serde(default)]
    pub body: String,
    /// Name (optional).
    #[serde(default)]
    pub name: Option<String>,
    /// Contact (optional).
    #[serde(default)]
    pub contact: Option<String>,
    /// The challenge's token.
    #[serde(default)]
    pub challenge: String,
    /// The answer.
    #[serde(default)]
    pub challenge_answer: String,
}

/// Records a comment from anyone during the consultation's period (Beijing date `today`),
/// pending moderation. Outside the period it is refused with the period in the message; the
/// challenge must be answered; name and contact are kept for staff only.
pub async fn comment(
    store: &Store,
    actor: &Actor,
    peer: &str,
    id: i64,
    input: &CommentInput,
    today: NaiveDate,
) -> Result<ConsultationComment> {
    let c = consultation(store, id).await?;
    let (from, to) = (&c.fields.opens_on, &c.fields.closes_on);
    match phase(&c, today) {
        Phase::Upcoming => {
            return Err(Error::Conflict(format!(
                "本次征求意见自 {from} 开始，至 {to} 截止，尚未开始，暂不受理意见"
            )));
        }
        Phase::Closed => {
            return Err(Error::Conflict(format!(
                "本次征求意见已于 {to} 截止（征求意见期 {from} 至 {to}），不再受理意见"
            )));
        }
        Phase::Open => {}
    }
    let body = text("body", "意见内容", &input.body, MAX_COMMENT_CHARS)?;
    let private = CommentPrivate {
        author_name: optional("name", "姓名", input.name.as_deref(), MAX_PERSONAL_CHARS)?,
        author_contact: optional(
            "contact",
            "联系方式",
            input.contact.as_deref(),
            MAX_PERSONAL_CHARS,
        )?,
        peer: peer.to_string(),
    };
    check_challenge(store, &input.challenge, &input.challenge_answer).await?;
    store
        .add_consultation_comment(id, &body, &private, actor)
        .await
        .map_err(|e| store_err("征求意见", id, e))
}

/// Publishes (`publish`) or hides a comment (staff only); hiding needs a reason.
pub async fn moderate(
    store: &Store,
    user: Option<&User>,
    actor: &Actor,
    comment_id: i64,
    publish: bool,
    reason: Option<&str>,
) -> Result<ConsultationComment> {
    may_manage(user)?;
    let reason = if publish {
        optional("reason", "审核说明", reason, MAX_TEXT_CHARS)?
            .unwrap_or_else(|| "内容可以公开".into())
    } else {
        text("reason", "隐藏原因", reason.unwrap_or(""), MAX_TEXT_CHARS)?
    };
    store
        .moderate_consultation_comment(comment_id, publish, &reason, actor)
        .await
        .map_err(|e| store_err("意见", comment_id, e))
}

/// Records how comments were handled (staff only): one decision (采纳/部分采纳/不采纳) with its
/// reason for each comment of `ids` — one comment, or a group answered together.
pub async fn decide(
    store: &Store,
    user: Option<&User>,
    actor: &Actor,
    id: i64,
    ids: &[i64],
    decision: &str,
    reason: &str,
) -> Result<()> {
    may_manage(user)?;
    if ids.is_empty() {
        return Err(Error::invalid("comments", "请至少选择一条意见"));
    }
    let decision = decision.trim();
    if !DECISIONS.contains(&decision) {
        return Err(Error::invalid(
            "decision",
            "处理结果应为 adopted（采纳）、partly（部分采纳）或 rejected（不采纳）",
        ));
    }
    let reason = text("reason", "处理理由", reason, MAX_TEXT_CHARS)?;
    store
        .decide_consultation_comments(id, ids, decision, &reason, actor)
        .await
        .map_err(|e| store_err("征求意见", id, e))
}

/// Publishes the summary of how comments were handled (staff only), once the period has ended
/// on `today`, every comment moderated and every comment not hidden decided.
pub async fn publish_summary(
    store: &Store,
    user: Option<&User>,
    actor: &Actor,
    id: i64,
    summary: &str,
    today: NaiveDate,
) -> Result<Consultation> {
    may_manage(user)?;
    let c = consultation(store, id).await?;
    if phase(&c, today) != Phase::Closed {
        return Err(Error::Conflict(format!(
            "征求意见期至 {} 才结束，结束后才能公布意见采纳情况",
            c.fields.closes_on
        )));
    }
    let summary = text("summary", "意见采纳情况说明", summary, MAX_TEXT_CHARS)?;
    store
        .publish_consultation_summary(id, &summary, actor)
        .await
        .map_err(|e| store_err("征求意见", id, e))
}

/// A consultation with what staff see of it.
#[derive(Debug, Clone, Serialize)]
pub struct Detail {
    /// The consultation.
    pub consultation: Consultation,
    /// Its revisions, oldest first.
    pub revisions: Vec<ConsultationRevision>,
    /// Its documents.
    pub documents: Vec<ConsultationDocument>,
    /// Its comments counted.
    pub counts: CommentCounts,
}

/// One consultation with its revisions, documents and counts (staff only).
pub async fn detail(store: &Store, user: Option<&User>, id: i64) -> Result<Detail> {
    may_manage(user)?;
    let c = consultation(store, id).await?;
    Ok(Detail {
        revisions: store.consultation_revisions(id).await?,
        documents: store.consultation_documents(id).await?,
        counts: store.consultation_comment_counts(id).await?,
        consultation: c,
    })
}

/// One page of a consultation's comments for staff, filtered by state (names and contacts
/// left out: see [`comment_private`]).
pub async fn staff_comments(
    store: &Store,
    user: Option<&User>,
    id: i64,
    state: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<Paged<ConsultationComment>> {
    may_manage(user)?;
    if state.is_some_and(|s| !["pending", "published", "hidden"].contains(&s)) {
        return Err(Error::invalid(
            "state",
            "应为 pending（待审核）、published（已公开）或 hidden（已隐藏）",
        ));
    }
    let f = CommentFilter {
        state: state.map(str::to_string),
        decided: false,
    };
    Ok(store
        .consultation_comments_paged(id, &f, limit, offset)
        .await?)
}

/// A name masked for lists: its first character and one `*` per further character (at most 3).
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => format!("{first}{}", "*".repeat(chars.count().clamp(1, 3))),
        None => String::new(),
    }
}

/// A contact masked for lists: a phone-like text keeps its first 3 and last 4 characters, an
/// e-mail address its first character and domain, anything else its first character.
pub fn mask_contact(contact: &str) -> String {
    let chars: Vec<char> = contact.chars().collect();
    if let Some((local, domain)) = contact.split_once('@') {
        let first: String = local.chars().take(1).collect();
        return format!("{first}***@{domain}");
    }
    if chars.len() >= 8 {
        let head: String = chars.iter().take(3).collect();
        let tail: String = chars.iter().skip(chars.len() - 4).collect();
        return format!("{head}****{tail}");
    }
    match chars.first() {
        Some(c) => format!("{c}***"),
        None => String::new(),
    }
}

/// The masked name and contact of a comment, for staff lists: ("", "") when none given.
pub async fn masked_private(store: &Store, comment_id: i64) -> Result<(String, String)> {
    let p = store
        .consultation_comment_private(comment_id)
        .await?
        .unwrap_or_default();
    Ok((
        p.author_name.as_deref().map(mask_name).unwrap_or_default(),
        p.author_contact
            .as_deref()
            .map(mask_contact)
            .unwrap_or_default(),
    ))
}

/// The whole name and contact of a comment (staff only), the viewing audited as
/// `consultation.contact_view`. The address it came from is not returned.
pub async fn comment_private(
    store: &Store,
    user: Option<&User>,
    actor: &Actor,
    comment_id: i64,
) -> Result<(Option<String>, Option<String>)> {
    may_manage(user)?;
    let p = store
        .consultation_comment_private(comment_id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("没有编号为 {comment_id} 的意见")))?;
    let entry = qingshan_store::AuditEntry::ok(
        actor,
        "consultation.contact_view",
        format!("consultation_comment:{comment_id}"),
    );
    store.audit(&entry).await?;
    Ok((p.author_name, p.author_contact))
}

/// A comment as the public sees it: the text and, once the summary is out, how it was handled.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PublicComment {
    /// Number within the site.
    pub id: i64,
    /// The comment.
    pub body: String,
    /// When received (RFC 3339 UTC).
    pub created_at: String,
    /// 采纳/部分采纳/不采纳, after publication of the summary.
    pub decision: Option<String>,
    /// Why, after publication of the summary.
    pub decision_reason: Option<String>,
}

/// Comments handled alike, for the public summary.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DecisionGroup {
    /// 采纳, 部分采纳 or 不采纳.
    pub decision: String,
    /// The reason given.
    pub reason: String,
    /// The comments' numbers.
    pub comments: Vec<i64>,
}

/// The published summary.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PublicSummary {
    /// Staff's account of how the comments were handled.
    pub text: String,
    /// When published (RFC 3339 UTC).
    pub published_at: String,
    /// Comments received, moderated, hidden, and per decision.
    pub received: i64,
    /// Hidden (not published: abusive, off-topic, personal information).
    pub hidden: i64,
    /// 采纳.
    pub adopted: i64,
    /// 部分采纳.
    pub partly: i64,
    /// 不采纳.
    pub rejected: i64,
    /// Comments grouped by decision and reason.
    pub groups: Vec<DecisionGroup>,
}

/// A consultation as the public sees it: no commenter's name, contact or address, ever.
#[derive(Debug, Clone, Serialize)]
pub struct PublicView {
    /// Number.
    pub id: i64,
    /// Kind, in Chinese.
    pub kind: String,
    /// Title.
    pub title: String,
    /// Notice and text.
    pub body: String,
    /// How else to submit, and whom to contact.
    pub contact: String,
    /// First day.
    pub opens_on: String,
    /// Last day.
    pub closes_on: String,
    /// Phase on the day asked.
    pub phase: Phase,
    /// Its label.
    pub phase_label: String,
    /// Revision (the public sees the current one).
    pub revision: i64,
    /// Last change (RFC 3339 UTC).
    pub updated_at: String,
    /// Documents.
    pub documents: Vec<ConsultationDocument>,
    /// One page of the published comments.
    pub comments: Vec<PublicComment>,
    /// Published comments in all.
    pub comments_total: i64,
    /// The summary, once published.
    pub summary: Option<PublicSummary>,
}

/// Most comments the summary groups (the comments list itself is paged).
pub const SUMMARY_MAX: i64 = 10_000;

/// A consultation for the public, with one page of its published comments.
pub async fn public_view(
    store: &Store,
    id: i64,
    today: NaiveDate,
    limit: i64,
    offset: i64,
) -> Result<PublicView> {
    let c = consultation(store, id).await?;
    let published = c.summary_published_at.is_some();
    let f = CommentFilter {
        state: Some("published".into()),
        decided: false,
    };
    let page = store
        .consultation_comments_paged(id, &f, limit, offset)
        .await?;
    let comments = page
        .items
        .into_iter()
        .map(|m| PublicComment {
            id: m.id,
            body: m.body,
            created_at: m.created_at,
            decision: m
                .decision
                .filter(|_| published)
                .map(|d| labels::comment_decision(&d).into_owned()),
            decision_reason: m.decision_reason.filter(|_| published),
        })
        .collect();
    let summary = match (&c.summary, &c.summary_published_at) {
        (Some(text), Some(at)) => Some(summary_of(store, id, text, at).await?),
        _ => None,
    };
    let ph = phase(&c, today);
    Ok(PublicView {
        id: c.id,
        kind: labels::consultation_kind(&c.fields.kind).into_owned(),
        title: c.fields.title,
        body: c.fields.body,
        contact: c.fields.contact,
        opens_on: c.fields.opens_on,
        closes_on: c.fields.closes_on,
        phase: ph,
        phase_label: ph.label().into(),
        revision: c.revision,
        updated_at: c.updated_at,
        documents: store.consultation_documents(id).await?,
        comments,
        comments_total: page.total,
        summary,
    })
}

async fn summary_of(store: &Store, id: i64, text: &str, at: &str) -> Result<PublicSummary> {
    let counts = store.consultation_comment_counts(id).await?;
    let f = CommentFilter {
        state: None,
        decided: true,
    };
    let decided = store
        .consultation_comments_paged(id, &f, SUMMARY_MAX, 0)
        .await?
        .items;
    let mut groups: Vec<DecisionGroup> = Vec::new();
    let (mut adopted, mut partly, mut rejected) = (0, 0, 0);
    for d in DECISIONS {
        for m in decided
            .iter()
            .filter(|m| m.decision.as_deref() == Some(d) && m.state != "hidden")
        {
            match d {
                "adopted" => adopted += 1,
                "partly" => partly += 1,
                _ => rejected += 1,
            }
            let reason = m.decision_reason.clone().unwrap_or_default();
            let label = labels::comment_decision(d).into_owned();
            match groups
                .iter_mut()
                .find(|g| g.decision == label && g.reason == reason)
            {
                Some(g) => g.comments.push(m.id),
                None => groups.push(DecisionGroup {
                    decision: label,
                    reason,
                    comments: vec![m.id],
                }),
            }
        }
    }
    Ok(PublicSummary {
        text: text.to_string(),
        published_at: at.to_string(),
        received: counts.pending + counts.published + counts.hidden,
        hidden: counts.hidden,
        adopted,
        partly,
        rejected,
        groups,
    })
}

/// A document for anyone (every consultation is public).
pub async fn document(store: &Store, id: i64) -> Result<(ConsultationDocument, Vec<u8>)> {
    store
        .consultation_document_file(id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("没有编号为 {id} 的征求意见材料")))
}

// ---------------------------------------------------------------------------------------------
// The satisfaction questionnaire.

/// One choice of a question.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Choice {
    /// Stored id.
    pub id: String,
    /// Chinese text.
    pub text: String,
    /// Score (5 best) for the mean.
    pub score: i64,
    /// Counts as satisfied (满意 or 非常满意).
    pub satisfied: bool,
}

/// One question.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Question {
    /// Stored id.
    pub id: String,
    /// Chinese text.
    pub text: String,
    /// The choices.
    pub choices: Vec<Choice>,
}

/// The questionnaire, as `data/satisfaction.json` holds it.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Questionnaire {
    /// Id its answers are stored under; a new version of the questions takes a new id.
    pub id: String,
    /// Title.
    pub title: String,
    /// What the public is told about it.
    pub note: String,
    /// The question whose satisfied share is the supporting figure for indicator 22.
    pub overall: String,
    /// The questions.
    pub questions: Vec<Question>,
}

static QUESTIONNAIRE: LazyLock<std::result::Result<Questionnaire, String>> = LazyLock::new(|| {
    serde_json::from_str(include_str!("../data/satisfaction.json")).map_err(|e| e.to_string())
});

/// The questionnaire (a broken data file is a build defect a unit test catches).
pub fn questionnaire() -> Result<&'static Questionnaire> {
    QUESTIONNAIRE
        .as_ref()
        .map_err(|e| Error::Conflict(format!("满意度问卷数据文件有误：{e}")))
}

/// Records a filled questionnaire from anyone, counted in the year of `today`: every question
/// answered with one of its choices, and the challenge answered.
pub async fn answer(
    store: &Store,
    actor: &Actor,
    peer: &str,
    answers: &[(String, String)],
    challenge: &str,
    challenge_answer: &str,
    today: NaiveDate,
) -> Result<i64> {
    let q = questionnaire()?;
    let mut checked = Vec::with_capacity(q.questions.len());
    for (n, question) in q.questions.iter().enumerate() {
        let given = answers
            .iter()
            .rev()
            .find(|(k, _)| k == &question.id)
            .map(|(_, v)| v.trim());
        match given {
            Some(v) if question.choices.iter().any(|c| c.id == v) => {
                checked.push((question.id.clone(), v.to_string()));
            }
            _ => {
                return Err(Error::invalid(
                    &question.id,
                    format!("请回答第 {} 题：{}", n + 1, question.text),
                ));
            }
        }
    }
    check_challenge(store, challenge, challenge_answer).await?;
    Ok(store
        .add_satisfaction_response(&q.id, today.year(), &checked, peer, actor)
        .await?)
}

/// A choice's share of a question's answers.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ChoiceShare {
    /// Chinese text.
    pub text: String,
    /// Answers.
    pub count: i64,
    /// Percentage of the question's answers, one decimal (GB/T 8170); "—" without answers.
    pub percent: String,
}

/// A question's answers.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct QuestionResult {
    /// Question id.
    pub id: String,
    /// Text.
    pub text: String,
    /// Answers.
    pub answers: i64,
    /// Per choice, in the questionnaire's order.
    pub choices: Vec<ChoiceShare>,
    /// Share answering 满意 or 非常满意, percent, one decimal; `None` without answers.
    pub satisfied_percent: Option<String>,
    /// Mean score (5 best), two decimals; `None` without answers.
    pub mean_score: Option<String>,
}

/// The questionnaire's results of a year.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SatisfactionResults {
    /// The year.
    pub year: i32,
    /// Title.
    pub title: String,
    /// The note about what the figure is.
    pub note: String,
    /// Questionnaires returned.
    pub responses: i64,
    /// Per question.
    pub questions: Vec<QuestionResult>,
    /// The overall question's satisfied share (the supporting figure beside indicator 22).
    pub overall_satisfied_percent: Option<String>,
}

/// Aggregates counted answers: shares and means exact, rounded once (GB/T 8170).
pub fn aggregate(
    q: &Questionnaire,
    year: i32,
    responses: i64,
    counts: &[ChoiceCount],
) -> SatisfactionResults {
    let count_of = |question: &str, choice: &str| {
        counts
            .iter()
            .find(|c| c.question == question && c.choice == choice)
            .map_or(0, |c| c.count)
    };
    let pct = |part: i64, whole: i64| {
        Ratio::new(i128::from(part) * 100, i128::from(whole)).map(|r| r.format_gbt8170(1))
    };
    let questions: Vec<QuestionResult> = q
        .questions
        .iter()
        .map(|question| {
            let per: Vec<(&Choice, i64)> = question
                .choices
                .iter()
                .map(|c| (c, count_of(&question.id, &c.id)))
                .collect();
            let answers: i64 = per.iter().map(|(_, n)| n).sum();
            let satisfied: i64 = per
                .iter()
                .filter(|(c, _)| c.satisfied)
                .map(|(_, n)| n)
                .sum();
            let score: i64 = per.iter().map(|(c, n)| c.score * n).sum();
            QuestionResult {
                id: question.id.clone(),
                text: question.text.clone(),
                answers,
                choices: per
                    .iter()
                    .map(|(c, n)| ChoiceShare {
                        text: c.text.clone(),
                        count: *n,
                        percent: pct(*n, answers).unwrap_or_else(|| "—".into()),
                    })
                    .collect(),
                satisfied_percent: pct(satisfied, answers),
                mean_score: Ratio::new(i128::from(score), i128::from(answers))
                    .map(|r| r.format_gbt8170(2)),
            }
        })
        .collect();
    let overall_satisfied_percent = questions
        .iter()
        .find(|r| r.id == q.overall)
        .and_then(|r| r.satisfied_percent.clone());
    SatisfactionResults {
        year,
        title: q.title.clone(),
        note: q.note.clone(),
        responses,
        questions,
        overall_satisfied_percent,
    }
}

/// The questionnaire's results of `year`.
pub async fn results(store: &Store, year: i32) -> Result<SatisfactionResults> {
    let q = questionnaire()?;
    let (responses, counts) = store.satisfaction_counts(&q.id, year).await?;
    Ok(aggregate(q, year, responses, &counts))
}

/// The complainants' ratings of handled complaints in a year: their mean and how many.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RatingMean {
    /// Mean rating, one decimal (rounded as the complaints desk publishes it).
    pub mean: String,
    /// Out of this many points.
    pub scale: i64,
    /// Ratings given.
    pub ratings: i64,
}

/// The complaint ratings' mean of `year` (the complainants' 1–5 star ratings of handled
/// complaints, from the complaints desk's public figures), for the figure beside indicator 22;
/// `None` when nobody rated a complaint that year.
pub async fn complaint_rating_mean(
    store: &Store,
    plan: &Plan,
    year: i32,
) -> Result<Option<RatingMean>> {
    let stats = crate::complaints::public_stats(store, plan, year).await?;
    Ok(stats.mean_rating.map(|mean| RatingMean {
        mean,
        scale: 5,
        ratings: stats.rated,
    }))
}

/// The supporting figures shown beside indicator 22 (公众对生态环境质量满意度).
#[derive(Debug, Clone, Serialize)]
pub struct Indicator22Support {
    /// The questionnaire's results of the year.
    pub questionnaire: SatisfactionResults,
    /// The complaint ratings' mean, when the complaints desk provides it.
    pub complaint_ratings: Option<RatingMean>,
}

/// The indicator whose page shows [`indicator_support`].
pub const SATISFACTION_INDICATOR: u32 = 22;

/// The supporting figures of `year` for indicator 22; `None` for any other indicator.
pub async fn indicator_support(
    store: &Store,
    plan: &Plan,
    indicator: u32,
    year: i32,
) -> Result<Option<Indicator22Support>> {
    if indicator != SATISFACTION_INDICATOR {
        return Ok(None);
    }
    Ok(Some(Indicator22Support {
        questionnaire: results(store, year).await?,
        complaint_ratings: complaint_rating_mean(store, plan, year).await?,
    }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn draft() -> Draft {
        Draft {
            kind: "plan_revision".into(),
            title: "规划修订草案".into(),
            body: "说明".into(),
            contact: "电话 0350-0000000".into(),
            opens_on: "2026-12-01".into(),
            closes_on: "2026-12-31".into(),
        }
    }

    #[test]
    fn drafts_are_checked() {
        assert!(check_fields(&draft()).is_ok());
        let field = |d: Draft| match check_fields(&d).unwrap_err() {
            Error::Invalid { field, .. } => field,
            e => panic!("{e}"),
        };
        assert_eq!(
            field(Draft {
                kind: "rumour".into(),
                ..draft()
            }),
            "kind"
        );
        assert_eq!(
            field(Draft {
                closes_on: "2026-11-30".into(),
                ..draft()
            }),
            "closes_on"
        );
        assert_eq!(
            field(Draft {
                opens_on: "2026-02-30".into(),
                ..draft()
            }),
            "opens_on"
        );
        assert_eq!(
            field(Draft {
                contact: " ".into(),
                ..draft()
            }),
            "contact"
        );
    }

    #[test]
    fn the_period_includes_both_days() {
        let c = Consultation {
            id: 1,
            revision: 1,
            fields: check_fields(&draft()).unwrap(),
            summary: None,
            summary_published_at: None,
            created_by: None,
            created_at: String::new(),
            updated_at: String::new(),
        };
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(phase(&c, d("2026-11-30")), Phase::Upcoming);
        assert_eq!(phase(&c, d("2026-12-01")), Phase::Open);
        assert_eq!(phase(&c, d("2026-12-31")), Phase::Open);
        assert_eq!(phase(&c, d("2027-01-01")), Phase::Closed);
    }

    #[test]
    fn masks_and_numerals() {
        assert_eq!(mask_name("张三丰"), "张**");
        assert_eq!(mask_name("李"), "李*");
        assert_eq!(mask_contact("13812345678"), "138****5678");
        assert_eq!(mask_contact("wang@example.cn"), "w***@example.cn");
        assert_eq!(mask_contact("QQ123"), "Q***");
        assert_eq!(chinese_number(7), "七");
        assert_eq!(chinese_number(10), "十");
        assert_eq!(chinese_number(12), "十二");
        assert_eq!(chinese_number(20), "二十");
        assert_eq!(chinese_number(38), "三十八");
    }

    #[test]
    fn the_questionnaire_parses_and_aggregates() {
        let q = questionnaire().unwrap();
        assert!(q.questions.iter().any(|x| x.id == q.overall));
        // 7 questionnaires: overall 2 非常满意, 3 满意, 1 一般, 1 非常不满意.
        let c = |question: &str, choice: &str, count: i64| ChoiceCount {
            question: question.into(),
            choice: choice.into(),
            count,
        };
        let counts = [
            c("overall", "very_satisfied", 2),
            c("overall", "satisfied", 3),
            c("overall", "neutral", 1),
            c("overall", "very_dissatisfied", 1),
        ];
        let r = aggregate(q, 2026, 7, &counts);
        let overall = r.questions.iter().find(|x| x.id == "overall").unwrap();
        assert_eq!(overall.answers, 7);
        // 5 of 7 = 71.428…% → 71.4; mean (10 + 12 + 3 + 1) / 7 = 3.714… → 3.71.
        assert_eq!(overall.satisfied_percent.as_deref(), Some("71.4"));
        assert_eq!(overall.mean_score.as_deref(), Some("3.71"));
        assert_eq!(overall.choices[0].percent, "28.6");
        assert_eq!(r.overall_satisfied_percent.as_deref(), Some("71.4"));
        let air = r.questions.iter().find(|x| x.id == "air").unwrap();
        assert_eq!(air.satisfied_percent, None);
        assert_eq!(air.choices[0].percent, "—");
    }
}
