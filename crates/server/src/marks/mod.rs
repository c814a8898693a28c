//! 数据标记 on the web: the list of marks with its filters, the form that files a mark with its
//! evidence files, a mark's page with the staff's review (认可/驳回), and the JSON API
//! `/api/v1/marks`. The rules (who may file or review, late, 疑似虚假标记, re-judgement) are in
//! `qingshan_app::marks`.

use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Json, Router};
use chrono::Utc;
use minijinja::context;
use qingshan_app::marks::{self, MarkInput};
use qingshan_app::supervisor::SupervisorConfig;
use qingshan_store::{DataMark, DataMarkFilter, labels};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::web::audit::refuse;
use crate::web::auth::{Auth, CSRF_HEADER};
use crate::web::error::AppError;
use crate::web::page::{PageError, page};
use crate::web::paging;
use crate::web::query::Query;
use crate::web::upload::read_evidence_form;

/// The pages and API of data marks; `max_file` is the evidence file limit.
pub fn routes(max_file: usize) -> Router<AppState> {
    Router::new()
        .route("/marks", get(list_page))
        .route(
            "/marks/new",
            get(new_page)
                .post(new_submit)
                .layer(axum::extract::DefaultBodyLimit::max(
                    qingshan_app::evidence::body_limit(max_file),
                )),
        )
        .route("/marks/{id}", get(mark_page))
        .route("/marks/{id}/{action}", post(review_form))
        .route("/marks/evidence/{id}", get(evidence_download))
        .route("/api/v1/marks", get(api_list).post(api_file))
        .route("/api/v1/marks/rule", get(api_rule))
        .route("/api/v1/marks/{id}", get(api_get))
        .route("/api/v1/marks/{id}/{action}", post(api_review))
}

fn mark_json(m: &DataMark) -> Value {
    let mut v = serde_json::to_value(m).unwrap_or(Value::Null);
    if let Value::Object(o) = &mut v {
        o.insert("kind_label".into(), json!(labels::mark_kind(&m.kind)));
        o.insert("state_label".into(), json!(labels::mark_state(&m.state)));
    }
    v
}

/// Filters of the list (all optional).
#[derive(Debug, Deserialize, Default)]
pub struct ListQuery {
    /// County (staff only; county officials always see their own).
    pub county: Option<String>,
    /// Device MN.
    pub mn: Option<String>,
    /// Kind code.
    pub kind: Option<String>,
    /// State: pending, accepted, rejected.
    pub state: Option<String>,
    /// `1`: late ones only; `0`: in time only.
    pub late: Option<String>,
    /// `1`: 疑似虚假标记 only; `0`: the others.
    pub suspicious: Option<String>,
}

fn yes_no(field: &str, v: Option<&str>) -> Result<Option<bool>, AppError> {
    match v.map(str::trim).unwrap_or("") {
        "" => Ok(None),
        "1" | "true" => Ok(Some(true)),
        "0" | "false" => Ok(Some(false)),
        _ => Err(AppError::invalid(field, "应为 1（是）或 0（否）")),
    }
}

fn filter_of(q: &ListQuery) -> Result<DataMarkFilter, AppError> {
    let some = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    if let Some(st) = some(&q.state)
        && !matches!(st.as_str(), "pending" | "accepted" | "rejected")
    {
        return Err(AppError::invalid(
            "state",
            "应为 pending、accepted 或 rejected",
        ));
    }
    Ok(DataMarkFilter {
        division_code: some(&q.county),
        mn: some(&q.mn),
        kind: some(&q.kind),
        state: some(&q.state),
        late: yes_no("late", q.late.as_deref())?,
        suspicious: yes_no("suspicious", q.suspicious.as_deref())?,
        credit_code: None,
    })
}

fn kinds_json() -> Vec<Value> {
    labels::marking_rule()
        .map(|r| {
            r.kinds
                .iter()
                .map(|k| json!({ "code": k.code, "name": k.name, "category": k.category_label() }))
                .collect()
        })
        .unwrap_or_default()
}

