//! Accounts on the web: each user changes their own password; the administrator opens,
//! closes and resets accounts; signing in and out, API tokens and the audit log. The command
//! line (`qingshan user …`) stays for the first admin.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use minijinja::context;
use qingshan_app::accounts::{hash_password, password_problem, verify_password};
use qingshan_store::Role;
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::web::audit::refuse;
use crate::web::auth::Auth;
use crate::web::error::AppError;
use crate::web::page::{PageError, page};

mod api;
mod session;

/// Signing in and out, the password form, the administrator's account pages, API tokens and
/// the audit log.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(session::login_form).post(session::login))
        .route("/logout", post(session::logout))
        .route("/admin/audit", get(session::audit))
        .route("/admin/users", get(users_page).post(create_user))
        .route("/admin/users/{id}/{action}", post(account_action))
        .route(
            "/account/password",
            get(password_form).post(password_submit),
        )
        .route("/api/v1/me", get(api::me))
        .route("/api/v1/tokens", post(api::issue_token))
        .route("/api/v1/audit", get(api::audit))
}

/// The password form.
#[derive(Deserialize)]
pub struct PasswordForm {
    /// CSRF token.
    pub csrf_token: Option<String>,
    /// The password now.
    pub current: String,
    /// The new one, twice.
    pub new: String,
    /// Repeated.
    pub confirm: String,
}

/// `GET /account/password`.
pub async fn password_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
) -> Result<Response, PageError> {
    auth.require_user()?;
    page("account_password.html", &auth, &s, context! {})
}

/// `POST /account/password`: checks the current password, sets the new one and ends every
/// session of the user, this one included; they sign in again with the new password.
pub async fn password_submit(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Form(f): Form<PasswordForm>,
) -> Result<Response, PageError> {
    let action = "user.password";
    let user = match auth
        .require_user()
        .and_then(|u| auth.check_csrf(f.csrf_token.as_deref()).map(|()| u.clone()))
    {
        Ok(u) => u,
        Err(e) => {
            return Err(refuse(&s, &auth, action, "account".into(), e, None)
                .await
                .into());
        }
    };
    let target = format!("user_id:{}", user.id);
    let again = |error: String| -> Result<Response, PageError> {
        let resp = page("account_password.html", &auth, &s, context! { error })?;
        Ok((StatusCode::UNPROCESSABLE_ENTITY, resp).into_response())
    };
    let hash = s
        .store
        .user_credentials(&user.username)
        .await?
        .map(|(_, h)| h)
        .unwrap_or_default();
    if !verify_password(&f.current, &hash) {
        s.store
            .record_login_attempt(&user.username, &auth.peer, false)
            .await?;
        let e = AppError::Forbidden("当前密码不正确".into());
        let _ = refuse(&s, &auth, action, target, e, None).await;
        let resp = page(
            "account_password.html",
            &auth,
            &s,
            context! { error => "当前密码不正确" },
        )?;
        return Ok((StatusCode::FORBIDDEN, resp).into_response());
    }
    if f.new != f.confirm {
        return again("两次输入的新密码不一致".into());
    }
    if let Some(why) = password_problem(&f.new, &user.username) {
        return again(why.into());
    }
    let new_hash = hash_password(&f.new)?;
    s.store
        .set_password(user.id, &new_hash, false, &auth.actor())
        .await?;
    Ok(Redirect::to("/login?changed=1").into_response())
}

/// `GET /admin/users`: the accounts, with forms to open, close and reset them (admin).
pub async fn users_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
) -> Result<Response, PageError> {
    if let Err(e) = auth.require_admin() {
        return Err(
            refuse(&s, &auth, "page.view", "page:/admin/users".into(), e, None)
                .await
                .into(),
        );
    }
    users_view(&s, &auth, None, StatusCode::OK).await
}

async fn users_view(
    s: &AppState,
    auth: &Auth,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    users_view_created(s, auth, error, None, status).await
}

/// The accounts page, with the first password of an enterprise account just opened (shown
/// this once).
async fn users_view_created(
    s: &AppState,
    auth: &Auth,
    error: Option<String>,
    created: Option<serde_json::Value>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let unit_name = |id: &str| {
        s.plan
            .units
            .iter()
            .find(|u| u.id == id)
            .map_or(id.to_string(), |u| u.name.clone())
    };
    let users: Vec<_> = s
        .store
        .users()
        .await?
        .into_iter()
        .map(|u| {
            json!({
                "id": u.id, "username": u.username, "display_name": u.display_name,
                "role": u.role.label(), "unit": u.unit_id.as_deref().map(unit_name),
                "division": u.division_code.as_deref().and_then(|c| s.plan.division(c)).map(|d| d.name.clone()),
                "credit_code": u.credit_code,
                "active": u.active,
            })
        })
        .collect();
    let units: Vec<_> = s
        .plan
        .units
        .iter()
        .map(|u| json!({ "id": u.id, "name": u.name }))
        .collect();
    let divisions: Vec<_> = s
        .plan
        .divisions
        .iter()
        .map(|d| json!({ "code": d.code, "name": d.name }))
        .collect();
    let roles: Vec<_> = [
        Role::Staff,
        Role::Reporter,
        Role::County,
        Role::Enterprise,
        Role::Admin,
    ]
    .iter()
    .map(|r| json!({ "code": r.as_str(), "label": r.label() }))
    .collect();
    let resp = page(
        "admin_users.html",
        auth,
        s,
        context! { users, units, divisions, roles, error, created },
    )?;
    Ok((status, resp).into_response())
}

