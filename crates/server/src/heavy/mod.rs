//! Heavy-pollution response, first half, on the web: the 绩效分级 register (the public list of
//! published grades; applications by enterprises with documents, county review, city
//! publication, staff's direct record) and the 应急减排清单 (一厂一策) per warning level with its
//! check against the required overall reductions and the shortfall; JSON API under
//! `/api/v1/heavy/`. Who may do what is `qingshan_app::heavy`.

use axum::extract::{Multipart, Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Json, Router};
use minijinja::context;
use qingshan_app::heavy::{self, GradeForm, GradeView, MeasureInput, ReductionForm};
use qingshan_app::imports::heavy as imp;
use qingshan_sources::heavy as rules;
use qingshan_store::{Kg4, NewEvidence, Role, labels};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::web::audit::{refuse, refuse_app};
use crate::web::auth::{Auth, CSRF_HEADER};
use crate::web::error::AppError;
use crate::web::page::{PageError, page};
use crate::web::paging;
use crate::web::query::Query;
use crate::web::upload::{EvidenceForm, read_evidence_form};

/// The pages and API of the register and the list; `max_file` is the document file limit.
pub fn routes(max_file: usize) -> Router<AppState> {
    let limit =
        || axum::extract::DefaultBodyLimit::max(qingshan_app::evidence::body_limit(max_file));
    Router::new()
        .route("/heavy/grades", get(grades_page))
        .route(
            "/heavy/grades/apply",
            get(apply_page).post(apply_form).layer(limit()),
        )
        .route("/heavy/grades/record", post(record_form).layer(limit()))
        .route("/heavy/grades/{id}", get(grade_page))
        .route("/heavy/grades/{id}/review", post(review_form))
        .route("/heavy/grades/{id}/publish", post(publish_form))
        .route("/heavy/grades/documents/{id}", get(document_download))
        .route(
            "/heavy/reductions",
            get(reductions_page).post(reduction_form),
        )
        .route("/heavy/reductions/edit", get(edit_page))
        .route("/heavy/reductions/remove", post(remove_form))
        .route("/heavy/baselines", post(baseline_form))
        .route("/api/v1/heavy/rules", get(api_rules))
        .route("/api/v1/heavy/grades", get(api_grades))
        .route("/api/v1/heavy/grades/{id}", get(api_grade))
        .route("/api/v1/heavy/grades/{id}/review", post(api_review))
        .route("/api/v1/heavy/grades/{id}/publish", post(api_publish))
        .route(
            "/api/v1/heavy/reductions",
            get(api_reductions).post(api_save_reduction),
        )
        .route("/heavy/reductions/template.csv", get(reductions_template))
        .route(
            "/heavy/reductions/template.xlsx",
            get(reductions_template_xlsx),
        )
        .route(
            "/heavy/reductions/import",
            post(reductions_import).layer(limit()),
        )
}

const STATES: [&str; 5] = ["published", "applied", "reviewed", "returned", "superseded"];

fn county_name(s: &AppState, code: Option<&str>) -> String {
    code.and_then(|c| s.plan.divisions.iter().find(|d| d.code == c))
        .map_or_else(|| code.unwrap_or("—").to_string(), |d| d.name.clone())
}

fn grade_json(s: &AppState, g: &GradeView) -> Value {
    let mut v = serde_json::to_value(g).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.insert(
            "county_name".into(),
            json!(county_name(s, g.grade.division_code.as_deref())),
        );
    }
    v
}

fn rules_json() -> Value {
    let r = rules::rules();
    let industries: Vec<Value> = r
        .industry
        .iter()
        .map(|i| {
            let grades: Vec<Value> = rules::grades_of(&i.code)
                .iter()
                .map(|g| json!({ "code": g.code, "label": g.label }))
                .collect();
            json!({ "code": i.code, "name": i.name, "grades": grades, "source": i.source, "confirmed": i.confirmed })
        })
        .collect();
    let levels: Vec<Value> = r
        .level
        .iter()
        .map(|l| json!({ "code": l.code, "label": l.label, "response": l.response,
            "required_percent": { "so2": l.so2, "nox": l.nox, "pm": l.pm, "vocs": l.vocs }, "source": l.source, "confirmed": l.confirmed }))
        .collect();
    json!({
        "rule_set": r.rule_set, "grades": r.grade, "industries": industries, "levels": levels, "measures": r.measure,
        "pollutants": rules::POLLUTANTS.iter().map(|(c, n)| json!({ "code": c, "name": n })).collect::<Vec<_>>(),
    })
}

/// Filters of the grade list.
#[derive(Debug, Deserialize, Default)]
pub struct GradesQuery {
    /// published (default), applied, reviewed, returned or superseded; only published for the
    /// public.
    pub state: Option<String>,
}

