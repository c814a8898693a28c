//! The JSON API under `/api/v1`: the plan's data, values, tokens and the audit log.

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::{Extension, Json};
use qingshan_store::{AuditEntry, IndicatorValue, NewIndicatorValue};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::{Auth, CSRF_HEADER, new_token, token_hash, value_permission};
use crate::views::{indicator_view, indicator_views, latest_by_indicator, validate_value};
use crate::{AppError, AppState};

type ApiResult = Result<Json<Value>, AppError>;

/// `GET /plan`: the plan's metadata.
pub async fn plan(State(s): State<AppState>) -> ApiResult {
    Ok(Json(
        json!({ "plan": s.plan.meta, "categories": s.plan.categories() }),
    ))
}

/// `GET /indicators`: every indicator with targets and its latest city value.
pub async fn indicators(State(s): State<AppState>) -> ApiResult {
    let values = s.store.current_indicator_values(&s.plan.meta.id).await?;
    Ok(Json(
        json!({ "indicators": indicator_views(&s.plan, &values) }),
    ))
}

/// `GET /indicators/{number}`.
pub async fn indicator(State(s): State<AppState>, Path(number): Path<u32>) -> ApiResult {
    let ind = s
        .plan
        .indicator(number)
        .ok_or_else(|| AppError::NotFound(format!("没有第 {number} 项指标")))?;
    let values = s.store.current_indicator_values(&s.plan.meta.id).await?;
    let latest = latest_by_indicator(&values, &s.plan.meta.division).remove(&i64::from(number));
    Ok(Json(
        json!({ "indicator": indicator_view(&s.plan, ind, latest), "definition": ind }),
    ))
}

/// Query of the value history.
#[derive(Deserialize)]
pub struct HistoryQuery {
    /// Only this division.
    pub division: Option<String>,
}

/// `GET /indicators/{number}/values`: every revision, oldest first.
pub async fn indicator_values(
    State(s): State<AppState>,
    Path(number): Path<u32>,
    Query(q): Query<HistoryQuery>,
) -> ApiResult {
    s.plan
        .indicator(number)
        .ok_or_else(|| AppError::NotFound(format!("没有第 {number} 项指标")))?;
    let hist = s
        .store
        .indicator_value_history(&s.plan.meta.id, number.into(), q.division.as_deref())
        .await?;
    Ok(Json(json!({ "values": hist })))
}

/// Body of a value to record.
#[derive(Debug, Deserialize)]
pub struct ValueInput {
    /// Year the value describes.
    pub year: i64,
    /// GB/T 2260 code; defaults to the plan's own division.
    pub division: Option<String>,
    /// The value: a decimal string (exact) or a JSON number.
    pub value: Value,
    /// Note shown with the value.
    pub note: Option<String>,
    /// Why (for a revision).
    pub reason: Option<String>,
}

/// Audits a refused write and hands the error back.
pub(crate) async fn refuse(
    s: &AppState,
    auth: &Auth,
    action: &str,
    target: String,
    err: AppError,
    attempted: Option<String>,
) -> AppError {
    let mut e = AuditEntry::refused(
        &auth.actor(),
        action,
        target,
        format!("{}: {err}", err.kind()),
    );
    e.new_value = attempted;
    if let Err(store_err) = s.store.audit(&e).await {
        tracing::error!(%store_err, "could not audit a refused write");
    }
    err
}

/// Records an indicator value for the requester after every check; shared by form and API.
pub(crate) async fn record_value_checked(
    s: &AppState,
    auth: &Auth,
    number: u32,
    input: ValueInput,
    csrf: Option<&str>,
    source: &str,
) -> Result<IndicatorValue, AppError> {
    let action = "indicator_value.record";
    let division = input
        .division
        .clone()
        .unwrap_or_else(|| s.plan.meta.division.clone());
    let target = format!("indicator:{number} year:{} division:{division}", input.year);
    let value_text = match &input.value {
        Value::String(t) => t.clone(),
        Value::Number(n) => n.to_string(),
        other => other.to_string(),
    };
    let attempted = Some(value_text.clone());
    let user = match auth.require_user() {
        Ok(u) => u.clone(),
        Err(e) => return Err(refuse(s, auth, action, target, e, attempted).await),
    };
    if let Err(e) = auth.check_csrf(csrf) {
        return Err(refuse(s, auth, action, target, e, attempted).await);
    }
    let Some(ind) = s.plan.indicator(number) else {
        return Err(refuse(
            s,
            auth,
            action,
            target,
            AppError::NotFound(format!("没有第 {number} 项指标")),
            attempted,
        )
        .await);
    };
    if let Err(why) = value_permission(&user, ind, &division) {
        return Err(refuse(s, auth, action, target, AppError::Forbidden(why), attempted).await);
    }
    let value = match validate_value(&s.plan, ind, input.year, &division, &value_text) {
        Ok(v) => v,
        Err(e) => return Err(refuse(s, auth, action, target, e, attempted).await),
    };
    let note = input.note.filter(|n| !n.trim().is_empty());
    let reason = input.reason.filter(|n| !n.trim().is_empty());
    // A value computed from monitoring is not silently overwritten: only staff may correct it,
    // with a reason, and the correction is marked as such.
    let mut source = source.to_string();
    let latest_source = s
        .store
        .indicator_value_history(&s.plan.meta.id, number.into(), Some(&division))
        .await?
        .into_iter()
        .filter(|v| v.year == input.year)
        .max_by_key(|v| v.revision)
        .map(|v| v.source);
    if matches!(latest_source.as_deref(), Some("monitoring" | "correction")) {
        if !auth.is_staff() {
            let e = AppError::Forbidden("该数值由监测数据计算，只能由生态环境局复核更正".into());
            return Err(refuse(s, auth, action, target, e, attempted).await);
        }
        if reason.is_none() {
            return Err(refuse(
                s,
                auth,
                action,
                target,
                AppError::invalid("reason", "更正监测计算值须写明原因"),
                attempted,
            )
            .await);
        }
        source = "correction".into();
    }
    if note.as_ref().is_some_and(|n| n.chars().count() > 500)
        || reason.as_ref().is_some_and(|n| n.chars().count() > 500)
    {
        return Err(refuse(
            s,
            auth,
            action,
            target,
            AppError::invalid("note", "说明不超过 500 字"),
            attempted,
        )
        .await);
    }
    let new = NewIndicatorValue {
        plan_id: s.plan.meta.id.clone(),
        indicator_number: number.into(),
        year: input.year,
        division_code: division,
        value: value.to_string(),
        note,
        reason,
        source,
    };
    Ok(s.store.record_indicator_value(&new, &auth.actor()).await?)
}

