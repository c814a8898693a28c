//! The enterprise's own account (排污单位): its home page and API, and the staff's page that
//! opens enterprise accounts from the registry. What an enterprise account may open at all is
//! decided by `web::scope`; what it sees inside a page by `qingshan_app::scope`.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Json, Router};
use chrono::Utc;
use minijinja::context;
use qingshan_app::accounts::{NewEnterpriseAccount, create_enterprise_account};
use qingshan_store::{Role, User};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::web::audit::refuse;
use crate::web::auth::{Auth, CSRF_HEADER};
use crate::web::error::AppError;
use crate::web::page::{PageError, page};

/// The enterprise's home and API, and the staff's enterprise-account page and API.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/enterprise", get(home_page))
        .route("/api/v1/enterprise", get(home_api))
        .route(
            "/enterprise/accounts",
            get(accounts_page).post(accounts_submit),
        )
        .route("/api/v1/enterprise-accounts", post(api_create))
}

/// The signed-in enterprise account and its credit code, or 401/403 (audited).
async fn enterprise_user(
    s: &AppState,
    auth: &Auth,
    target: &str,
) -> Result<(User, String), AppError> {
    let check = auth
        .require_user()
        .and_then(|u| match (&u.role, &u.credit_code) {
            (Role::Enterprise, Some(code)) => Ok((u.clone(), code.clone())),
            _ => Err(AppError::Forbidden(
                "本页为排污单位账号的首页；生态环境局工作人员请从污染源监控查看各单位".into(),
            )),
        });
    match check {
        Ok(v) => Ok(v),
        Err(e) => Err(refuse(s, auth, "page.view", target.to_string(), e, None).await),
    }
}

/// `GET /enterprise`: the enterprise's home — its registration, outlets, devices with their
/// latest hourly values and online state, permits and limits, open alarms.
pub async fn home_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
) -> Result<Response, PageError> {
    let (_, code) = enterprise_user(&s, &auth, "page:/enterprise").await?;
    let home = qingshan_app::enterprise::home(&s.store, &code, Utc::now()).await?;
    let outlet_name = |c: &str| {
        home.outlets
            .iter()
            .find(|o| o.code == c)
            .map_or(c.to_string(), |o| format!("{} {}", o.code, o.name))
    };
    let limits: Vec<Value> = home
        .limits
        .iter()
        .map(|l| json!({ "permit_number": l.permit_number, "outlet": outlet_name(&l.outlet_code), "factor": l.factor_code, "hourly_limit": l.hourly_limit, "use_converted": l.use_converted, "reference_o2": l.reference_o2, "annual_total_t": l.annual_total_t }))
        .collect();
    let division = home
        .enterprise
        .division_code
        .as_deref()
        .and_then(|c| s.plan.division(c))
        .map(|d| d.name.clone());
    // Open orders: those waiting for its answer, then those waiting for the bureau.
    let now = Utc::now();
    let mut orders: Vec<Value> = Vec::new();
    for state in ["issued", "returned", "replied"] {
        let filter = qingshan_store::OrderFilter {
            state: Some(state.into()),
            ..Default::default()
        };
        let paged =
            qingshan_app::orders::list(&s.store, auth.user.as_ref(), filter, 100, 0).await?;
        orders.extend(paged.items.iter().map(|o| {
            json!({ "id": o.id, "title": o.title, "deadline": o.deadline, "state": o.state,
                    "overdue": qingshan_app::orders::is_overdue(o, now) })
        }));
    }
    let credit = qingshan_app::credit::badge(&s.store, &code).await?;
    page(
        "enterprise_home.html",
        &auth,
        &s,
        context! { home, limits, division, orders, credit },
    )
}

/// `GET /api/v1/enterprise`: the same as JSON (enterprise accounts).
pub async fn home_api(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
) -> Result<Json<Value>, AppError> {
    let (_, code) = enterprise_user(&s, &auth, "api:/api/v1/enterprise").await?;
    let home = qingshan_app::enterprise::home(&s.store, &code, Utc::now()).await?;
    Ok(Json(
        serde_json::to_value(&home).map_err(|e| AppError::Internal(e.to_string()))?,
    ))
}

