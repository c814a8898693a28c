//! The annual assessment on the web: inputs staff and departments enter (assigned targets,
//! judgements, task reports), and the report (规划实施情况评估报告) in HTML, PDF and XLSX.

use axum::body::Bytes;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::{Extension, Json};
use qingshan_report::{
    AssignedTarget, Inputs, ManualJudgement, ReportData, TaskReportInput, TaskState, ValueInput,
};
use qingshan_store::{Evidence, InputKey, NewTaskReport, TaskStatus};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::refuse;
use crate::auth::{Auth, CSRF_HEADER};
use crate::evidence::{self, Files, evidence_json};
use crate::imports::{self, ImportFile};
use crate::{AppError, AppState};

/// Everything the report for `year` rests on, read from the store.
pub async fn report_data(s: &AppState, year: i32) -> Result<ReportData, AppError> {
    let pid = &s.plan.meta.id;
    let values = s.store.current_indicator_values(pid).await?;
    let assigned = s.store.current_assigned_targets(pid).await?;
    let judgements = s.store.current_judgements(pid).await?;
    let tasks = s.store.all_task_reports(pid).await?;
    let inputs = Inputs {
        values: values
            .iter()
            .map(|v| ValueInput {
                indicator: v.indicator_number as u32,
                year: v.year as i32,
                division: v.division_code.clone(),
                value: v.value.clone(),
            })
            .collect(),
        assigned: assigned
            .iter()
            .map(|a| AssignedTarget {
                indicator: a.indicator_number as u32,
                year: a.year as i32,
                division: a.division_code.clone(),
                value: a.value.clone(),
            })
            .collect(),
        judgements: judgements
            .iter()
            .filter(|j| j.year == i64::from(year))
            .map(|j| ManualJudgement {
                indicator: j.indicator_number as u32,
                division: j.division_code.clone(),
                met: j.met,
                justification: j.justification.clone(),
            })
            .collect(),
        task_reports: tasks
            .iter()
            .filter_map(|t| {
                let status = t.status.as_str().parse::<TaskState>().ok()?;
                Some(TaskReportInput {
                    area: t.area as u32,
                    number: t.number as u32,
                    period: t.period.clone(),
                    status,
                    narrative: t.narrative.clone(),
                })
            })
            .collect(),
        options: Default::default(),
        scoring: Default::default(),
    };
    ReportData::build(&s.plan, year, &inputs)
        .map_err(|e| AppError::Internal(format!("report: {e}")))
}

fn check_year(s: &AppState, year: i32) -> Result<(), AppError> {
    let first = s.plan.meta.baseline_year + 1;
    let last = s.plan.meta.milestone_years.last().copied().unwrap_or(first);
    if year < first || year > last {
        return Err(AppError::invalid(
            "year",
            format!("评估年度应在 {first}–{last} 之间"),
        ));
    }
    Ok(())
}

/// `GET /reports/{file}`: `2024` (HTML page), `2024.pdf` or `2024.xlsx`.
pub async fn report(
    State(s): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, AppError> {
    let (year, ext) = file
        .split_once('.')
        .map_or((file.as_str(), "html"), |(y, e)| (y, e));
    let year: i32 = year
        .parse()
        .map_err(|_| AppError::NotFound(format!("没有报告 {file}")))?;
    check_year(&s, year)?;
    let data = report_data(&s, year).await?;
    let name = format!("assessment-{year}");
    match ext {
        "html" => Ok(Html(qingshan_report::render_html(&data)).into_response()),
        "xlsx" => {
            let bytes = qingshan_report::render_xlsx(&data)
                .map_err(|e| AppError::Internal(e.to_string()))?;
            Ok((
                [
                    (header::CONTENT_TYPE, imports::XLSX_CONTENT_TYPE.to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{name}.xlsx\""),
                    ),
                ],
                bytes,
            )
                .into_response())
        }
        "pdf" => {
            let Some((_, font)) = qingshan_report::find_cjk_font() else {
                return Err(AppError::Internal(
                    "未找到中文字体（安装 fonts-wqy-microhei 或设置 QINGSHAN_FONT）".into(),
                ));
            };
            let bytes = qingshan_report::render_pdf(&data, &font)
                .map_err(|e| AppError::Internal(e.to_string()))?;
            Ok((
                [
                    (header::CONTENT_TYPE, "application/pdf".to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("inline; filename=\"{name}.pdf\""),
                    ),
                ],
                bytes,
            )
                .into_response())
        }
        _ => Err(AppError::NotFound(format!("没有报告格式 {ext}"))),
    }
}

