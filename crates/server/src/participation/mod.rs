//! Public participation (公众参与) on the web: the staff's pages to publish a draft for comment
//! with its documents, revise it, moderate comments, record how they were handled and publish
//! the summary (`/consultations…`); the public's pages, without signing in, to read a draft,
//! comment during its period and read the summary (`/public/consultations…`), and the
//! satisfaction questionnaire (`/public/satisfaction`); the JSON API `/api/v1/consultations…`.
//! Who may do what, the period, the challenge and the masking are `qingshan_app::participation`.

use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Json, Router};
use chrono::{Datelike, NaiveDate};
use minijinja::context;
use qingshan_app::participation::{self as part, CommentInput, Draft, RateLimit};
use qingshan_store::{Consultation, ConsultationComment, NewEvidence, labels};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::web::audit::{refuse, refuse_app};
use crate::web::auth::{Auth, CSRF_HEADER, Via};
use crate::web::error::AppError;
use crate::web::page::{PageError, page};
use crate::web::paging;
use crate::web::query::Query;
use crate::web::upload::{EvidenceForm, read_evidence_form};

/// The pages and API of public participation; `max_file` is the documents' limit.
pub fn routes(max_file: usize) -> Router<AppState> {
    let limit =
        || axum::extract::DefaultBodyLimit::max(qingshan_app::evidence::body_limit(max_file));
    Router::new()
        .route(
            "/consultations",
            get(staff_list_page).post(create_form).layer(limit()),
        )
        .route("/consultations/new", get(new_page))
        .route("/consultations/{id}", get(staff_page))
        .route(
            "/consultations/{id}/revise",
            post(revise_form).layer(limit()),
        )
        .route("/consultations/{id}/decide", post(decide_form))
        .route("/consultations/{id}/summary", post(summary_form))
        .route("/consultations/comments/{id}/moderate", post(moderate_form))
        .route("/public/consultations", get(public_list_page))
        .route("/public/consultations/{id}", get(public_page))
        .route(
            "/public/consultations/{id}/comments",
            post(public_comment_form),
        )
        .route(
            "/public/consultations/documents/{id}",
            get(document_download),
        )
        .route(
            "/public/satisfaction",
            get(satisfaction_page).post(satisfaction_form),
        )
        .route("/api/v1/consultations", get(api_list).post(api_create))
        .route("/api/v1/consultations/challenge", get(api_challenge))
        .route(
            "/api/v1/consultations/satisfaction",
            get(api_satisfaction).post(api_satisfaction_answer),
        )
        .route("/api/v1/consultations/{id}", get(api_get))
        .route("/api/v1/consultations/{id}/revise", post(api_revise))
        .route(
            "/api/v1/consultations/{id}/comments",
            get(api_comments).post(api_comment),
        )
        .route("/api/v1/consultations/{id}/decisions", post(api_decide))
        .route("/api/v1/consultations/{id}/summary", post(api_summary))
        .route(
            "/api/v1/consultations/comments/{id}/moderate",
            post(api_moderate),
        )
        .route(
            "/api/v1/consultations/comments/{id}/contact",
            get(api_contact),
        )
}

fn today() -> NaiveDate {
    qingshan_app::beijing::today()
}

fn consultation_json(c: &Consultation) -> Value {
    let mut v = serde_json::to_value(c).unwrap_or(Value::Null);
    let ph = part::phase(c, today());
    if let Value::Object(m) = &mut v {
        m.insert(
            "kind_label".into(),
            json!(labels::consultation_kind(&c.fields.kind)),
        );
        m.insert("phase".into(), json!(ph));
        m.insert("phase_label".into(), json!(ph.label()));
    }
    v
}

/// A consultation as the public list shows it: no staff fields.
fn public_item_json(c: &Consultation) -> Value {
    let ph = part::phase(c, today());
    json!({ "id": c.id, "kind": c.fields.kind, "kind_label": labels::consultation_kind(&c.fields.kind),
            "title": c.fields.title, "opens_on": c.fields.opens_on, "closes_on": c.fields.closes_on,
            "phase": ph, "phase_label": ph.label(), "summary_published_at": c.summary_published_at })
}