/// The new-account form.
#[derive(Deserialize)]
pub struct NewUserForm {
    /// CSRF token.
    pub csrf_token: Option<String>,
    /// Login name.
    pub username: String,
    /// Name shown.
    pub display_name: String,
    /// admin, staff, reporter or county.
    pub role: String,
    /// Responsible unit (reporters).
    pub unit_id: Option<String>,
    /// County (county users).
    pub division_code: Option<String>,
    /// 统一社会信用代码 (enterprise accounts).
    pub credit_code: Option<String>,
    /// The first password, to be changed by the user (generated for enterprise accounts).
    #[serde(default)]
    pub password: String,
}

/// `POST /admin/users`: opens an account (admin). Reporters need their unit and county users
/// their county, as the rules of who may enter what depend on them.
pub async fn create_user(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Form(f): Form<NewUserForm>,
) -> Result<Response, PageError> {
    let target = format!("user:{}", f.username.trim());
    if let Err(e) = auth
        .require_admin()
        .and_then(|_| auth.check_csrf(f.csrf_token.as_deref()))
    {
        return Err(refuse(&s, &auth, "user.create", target, e, None)
            .await
            .into());
    }
    if f.role == Role::Enterprise.as_str() {
        let request = qingshan_app::accounts::NewEnterpriseAccount {
            username: f.username,
            display_name: f.display_name,
            credit_code: f.credit_code.unwrap_or_default(),
        };
        return match qingshan_app::accounts::create_enterprise_account(
            &s.store,
            request,
            &auth.actor(),
        )
        .await
        {
            Ok((u, password)) => {
                let created = json!({ "username": u.username, "credit_code": u.credit_code, "password": password });
                users_view_created(&s, &auth, None, Some(created), StatusCode::OK).await
            }
            Err(e @ (qingshan_app::Error::Invalid { .. } | qingshan_app::Error::Conflict(_))) => {
                let err = AppError::from(e);
                let (message, status) = (err.to_string(), err.status());
                let _ = refuse(&s, &auth, "user.create", target, err, None).await;
                users_view(&s, &auth, Some(message), status).await
            }
            Err(e) => Err(AppError::from(e).into()),
        };
    }
    let account = qingshan_app::accounts::NewAccount {
        username: f.username,
        display_name: f.display_name,
        role: f.role,
        unit_id: f.unit_id,
        division_code: f.division_code,
        password: f.password,
    };
    let new = match qingshan_app::accounts::new_user(&s.plan, account) {
        Ok(n) => n,
        Err(qingshan_app::Error::Invalid { message, .. }) => {
            let _ = refuse(
                &s,
                &auth,
                "user.create",
                target,
                AppError::invalid("user", message.clone()),
                None,
            )
            .await;
            return users_view(&s, &auth, Some(message), StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        Err(e) => return Err(AppError::from(e).into()),
    };
    match s.store.create_user(&new, &auth.actor()).await {
        Ok(_) => Ok(Redirect::to("/admin/users").into_response()),
        Err(e) if e.kind() == "conflict" => {
            users_view(&s, &auth, Some(e.to_string()), StatusCode::CONFLICT).await
        }
        Err(e) => Err(AppError::from(e).into()),
    }
}

/// The account action forms.
#[derive(Deserialize)]
pub struct AccountActionForm {
    /// CSRF token.
    pub csrf_token: Option<String>,
    /// The new password (reset only).
    pub password: Option<String>,
}

/// `POST /admin/users/{id}/{action}`: `deactivate`, `activate` or `reset` (a new password the
/// user will change) (admin). An administrator cannot close their own account.
pub async fn account_action(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path((id, action)): Path<(i64, String)>,
    Form(f): Form<AccountActionForm>,
) -> Result<Response, PageError> {
    let audit_action = match action.as_str() {
        "activate" => "user.activate",
        "deactivate" => "user.deactivate",
        "reset" => "user.password",
        _ => return Err(AppError::NotFound("没有此操作".into()).into()),
    };
    let target = format!("user_id:{id}");
    let admin = match auth
        .require_admin()
        .and_then(|u| auth.check_csrf(f.csrf_token.as_deref()).map(|()| u.clone()))
    {
        Ok(u) => u,
        Err(e) => {
            return Err(refuse(&s, &auth, audit_action, target, e, None)
                .await
                .into());
        }
    };
    let Some(user) = s.store.user_by_id(id).await? else {
        return Err(AppError::NotFound(format!("没有编号为 {id} 的账号")).into());
    };
    match action.as_str() {
        "deactivate" if user.id == admin.id => {
            let why = "不能停用自己的账号".to_string();
            let _ = refuse(
                &s,
                &auth,
                audit_action,
                target,
                AppError::Forbidden(why.clone()),
                None,
            )
            .await;
            return users_view(&s, &auth, Some(why), StatusCode::FORBIDDEN).await;
        }
        "deactivate" => s.store.set_user_active(id, false, &auth.actor()).await?,
        "activate" => s.store.set_user_active(id, true, &auth.actor()).await?,
        _ => {
            let password = f.password.unwrap_or_default();
            if let Some(why) = password_problem(&password, &user.username) {
                return users_view(
                    &s,
                    &auth,
                    Some(format!("{}：{why}", user.username)),
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await;
            }
            // Chosen by the administrator: the user must change it on signing in.
            s.store
                .set_password(id, &hash_password(&password)?, true, &auth.actor())
                .await?;
        }
    }
    Ok(Redirect::to("/admin/users").into_response())
}