/// Body of an assigned target.
#[derive(Debug, Deserialize)]
pub struct AssignedInput {
    /// Year.
    pub year: i64,
    /// Division (default: the plan's own).
    pub division: Option<String>,
    /// Exact decimal text.
    pub value: String,
    /// The province's document.
    pub note: Option<String>,
}

/// `POST /api/v1/indicators/{number}/assigned-targets` (staff): the province's value for a year.
pub async fn record_assigned(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(number): Path<u32>,
    headers: HeaderMap,
    body: Result<Json<AssignedInput>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let action = "assigned_target.record";
    let target = format!("indicator:{number}");
    let csrf = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    let check = auth
        .require_staff()
        .map(|_| ())
        .and_then(|_| auth.check_csrf(csrf));
    if let Err(e) = check {
        return Err(refuse(&s, &auth, action, target, e, None).await);
    }
    let input = body
        .map_err(|r| AppError::invalid("body", r.body_text()))?
        .0;
    let Some(ind) = s.plan.indicator(number) else {
        return Err(AppError::NotFound(format!("没有第 {number} 项指标")));
    };
    if !ind
        .targets
        .iter()
        .any(|t| matches!(t.kind, qingshan_plan::TargetKind::ProvincialAssignment))
    {
        return Err(refuse(
            &s,
            &auth,
            action,
            target,
            AppError::invalid("indicator", "该指标的目标不是“完成省级下达任务”"),
            Some(input.value),
        )
        .await);
    }
    let division = input
        .division
        .unwrap_or_else(|| s.plan.meta.division.clone());
    let value =
        match crate::views::validate_value(&s.plan, ind, input.year, &division, &input.value) {
            Ok(v) => v,
            Err(e) => return Err(refuse(&s, &auth, action, target, e, Some(input.value)).await),
        };
    let row = s
        .store
        .record_assigned_target(
            InputKey {
                plan_id: &s.plan.meta.id,
                indicator: number.into(),
                year: input.year,
                division: &division,
            },
            &value.to_string(),
            input.note.as_deref(),
            &auth.actor(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(json!({ "assigned_target": row }))))
}

/// Body of a judgement.
#[derive(Debug, Deserialize)]
pub struct JudgementInput {
    /// Year.
    pub year: i64,
    /// Division (default: the plan's own).
    pub division: Option<String>,
    /// Whether the target is judged met.
    pub met: bool,
    /// Why (required).
    pub justification: String,
}

/// `POST /api/v1/indicators/{number}/judgements` (staff): a qualitative target judged.
pub async fn record_judgement(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(number): Path<u32>,
    headers: HeaderMap,
    body: Result<Json<JudgementInput>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let action = "judgement.record";
    let target = format!("indicator:{number}");
    let csrf = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    let check = auth
        .require_staff()
        .map(|_| ())
        .and_then(|_| auth.check_csrf(csrf));
    if let Err(e) = check {
        return Err(refuse(&s, &auth, action, target, e, None).await);
    }
    let input = body
        .map_err(|r| AppError::invalid("body", r.body_text()))?
        .0;
    if s.plan.indicator(number).is_none() {
        return Err(AppError::NotFound(format!("没有第 {number} 项指标")));
    }
    if input.justification.trim().is_empty() {
        return Err(refuse(
            &s,
            &auth,
            action,
            target,
            AppError::invalid("justification", "人工评定须写明依据"),
            None,
        )
        .await);
    }
    let division = input
        .division
        .unwrap_or_else(|| s.plan.meta.division.clone());
    let row = s
        .store
        .record_judgement(
            InputKey {
                plan_id: &s.plan.meta.id,
                indicator: number.into(),
                year: input.year,
                division: &division,
            },
            input.met,
            input.justification.trim(),
            &auth.actor(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(json!({ "judgement": row }))))
}