fn state_of(q: &GradesQuery) -> Result<String, AppError> {
    let st = q
        .state
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .unwrap_or("published");
    if !STATES.contains(&st) {
        return Err(AppError::invalid(
            "state",
            "应为 published（已公布）、applied（待县级审核）、reviewed（待市级公布）、returned（已退回）或 superseded（已取代）",
        ));
    }
    Ok(st.to_string())
}

/// The records of a page: the public list for the public (published only, without internal
/// notes), the user's scope otherwise (published grades are public, so everyone sees them all).
async fn grades_for(
    s: &AppState,
    auth: &Auth,
    state: &str,
    limit: i64,
    offset: i64,
) -> Result<(Vec<GradeView>, i64), qingshan_app::Error> {
    let internal = heavy::sees_internal(auth.user.as_ref());
    if state == "published" {
        let f = qingshan_store::HeavyGradeFilter {
            state: Some("published".into()),
            ..Default::default()
        };
        let p = s.store.heavy_grades_paged(&f, limit, offset).await?;
        let items = p
            .items
            .into_iter()
            .map(GradeView::of)
            .map(|g| {
                if internal && !is_other_enterprise(auth, &g) {
                    g
                } else {
                    g.public()
                }
            })
            .collect();
        return Ok((items, p.total));
    }
    if !internal {
        return Err(qingshan_app::Error::Unauthenticated);
    }
    let p =
        heavy::grades_internal(&s.store, auth.user.as_ref(), Some(state), limit, offset).await?;
    Ok((p.items, p.total))
}

/// An enterprise account sees the internal note of its own records only.
fn is_other_enterprise(auth: &Auth, g: &GradeView) -> bool {
    auth.user
        .as_ref()
        .and_then(qingshan_app::scope::confined_to)
        .is_some_and(|own| own != g.grade.credit_code)
}

/// `GET /heavy/grades`: the published list (public), and for staff, county officials and
/// enterprises the records on their way, by state.
pub async fn grades_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<GradesQuery>,
    Query(pq): Query<paging::PageQuery>,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Result<Response, PageError> {
    let state = state_of(&q)?;
    let n = paging::requested(&pq);
    let (limit, offset) = paging::window(n, paging::PER_PAGE);
    let (items, total) = match grades_for(&s, &auth, &state, limit, offset).await {
        Ok(x) => x,
        Err(e) => {
            return Err(
                refuse_app(&s, &auth, "page.view", "page:/heavy/grades".into(), e, None)
                    .await
                    .into(),
            );
        }
    };
    let pager = paging::Pager::new(n, paging::PER_PAGE, total, "/heavy/grades", raw.as_deref());
    let internal = heavy::sees_internal(auth.user.as_ref());
    let states: Vec<Value> = STATES
        .iter()
        .map(|c| json!({ "code": c, "label": labels::heavy_grade_state(c) }))
        .collect();
    let grades: Vec<Value> = items.iter().map(|g| grade_json(&s, g)).collect();
    let role = auth.user.as_ref().map(|u| u.role);
    page(
        "heavy_grades.html",
        &auth,
        &s,
        context! { grades, total, pager, state, states, internal,
        may_apply => role == Some(Role::Enterprise), may_record => auth.is_staff(),
        rule_set => rules::rules().rule_set.clone() },
    )
}

/// `GET /heavy/grades/apply`: the application form (an enterprise, for itself) or the direct
/// record form (staff, for any registered enterprise).
pub async fn apply_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
) -> Result<Response, PageError> {
    let role = auth.user.as_ref().map(|u| u.role);
    let staff = auth.is_staff();
    if role != Some(Role::Enterprise) && !staff {
        let e =
            qingshan_app::Error::Forbidden("绩效分级由排污单位申请，或由工作人员直接录入".into());
        return Err(refuse(
            &s,
            &auth,
            "page.view",
            "page:/heavy/grades/apply".into(),
            e.into(),
            None,
        )
        .await
        .into());
    }
    let enterprises: Vec<Value> = if staff {
        s.store
            .export_registry()
            .await?
            .enterprises
            .iter()
            .map(|e| json!({ "credit_code": e.credit_code, "name": e.name }))
            .collect()
    } else {
        Vec::new()
    };
    let own = auth.user.as_ref().and_then(|u| u.credit_code.clone());
    page(
        "heavy_apply.html",
        &auth,
        &s,
        context! { staff, own, enterprises, rules => rules_json(),
        today => qingshan_app::beijing::today().format("%Y-%m-%d").to_string(),
        accept => qingshan_app::evidence::ACCEPT_ATTR, accepted => qingshan_app::evidence::ACCEPTED_LABEL,
        max_file => qingshan_app::evidence::fmt_size(s.config.evidence_max_bytes as u64), max_files => qingshan_app::evidence::MAX_FILES },
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
            Err(refuse(s, auth, "heavy_grade.evidence", target, e.into(), name).await)
        }
    }
}

