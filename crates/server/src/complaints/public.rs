//! The citizen's side of the complaints desk, without signing in: the report form with its
//! challenge and photos, the receipt with the tracking code, following a case by its code and
//! rating the reply, the desk's public figures; and the same as JSON under
//! `/api/v1/complaints/…`. Nothing here shows contact details or photo metadata.

use axum::extract::{Multipart, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::{Extension, Form, Json};
use chrono::{Datelike, Utc};
use minijinja::context;
use qingshan_app::complaints::{self, Submission, SubmitOutcome};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::web::audit::{refuse, refuse_app};
use crate::web::auth::Auth;
use crate::web::error::AppError;
use crate::web::page::PageError;
use crate::web::public::render_public;
use crate::web::query::Query;
use crate::web::upload::read_evidence_form;

/// Renders a page of the desk in the public layout (no user, no CSRF token: the same for
/// everyone), with the portal's navigation on 投诉举报.
fn public(s: &AppState, name: &str, ctx: minijinja::Value) -> Result<Response, PageError> {
    let html = render_public(
        name,
        s,
        context! { ..ctx, ..context! { nav_current => "/public/complaints" } },
    )?;
    Ok(Html(html).into_response())
}

fn no_store(mut r: Response) -> Response {
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    r
}

fn counties(s: &AppState) -> Vec<Value> {
    s.plan
        .divisions
        .iter()
        .filter(|d| d.level == qingshan_plan::DivisionLevel::County)
        .map(|d| json!({ "code": d.code, "name": d.name }))
        .collect()
}

fn categories() -> Vec<Value> {
    complaints::CATEGORIES
        .iter()
        .map(|c| json!({ "code": c, "label": qingshan_store::labels::complaint_category(c) }))
        .collect()
}

/// `GET /public/complaints/new`: the report form with a fresh challenge (never cached).
pub async fn new_page(State(s): State<AppState>) -> Result<Response, PageError> {
    let ch = complaints::new_challenge(&s.store, Utc::now()).await?;
    let max = s.config.evidence_max_bytes.min(complaints::MAX_PHOTO_BYTES);
    let r = public(
        &s,
        "complaint_new.html",
        context! { challenge => ch, counties => counties(&s), categories => categories(),
        max_photo => qingshan_app::evidence::fmt_size(max as u64), max_photos => complaints::MAX_PHOTOS },
    )?;
    Ok(no_store(r))
}

fn submission_of(f: &std::collections::HashMap<String, String>) -> Submission {
    let get = |n: &str| f.get(n).cloned();
    Submission {
        category: get("category").unwrap_or_default(),
        description: get("description").unwrap_or_default(),
        address: get("address"),
        longitude: get("longitude"),
        latitude: get("latitude"),
        county: get("county"),
        occurred_at: get("occurred_at"),
        anonymous: get("anonymous").is_some_and(|v| v == "1" || v == "on" || v == "true"),
        contact_name: get("contact_name"),
        phone: get("phone"),
        email: get("email"),
        challenge: get("challenge").unwrap_or_default(),
        answer: get("answer").unwrap_or_default(),
    }
}

async fn file(
    s: &AppState,
    auth: &Auth,
    sub: &Submission,
    photos: &[qingshan_store::NewPhoto],
) -> Result<complaints::Receipt, AppError> {
    let target = "complaint:new".to_string();
    match complaints::submit(
        &s.store,
        &s.plan,
        &auth.actor(),
        &auth.peer,
        sub,
        photos,
        &s.config.complaints,
        Utc::now(),
    )
    .await
    {
        Ok(SubmitOutcome::Filed(r)) => Ok(r),
        Ok(SubmitOutcome::RateLimited) => {
            let minutes = (s.config.complaints.window_secs + 59) / 60;
            Err(refuse(
                s,
                auth,
                "complaint.submit",
                target,
                AppError::TooManyAttempts(minutes.max(1)),
                None,
            )
            .await)
        }
        Err(e) => Err(refuse_app(s, auth, "complaint.submit", target, e, None).await),
    }
}

/// `POST /public/complaints/new` (multipart, anyone): files the report and shows the tracking
/// code once. The 11th report in a minute from one address is refused (429).
pub async fn submit_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    mp: Multipart,
) -> Result<Response, PageError> {
    let mut up = read_evidence_form(mp, s.config.evidence_max_bytes).await?;
    let files = std::mem::take(&mut up.files);
    let checked = qingshan_app::evidence::check_files(files, s.config.evidence_max_bytes)
        .map_err(|b| b.0)
        .and_then(|f| complaints::check_photos(f, s.config.evidence_max_bytes));
    let photos = match checked {
        Ok(p) => p,
        Err(e) => {
            return Err(refuse_app(
                &s,
                &auth,
                "complaint.submit",
                "complaint:new".into(),
                e,
                None,
            )
            .await
            .into());
        }
    };
    let sub = submission_of(&up.fields);
    let receipt = file(&s, &auth, &sub, &photos).await?;
    let r = public(
        &s,
        "complaint_receipt.html",
        context! { receipt, photos => photos.len(), anonymous => sub.anonymous },
    )?;
    Ok(no_store(r))
}