/// Body of a task report.
#[derive(Debug, Deserialize)]
pub struct TaskReportBody {
    /// "2024" or "2024Q3".
    pub period: String,
    /// not_started, in_progress, completed or lagging.
    pub status: String,
    /// What was done.
    pub narrative: String,
}

fn valid_period(p: &str) -> bool {
    let b = p.as_bytes();
    (b.len() == 4 && b.iter().all(u8::is_ascii_digit))
        || (b.len() == 6
            && b[..4].iter().all(u8::is_ascii_digit)
            && b[4] == b'Q'
            && (b'1'..=b'4').contains(&b[5]))
}

impl TaskReportBody {
    /// The report's fields out of an upload form; missing ones are empty and refused as such.
    pub(crate) fn from_fields(fields: &std::collections::HashMap<String, String>) -> Self {
        let field = |k: &str| fields.get(k).cloned().unwrap_or_default();
        TaskReportBody {
            period: field("period"),
            status: field("status"),
            narrative: field("narrative"),
        }
    }
}

/// `GET /api/v1/tasks/{area}/{number}/reports`: the latest report of each period, with the ids
/// evidence is attached to.
pub async fn task_reports(
    State(s): State<AppState>,
    Path((area, number)): Path<(u32, u32)>,
) -> Result<Json<Value>, AppError> {
    if s.plan.task(area, number).is_none() {
        return Err(AppError::NotFound(format!("没有任务 {area}-{number}")));
    }
    let reports = s
        .store
        .task_reports(&s.plan.meta.id, area.into(), number.into())
        .await?;
    Ok(Json(json!({ "reports": reports })))
}

/// `POST /api/v1/tasks/{area}/{number}/reports`: a responsible unit reports a task's progress,
/// as JSON, or as multipart/form-data with evidence files (parts named `file` or `files`).
pub async fn record_task_report(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path((area, number)): Path<(u32, u32)>,
    req: Request,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let csrf = req
        .headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let (input, files) = if evidence::is_multipart(req.headers()) {
        let up = read_report_upload(&s, &auth, area, number, req).await?;
        (TaskReportBody::from_fields(&up.fields), up.files)
    } else {
        match Json::<TaskReportBody>::from_request(req, &s).await {
            Ok(Json(b)) => (b, Files::default()),
            Err(r) => {
                return Err(refuse(
                    &s,
                    &auth,
                    "task_report.record",
                    format!("task:{area}-{number}"),
                    AppError::invalid("body", r.body_text()),
                    None,
                )
                .await);
            }
        }
    };
    let (r, files) =
        record_task_report_with_files(&s, &auth, area, number, input, csrf.as_deref(), files)
            .await?;
    Ok((
        StatusCode::CREATED,
        Json(
            json!({ "report": r, "evidence": files.iter().map(evidence_json).collect::<Vec<_>>() }),
        ),
    ))
}

/// Reads a report form with files, once the requester is known to be allowed on the task:
/// nobody else gets to send files at all. Refusals are audited.
pub(crate) async fn read_report_upload(
    s: &AppState,
    auth: &Auth,
    area: u32,
    number: u32,
    req: Request,
) -> Result<evidence::Upload, AppError> {
    let target = format!("task:{area}-{number}");
    let user = match auth.require_user() {
        Ok(u) => u.clone(),
        Err(e) => return Err(refuse(s, auth, "task_report.record", target, e, None).await),
    };
    let Some(task) = s.plan.task(area, number) else {
        return Err(AppError::NotFound(format!("没有任务 {area}-{number}")));
    };
    if let Err(e) = evidence::task_permission(&user, task) {
        return Err(refuse(s, auth, "task_report.record", target, e, None).await);
    }
    match evidence::read_request(s, req).await {
        Ok(up) => Ok(up),
        Err(e) => Err(refuse(s, auth, "task_evidence.upload", target, e, None).await),
    }
}