fn grade_form(up: &EvidenceForm) -> GradeForm {
    let f = |n: &str| up.fields.get(n).cloned();
    GradeForm {
        credit_code: f("credit_code").unwrap_or_default(),
        industry: f("industry").unwrap_or_default(),
        grade: f("grade").unwrap_or_default(),
        valid_from: f("valid_from").unwrap_or_default(),
        valid_to: f("valid_to"),
        kind: f("kind").unwrap_or_default(),
        public_note: f("public_note"),
        note: f("note"),
    }
}

/// `POST /heavy/grades/apply` (multipart; an enterprise): applies for a grade for itself.
pub async fn apply_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    mp: Multipart,
) -> Result<Response, PageError> {
    let mut up = read_evidence_form(mp, s.config.evidence_max_bytes).await?;
    let mut gf = grade_form(&up);
    // An enterprise applies for itself: a missing code is its own, a different one is refused.
    if gf.credit_code.trim().is_empty()
        && let Some(own) = auth.user.as_ref().and_then(|u| u.credit_code.clone())
    {
        gf.credit_code = own;
    }
    let target = format!("enterprise:{}", gf.credit_code.trim());
    if let Err(e) = auth.check_csrf(up.fields.get("csrf_token").map(String::as_str)) {
        return Err(refuse(&s, &auth, "heavy_grade.apply", target, e, None)
            .await
            .into());
    }
    let files = checked_files(&s, &auth, &mut up, target.clone()).await?;
    match heavy::apply(&s.store, auth.user.as_ref(), &auth.actor(), &gf, &files).await {
        Ok(g) => Ok(Redirect::to(&format!("/heavy/grades/{}", g.grade.id)).into_response()),
        Err(e) => Err(refuse_app(&s, &auth, "heavy_grade.apply", target, e, None)
            .await
            .into()),
    }
}

/// `POST /heavy/grades/record` (multipart; staff): records a grade directly (published at once).
pub async fn record_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    mp: Multipart,
) -> Result<Response, PageError> {
    let mut up = read_evidence_form(mp, s.config.evidence_max_bytes).await?;
    let gf = grade_form(&up);
    let target = format!("enterprise:{}", gf.credit_code.trim());
    if let Err(e) = auth.check_csrf(up.fields.get("csrf_token").map(String::as_str)) {
        return Err(refuse(&s, &auth, "heavy_grade.record", target, e, None)
            .await
            .into());
    }
    let files = checked_files(&s, &auth, &mut up, target.clone()).await?;
    match heavy::record(&s.store, auth.user.as_ref(), &auth.actor(), &gf, &files).await {
        Ok(g) => Ok(Redirect::to(&format!("/heavy/grades/{}", g.grade.id)).into_response()),
        Err(e) => Err(refuse_app(&s, &auth, "heavy_grade.record", target, e, None)
            .await
            .into()),
    }
}

/// `GET /heavy/grades/{id}`: a record with its steps, documents and the form of the step due.
pub async fn grade_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let d = match heavy::grade_detail(&s.store, auth.user.as_ref(), id).await {
        Ok(d) => d,
        Err(e) => {
            return Err(refuse_app(
                &s,
                &auth,
                "page.view",
                format!("page:/heavy/grades/{id}"),
                e,
                None,
            )
            .await
            .into());
        }
    };
    let u = auth.user.as_ref();
    let may_review = d.grade.grade.state == "applied"
        && u.is_some_and(|u| {
            matches!(u.role, Role::Admin | Role::Staff)
                || (u.role == Role::County
                    && u.division_code.is_some()
                    && u.division_code == d.grade.grade.division_code)
        });
    let may_publish = d.grade.grade.state == "reviewed" && auth.is_staff();
    let events: Vec<Value> = d
        .events
        .iter()
        .map(|e| {
            let mut v = serde_json::to_value(e).unwrap_or(Value::Null);
            if let Value::Object(m) = &mut v {
                m.insert(
                    "kind_label".into(),
                    json!(labels::heavy_grade_event(&e.kind)),
                );
            }
            v
        })
        .collect();
    page(
        "heavy_grade.html",
        &auth,
        &s,
        context! { g => grade_json(&s, &d.grade), events, documents => d.evidence, may_review, may_publish },
    )
}

/// A review or publishing step's input, from a form or a JSON body.
#[derive(Debug, Deserialize, Default)]
pub struct StepBody {
    /// CSRF token (forms).
    #[serde(default)]
    pub csrf_token: Option<String>,
    /// Review: `1`/`true` approve, `0`/`false` return.
    #[serde(default)]
    pub approve: Option<String>,
    /// Review opinion (required to return) or publishing remark.
    #[serde(default)]
    pub note: Option<String>,
}