/// `GET /marks`: the marks the user may see, newest first, filtered and paged.
pub async fn list_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<ListQuery>,
    Query(pq): Query<paging::PageQuery>,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Result<Response, PageError> {
    if let Err(e) = marks::may_use_marks(auth.user.as_ref()) {
        return Err(
            refuse(&s, &auth, "page.view", "page:/marks".into(), e.into(), None)
                .await
                .into(),
        );
    }
    let filter = filter_of(&q)?;
    let n = paging::requested(&pq);
    let (limit, offset) = paging::window(n, paging::PER_PAGE);
    let paged = marks::list(&s.store, auth.user.as_ref(), filter.clone(), limit, offset).await?;
    let pager = paging::Pager::new(n, paging::PER_PAGE, paged.total, "/marks", raw.as_deref());
    let list: Vec<Value> = paged.items.iter().map(mark_json).collect();
    let counties: Vec<Value> = if auth.is_staff() {
        s.plan
            .divisions
            .iter()
            .filter(|d| d.level == qingshan_plan::DivisionLevel::County)
            .map(|d| json!({ "code": d.code, "name": d.name }))
            .collect()
    } else {
        Vec::new()
    };
    page(
        "marks.html",
        &auth,
        &s,
        context! { marks => list, q => json!({
            "county": filter.division_code, "mn": filter.mn, "kind": filter.kind, "state": filter.state,
            "late": q.late.unwrap_or_default(), "suspicious": q.suspicious.unwrap_or_default(),
        }), counties, kinds => kinds_json(), pager, total => paged.total },
    )
}

/// `?mn=` of the new-mark form.
#[derive(Debug, Deserialize, Default)]
pub struct NewQuery {
    /// Device MN to mark.
    pub mn: Option<String>,
}

fn new_form(
    s: &AppState,
    auth: &Auth,
    values: Value,
    error: Option<String>,
) -> Result<Response, PageError> {
    let max = s.config.evidence_max_bytes as u64;
    page(
        "mark_new.html",
        auth,
        s,
        context! { v => values, error, kinds => kinds_json(),
        accept => qingshan_app::evidence::ACCEPT_ATTR, accepted => qingshan_app::evidence::ACCEPTED_LABEL,
        max_file => qingshan_app::evidence::fmt_size(max), max_files => qingshan_app::evidence::MAX_FILES },
    )
}

/// `GET /marks/new?mn=…`: the form that files a mark.
pub async fn new_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<NewQuery>,
) -> Result<Response, PageError> {
    if let Err(e) = marks::may_use_marks(auth.user.as_ref()) {
        return Err(refuse(
            &s,
            &auth,
            "page.view",
            "page:/marks/new".into(),
            e.into(),
            None,
        )
        .await
        .into());
    }
    new_form(&s, &auth, json!({ "mn": q.mn.unwrap_or_default() }), None)
}

fn input_of(
    mn: &str,
    factor: &str,
    kind: &str,
    start: &str,
    end: &str,
    reason: &str,
) -> Result<MarkInput, qingshan_app::Error> {
    if mn.trim().is_empty() {
        return Err(qingshan_app::Error::invalid("mn", "请填写设备 MN"));
    }
    let start = marks::parse_time("start", start)?;
    let end = match end.trim() {
        "" => None,
        e => Some(marks::parse_time("end", e)?),
    };
    Ok(MarkInput {
        mn: mn.trim().to_string(),
        factor: factor.trim().to_string(),
        kind: kind.trim().to_string(),
        start,
        end,
        reason: reason.to_string(),
    })
}

/// Files a mark for the signed-in user, auditing refusals (`data_mark.file`).
async fn file(
    s: &AppState,
    auth: &Auth,
    input: Result<MarkInput, qingshan_app::Error>,
    files: Vec<qingshan_store::NewEvidence>,
) -> Result<DataMark, AppError> {
    let target = "data_mark:new".to_string();
    let input = match input {
        Ok(i) => i,
        Err(e) => return Err(refuse(s, auth, "data_mark.file", target, e.into(), None).await),
    };
    let cfg = SupervisorConfig::default();
    let filed = marks::file_mark(
        &s.store,
        auth.user.as_ref(),
        &auth.actor(),
        &input,
        &files,
        Utc::now(),
        &cfg.marking,
        cfg.device_utc_offset_secs,
    )
    .await;
    match filed {
        Ok(m) => Ok(m),
        Err(
            e @ (qingshan_app::Error::Forbidden(_)
            | qingshan_app::Error::Unauthenticated
            | qingshan_app::Error::Invalid { .. }),
        ) => Err(refuse(
            s,
            auth,
            "data_mark.file",
            format!("device:{}", input.mn),
            e.into(),
            Some(input.reason.clone()),
        )
        .await),
        Err(e) => Err(e.into()),
    }
}