/// Every check of a task report (role, unit, CSRF, period, status, narrative) and of its
/// evidence files (size, content), then the write; shared by the API and the form. The report
/// and its files are stored together or not at all.
pub(crate) async fn record_task_report_with_files(
    s: &AppState,
    auth: &Auth,
    area: u32,
    number: u32,
    input: TaskReportBody,
    csrf: Option<&str>,
    files: Files,
) -> Result<(qingshan_store::TaskReport, Vec<Evidence>), AppError> {
    let action = "task_report.record";
    let target = format!("task:{area}-{number}");
    let user = match auth.require_user() {
        Ok(u) => u.clone(),
        Err(e) => return Err(refuse(s, auth, action, target, e, None).await),
    };
    if let Err(e) = auth.check_csrf(csrf) {
        return Err(refuse(s, auth, action, target, e, None).await);
    }
    let Some(task) = s.plan.task(area, number) else {
        return Err(AppError::NotFound(format!("没有任务 {area}-{number}")));
    };
    if let Err(e) = evidence::task_permission(&user, task) {
        return Err(refuse(s, auth, action, target, e, None).await);
    }
    let Some(status) = TaskStatus::parse(&input.status) else {
        return Err(refuse(
            s,
            auth,
            action,
            target,
            AppError::invalid(
                "status",
                "应为 not_started、in_progress、completed 或 lagging",
            ),
            None,
        )
        .await);
    };
    if !valid_period(&input.period) {
        return Err(refuse(
            s,
            auth,
            action,
            target,
            AppError::invalid("period", "期间应为 2024 或 2024Q3 的形式"),
            None,
        )
        .await);
    }
    if input.narrative.trim().is_empty() || input.narrative.chars().count() > 5000 {
        return Err(refuse(
            s,
            auth,
            action,
            target,
            AppError::invalid("narrative", "进展说明不能为空且不超过 5000 字"),
            None,
        )
        .await);
    }
    let accepted = match evidence::check_files(files, s.config.evidence_max_bytes) {
        Ok(a) => a,
        Err(why) => {
            let target = format!("{target} period:{}", input.period);
            return Err(evidence::refuse_files(s, auth, target, why).await);
        }
    };
    let new = NewTaskReport {
        plan_id: s.plan.meta.id.clone(),
        area: area.into(),
        number: number.into(),
        period: input.period,
        status,
        narrative: input.narrative,
    };
    Ok(s.store
        .record_task_report_with_evidence(&new, &accepted, &auth.actor())
        .await?)
}

/// The latest year with any city value, for the dashboard's status column.
pub fn latest_year(values: &[qingshan_store::IndicatorValue], city: &str) -> Option<i32> {
    values
        .iter()
        .filter(|v| v.division_code == city)
        .map(|v| v.year as i32)
        .max()
}

/// `GET /api/v1/values/template.csv`: the values import file's header.
pub async fn values_template() -> impl IntoResponse {
    // The BOM lets spreadsheet programs read the UTF-8 text.
    let body = format!(
        "\u{feff}{}\n",
        qingshan_plan::values::VALUE_COLUMNS.join(",")
    );
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"values-template.csv\"",
            ),
        ],
        body,
    )
}

/// `GET /api/v1/values/template.xlsx`: the values workbook to fill in, with a 说明 sheet.
pub async fn values_template_xlsx() -> Result<Response, AppError> {
    imports::xlsx_attachment(
        imports::template_xlsx(&imports::VALUES_TEMPLATE, &imports::values_notes()),
        "values-template.xlsx",
    )
}

/// `POST /api/v1/values/import`: a values file as the body, CSV or XLSX (told apart by
/// content). All or nothing: a bad row (422) or a row the user may not write (403) is named,
/// audited, and nothing is stored.
pub async fn import_values(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let csrf = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    let c = import_values_file(&s, &auth, csrf, body.to_vec()).await?;
    let mut answer = crate::import_report::json(&c);
    answer["imported"] = json!(c.new + c.changed);
    Ok((StatusCode::CREATED, Json(answer)))
}