async fn step(
    s: &AppState,
    auth: &Auth,
    id: i64,
    publish: bool,
    b: &StepBody,
    csrf: Option<&str>,
) -> Result<GradeView, AppError> {
    let action = if publish {
        "heavy_grade.publish"
    } else {
        "heavy_grade.approve"
    };
    let target = format!("heavy_grade:{id}");
    if let Err(e) = auth.check_csrf(csrf) {
        return Err(refuse(s, auth, action, target, e, None).await);
    }
    let (user, actor) = (auth.user.as_ref(), auth.actor());
    let done = if publish {
        heavy::publish(&s.store, user, &actor, id, b.note.as_deref()).await
    } else {
        let approve = match b.approve.as_deref().map(str::trim) {
            Some("1" | "true") => true,
            Some("0" | "false") => false,
            _ => {
                let e = qingshan_app::Error::invalid("approve", "请选择审核通过或退回");
                return Err(refuse(s, auth, action, target, e.into(), None).await);
            }
        };
        heavy::review(&s.store, user, &actor, id, approve, b.note.as_deref()).await
    };
    match done {
        Ok(g) => Ok(g),
        Err(e) => Err(refuse_app(s, auth, action, target, e, b.note.clone()).await),
    }
}

/// `POST /heavy/grades/{id}/review` (form; the county or staff): approve or return.
pub async fn review_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    Form(b): Form<StepBody>,
) -> Result<Response, PageError> {
    step(&s, &auth, id, false, &b, b.csrf_token.as_deref()).await?;
    Ok(Redirect::to(&format!("/heavy/grades/{id}")).into_response())
}

/// `POST /heavy/grades/{id}/publish` (form; staff): publish a reviewed grade.
pub async fn publish_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    Form(b): Form<StepBody>,
) -> Result<Response, PageError> {
    step(&s, &auth, id, true, &b, b.csrf_token.as_deref()).await?;
    Ok(Redirect::to(&format!("/heavy/grades/{id}")).into_response())
}

/// `GET /heavy/grades/documents/{id}`: a document of a record the user may see.
pub async fn document_download(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    match heavy::grade_document(&s.store, auth.user.as_ref(), id).await {
        Ok((meta, content)) => Ok(crate::web::download::stored_file(
            content,
            &meta.content_type,
            &meta.file_name,
        )?),
        Err(e) => Err(refuse_app(
            &s,
            &auth,
            "page.view",
            format!("page:/heavy/grades/documents/{id}"),
            e,
            None,
        )
        .await
        .into()),
    }
}

/// The level of the list pages.
#[derive(Debug, Deserialize, Default)]
pub struct LevelQuery {
    /// yellow (default), orange or red.
    pub level: Option<String>,
    /// After an import: how many entries it saved.
    #[serde(default)]
    pub imported: Option<usize>,
}

fn level_of(q: &LevelQuery) -> Result<&'static rules::Level, AppError> {
    let code = q
        .level
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .unwrap_or("yellow");
    rules::level(code).ok_or_else(|| {
        AppError::invalid(
            "level",
            "应为 yellow（黄色预警）、orange（橙色预警）或 red（红色预警）",
        )
    })
}

/// The list at a level as the user may see it, and the city-wide check (staff and counties see
/// the check; an enterprise only its own entry).
async fn list_for(
    s: &AppState,
    auth: &Auth,
    level: &str,
) -> Result<(Vec<heavy::EnterpriseReduction>, Option<heavy::ListCheck>), qingshan_app::Error> {
    let (county, credit) = heavy::list_scope(auth.user.as_ref())?;
    let mut list = heavy::reduction_list(&s.store, level).await?;
    list.retain(|e| {
        county
            .as_ref()
            .is_none_or(|c| e.division_code.as_ref() == Some(c))
            && credit.as_ref().is_none_or(|c| e.credit_code == *c)
    });
    let check = if credit.is_none() {
        Some(heavy::list_check(&s.store, level).await?)
    } else {
        None
    };
    Ok((list, check))
}

fn entry_json(s: &AppState, e: &heavy::EnterpriseReduction) -> Value {
    let mut v = serde_json::to_value(e).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.insert(
            "county_name".into(),
            json!(county_name(s, e.division_code.as_deref())),
        );
    }
    v
}

/// `GET /heavy/reductions?level=`: the list at a level with its check and shortfall; staff get
/// the edit links and the baseline form.
pub async fn reductions_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<LevelQuery>,
) -> Result<Response, PageError> {
    let lvl = level_of(&q)?;
    let (list, check) = match list_for(&s, &auth, &lvl.code).await {
        Ok(x) => x,
        Err(e) => {
            return Err(refuse_app(
                &s,
                &auth,
                "page.view",
                "page:/heavy/reductions".into(),
                e,
                None,
            )
            .await
            .into());
        }
    };
    let entries: Vec<Value> = list.iter().map(|e| entry_json(&s, e)).collect();
    let levels: Vec<Value> = rules::rules()
        .level
        .iter()
        .map(|l| json!({ "code": l.code, "label": l.label }))
        .collect();
    let enterprises: Vec<Value> = if auth.is_staff() {
        s.store
            .export_registry()
            .await?
            .enterprises
            .iter()
            .map(|e| json!({ "credit_code": e.credit_code, "name": e.name }))
            .collect()
    } else {
        Vec::new()
    };
    page(
        "heavy_reductions.html",
        &auth,
        &s,
        context! { level => json!({ "code": lvl.code, "label": lvl.label, "response": lvl.response }), levels, entries, check,
        may_edit => auth.is_staff(), enterprises, imported => q.imported },
    )
}