/// The registry's enterprises with their accounts, for the staff page.
async fn accounts_view(
    s: &AppState,
    auth: &Auth,
    created: Option<Value>,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let users = s.store.users().await?;
    let enterprises: Vec<Value> = s
        .store
        .export_registry()
        .await?
        .enterprises
        .iter()
        .map(|e| {
            let accounts: Vec<Value> = users
                .iter()
                .filter(|u| u.role == Role::Enterprise && u.credit_code.as_deref() == Some(e.credit_code.as_str()))
                .map(|u| json!({ "username": u.username, "display_name": u.display_name, "active": u.active, "must_change_password": u.must_change_password }))
                .collect();
            json!({ "credit_code": e.credit_code, "name": e.name, "accounts": accounts })
        })
        .collect();
    let resp = page(
        "enterprise_accounts.html",
        auth,
        s,
        context! { enterprises, created, error },
    )?;
    Ok((status, resp).into_response())
}

/// `GET /enterprise/accounts`: the registry's enterprises, their accounts and the form that
/// opens one (staff).
pub async fn accounts_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
) -> Result<Response, PageError> {
    if let Err(e) = auth.require_staff() {
        return Err(refuse(
            &s,
            &auth,
            "page.view",
            "page:/enterprise/accounts".into(),
            e,
            None,
        )
        .await
        .into());
    }
    accounts_view(&s, &auth, None, None, StatusCode::OK).await
}

/// The form that opens an enterprise account.
#[derive(Deserialize)]
pub struct AccountForm {
    /// CSRF token.
    pub csrf_token: Option<String>,
    /// The enterprise's 统一社会信用代码.
    pub credit_code: String,
    /// Login name.
    pub username: String,
    /// Name shown (the enterprise's name when empty).
    #[serde(default)]
    pub display_name: String,
}

/// `POST /enterprise/accounts`: opens an enterprise account (staff, CSRF). The generated first
/// password is shown on the answer, once; it is not stored in clear nor logged.
pub async fn accounts_submit(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Form(f): Form<AccountForm>,
) -> Result<Response, PageError> {
    let target = format!("user:{}", f.username.trim());
    if let Err(e) = auth
        .require_staff()
        .map(|_| ())
        .and_then(|()| auth.check_csrf(f.csrf_token.as_deref()))
    {
        return Err(refuse(&s, &auth, "user.create", target, e, None)
            .await
            .into());
    }
    let request = NewEnterpriseAccount {
        username: f.username,
        display_name: f.display_name,
        credit_code: f.credit_code,
    };
    match create_enterprise_account(&s.store, request, &auth.actor()).await {
        Ok((u, password)) => {
            let created = json!({ "username": u.username, "display_name": u.display_name, "credit_code": u.credit_code, "password": password });
            accounts_view(&s, &auth, Some(created), None, StatusCode::OK).await
        }
        Err(e @ (qingshan_app::Error::Invalid { .. } | qingshan_app::Error::Conflict(_))) => {
            let err = AppError::from(e);
            let (message, status) = (err.to_string(), err.status());
            let _ = refuse(&s, &auth, "user.create", target, err, None).await;
            accounts_view(&s, &auth, None, Some(message), status).await
        }
        Err(e) => Err(AppError::from(e).into()),
    }
}

/// Body of `POST /api/v1/enterprise-accounts`.
#[derive(Debug, Deserialize)]
pub struct AccountInput {
    /// The enterprise's 统一社会信用代码.
    pub credit_code: String,
    /// Login name.
    pub username: String,
    /// Name shown (the enterprise's name when absent).
    #[serde(default)]
    pub display_name: String,
}

/// `POST /api/v1/enterprise-accounts`: opens an enterprise account (staff); answers 201 with
/// the account and its first password, shown this once.
pub async fn api_create(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    headers: HeaderMap,
    body: Result<Json<AccountInput>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let check = auth
        .require_staff()
        .map(|_| ())
        .and_then(|()| auth.check_csrf(headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok())));
    let target = match &body {
        Ok(Json(input)) => format!("user:{}", input.username.trim()),
        Err(_) => "user".into(),
    };
    if let Err(e) = check {
        return Err(refuse(&s, &auth, "user.create", target, e, None).await);
    }
    let input = body
        .map_err(|rej| AppError::rejected_body(&rej.body_text()))?
        .0;
    let request = NewEnterpriseAccount {
        username: input.username,
        display_name: input.display_name,
        credit_code: input.credit_code,
    };
    match create_enterprise_account(&s.store, request, &auth.actor()).await {
        Ok((user, password)) => Ok((
            StatusCode::CREATED,
            Json(json!({ "user": user, "initial_password": password })),
        )),
        Err(e) => Err(refuse(&s, &auth, "user.create", target, e.into(), None).await),
    }
}