/// `POST /values/import` (form upload of a values file, CSV or XLSX): the same all-or-nothing
/// import as the API, back to the dashboard with the count.
pub async fn import_values_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    mut multipart: axum::extract::Multipart,
) -> Result<Response, crate::pages::PageError> {
    let mut csrf = None;
    let mut file = Vec::new();
    while let Ok(Some(field)) = multipart.next_field().await {
        match field.name() {
            Some("csrf_token") => csrf = field.text().await.ok(),
            Some("file") => file = field.bytes().await.map(|b| b.to_vec()).unwrap_or_default(),
            _ => {}
        }
    }
    let c = import_values_file(&s, &auth, csrf.as_deref(), file).await?;
    let to = format!(
        "/?imported={}&{}",
        c.new + c.changed,
        crate::import_report::query(&c)
    );
    Ok(axum::response::Redirect::to(&to).into_response())
}

async fn import_values_file(
    s: &AppState,
    auth: &Auth,
    csrf: Option<&str>,
    body: Vec<u8>,
) -> Result<qingshan_store::ImportCounts, AppError> {
    let action = "indicator_value.import";
    let user = match auth.require_user() {
        Ok(u) => u.clone(),
        Err(e) => return Err(refuse(s, auth, action, "values".into(), e, None).await),
    };
    if let Err(e) = auth.check_csrf(csrf) {
        return Err(refuse(s, auth, action, "values".into(), e, None).await);
    }
    let file = match ImportFile::from_bytes(body) {
        Ok(f) => f,
        Err(e) => {
            let err = AppError::invalid("file", e.to_string());
            return Err(refuse(s, auth, action, "values".into(), err, None).await);
        }
    };
    let rows = match qingshan_plan::values::read_values(file.csv(), &s.plan) {
        Ok(r) => r,
        Err(e) => {
            let err = AppError::Invalid {
                field: format!("row {} column {}", e.row, e.column),
                message: imports::values_error(&e, &file),
            };
            return Err(refuse(s, auth, action, "values".into(), err, None).await);
        }
    };
    for r in &rows {
        let Some(ind) = s.plan.indicator(r.indicator) else {
            continue;
        };
        if let Err(why) = crate::auth::value_permission(&user, ind, &r.division) {
            let err = AppError::Forbidden(format!("第 {} 行：{why}", r.row));
            return Err(refuse(
                s,
                auth,
                action,
                format!("indicator:{} row:{}", r.indicator, r.row),
                err,
                Some(r.value.to_string()),
            )
            .await);
        }
    }
    let new: Vec<qingshan_store::NewIndicatorValue> = rows
        .iter()
        .map(|r| qingshan_store::NewIndicatorValue {
            plan_id: s.plan.meta.id.clone(),
            indicator_number: r.indicator.into(),
            year: r.year.into(),
            division_code: r.division.clone(),
            value: r.value.to_string(),
            note: r.note.clone(),
            reason: r.reason.clone(),
            source: "import".into(),
        })
        .collect();
    Ok(s.store
        .record_indicator_values_changes(&new, &auth.actor())
        .await?)
}