/// `POST /marks/new` (multipart: the form's fields and up to ten evidence files).
pub async fn new_submit(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    mp: Multipart,
) -> Result<Response, PageError> {
    let up = read_evidence_form(mp, s.config.evidence_max_bytes).await?;
    let f = |k: &str| up.fields.get(k).cloned().unwrap_or_default();
    if let Err(e) = auth.check_csrf(up.fields.get("csrf_token").map(String::as_str)) {
        return Err(
            refuse(&s, &auth, "data_mark.file", "data_mark:new".into(), e, None)
                .await
                .into(),
        );
    }
    let values = json!({ "mn": f("mn"), "factor": f("factor"), "kind": f("kind"), "start": f("start"), "end": f("end"), "reason": f("reason") });
    let files = match qingshan_app::evidence::check_files(up.files, s.config.evidence_max_bytes) {
        Ok(v) => v,
        Err(b) => {
            let (e, name) = *b;
            let err = refuse(
                &s,
                &auth,
                "data_mark.evidence",
                "data_mark:new".into(),
                e.into(),
                name,
            )
            .await;
            return new_form(&s, &auth, values, Some(err.to_string()));
        }
    };
    let input = input_of(
        &f("mn"),
        &f("factor"),
        &f("kind"),
        &f("start"),
        &f("end"),
        &f("reason"),
    );
    match file(&s, &auth, input, files).await {
        Ok(m) => Ok(Redirect::to(&format!("/marks/{}", m.id)).into_response()),
        Err(e @ AppError::Invalid { .. }) => new_form(&s, &auth, values, Some(e.to_string())),
        Err(e) => Err(e.into()),
    }
}

/// `GET /marks/{id}`: a mark, its evidence and, for staff, the review forms.
pub async fn mark_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let m = match marks::get(&s.store, auth.user.as_ref(), id).await {
        Ok(m) => m,
        Err(e @ (qingshan_app::Error::Forbidden(_) | qingshan_app::Error::Unauthenticated)) => {
            return Err(refuse(
                &s,
                &auth,
                "page.view",
                format!("page:/marks/{id}"),
                e.into(),
                None,
            )
            .await
            .into());
        }
        Err(e) => return Err(AppError::from(e).into()),
    };
    let evidence = s.store.data_mark_evidence(id).await?;
    let kind = labels::marking_rule()
        .and_then(|r| r.kind(&m.kind))
        .cloned();
    let kind_category = kind.as_ref().map(|k| k.category_label());
    let may_review = marks::may_review_mark(auth.user.as_ref()).is_ok() && m.state == "pending";
    page(
        "mark.html",
        &auth,
        &s,
        context! { m => mark_json(&m), evidence, kind, kind_category, may_review },
    )
}

/// The review form's fields.
#[derive(Debug, Deserialize)]
pub struct ReviewForm {
    /// CSRF token.
    pub csrf_token: Option<String>,
    /// Review note; required for a rejection.
    pub note: Option<String>,
}