/// Which entry the edit form opens.
#[derive(Debug, Deserialize, Default)]
pub struct EditQuery {
    /// 统一社会信用代码.
    pub credit_code: Option<String>,
    /// yellow, orange or red.
    pub level: Option<String>,
}

/// `GET /heavy/reductions/edit?credit_code=&level=` (staff): the entry form with the current
/// values and the history of the entry and of the baseline.
pub async fn edit_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<EditQuery>,
) -> Result<Response, PageError> {
    if let Err(e) = heavy::may_manage(auth.user.as_ref()) {
        return Err(refuse(
            &s,
            &auth,
            "page.view",
            "page:/heavy/reductions/edit".into(),
            e.into(),
            None,
        )
        .await
        .into());
    }
    let lvl = level_of(&LevelQuery {
        level: q.level.clone(),
        imported: None,
    })?;
    let credit = q
        .credit_code
        .as_deref()
        .map(str::trim)
        .unwrap_or("")
        .to_string();
    let reg = s.store.export_registry().await?;
    let Some(ent) = reg.enterprises.iter().find(|e| e.credit_code == credit) else {
        return Err(
            AppError::NotFound(format!("没有统一社会信用代码为 {credit} 的排污单位")).into(),
        );
    };
    let outlets: Vec<Value> = reg
        .outlets
        .iter()
        .filter(|o| o.credit_code == credit)
        .map(|o| json!({ "code": o.code, "name": o.name }))
        .collect();
    let current = s.store.heavy_reduction(&credit, &lvl.code).await?;
    let history = s.store.heavy_reduction_history(&credit, &lvl.code).await?;
    let baseline = s.store.heavy_baseline(&credit).await?;
    let baselines = s.store.heavy_baseline_history(&credit).await?;
    let history: Vec<Value> = history
        .iter()
        .map(|h| {
            let measures: Vec<String> = h
                .measures
                .iter()
                .map(|m| {
                    let name = rules::measure(&m.code).map_or(m.code.as_str(), |k| k.name.as_str());
                    format!("{name}{}{}", m.percent.as_ref().map(|p| format!(" {p} %")).unwrap_or_default(),
                        m.process.as_ref().map(|p| format!("：{p}")).unwrap_or_default())
                })
                .collect();
            json!({ "revision": h.revision, "removed": h.removed, "reduction": h.reduction, "note": h.note,
                "by_name": h.by_name, "at": h.at, "measures": measures.join("；"), "outlets": h.outlet_codes.join("、") })
        })
        .collect();
    // Five measure rows: the current ones, then empty ones to add.
    let mut rows: Vec<Value> = current
        .as_ref()
        .map(|c| c.measures.iter().map(|m| json!(m)).collect())
        .unwrap_or_default();
    while rows.len() < 5 {
        rows.push(json!({ "code": "", "percent": null, "process": null }));
    }
    page(
        "heavy_reduction_edit.html",
        &auth,
        &s,
        context! { ent => json!({ "credit_code": ent.credit_code, "name": ent.name, "county_name": county_name(&s, ent.division_code.as_deref()) }),
        level => json!({ "code": lvl.code, "label": lvl.label }), current, rows, outlets, history, baseline, baselines,
        measures => rules::rules().measure.clone(),
        current_outlets => current.as_ref().map(|c| c.outlet_codes.join("、")).unwrap_or_default() },
    )
}

/// The entry form's fields (measures come as parallel `measure_code` / `measure_percent` /
/// `measure_process` lists).
#[derive(Debug, Deserialize, Default)]
pub struct EntryBody {
    /// CSRF token (forms).
    #[serde(default)]
    pub csrf_token: Option<String>,
    /// 统一社会信用代码.
    #[serde(default)]
    pub credit_code: String,
    /// yellow, orange or red.
    #[serde(default)]
    pub level: String,
    /// Measures (API).
    #[serde(default)]
    pub measures: Vec<MeasureBody>,
    /// SO₂ reduction, kg/h.
    #[serde(default)]
    pub so2: String,
    /// NOx reduction, kg/h.
    #[serde(default)]
    pub nox: String,
    /// PM reduction, kg/h.
    #[serde(default)]
    pub pm: String,
    /// VOCs reduction, kg/h.
    #[serde(default)]
    pub vocs: String,
    /// Outlet codes (API: a list; forms: one text).
    #[serde(default)]
    pub outlets: Vec<String>,
    /// Note.
    #[serde(default)]
    pub note: Option<String>,
}