/// Computes the plan's monitoring-based indicators of `year` for the city and records them as
/// values "computed from monitoring", with the data behind them in the note: 11 (优良天数比例)
/// and 12 (PM2.5 年平均浓度) from the stored air data (HJ 663, the 国控 stations), 13 (国考断面
/// Ⅲ类及以上比例) and 14 (集中式饮用水源达标比例) from the stored surface-water data. Unchanged
/// values are not recorded again. Returns the values recorded.
pub async fn record_monitoring_indicators(
    s: &AppState,
    year: i32,
    actor: &qingshan_store::Actor,
) -> Result<Vec<qingshan_store::IndicatorValue>, AppError> {
    check_year(s, year)?;
    let city = s
        .plan
        .division(&s.plan.meta.division)
        .map_or("全市", |d| d.name.as_str())
        .to_string();
    // (indicator, division, value, note): the city, then each county with stations of its own.
    let mut wanted: Vec<(i64, String, String, String)> = Vec::new();
    let opts = qingshan_air::AssessOptions::default();
    let with_stations = crate::air::counties_with_stations(&s.store)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let mut areas: Vec<(String, String, bool)> = vec![(s.plan.meta.division.clone(), city, true)];
    areas.extend(
        s.plan
            .divisions
            .iter()
            .filter(|d| d.level == qingshan_plan::DivisionLevel::County)
            .filter(|d| with_stations.contains(&d.code))
            .map(|d| (d.code.clone(), d.name.clone(), false)),
    );
    for (code, name, is_city) in areas {
        let (codes, a) = if is_city {
            crate::air::stored_city_assessment(&s.store, &name, year, &opts).await
        } else {
            crate::air::stored_county_assessment(&s.store, &name, &code, year, &opts).await
        }
        .map_err(|e| AppError::Internal(e.to_string()))?;
        if codes.is_empty() || a.valid_days == 0 {
            continue;
        }
        let note = format!(
            "由 {} 个{}站点（{}）按 HJ 663 计算：{}",
            codes.len(),
            if is_city { "国控" } else { "" },
            codes.join("、"),
            crate::air::data_capture_note(&a, year)
        );
        if let Some(r) = a.good_days_ratio {
            wanted.push((11, code.clone(), r.format_gbt8170(1), note.clone()));
        }
        if let Some(m) = a
            .pollutants
            .get(qingshan_air::Pollutant::Pm25.index())
            .and_then(|p| p.mean)
        {
            wanted.push((12, code, m.format_gbt8170(0), note));
        }
    }
    let sections = crate::water::sections_year(&s.store, year)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let w =
        crate::water::water_year(year, &sections).map_err(|e| AppError::Internal(e.to_string()))?;
    if let Some(v) = w.share_iii_or_better {
        wanted.push((
            13,
            s.plan.meta.division.clone(),
            v,
            format!(
                "按 GB 3838-2002 单因子评价 {} 个国考断面（{}）的年均值",
                w.national_sections.len(),
                w.national_sections.join("、")
            ),
        ));
    }
    if let Some(v) = w.drinking_source_compliance {
        wanted.push((
            14,
            s.plan.meta.division.clone(),
            v,
            format!(
                "{} 个集中式饮用水源（{}），{}",
                w.drinking_sources.len(),
                w.drinking_sources.join("、"),
                w.drinking_basis
            ),
        ));
    }
    if wanted.is_empty() {
        return Err(AppError::invalid(
            "year",
            format!("{year} 年没有可用于计算指标的监测数据"),
        ));
    }
    let current = s.store.current_indicator_values(&s.plan.meta.id).await?;
    let mut out = Vec::new();
    for (n, division_code, value, note) in wanted {
        let same = current.iter().any(|v| {
            v.indicator_number == n
                && v.year == i64::from(year)
                && v.division_code == division_code
                && v.value == value
        });
        if same {
            continue;
        }
        let new = qingshan_store::NewIndicatorValue {
            plan_id: s.plan.meta.id.clone(),
            indicator_number: n,
            year: year.into(),
            division_code,
            value,
            note: Some(note),
            reason: Some("监测数据计算".into()),
            source: "monitoring".into(),
        };
        out.push(s.store.record_indicator_value(&new, actor).await?);
    }
    Ok(out)
}

/// Query of the monitoring computation.
#[derive(Debug, Deserialize)]
pub struct YearQuery {
    /// The year.
    pub year: i32,
}

/// `POST /api/v1/indicators/monitoring?year=YYYY` (staff): offers the monitoring-based values.
pub async fn compute_monitoring(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    axum::extract::Query(q): axum::extract::Query<YearQuery>,
    headers: HeaderMap,
) -> Result<Json<Value>, AppError> {
    let csrf = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    let check = auth
        .require_staff()
        .map(|_| ())
        .and_then(|_| auth.check_csrf(csrf));
    if let Err(e) = check {
        return Err(refuse(
            &s,
            &auth,
            "indicator_value.monitoring",
            "indicators:11-14".into(),
            e,
            None,
        )
        .await);
    }
    let recorded = record_monitoring_indicators(&s, q.year, &auth.actor()).await?;
    Ok(Json(json!({ "recorded": recorded })))
}