/// `POST /indicators/{number}/values`: records a value (a new revision; nothing is overwritten).
pub async fn record_value(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(number): Path<u32>,
    headers: HeaderMap,
    body: Result<Json<ValueInput>, axum::extract::rejection::JsonRejection>,
) -> Result<(axum::http::StatusCode, Json<Value>), AppError> {
    let target = format!("indicator:{number}");
    let input = match body {
        Ok(Json(i)) => i,
        Err(rej) => {
            let err = AppError::invalid("body", rej.body_text());
            return Err(refuse(&s, &auth, "indicator_value.record", target, err, None).await);
        }
    };
    let csrf = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    let stored = record_value_checked(&s, &auth, number, input, csrf, "api").await?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(json!({ "value": stored })),
    ))
}

/// `GET /tasks`: the main tasks by area.
pub async fn tasks(State(s): State<AppState>) -> ApiResult {
    Ok(Json(
        json!({ "areas": s.plan.areas, "counties_carry_all_tasks": s.plan.meta.counties_carry_all_tasks }),
    ))
}

/// `GET /units`.
pub async fn units(State(s): State<AppState>) -> ApiResult {
    Ok(Json(json!({ "units": s.plan.units })))
}

/// `GET /divisions`.
pub async fn divisions(State(s): State<AppState>) -> ApiResult {
    Ok(Json(json!({ "divisions": s.plan.divisions })))
}

/// `GET /me`: the requester.
pub async fn me(Extension(auth): Extension<Auth>) -> ApiResult {
    let u = auth.require_user()?;
    Ok(Json(json!({ "user": u, "csrf_token": auth.csrf })))
}

/// Body of a token request.
#[derive(Debug, Deserialize)]
pub struct TokenInput {
    /// The user the token acts as.
    pub user_id: i64,
    /// What it is for.
    pub label: String,
}

/// `POST /tokens`: an administrator issues an API token to a user. The token is shown once.
pub async fn issue_token(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    headers: HeaderMap,
    body: Result<Json<TokenInput>, axum::extract::rejection::JsonRejection>,
) -> Result<(axum::http::StatusCode, Json<Value>), AppError> {
    let action = "token.issue";
    let check = auth
        .require_admin()
        .map(|_| ())
        .and_then(|_| auth.check_csrf(headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok())));
    if let Err(e) = check {
        return Err(refuse(&s, &auth, action, "token".into(), e, None).await);
    }
    let input = body
        .map_err(|rej| AppError::invalid("body", rej.body_text()))?
        .0;
    if input.label.trim().is_empty() {
        return Err(AppError::invalid("label", "请说明令牌用途"));
    }
    let token = new_token();
    let id = s
        .store
        .create_api_token(
            &token_hash(&token),
            input.user_id,
            input.label.trim(),
            &auth.actor(),
        )
        .await?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(json!({ "id": id, "token": token, "user_id": input.user_id })),
    ))
}

/// Query of the audit log.
#[derive(Deserialize)]
pub struct AuditQuery {
    /// Only actions starting with this.
    pub action: Option<String>,
    /// How many, newest first (default 100, at most 1000).
    pub limit: Option<i64>,
}

/// `GET /audit`: the audit log, for staff.
pub async fn audit(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<AuditQuery>,
) -> ApiResult {
    auth.require_staff()?;
    let entries = s
        .store
        .audit_log(q.action.as_deref(), q.limit.unwrap_or(100).clamp(1, 1000))
        .await?;
    Ok(Json(
        json!({ "entries": crate::secrets::mask_audit(entries) }),
    ))
}