async fn comment_json(s: &AppState, m: &ConsultationComment) -> Result<Value, AppError> {
    let (name, contact) = part::masked_private(&s.store, m.id).await?;
    let mut v = serde_json::to_value(m).unwrap_or(Value::Null);
    if let Value::Object(o) = &mut v {
        o.insert("state_label".into(), json!(labels::comment_state(&m.state)));
        o.insert(
            "decision_label".into(),
            json!(m.decision.as_deref().map(labels::comment_decision)),
        );
        o.insert("name_masked".into(), json!(name));
        o.insert("contact_masked".into(), json!(contact));
    }
    Ok(v)
}

fn choices() -> (Vec<Value>, Vec<Value>) {
    let kinds = part::KINDS
        .iter()
        .map(|c| json!({ "code": c, "label": labels::consultation_kind(c) }))
        .collect();
    let decisions = part::DECISIONS
        .iter()
        .map(|c| json!({ "code": c, "label": labels::comment_decision(c) }))
        .collect();
    (kinds, decisions)
}

fn form_context(s: &AppState) -> minijinja::Value {
    context! {
    accept => qingshan_app::evidence::ACCEPT_ATTR, accepted => qingshan_app::evidence::ACCEPTED_LABEL,
    max_file => qingshan_app::evidence::fmt_size(s.config.evidence_max_bytes as u64), max_files => qingshan_app::evidence::MAX_FILES }
}

/// A staff-only page's gate: refused views are audited.
async fn staff_view(s: &AppState, auth: &Auth, target: &str) -> Result<(), AppError> {
    match part::may_manage(auth.user.as_ref()) {
        Ok(()) => Ok(()),
        Err(e) => Err(refuse_app(s, auth, "page.view", target.into(), e, None).await),
    }
}

/// `GET /consultations` (staff): every consultation, latest first, paged.
pub async fn staff_list_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(pq): Query<paging::PageQuery>,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Result<Response, PageError> {
    staff_view(&s, &auth, "page:/consultations").await?;
    let n = paging::requested(&pq);
    let (limit, offset) = paging::window(n, paging::PER_PAGE);
    let paged = part::list(&s.store, limit, offset)
        .await
        .map_err(AppError::from)?;
    let pager = paging::Pager::new(
        n,
        paging::PER_PAGE,
        paged.total,
        "/consultations",
        raw.as_deref(),
    );
    let consultations: Vec<Value> = paged.items.iter().map(consultation_json).collect();
    page(
        "consultations.html",
        &auth,
        &s,
        context! { consultations, pager },
    )
}

/// `GET /consultations/new` (staff): the form to publish a draft for comment.
pub async fn new_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
) -> Result<Response, PageError> {
    staff_view(&s, &auth, "page:/consultations/new").await?;
    let (kinds, _) = choices();
    page(
        "consultation_new.html",
        &auth,
        &s,
        context! { kinds, f => form_context(&s), today => today().format("%Y-%m-%d").to_string() },
    )
}

/// Filter of the staff's comment list.
#[derive(Debug, Deserialize, Default)]
pub struct CommentQuery {
    /// pending, published or hidden.
    pub state: Option<String>,
}

/// `GET /consultations/{id}` (staff): a consultation with its documents, revisions, comments
/// (names and contacts masked) and the forms.
pub async fn staff_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    Query(q): Query<CommentQuery>,
    Query(pq): Query<paging::PageQuery>,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Result<Response, PageError> {
    let target = format!("page:/consultations/{id}");
    let d = match part::detail(&s.store, auth.user.as_ref(), id).await {
        Ok(d) => d,
        Err(e) => {
            return Err(refuse_app(&s, &auth, "page.view", target, e, None)
                .await
                .into());
        }
    };
    let n = paging::requested(&pq);
    let (limit, offset) = paging::window(n, paging::PER_PAGE);
    let state = q.state.as_deref().map(str::trim).filter(|v| !v.is_empty());
    let paged = part::staff_comments(&s.store, auth.user.as_ref(), id, state, limit, offset)
        .await
        .map_err(AppError::from)?;
    let pager = paging::Pager::new(
        n,
        paging::PER_PAGE,
        paged.total,
        &format!("/consultations/{id}"),
        raw.as_deref(),
    );
    let mut comments = Vec::with_capacity(paged.items.len());
    for m in &paged.items {
        comments.push(comment_json(&s, m).await?);
    }
    let (kinds, decisions) = choices();
    page(
        "consultation.html",
        &auth,
        &s,
        context! { c => consultation_json(&d.consultation), revisions => d.revisions, documents => d.documents,
        counts => d.counts, comments, pager, kinds, decisions, f => form_context(&s) },
    )
}