/// One measure in a JSON body.
#[derive(Debug, Deserialize, Default)]
pub struct MeasureBody {
    /// Code (see `/api/v1/heavy/rules`).
    pub code: String,
    /// Percentage.
    #[serde(default)]
    pub percent: Option<String>,
    /// Process or facility.
    #[serde(default)]
    pub process: Option<String>,
}

async fn save_entry(
    s: &AppState,
    auth: &Auth,
    f: &ReductionForm,
    csrf: Option<&str>,
) -> Result<(), AppError> {
    let target = format!(
        "enterprise:{} level:{}",
        f.credit_code.trim(),
        f.level.trim()
    );
    let check = heavy::may_manage(auth.user.as_ref())
        .map_err(AppError::from)
        .and_then(|_| auth.check_csrf(csrf));
    if let Err(e) = check {
        return Err(refuse(s, auth, "heavy_reduction.save", target, e, None).await);
    }
    match heavy::save_reduction(&s.store, auth.user.as_ref(), &auth.actor(), f).await {
        Ok(_) => Ok(()),
        Err(e) => Err(refuse_app(s, auth, "heavy_reduction.save", target, e, None).await),
    }
}

/// `POST /heavy/reductions` (form; staff): saves an entry (a new revision).
pub async fn reduction_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let one = |n: &str| {
        pairs
            .iter()
            .rev()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.clone())
    };
    let all = |n: &str| {
        pairs
            .iter()
            .filter(|(k, _)| k == n)
            .map(|(_, v)| v.clone())
            .collect::<Vec<_>>()
    };
    let (codes, percents, processes) = (
        all("measure_code"),
        all("measure_percent"),
        all("measure_process"),
    );
    let measures = codes
        .iter()
        .enumerate()
        .map(|(i, c)| MeasureInput {
            code: c.clone(),
            percent: percents.get(i).cloned(),
            process: processes.get(i).cloned(),
        })
        .collect();
    let f = ReductionForm {
        credit_code: one("credit_code").unwrap_or_default(),
        level: one("level").unwrap_or_default(),
        measures,
        so2: one("so2").unwrap_or_default(),
        nox: one("nox").unwrap_or_default(),
        pm: one("pm").unwrap_or_default(),
        vocs: one("vocs").unwrap_or_default(),
        outlets: one("outlets").unwrap_or_default(),
        note: one("note"),
    };
    save_entry(&s, &auth, &f, one("csrf_token").as_deref()).await?;
    Ok(Redirect::to(&format!("/heavy/reductions?level={}", f.level.trim())).into_response())
}

/// The removal form.
#[derive(Debug, Deserialize, Default)]
pub struct RemoveBody {
    /// CSRF token.
    #[serde(default)]
    pub csrf_token: Option<String>,
    /// 统一社会信用代码.
    #[serde(default)]
    pub credit_code: String,
    /// Level.
    #[serde(default)]
    pub level: String,
    /// Reason.
    #[serde(default)]
    pub reason: Option<String>,
}

/// `POST /heavy/reductions/remove` (form; staff): takes an enterprise off the list at a level.
pub async fn remove_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Form(b): Form<RemoveBody>,
) -> Result<Response, PageError> {
    let target = format!(
        "enterprise:{} level:{}",
        b.credit_code.trim(),
        b.level.trim()
    );
    let check = heavy::may_manage(auth.user.as_ref())
        .map_err(AppError::from)
        .and_then(|_| auth.check_csrf(b.csrf_token.as_deref()));
    if let Err(e) = check {
        return Err(refuse(&s, &auth, "heavy_reduction.remove", target, e, None)
            .await
            .into());
    }
    if let Err(e) = heavy::remove_reduction(
        &s.store,
        auth.user.as_ref(),
        &auth.actor(),
        &b.credit_code,
        &b.level,
        b.reason.as_deref(),
    )
    .await
    {
        return Err(refuse_app(
            &s,
            &auth,
            "heavy_reduction.remove",
            target,
            e,
            b.reason.clone(),
        )
        .await
        .into());
    }
    Ok(Redirect::to(&format!("/heavy/reductions?level={}", b.level.trim())).into_response())
}

/// The baseline form.
#[derive(Debug, Deserialize, Default)]
pub struct BaselineBody {
    /// CSRF token.
    #[serde(default)]
    pub csrf_token: Option<String>,
    /// 统一社会信用代码.
    #[serde(default)]
    pub credit_code: String,
    /// SO₂, kg/h.
    #[serde(default)]
    pub so2: String,
    /// NOx, kg/h.
    #[serde(default)]
    pub nox: String,
    /// PM, kg/h.
    #[serde(default)]
    pub pm: String,
    /// VOCs, kg/h.
    #[serde(default)]
    pub vocs: String,
    /// Basis of the figures.
    #[serde(default)]
    pub note: Option<String>,
    /// Where to go back to (the level of the list page).
    #[serde(default)]
    pub level: Option<String>,
}