/// The tracking form's fields.
#[derive(Debug, Deserialize, Default)]
pub struct TrackForm {
    /// The tracking code.
    #[serde(default)]
    pub code: Option<String>,
    /// A rating 1–5 (rating form).
    #[serde(default)]
    pub rating: Option<String>,
    /// A comment (rating form).
    #[serde(default)]
    pub comment: Option<String>,
}

/// `GET /public/complaints/track`: the form asking for the tracking code.
pub async fn track_page(State(s): State<AppState>) -> Result<Response, PageError> {
    let r = public(
        &s,
        "complaint_track.html",
        context! { t => Value::Null, code => "" },
    )?;
    Ok(no_store(r))
}

/// `POST /public/complaints/track` (anyone): the case a tracking code belongs to. Sent in the
/// body, so the code stays out of addresses, histories and logs.
pub async fn track_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Form(f): Form<TrackForm>,
) -> Result<Response, PageError> {
    let code = f.code.unwrap_or_default();
    let t = match complaints::track(&s.store, &s.plan, &code).await {
        Ok(t) => t,
        Err(e) => {
            return Err(refuse_app(
                &s,
                &auth,
                "complaint.track",
                "complaint:track".into(),
                e,
                None,
            )
            .await
            .into());
        }
    };
    let r = public(
        &s,
        "complaint_track.html",
        context! { t, code => code.trim() },
    )?;
    Ok(no_store(r))
}

/// `POST /public/complaints/rate` (anyone with the code): rates the reply once.
pub async fn rate_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Form(f): Form<TrackForm>,
) -> Result<Response, PageError> {
    let code = f.code.unwrap_or_default();
    let t = match complaints::rate(
        &s.store,
        &s.plan,
        &auth.actor(),
        &code,
        f.rating.as_deref().unwrap_or(""),
        f.comment.as_deref(),
    )
    .await
    {
        Ok(t) => t,
        Err(e) => {
            return Err(refuse_app(
                &s,
                &auth,
                "complaint.rate",
                "complaint:track".into(),
                e,
                None,
            )
            .await
            .into());
        }
    };
    let r = public(
        &s,
        "complaint_track.html",
        context! { t, code => code.trim(), rated => true },
    )?;
    Ok(no_store(r))
}

/// The year of the public figures.
#[derive(Debug, Deserialize, Default)]
pub struct YearQuery {
    /// The year (this year in Beijing by default).
    pub year: Option<i32>,
}

/// `GET /public/complaints` (anyone): the desk's figures this year and the latest closed cases.
pub async fn public_page(
    State(s): State<AppState>,
    Query(q): Query<YearQuery>,
) -> Result<Response, PageError> {
    let year = q
        .year
        .unwrap_or_else(|| qingshan_app::beijing::today().year());
    let stats = complaints::public_stats(&s.store, &s.plan, year).await?;
    let cases = complaints::published(&s.store, &s.plan, 50).await?;
    public(&s, "complaints_public.html", context! { stats, cases })
}

/// `GET /api/v1/complaints/stats` (anyone): the year's figures and the latest closed cases.
pub async fn api_stats(
    State(s): State<AppState>,
    Query(q): Query<YearQuery>,
) -> Result<Json<Value>, AppError> {
    let year = q
        .year
        .unwrap_or_else(|| qingshan_app::beijing::today().year());
    let stats = complaints::public_stats(&s.store, &s.plan, year).await?;
    let cases = complaints::published(&s.store, &s.plan, 50).await?;
    Ok(Json(json!({ "stats": stats, "published": cases })))
}