async fn review(
    s: &AppState,
    auth: &Auth,
    id: i64,
    action: &str,
    note: Option<&str>,
    csrf: Option<&str>,
) -> Result<marks::Reviewed, AppError> {
    let accept = match action {
        "accept" => true,
        "reject" => false,
        _ => return Err(AppError::NotFound("没有此操作".into())),
    };
    let audit_action = if accept {
        "data_mark.accept"
    } else {
        "data_mark.reject"
    };
    let target = format!("data_mark:{id}");
    let check = marks::may_review_mark(auth.user.as_ref())
        .map_err(AppError::from)
        .and_then(|_| auth.check_csrf(csrf));
    if let Err(e) = check {
        return Err(refuse(s, auth, audit_action, target, e, note.map(str::to_string)).await);
    }
    let cfg = SupervisorConfig::default();
    match marks::review(
        &s.store,
        auth.user.as_ref(),
        &auth.actor(),
        id,
        accept,
        note,
        Utc::now(),
        &cfg,
    )
    .await
    {
        Ok(r) => Ok(r),
        Err(e @ (qingshan_app::Error::Invalid { .. } | qingshan_app::Error::Conflict(_))) => {
            Err(refuse(
                s,
                auth,
                audit_action,
                target,
                e.into(),
                note.map(str::to_string),
            )
            .await)
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /marks/{id}/accept` and `/marks/{id}/reject` (forms; staff).
pub async fn review_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path((id, action)): Path<(i64, String)>,
    Form(f): Form<ReviewForm>,
) -> Result<Response, PageError> {
    review(
        &s,
        &auth,
        id,
        &action,
        f.note.as_deref(),
        f.csrf_token.as_deref(),
    )
    .await?;
    Ok(Redirect::to(&format!("/marks/{id}")).into_response())
}

/// `GET /marks/evidence/{id}`: an evidence file of a mark the user may see.
pub async fn evidence_download(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let Some((meta, content)) = s.store.data_mark_evidence_file(id).await? else {
        return Err(AppError::NotFound(format!("没有编号为 {id} 的佐证材料")).into());
    };
    if let Err(e) = marks::get(&s.store, auth.user.as_ref(), meta.mark_id).await {
        return Err(refuse(
            &s,
            &auth,
            "page.view",
            format!("page:/marks/evidence/{id}"),
            e.into(),
            None,
        )
        .await
        .into());
    }
    Ok(crate::web::download::stored_file(
        content,
        &meta.content_type,
        &meta.file_name,
    )?)
}

/// `GET /api/v1/marks`: marks the user may see, newest first, with the list's filters and
/// `page`.
pub async fn api_list(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<ListQuery>,
    Query(pq): Query<paging::PageQuery>,
) -> Result<Json<Value>, AppError> {
    let filter = filter_of(&q)?;
    let n = paging::requested(&pq);
    let (limit, offset) = paging::window(n, paging::PER_PAGE);
    let paged = marks::list(&s.store, auth.user.as_ref(), filter, limit, offset).await?;
    let items: Vec<Value> = paged.items.iter().map(mark_json).collect();
    Ok(Json(
        json!({ "marks": items, "total": paged.total, "page": n, "per_page": paging::PER_PAGE }),
    ))
}

/// `GET /api/v1/marks/rule`: the marking rule in force (mark kinds, time limits, treatment,
/// sources) and the settings of its unconfirmed details.
pub async fn api_rule() -> Result<Json<Value>, AppError> {
    let rule = marks::rule()?;
    let o = SupervisorConfig::default().marking;
    Ok(Json(json!({ "rule": rule, "options": {
        "filing_hours": o.filing_hours, "pending_counts": o.pending_counts,
        "contradiction_percent": o.contradiction_percent, "flow_factors": o.flow_factors,
    } })))
}

/// `GET /api/v1/marks/{id}`: one mark with its evidence files.
pub async fn api_get(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    let m = marks::get(&s.store, auth.user.as_ref(), id).await?;
    let evidence = s.store.data_mark_evidence(id).await?;
    Ok(Json(json!({ "mark": mark_json(&m), "evidence": evidence })))
}

/// Body of `POST /api/v1/marks`.
#[derive(Debug, Deserialize)]
pub struct FileBody {
    /// Device MN.
    pub mn: String,
    /// Factor code; empty or absent for the whole device.
    #[serde(default)]
    pub factor: String,
    /// Kind code (see `/api/v1/marks/rule`).
    pub kind: String,
    /// Start: RFC 3339, or Beijing time `YYYY-MM-DD HH:MM`.
    pub start: String,
    /// End, same forms; absent while it goes on.
    #[serde(default)]
    pub end: Option<String>,
    /// Reason.
    pub reason: String,
}

/// `POST /api/v1/marks` (JSON; evidence files are attached through the form).
pub async fn api_file(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    headers: HeaderMap,
    body: Result<Json<FileBody>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let csrf = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    if let Err(e) = auth.check_csrf(csrf) {
        return Err(refuse(&s, &auth, "data_mark.file", "data_mark:new".into(), e, None).await);
    }
    let b = body.map_err(|r| AppError::rejected_body(&r.body_text()))?.0;
    let input = input_of(
        &b.mn,
        &b.factor,
        &b.kind,
        &b.start,
        b.end.as_deref().unwrap_or(""),
        &b.reason,
    );
    let m = file(&s, &auth, input, Vec::new()).await?;
    Ok((StatusCode::CREATED, Json(json!({ "mark": mark_json(&m) }))))
}

/// Body of a review request.
#[derive(Debug, Deserialize, Default)]
pub struct ReviewBody {
    /// Review note; required for a rejection.
    #[serde(default)]
    pub note: Option<String>,
}

/// `POST /api/v1/marks/{id}/accept` and `/reject` with `{"note": "…"}` (staff). A rejection
/// answers with the re-judgement: the alarms raised or updated for the mark's hours.
pub async fn api_review(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path((id, action)): Path<(i64, String)>,
    headers: HeaderMap,
    body: Option<Json<ReviewBody>>,
) -> Result<Json<Value>, AppError> {
    let csrf = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    let note = body.and_then(|b| b.0.note);
    let r = review(&s, &auth, id, &action, note.as_deref(), csrf).await?;
    Ok(Json(
        json!({ "mark": mark_json(&r.mark), "rejudged": r.rejudged }),
    ))
}