async fn checked_files(
    s: &AppState,
    auth: &Auth,
    up: &mut EvidenceForm,
    target: String,
) -> Result<Vec<NewEvidence>, AppError> {
    let files = std::mem::take(&mut up.files);
    match qingshan_app::evidence::check_files(files, s.config.evidence_max_bytes) {
        Ok(v) => Ok(v),
        Err(b) => {
            let (e, name) = *b;
            Err(refuse(s, auth, "consultation.document", target, e.into(), name).await)
        }
    }
}

fn draft_of(up: &EvidenceForm) -> Draft {
    let field = |n: &str| up.fields.get(n).cloned().unwrap_or_default();
    Draft {
        kind: field("kind"),
        title: field("title"),
        body: field("body"),
        contact: field("contact"),
        opens_on: field("opens_on"),
        closes_on: field("closes_on"),
    }
}

/// Staff and the session's CSRF token, or the audited refusal.
async fn staff_write(
    s: &AppState,
    auth: &Auth,
    action: &str,
    target: &str,
    csrf: Option<&str>,
) -> Result<(), AppError> {
    let check = part::may_manage(auth.user.as_ref())
        .map_err(AppError::from)
        .and_then(|_| auth.check_csrf(csrf));
    match check {
        Ok(()) => Ok(()),
        Err(e) => Err(refuse(s, auth, action, target.to_string(), e, None).await),
    }
}

async fn create(
    s: &AppState,
    auth: &Auth,
    d: &Draft,
    files: &[NewEvidence],
    csrf: Option<&str>,
) -> Result<Consultation, AppError> {
    staff_write(s, auth, "consultation.create", "consultation:new", csrf).await?;
    match part::create(&s.store, auth.user.as_ref(), &auth.actor(), d, files).await {
        Ok(c) => Ok(c),
        Err(e) => Err(refuse_app(
            s,
            auth,
            "consultation.create",
            "consultation:new".into(),
            e,
            Some(d.title.clone()),
        )
        .await),
    }
}

async fn revise(
    s: &AppState,
    auth: &Auth,
    id: i64,
    d: &Draft,
    reason: &str,
    files: &[NewEvidence],
    csrf: Option<&str>,
) -> Result<Consultation, AppError> {
    let target = format!("consultation:{id}");
    staff_write(s, auth, "consultation.revise", &target, csrf).await?;
    match part::revise(
        &s.store,
        auth.user.as_ref(),
        &auth.actor(),
        id,
        d,
        reason,
        files,
    )
    .await
    {
        Ok(c) => Ok(c),
        Err(e) => Err(refuse_app(
            s,
            auth,
            "consultation.revise",
            target,
            e,
            Some(reason.to_string()),
        )
        .await),
    }
}

/// `POST /consultations` (multipart; staff): publishes a draft for comment with its documents.
pub async fn create_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    mp: Multipart,
) -> Result<Response, PageError> {
    let mut up = read_evidence_form(mp, s.config.evidence_max_bytes).await?;
    let files = checked_files(&s, &auth, &mut up, "consultation:new".into()).await?;
    let d = draft_of(&up);
    let c = create(
        &s,
        &auth,
        &d,
        &files,
        up.fields.get("csrf_token").map(String::as_str),
    )
    .await?;
    Ok(Redirect::to(&format!("/consultations/{}", c.id)).into_response())
}