/// `GET /api/v1/complaints/challenge` (anyone): a question and its token for one submission.
pub async fn api_challenge(State(s): State<AppState>) -> Result<Response, AppError> {
    let ch = complaints::new_challenge(&s.store, Utc::now()).await?;
    Ok(no_store(Json(json!(ch)).into_response()))
}

/// Body of `POST /api/v1/complaints/submissions`.
#[derive(Debug, Deserialize, Default)]
pub struct SubmitBody {
    /// Category code.
    #[serde(default)]
    pub category: String,
    /// What happened.
    #[serde(default)]
    pub description: String,
    /// Where.
    #[serde(default)]
    pub address: Option<String>,
    /// WGS-84 longitude.
    #[serde(default)]
    pub longitude: Option<String>,
    /// WGS-84 latitude.
    #[serde(default)]
    pub latitude: Option<String>,
    /// County code.
    #[serde(default)]
    pub county: Option<String>,
    /// When.
    #[serde(default)]
    pub occurred_at: Option<String>,
    /// Anonymous.
    #[serde(default)]
    pub anonymous: bool,
    /// Name.
    #[serde(default)]
    pub contact_name: Option<String>,
    /// Telephone.
    #[serde(default)]
    pub phone: Option<String>,
    /// E-mail.
    #[serde(default)]
    pub email: Option<String>,
    /// The challenge token.
    #[serde(default)]
    pub challenge: String,
    /// The answer.
    #[serde(default)]
    pub answer: String,
}

/// `POST /api/v1/complaints/submissions` (anyone): files a report (photos go through the form);
/// 201 with the case number and the tracking code, 429 past the rate limit.
pub async fn api_submit(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    body: Result<Json<SubmitBody>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let b = body.map_err(|r| AppError::rejected_body(&r.body_text()))?.0;
    let sub = Submission {
        category: b.category,
        description: b.description,
        address: b.address,
        longitude: b.longitude,
        latitude: b.latitude,
        county: b.county,
        occurred_at: b.occurred_at,
        anonymous: b.anonymous,
        contact_name: b.contact_name,
        phone: b.phone,
        email: b.email,
        challenge: b.challenge,
        answer: b.answer,
    };
    let r = file(&s, &auth, &sub, &[]).await?;
    Ok((StatusCode::CREATED, Json(json!(r))))
}

/// Body of the tracking and rating calls.
#[derive(Debug, Deserialize, Default)]
pub struct TrackBody {
    /// The tracking code.
    #[serde(default)]
    pub code: String,
    /// 1–5 (rating).
    #[serde(default)]
    pub rating: Option<i64>,
    /// Comment (rating).
    #[serde(default)]
    pub comment: Option<String>,
}

/// `POST /api/v1/complaints/track` (anyone with the code): the case as its complainant sees it.
pub async fn api_track(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    body: Option<Json<TrackBody>>,
) -> Result<Response, AppError> {
    let b = body.map(|b| b.0).unwrap_or_default();
    match complaints::track(&s.store, &s.plan, &b.code).await {
        Ok(t) => Ok(no_store(Json(json!(t)).into_response())),
        Err(e) => Err(refuse_app(
            &s,
            &auth,
            "complaint.track",
            "complaint:track".into(),
            e,
            None,
        )
        .await),
    }
}

/// `POST /api/v1/complaints/rate` (anyone with the code): `rating` 1–5 and `comment`.
pub async fn api_rate(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    body: Option<Json<TrackBody>>,
) -> Result<Response, AppError> {
    let b = body.map(|b| b.0).unwrap_or_default();
    let rating = b.rating.map(|r| r.to_string()).unwrap_or_default();
    match complaints::rate(
        &s.store,
        &s.plan,
        &auth.actor(),
        &b.code,
        &rating,
        b.comment.as_deref(),
    )
    .await
    {
        Ok(t) => Ok(no_store(Json(json!(t)).into_response())),
        Err(e) => Err(refuse_app(
            &s,
            &auth,
            "complaint.rate",
            "complaint:track".into(),
            e,
            None,
        )
        .await),
    }
}