/// `POST /heavy/baselines` (form; staff): saves an enterprise's baseline emissions.
pub async fn baseline_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Form(b): Form<BaselineBody>,
) -> Result<Response, PageError> {
    let target = format!("enterprise:{}", b.credit_code.trim());
    let check = heavy::may_manage(auth.user.as_ref())
        .map_err(AppError::from)
        .and_then(|_| auth.check_csrf(b.csrf_token.as_deref()));
    if let Err(e) = check {
        return Err(refuse(&s, &auth, "heavy_baseline.save", target, e, None)
            .await
            .into());
    }
    let k = Kg4 {
        so2: b.so2.clone(),
        nox: b.nox.clone(),
        pm: b.pm.clone(),
        vocs: b.vocs.clone(),
    };
    if let Err(e) = heavy::save_baseline(
        &s.store,
        auth.user.as_ref(),
        &auth.actor(),
        &b.credit_code,
        &k,
        b.note.as_deref(),
    )
    .await
    {
        return Err(
            refuse_app(&s, &auth, "heavy_baseline.save", target, e, None)
                .await
                .into(),
        );
    }
    let level = b
        .level
        .as_deref()
        .and_then(rules::level)
        .map_or("yellow", |l| l.code.as_str());
    Ok(Redirect::to(&format!("/heavy/reductions?level={level}")).into_response())
}

/// `GET /api/v1/heavy/rules`: industries with their grades, levels with their required
/// reductions, measure codes, pollutants, each with its source (public).
pub async fn api_rules() -> Json<Value> {
    Json(rules_json())
}

/// `GET /api/v1/heavy/grades?state=`: the published list (public, without internal notes), or
/// records on their way in the user's scope.
pub async fn api_grades(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<GradesQuery>,
    Query(pq): Query<paging::PageQuery>,
) -> Result<Json<Value>, AppError> {
    let state = state_of(&q)?;
    let n = paging::requested(&pq);
    let (limit, offset) = paging::window(n, paging::PER_PAGE);
    let (items, total) = match grades_for(&s, &auth, &state, limit, offset).await {
        Ok(x) => x,
        Err(e) => {
            return Err(refuse_app(
                &s,
                &auth,
                "page.view",
                "page:/api/v1/heavy/grades".into(),
                e,
                None,
            )
            .await);
        }
    };
    let grades: Vec<Value> = items.iter().map(|g| grade_json(&s, g)).collect();
    Ok(Json(
        json!({ "grades": grades, "total": total, "page": n, "per_page": paging::PER_PAGE }),
    ))
}

/// `GET /api/v1/heavy/grades/{id}`: a record with its steps and documents.
pub async fn api_grade(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    match heavy::grade_detail(&s.store, auth.user.as_ref(), id).await {
        Ok(d) => Ok(Json(
            json!({ "grade": grade_json(&s, &d.grade), "events": d.events, "documents": d.evidence }),
        )),
        Err(e) => Err(refuse_app(
            &s,
            &auth,
            "page.view",
            format!("page:/api/v1/heavy/grades/{id}"),
            e,
            None,
        )
        .await),
    }
}

/// `POST /api/v1/heavy/grades/{id}/review` (the county or staff): `approve`, `note`.
pub async fn api_review(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Option<Json<ReviewJson>>,
) -> Result<Json<Value>, AppError> {
    let csrf = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    let b = body.map(|b| b.0).unwrap_or_default();
    let sb = StepBody {
        csrf_token: None,
        approve: b.approve.map(|a| if a { "1".into() } else { "0".into() }),
        note: b.note,
    };
    let g = step(&s, &auth, id, false, &sb, csrf).await?;
    Ok(Json(json!({ "grade": grade_json(&s, &g) })))
}

/// Body of the API review.
#[derive(Debug, Deserialize, Default)]
pub struct ReviewJson {
    /// Approve (`true`) or return (`false`).
    #[serde(default)]
    pub approve: Option<bool>,
    /// Opinion; required to return.
    #[serde(default)]
    pub note: Option<String>,
}

/// `POST /api/v1/heavy/grades/{id}/publish` (staff): `note`.
pub async fn api_publish(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Option<Json<ReviewJson>>,
) -> Result<Json<Value>, AppError> {
    let csrf = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    let b = body.map(|b| b.0).unwrap_or_default();
    let sb = StepBody {
        csrf_token: None,
        approve: None,
        note: b.note,
    };
    let g = step(&s, &auth, id, true, &sb, csrf).await?;
    Ok(Json(json!({ "grade": grade_json(&s, &g) })))
}