/// `POST /consultations/{id}/revise` (multipart; staff): a new revision with its reason.
pub async fn revise_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    mp: Multipart,
) -> Result<Response, PageError> {
    let mut up = read_evidence_form(mp, s.config.evidence_max_bytes).await?;
    let files = checked_files(&s, &auth, &mut up, format!("consultation:{id}")).await?;
    let d = draft_of(&up);
    let reason = up.fields.get("reason").cloned().unwrap_or_default();
    revise(
        &s,
        &auth,
        id,
        &d,
        &reason,
        &files,
        up.fields.get("csrf_token").map(String::as_str),
    )
    .await?;
    Ok(Redirect::to(&format!("/consultations/{id}")).into_response())
}

async fn decide(
    s: &AppState,
    auth: &Auth,
    id: i64,
    ids: &[i64],
    decision: &str,
    reason: &str,
    csrf: Option<&str>,
) -> Result<(), AppError> {
    let target = format!("consultation:{id}");
    staff_write(s, auth, "consultation.decide", &target, csrf).await?;
    match part::decide(
        &s.store,
        auth.user.as_ref(),
        &auth.actor(),
        id,
        ids,
        decision,
        reason,
    )
    .await
    {
        Ok(()) => Ok(()),
        Err(e) => Err(refuse_app(
            s,
            auth,
            "consultation.decide",
            target,
            e,
            Some(reason.to_string()),
        )
        .await),
    }
}

/// `POST /consultations/{id}/decide` (form; staff): the ticked comments (`comments`, several),
/// `decision` and `reason`.
pub async fn decide_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let get = |n: &str| {
        fields
            .iter()
            .rev()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.clone())
    };
    let mut ids = Vec::new();
    for (_, v) in fields.iter().filter(|(k, _)| k == "comments") {
        ids.push(
            v.trim()
                .parse::<i64>()
                .map_err(|_| AppError::invalid("comments", format!("「{v}」不是意见编号")))?,
        );
    }
    decide(
        &s,
        &auth,
        id,
        &ids,
        &get("decision").unwrap_or_default(),
        &get("reason").unwrap_or_default(),
        get("csrf_token").as_deref(),
    )
    .await?;
    Ok(Redirect::to(&format!("/consultations/{id}")).into_response())
}

async fn summary(
    s: &AppState,
    auth: &Auth,
    id: i64,
    text: &str,
    csrf: Option<&str>,
) -> Result<Consultation, AppError> {
    let target = format!("consultation:{id}");
    staff_write(s, auth, "consultation.summary", &target, csrf).await?;
    match part::publish_summary(
        &s.store,
        auth.user.as_ref(),
        &auth.actor(),
        id,
        text,
        today(),
    )
    .await
    {
        Ok(c) => Ok(c),
        Err(e) => Err(refuse_app(s, auth, "consultation.summary", target, e, None).await),
    }
}

/// The summary form.
#[derive(Debug, Deserialize, Default)]
pub struct SummaryBody {
    /// CSRF token (forms).
    #[serde(default)]
    pub csrf_token: Option<String>,
    /// Staff's account of how the comments were handled.
    #[serde(default)]
    pub summary: String,
}

/// `POST /consultations/{id}/summary` (form; staff): publishes the summary.
pub async fn summary_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    Form(b): Form<SummaryBody>,
) -> Result<Response, PageError> {
    summary(&s, &auth, id, &b.summary, b.csrf_token.as_deref()).await?;
    Ok(Redirect::to(&format!("/consultations/{id}")).into_response())
}

async fn moderate(
    s: &AppState,
    auth: &Auth,
    comment_id: i64,
    publish: bool,
    reason: Option<&str>,
    csrf: Option<&str>,
) -> Result<ConsultationComment, AppError> {
    let target = format!("consultation_comment:{comment_id}");
    staff_write(s, auth, "consultation.moderate", &target, csrf).await?;
    match part::moderate(
        &s.store,
        auth.user.as_ref(),
        &auth.actor(),
        comment_id,
        publish,
        reason,
    )
    .await
    {
        Ok(m) => Ok(m),
        Err(e) => Err(refuse_app(
            s,
            auth,
            "consultation.moderate",
            target,
            e,
            reason.map(str::to_string),
        )
        .await),
    }
}

/// The moderation form.
#[derive(Debug, Deserialize, Default)]
pub struct ModerateForm {
    /// CSRF token.
    #[serde(default)]
    pub csrf_token: Option<String>,
    /// `publish` or `hide`.
    #[serde(default)]
    pub action: String,
    /// Why (required to hide).
    #[serde(default)]
    pub reason: Option<String>,
}