/// `GET /api/v1/heavy/reductions?level=`: the list at a level in the user's scope, with the
/// city-wide check (staff and counties).
pub async fn api_reductions(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<LevelQuery>,
) -> Result<Json<Value>, AppError> {
    let lvl = level_of(&q)?;
    match list_for(&s, &auth, &lvl.code).await {
        Ok((list, check)) => {
            let entries: Vec<Value> = list.iter().map(|e| entry_json(&s, e)).collect();
            Ok(Json(
                json!({ "level": lvl.code, "level_label": lvl.label, "entries": entries, "check": check }),
            ))
        }
        Err(e) => Err(refuse_app(
            &s,
            &auth,
            "page.view",
            "page:/api/v1/heavy/reductions".into(),
            e,
            None,
        )
        .await),
    }
}

/// `POST /api/v1/heavy/reductions` (staff): saves an entry (a new revision).
pub async fn api_save_reduction(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    headers: HeaderMap,
    body: Result<Json<EntryBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, AppError> {
    let csrf = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    if let Err(e) = heavy::may_manage(auth.user.as_ref()) {
        return Err(refuse(
            &s,
            &auth,
            "heavy_reduction.save",
            "enterprise:".into(),
            e.into(),
            None,
        )
        .await);
    }
    let b = body.map_err(|r| AppError::rejected_body(&r.body_text()))?.0;
    let f = ReductionForm {
        credit_code: b.credit_code,
        level: b.level,
        measures: b
            .measures
            .into_iter()
            .map(|m| MeasureInput {
                code: m.code,
                percent: m.percent,
                process: m.process,
            })
            .collect(),
        so2: b.so2,
        nox: b.nox,
        pm: b.pm,
        vocs: b.vocs,
        outlets: b.outlets.join(","),
        note: b.note,
    };
    save_entry(&s, &auth, &f, csrf).await?;
    let e = s
        .store
        .heavy_reduction(f.credit_code.trim(), f.level.trim())
        .await?;
    Ok(Json(json!({ "entry": e })))
}

/// `GET /heavy/reductions/template.csv` (staff): the 应急减排清单 file's header.
pub async fn reductions_template(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
) -> Result<Response, AppError> {
    template_check(&s, &auth, "/heavy/reductions/template.csv").await?;
    Ok(crate::web::download::csv_attachment(
        qingshan_app::imports::template_csv(&imp::HEAVY_REDUCTION_TEMPLATE),
        "reduction-list-template.csv",
    ))
}

/// `GET /heavy/reductions/template.xlsx` (staff): the 应急减排清单 workbook to fill in, with
/// its 说明 sheet and the measure codes.
pub async fn reductions_template_xlsx(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
) -> Result<Response, AppError> {
    template_check(&s, &auth, "/heavy/reductions/template.xlsx").await?;
    crate::web::download::xlsx_attachment(
        qingshan_app::imports::template_xlsx(
            &imp::HEAVY_REDUCTION_TEMPLATE,
            &imp::heavy_reduction_notes(),
        ),
        "reduction-list-template.xlsx",
    )
}

async fn template_check(s: &AppState, auth: &Auth, path: &str) -> Result<(), AppError> {
    match heavy::may_manage(auth.user.as_ref()) {
        Ok(()) => Ok(()),
        Err(e) => Err(refuse(s, auth, "page.view", format!("page:{path}"), e.into(), None).await),
    }
}

/// `POST /heavy/reductions/import` (form upload, CSV or XLSX; staff): the 应急减排清单, all
/// or nothing; a file with bad rows gets the page listing each.
pub async fn reductions_import(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    let mut csrf = None;
    let mut bytes = Vec::new();
    while let Ok(Some(field)) = multipart.next_field().await {
        match field.name() {
            Some("csrf_token") => csrf = field.text().await.ok(),
            Some("file") => bytes = field.bytes().await.map(|b| b.to_vec()).unwrap_or_default(),
            _ => {}
        }
    }
    let target = "heavy_reductions".to_string();
    let check = heavy::may_manage(auth.user.as_ref())
        .map_err(AppError::from)
        .and_then(|_| auth.check_csrf(csrf.as_deref()));
    if let Err(e) = check {
        return Err(refuse(&s, &auth, "heavy_reduction.import", target, e, None)
            .await
            .into());
    }
    match imp::import_reductions(&s.store, auth.user.as_ref(), &auth.actor(), bytes).await {
        Ok(n) => Ok(Redirect::to(&format!("/heavy/reductions?imported={n}")).into_response()),
        Err(e) => {
            // Bad rows are a refusal too: audited, like the app's other refusals.
            let e = match e {
                e @ qingshan_app::Error::Rows(_) => {
                    refuse(&s, &auth, "heavy_reduction.import", target, e.into(), None).await
                }
                e => refuse_app(&s, &auth, "heavy_reduction.import", target, e, None).await,
            };
            crate::web::import_report::failed(&s, &auth, e, "应急减排清单导入", "/heavy/reductions")
        }
    }
}