fn publish_of(action: &str) -> Result<bool, AppError> {
    match action {
        "publish" => Ok(true),
        "hide" => Ok(false),
        _ => Err(AppError::invalid(
            "action",
            "审核操作应为 publish（公开）或 hide（隐藏）",
        )),
    }
}

/// `POST /consultations/comments/{id}/moderate` (form; staff): publishes or hides a comment.
pub async fn moderate_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    Form(b): Form<ModerateForm>,
) -> Result<Response, PageError> {
    let publish = publish_of(&b.action)?;
    let m = moderate(
        &s,
        &auth,
        id,
        publish,
        b.reason.as_deref(),
        b.csrf_token.as_deref(),
    )
    .await?;
    Ok(Redirect::to(&format!("/consultations/{}", m.consultation_id)).into_response())
}

/// A public write: a signed-in browser must still present its CSRF token; everyone is held to
/// the per-address rate limit. Refusals are audited without the personal details sent.
async fn public_write(
    s: &AppState,
    auth: &Auth,
    action: &str,
    target: &str,
    csrf: Option<&str>,
) -> Result<(), AppError> {
    if matches!(auth.via, Via::Session)
        && let Err(e) = auth.check_csrf(csrf)
    {
        return Err(refuse(s, auth, action, target.into(), e, None).await);
    }
    if let Some(minutes) = part::throttled(&s.store, &auth.peer, RateLimit::default()).await? {
        return Err(refuse(
            s,
            auth,
            action,
            target.into(),
            AppError::TooManyAttempts(minutes),
            None,
        )
        .await);
    }
    Ok(())
}

async fn submit_comment(
    s: &AppState,
    auth: &Auth,
    id: i64,
    input: &CommentInput,
    csrf: Option<&str>,
) -> Result<ConsultationComment, AppError> {
    let target = format!("consultation:{id}");
    public_write(s, auth, "consultation.comment", &target, csrf).await?;
    match part::comment(&s.store, &auth.actor(), &auth.peer, id, input, today()).await {
        Ok(m) => Ok(m),
        Err(e) => Err(refuse_app(s, auth, "consultation.comment", target, e, None).await),
    }
}

/// The public's comment form.
#[derive(Debug, Deserialize, Default)]
pub struct PublicCommentForm {
    /// CSRF token (only when signed in).
    #[serde(default)]
    pub csrf_token: Option<String>,
    /// The comment and the challenge.
    #[serde(flatten)]
    pub input: CommentInput,
}

/// `POST /public/consultations/{id}/comments` (anyone, during the period): a comment.
pub async fn public_comment_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    Form(b): Form<PublicCommentForm>,
) -> Result<Response, PageError> {
    submit_comment(&s, &auth, id, &b.input, b.csrf_token.as_deref()).await?;
    Ok(Redirect::to(&format!("/public/consultations/{id}?sent=1")).into_response())
}

/// `GET /public/consultations` (anyone): the consultations, latest first, paged.
pub async fn public_list_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(pq): Query<paging::PageQuery>,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Result<Response, PageError> {
    let n = paging::requested(&pq);
    let (limit, offset) = paging::window(n, paging::PER_PAGE);
    let paged = part::list(&s.store, limit, offset)
        .await
        .map_err(AppError::from)?;
    let pager = paging::Pager::new(
        n,
        paging::PER_PAGE,
        paged.total,
        "/public/consultations",
        raw.as_deref(),
    );
    let consultations: Vec<Value> = paged.items.iter().map(public_item_json).collect();
    page(
        "public_consultations.html",
        &auth,
        &s,
        context! { consultations, pager },
    )
}

/// Set after a successful submission.
#[derive(Debug, Deserialize, Default)]
pub struct SentQuery {
    /// `1` after a submission.
    pub sent: Option<String>,
}

/// `GET /public/consultations/{id}` (anyone): the draft, its documents, the published comments
/// (never who sent them), the summary once published, and the comment form with its question
/// during the period.
pub async fn public_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    Query(q): Query<SentQuery>,
    Query(pq): Query<paging::PageQuery>,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Result<Response, PageError> {
    let n = paging::requested(&pq);
    let (limit, offset) = paging::window(n, paging::PER_PAGE);
    let v = part::public_view(&s.store, id, today(), limit, offset)
        .await
        .map_err(AppError::from)?;
    let challenge = if v.phase == part::Phase::Open {
        Some(
            part::issue_challenge(&s.store, &auth.peer)
                .await
                .map_err(AppError::from)?,
        )
    } else {
        None
    };
    let pager = paging::Pager::new(
        n,
        paging::PER_PAGE,
        v.comments_total,
        &format!("/public/consultations/{id}"),
        raw.as_deref(),
    );
    let body_lines: Vec<&str> = v
        .body
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    page(
        "public_consultation.html",
        &auth,
        &s,
        context! { v, body_lines, challenge, pager, submitted => q.sent.is_some(),
        max_comment => part::MAX_COMMENT_CHARS },
    )
}

/// `GET /public/consultations/documents/{id}` (anyone): a consultation's document.
pub async fn document_download(
    State(s): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let (meta, content) = part::document(&s.store, id).await.map_err(AppError::from)?;
    Ok(crate::web::download::stored_file(
        content,
        &meta.content_type,
        &meta.file_name,
    )?)
}

/// `GET /public/satisfaction` (anyone): this year's results and the questionnaire.
pub async fn satisfaction_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<SentQuery>,
) -> Result<Response, PageError> {
    let qn = part::questionnaire().map_err(AppError::from)?;
    let r = part::results(&s.store, today().year())
        .await
        .map_err(AppError::from)?;
    let challenge = part::issue_challenge(&s.store, &auth.peer)
        .await
        .map_err(AppError::from)?;
    page(
        "public_satisfaction.html",
        &auth,
        &s,
        context! { q => qn, r, challenge, submitted => q.sent.is_some() },
    )
}

async fn submit_answers(
    s: &AppState,
    auth: &Auth,
    answers: &[(String, String)],
    challenge: &str,
    challenge_answer: &str,
    csrf: Option<&str>,
) -> Result<i64, AppError> {
    let target = "satisfaction:questionnaire";
    public_write(s, auth, "satisfaction.answer", target, csrf).await?;
    match part::answer(
        &s.store,
        &auth.actor(),
        &auth.peer,
        answers,
        challenge,
        challenge_answer,
        today(),
    )
    .await
    {
        Ok(id) => Ok(id),
        Err(e) => Err(refuse_app(s, auth, "satisfaction.answer", target.into(), e, None).await),
    }
}

/// `POST /public/satisfaction` (anyone): a filled questionnaire (one field per question).
pub async fn satisfaction_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let get = |n: &str| {
        fields
            .iter()
            .rev()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    submit_answers(
        &s,
        &auth,
        &fields,
        &get("challenge"),
        &get("challenge_answer"),
        Some(get("csrf_token").as_str()),
    )
    .await?;
    Ok(Redirect::to("/public/satisfaction?sent=1").into_response())
}

/// `GET /api/v1/consultations` (anyone): consultations, latest first, paged.
pub async fn api_list(
    State(s): State<AppState>,
    Query(pq): Query<paging::PageQuery>,
) -> Result<Json<Value>, AppError> {
    let n = paging::requested(&pq);
    let (limit, offset) = paging::window(n, paging::PER_PAGE);
    let paged = part::list(&s.store, limit, offset).await?;
    let items: Vec<Value> = paged.items.iter().map(public_item_json).collect();
    Ok(Json(
        json!({ "consultations": items, "total": paged.total, "page": n, "per_page": paging::PER_PAGE }),
    ))
}

/// `GET /api/v1/consultations/{id}` (anyone): the public view (`page` pages the comments).
pub async fn api_get(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Query(pq): Query<paging::PageQuery>,
) -> Result<Json<Value>, AppError> {
    let n = paging::requested(&pq);
    let (limit, offset) = paging::window(n, paging::PER_PAGE);
    let v = part::public_view(&s.store, id, today(), limit, offset).await?;
    Ok(Json(
        json!({ "consultation": v, "page": n, "per_page": paging::PER_PAGE }),
    ))
}

/// `GET /api/v1/consultations/challenge` (anyone): a question to answer with a submission.
pub async fn api_challenge(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
) -> Result<Json<Value>, AppError> {
    let c = part::issue_challenge(&s.store, &auth.peer).await?;
    Ok(Json(
        json!({ "challenge": c.token, "question": c.question, "expires_in_minutes": part::CHALLENGE_MINUTES }),
    ))
}

fn csrf_of(headers: &HeaderMap) -> Option<&str> {
    headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok())
}

/// `POST /api/v1/consultations` (staff): publishes a draft (documents go through the form).
pub async fn api_create(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    headers: HeaderMap,
    body: Result<Json<Draft>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    staff_write(
        &s,
        &auth,
        "consultation.create",
        "consultation:new",
        csrf_of(&headers),
    )
    .await?;
    let d = body.map_err(|r| AppError::rejected_body(&r.body_text()))?.0;
    let c = create(&s, &auth, &d, &[], csrf_of(&headers)).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "consultation": consultation_json(&c) })),
    ))
}

/// Body of `POST /api/v1/consultations/{id}/revise`.
#[derive(Debug, Deserialize, Default)]
pub struct ReviseBody {
    /// The new revision's fields.
    #[serde(flatten)]
    pub draft: Draft,
    /// Why.
    #[serde(default)]
    pub reason: String,
}

/// `POST /api/v1/consultations/{id}/revise` (staff): a new revision with `reason`.
pub async fn api_revise(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Option<Json<ReviseBody>>,
) -> Result<Json<Value>, AppError> {
    let b = body.map(|b| b.0).unwrap_or_default();
    let c = revise(&s, &auth, id, &b.draft, &b.reason, &[], csrf_of(&headers)).await?;
    Ok(Json(json!({ "consultation": consultation_json(&c) })))
}

/// `GET /api/v1/consultations/{id}/comments` (staff): every comment, names and contacts masked
/// (`state`, `page`).
pub async fn api_comments(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    Query(q): Query<CommentQuery>,
    Query(pq): Query<paging::PageQuery>,
) -> Result<Json<Value>, AppError> {
    let n = paging::requested(&pq);
    let (limit, offset) = paging::window(n, paging::PER_PAGE);
    let state = q.state.as_deref().map(str::trim).filter(|v| !v.is_empty());
    let paged =
        match part::staff_comments(&s.store, auth.user.as_ref(), id, state, limit, offset).await {
            Ok(p) => p,
            Err(e) => {
                return Err(refuse_app(
                    &s,
                    &auth,
                    "page.view",
                    format!("page:/api/v1/consultations/{id}/comments"),
                    e,
                    None,
                )
                .await);
            }
        };
    let mut items = Vec::with_capacity(paged.items.len());
    for m in &paged.items {
        items.push(comment_json(&s, m).await?);
    }
    Ok(Json(
        json!({ "comments": items, "total": paged.total, "page": n, "per_page": paging::PER_PAGE }),
    ))
}

/// `POST /api/v1/consultations/{id}/comments` (anyone, during the period): `body`, optional
/// `name` and `contact`, `challenge` and `challenge_answer`.
pub async fn api_comment(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Result<Json<CommentInput>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let input = body.map_err(|r| AppError::rejected_body(&r.body_text()))?.0;
    let m = submit_comment(&s, &auth, id, &input, csrf_of(&headers)).await?;
    Ok((
        StatusCode::CREATED,
        Json(
            json!({ "comment": m.id, "state": m.state, "state_label": labels::comment_state(&m.state) }),
        ),
    ))
}

/// Body of `POST /api/v1/consultations/{id}/decisions`.
#[derive(Debug, Deserialize, Default)]
pub struct DecideBody {
    /// The comments handled alike.
    #[serde(default)]
    pub comments: Vec<i64>,
    /// adopted, partly or rejected.
    #[serde(default)]
    pub decision: String,
    /// Why.
    #[serde(default)]
    pub reason: String,
}

/// `POST /api/v1/consultations/{id}/decisions` (staff): how a comment or a group was handled.
pub async fn api_decide(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Option<Json<DecideBody>>,
) -> Result<Json<Value>, AppError> {
    let b = body.map(|b| b.0).unwrap_or_default();
    decide(
        &s,
        &auth,
        id,
        &b.comments,
        &b.decision,
        &b.reason,
        csrf_of(&headers),
    )
    .await?;
    let counts = s.store.consultation_comment_counts(id).await?;
    Ok(Json(json!({ "counts": counts })))
}

/// `POST /api/v1/consultations/{id}/summary` (staff): publishes `summary`.
pub async fn api_summary(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Option<Json<SummaryBody>>,
) -> Result<Json<Value>, AppError> {
    let b = body.map(|b| b.0).unwrap_or_default();
    let c = summary(&s, &auth, id, &b.summary, csrf_of(&headers)).await?;
    Ok(Json(json!({ "consultation": consultation_json(&c) })))
}

/// Body of `POST /api/v1/consultations/comments/{id}/moderate`.
#[derive(Debug, Deserialize, Default)]
pub struct ModerateBody {
    /// true: publish; false: hide.
    #[serde(default)]
    pub publish: bool,
    /// Why (required to hide).
    #[serde(default)]
    pub reason: Option<String>,
}

/// `POST /api/v1/consultations/comments/{id}/moderate` (staff): publishes or hides a comment.
pub async fn api_moderate(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Option<Json<ModerateBody>>,
) -> Result<Json<Value>, AppError> {
    let b = body.map(|b| b.0).unwrap_or_default();
    let m = moderate(
        &s,
        &auth,
        id,
        b.publish,
        b.reason.as_deref(),
        csrf_of(&headers),
    )
    .await?;
    Ok(Json(json!({ "comment": comment_json(&s, &m).await? })))
}

/// `GET /api/v1/consultations/comments/{id}/contact` (staff): the whole name and contact of
/// a comment; each viewing is audited.
pub async fn api_contact(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    match part::comment_private(&s.store, auth.user.as_ref(), &auth.actor(), id).await {
        Ok((name, contact)) => Ok(Json(json!({ "name": name, "contact": contact }))),
        Err(e) => Err(refuse_app(
            &s,
            &auth,
            "consultation.contact_view",
            format!("consultation_comment:{id}"),
            e,
            None,
        )
        .await),
    }
}

/// Year of the questionnaire's results.
#[derive(Debug, Deserialize, Default)]
pub struct YearQuery {
    /// The year; this year when absent.
    pub year: Option<String>,
}

/// `GET /api/v1/consultations/satisfaction` (anyone): the questionnaire and a year's results.
pub async fn api_satisfaction(
    State(s): State<AppState>,
    Query(q): Query<YearQuery>,
) -> Result<Json<Value>, AppError> {
    let year = match q.year.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => today().year(),
        Some(y) => y
            .parse::<i32>()
            .ok()
            .filter(|y| (2000..=2100).contains(y))
            .ok_or_else(|| AppError::invalid("year", format!("「{y}」不是有效的年份")))?,
    };
    let qn = part::questionnaire()?;
    let r = part::results(&s.store, year).await?;
    Ok(Json(json!({ "questionnaire": qn, "results": r })))
}

/// Body of `POST /api/v1/consultations/satisfaction`.
#[derive(Debug, Deserialize, Default)]
pub struct AnswerBody {
    /// Question id → choice id.
    #[serde(default)]
    pub answers: std::collections::BTreeMap<String, String>,
    /// The challenge's token.
    #[serde(default)]
    pub challenge: String,
    /// Its answer.
    #[serde(default)]
    pub challenge_answer: String,
}

/// `POST /api/v1/consultations/satisfaction` (anyone): a filled questionnaire.
pub async fn api_satisfaction_answer(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    headers: HeaderMap,
    body: Result<Json<AnswerBody>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let b = body.map_err(|r| AppError::rejected_body(&r.body_text()))?.0;
    let answers: Vec<(String, String)> = b.answers.into_iter().collect();
    let id = submit_answers(
        &s,
        &auth,
        &answers,
        &b.challenge,
        &b.challenge_answer,
        csrf_of(&headers),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(json!({ "response": id }))))
}
