//! The OpenAPI 3.1 description of `/api/v1`, served at `/api/v1/openapi.json`.

use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::AppState;

/// `GET /api/v1/openapi.json`.
pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/openapi.json", get(document))
}

fn err_responses() -> Value {
    json!({
        "401": { "description": "未登录或令牌无效", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
        "403": { "description": "无权操作，或缺少 CSRF 令牌（会话方式）", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
        "404": { "description": "不存在", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
        "422": { "description": "输入有误，field 指明字段", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }
    })
}

fn ok(desc: &str) -> Value {
    json!({ "200": { "description": desc, "content": { "application/json": { "schema": { "type": "object" } } } } })
}

/// The media type of an XLSX workbook.
const XLSX: &str = qingshan_app::imports::XLSX_CONTENT_TYPE;

/// The body of an import: a CSV text or an XLSX workbook, told apart by content.
fn import_body() -> Value {
    json!({
        "text/csv": { "schema": { "type": "string" } },
        XLSX: { "schema": { "type": "string", "format": "binary" } }
    })
}

/// The document.
pub fn spec() -> Value {
    let mut doc = base_spec();
    if let (Some(paths), Value::Object(more)) = (doc["paths"].as_object_mut(), disclosure_paths()) {
        paths.extend(more);
    }
    doc
}

/// The document without the paths kept in their own functions.
fn base_spec() -> Value {
    let number = json!({ "name": "number", "in": "path", "required": true, "schema": { "type": "integer", "minimum": 1 }, "description": "指标序号" });
    let mut record_responses = err_responses();
    record_responses["201"] = json!({ "description": "已记录为新的修订版本", "content": { "application/json": { "schema": { "type": "object", "properties": { "value": { "$ref": "#/components/schemas/IndicatorValue" } } } } } });
    let mut upload_responses = err_responses();
    upload_responses["201"] = json!({ "description": "已保存（与审计记录同一事务）", "content": { "application/json": { "schema": { "type": "object", "properties": {
        "report": { "$ref": "#/components/schemas/TaskReport" }, "evidence": { "type": "array", "items": { "$ref": "#/components/schemas/Evidence" } } } } } } });
    upload_responses["413"] = json!({ "description": "文件超过大小上限（默认每个 20 MiB，见 serve --evidence-max-mib），未保存任何内容", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } });
    upload_responses["415"] = json!({ "description": "文件内容不是 PDF、JPEG、PNG、OFD、DOCX 或 XLSX（按内容识别，不看文件名），message 说明识别出的类型，未保存任何内容", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } });
    let report_id = json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" }, "description": "任务进展报告（某一修订版本）的编号" });
    let task_params = json!([{ "name": "area", "in": "path", "required": true, "schema": { "type": "integer" } }, { "name": "number", "in": "path", "required": true, "schema": { "type": "integer" } }]);
    let files_body = json!({ "type": "array", "items": { "type": "string", "contentMediaType": "application/octet-stream" }, "maxItems": 10,
        "description": "佐证材料（表单字段名 file 或 files，可重复）：PDF、JPEG、PNG、OFD、DOCX、XLSX，按内容识别" });
    let mut token_responses = err_responses();
    token_responses["201"] = json!({ "description": "令牌（只显示一次）", "content": { "application/json": { "schema": { "type": "object", "properties": { "id": { "type": "integer" }, "token": { "type": "string" }, "user_id": { "type": "integer" } } } } } });
    let mut doc = json!({
        "openapi": "3.1.0",
        "info": { "title": "青山 qingshan API", "version": env!("CARGO_PKG_VERSION"), "description": "规划指标、任务与填报数据。读接口公开；写接口需会话（附 X-CSRF-Token 请求头）或管理员签发的 API 令牌（Authorization: Bearer）。" },
        "servers": [{ "url": "/api/v1" }],
        "components": {
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer", "description": "管理员签发的 API 令牌" },
                "session": { "type": "apiKey", "in": "cookie", "name": "qs_session", "description": "浏览器会话；写操作另需 X-CSRF-Token 请求头（见 GET /me）" }
            },
            "schemas": {
                "LedgerItemInput": { "type": "object", "required": ["task", "text", "measure", "lead", "deadline", "year", "reason"], "properties": {
                    "id": { "type": "string", "description": "事项编号（新增时），英文字母、数字、- 和 _" }, "task": { "type": "string", "description": "任务编号，如 3-1" },
                    "text": { "type": "string" }, "measure": { "type": "string", "enum": ["count", "milestone", "objects"] },
                    "measure_unit": { "type": "string" }, "target": { "type": "string" }, "direction": { "type": "string", "enum": ["at_least", "at_most"] },
                    "objects": { "type": "string", "description": "每行一个对象：名称 或 名称|区县代码" },
                    "lead": { "type": "string" }, "supporting": { "type": "string", "description": "单位编号，空格或逗号分隔" },
                    "counties": { "type": "string", "description": "区县代码，空格或逗号分隔；all 为全部区县" },
                    "deadline": { "type": "string", "format": "date" }, "year": { "type": "string" }, "reason": { "type": "string" } } },
                "InspectionProblem": { "type": "object", "description": "督察整改问题的登记内容", "required": ["source_kind", "source_batch", "title", "description", "measures", "units", "deadline"], "properties": {
                    "source_kind": { "type": "string", "enum": ["central", "provincial", "audit", "other"], "description": "中央生态环境保护督察、省级生态环境保护督察、审计、其他督查检查" },
                    "source_batch": { "type": "string", "maxLength": 200, "description": "批次或轮次，如 第二轮中央生态环境保护督察" },
                    "title": { "type": "string", "maxLength": 200 }, "description": { "type": "string", "maxLength": 4000 }, "measures": { "type": "string", "maxLength": 4000 },
                    "units": { "type": "array", "items": { "type": "string" }, "description": "规划中的责任单位编号（至少一个）" },
                    "counties": { "type": "array", "items": { "type": "string", "pattern": "^[0-9]{6}$" }, "description": "所涉县（市、区）GB/T 2260 代码；空为全市" },
                    "deadline": { "type": "string", "format": "date", "description": "整改期限（北京日期）" },
                    "internal_note": { "type": "string", "description": "内部备注，不公开" } } },
                "Error": { "type": "object", "required": ["error", "message"], "properties": {
                    "error": { "type": "string", "enum": ["unauthenticated", "forbidden", "csrf", "not_found", "invalid", "conflict", "too_large", "unsupported_type", "too_many_attempts", "internal"] },
                    "message": { "type": "string" }, "field": { "type": "string" } } },
                "ValueInput": { "type": "object", "required": ["year", "value"], "properties": {
                    "year": { "type": "integer" },
                    "division": { "type": "string", "pattern": "^[0-9]{6}$", "description": "GB/T 2260 代码，缺省为规划所属行政区" },
                    "value": { "oneOf": [{ "type": "string" }, { "type": "number" }], "description": "十进制数；用字符串可保留原样精度" },
                    "note": { "type": "string", "maxLength": 500 }, "reason": { "type": "string", "maxLength": 500 } } },
                "TaskReport": { "type": "object", "properties": {
                    "id": { "type": "integer" }, "area": { "type": "integer" }, "number": { "type": "integer" }, "period": { "type": "string" },
                    "revision": { "type": "integer" }, "status": { "type": "string", "enum": ["not_started", "in_progress", "completed", "lagging"] },
                    "narrative": { "type": "string" }, "reported_by_name": { "type": ["string", "null"] }, "reported_at": { "type": "string" } } },
                "Evidence": { "type": "object", "description": "佐证材料（不含内容）。仅登录用户可查看与下载。", "properties": {
                    "id": { "type": "integer" }, "report_id": { "type": "integer" }, "plan_id": { "type": "string" }, "area": { "type": "integer" }, "number": { "type": "integer" },
                    "period": { "type": "string" }, "revision": { "type": "integer", "description": "所附报告的修订版本" },
                    "file_name": { "type": "string", "description": "清理后的原文件名（扩展名与识别出的类型一致）" },
                    "content_type": { "type": "string", "description": "按内容识别的类型" }, "size_bytes": { "type": "integer" },
                    "sha256": { "type": "string", "pattern": "^[0-9a-f]{64}$" }, "uploaded_by": { "type": ["integer", "null"] }, "uploaded_by_name": { "type": ["string", "null"] },
                    "uploaded_at": { "type": "string" },
                    "download_url": { "type": "string", "description": "下载地址 /tasks/evidence/{id}（不在 /api/v1 下；需会话或 Bearer 令牌；以附件形式返回，带 X-Content-Type-Options: nosniff）" } } },
                "IndicatorValue": { "type": "object", "properties": {
                    "id": { "type": "integer" }, "indicator_number": { "type": "integer" }, "year": { "type": "integer" }, "division_code": { "type": "string" },
                    "revision": { "type": "integer" }, "value": { "type": "string" }, "note": { "type": ["string", "null"] }, "reason": { "type": ["string", "null"] },
                    "source": { "type": "string" }, "entered_by_name": { "type": ["string", "null"] }, "entered_at": { "type": "string" },
                    "valid_days": { "type": ["integer", "null"], "description": "由监测数据计算的数值：期内有效天数（手工填报或导入的数值为 null）" },
                    "period_days": { "type": ["integer", "null"], "description": "期内天数（全年 365 或 366）" },
                    "capture_valid": { "type": ["boolean", "null"], "description": "有效天数是否满足 GB 3095 数据有效性规定（全年 ≥ 324 天，每月 ≥ 27 天、2 月 ≥ 25 天）；false 为数据不足，不作为评估依据" } } }
            }
        },
        "paths": {
            "/plan": { "get": { "summary": "规划基本信息", "responses": ok("规划元数据") } },
            "/indicators": { "get": { "summary": "全部指标（含目标与最新值）", "responses": ok("指标列表") } },
            "/progress": { "get": { "summary": "某一评估年度的进展：year（默认为数据完整的最近年份，year_basis 说明理由）、各指标状态、责任单位与县（市、区）的百分制得分；有指标无数据的单位 score 与 grade 为 null，grade_status 为 incomplete，missing 为无数据指标数",
                "parameters": [{ "name": "year", "in": "query", "required": false, "schema": { "type": "integer" }, "description": "评估年份（基准年后至最后目标年）" }], "responses": ok("评估结果") } },
            "/indicators/{number}": { "get": { "summary": "单项指标", "parameters": [number.clone()], "responses": ok("指标") } },
            "/indicators/{number}/values": {
                "get": { "summary": "指标填报记录（全部修订）", "parameters": [number.clone(), { "name": "division", "in": "query", "schema": { "type": "string" } }], "responses": ok("修订列表") },
                "post": { "summary": "填报指标数值（新增修订，不覆盖）", "parameters": [number],
                          "security": [{ "bearer": [] }, { "session": [] }],
                          "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ValueInput" } } } },
                          "responses": record_responses }
            },
            "/tasks": { "get": { "summary": "主要任务（按领域）", "responses": ok("任务") } },
            "/units": { "get": { "summary": "责任单位", "responses": ok("单位") } },
            "/divisions": { "get": { "summary": "行政区划（GB/T 2260）", "responses": ok("区划") } },
            "/map/divisions.geojson": { "get": { "summary": "各区县边界（GeoJSON FeatureCollection，properties.code 为 GB/T 2260 代码，properties.name 为名称；坐标系见 coordinate_system，内置规划为 GCJ-02）",
                "responses": { "200": { "description": "每个区县一个要素", "content": { "application/geo+json": { "schema": { "type": "object" } } } },
                               "404": { "description": "规划未附区县边界", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } } } } },
            "/me": { "get": { "summary": "当前用户与 CSRF 令牌", "security": [{ "bearer": [] }, { "session": [] }], "responses": ok("用户") } },
            "/tokens": { "post": { "summary": "签发 API 令牌（管理员）", "security": [{ "bearer": [] }, { "session": [] }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["user_id", "label"], "properties": { "user_id": { "type": "integer" }, "label": { "type": "string" } } } } } },
                "responses": token_responses } },
            "/audit": { "get": { "summary": "审计日志（工作人员）", "security": [{ "bearer": [] }, { "session": [] }],
                "parameters": [{ "name": "action", "in": "query", "schema": { "type": "string" }, "description": "操作代码前缀" }, { "name": "limit", "in": "query", "schema": { "type": "integer", "maximum": 1000 }, "description": "每页条数（默认 100）" },
                               { "name": "page", "in": "query", "schema": { "type": "integer", "minimum": 1 }, "description": "页码" }],
                "responses": ok("审计记录（entries、total、page、per_page），新的在前") } },
            "/openapi.json": { "get": { "summary": "本文档", "responses": ok("OpenAPI 文档") } },
            "/enterprise": { "get": { "summary": "排污单位账号的本单位概况：登记信息、排放口、设备及最新小时值、许可与限值、未处理告警（仅排污单位账号）", "security": [{ "bearer": [] }, { "session": [] }], "responses": ok("本单位概况") } },
            "/enterprise-accounts": { "post": { "summary": "为名录中的排污单位开通账号（工作人员）；初始密码仅在应答中出现一次，首次登录须修改", "security": [{ "bearer": [] }, { "session": [] }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["credit_code", "username"], "properties": { "credit_code": { "type": "string", "description": "统一社会信用代码（18 位，含校验位）" }, "username": { "type": "string" }, "display_name": { "type": "string" } } } } } },
                "responses": { "201": { "description": "账号及初始密码（initial_password）", "content": { "application/json": { "schema": { "type": "object" } } } } } } },
            "/sources/devices": { "get": { "summary": "监控设备及在线状态，按单位名称、排放口编码、MN 排序，分页（每页 100 台）；total 与 online 为筛选后全部设备的台数与在线台数",
                "parameters": [{ "name": "page", "in": "query", "schema": { "type": "integer", "minimum": 1 }, "description": "页码，每页 100 台" },
                               { "name": "q", "in": "query", "schema": { "type": "string" }, "description": "单位名称、统一社会信用代码或 MN 的一部分" },
                               { "name": "county", "in": "query", "schema": { "type": "string" }, "description": "区县行政区划代码" },
                               { "name": "kind", "in": "query", "schema": { "type": "string", "enum": ["gas", "water"] }, "description": "gas 废气、water 废水" }],
                "responses": ok("设备列表（devices、total、online、page、per_page）") } },
            "/sources/devices/{mn}/data": { "get": { "summary": "设备某因子的监测数据（时间范围）",
                "parameters": [{ "name": "mn", "in": "path", "required": true, "schema": { "type": "string" } },
                               { "name": "factor", "in": "query", "required": true, "schema": { "type": "string" } },
                               { "name": "from", "in": "query", "required": true, "schema": { "type": "string" }, "description": "YYYYMMDDhhmmss（含）" },
                               { "name": "to", "in": "query", "required": true, "schema": { "type": "string" }, "description": "YYYYMMDDhhmmss（不含）" },
                               { "name": "cn", "in": "query", "schema": { "type": "string", "enum": ["2011", "2051", "2061", "2031", "2021", "2041"] } }],
                "responses": ok("数据") } },
            "/sources/devices/{mn}/statistics": { "get": { "summary": "设备数据有效传输率（某月，逐日）与年度累计排放量对比许可总量",
                "parameters": [{ "name": "mn", "in": "path", "required": true, "schema": { "type": "string" } },
                               { "name": "year", "in": "query", "required": true, "schema": { "type": "integer" } },
                               { "name": "month", "in": "query", "required": true, "schema": { "type": "integer", "minimum": 1, "maximum": 12 } }],
                "responses": ok("统计") } },
            "/sources/devices/{mn}/gaps": { "get": { "summary": "设备缺数与自动补传：每小时发现的分钟数据（2051）和小时数据（2061）缺数时段（RFC 3339，北京时间）、状态（pending 待补传、requesting 补传中、partial 部分补传、filled 已补传、failed 无法补传）、请求次数和补传请求（远程命令编号），新的在前",
                "parameters": [{ "name": "mn", "in": "path", "required": true, "schema": { "type": "string" } },
                               { "name": "page", "in": "query", "schema": { "type": "integer", "minimum": 1 }, "description": "页码，每页 20 条" }],
                "responses": ok("缺数记录") } },
            "/sources/devices/{mn}/commands": {
                "get": { "summary": "设备的远程命令（反控）记录，新的在前：状态（queued 排队、sent 已发送、accepted 已接受、refused 被拒绝、done 已完成、failed 执行失败、timed_out 超时）、下发人、时间、往来报文（密码已隐去）（工作人员）",
                    "security": [{ "bearer": [] }, { "session": [] }],
                    "parameters": [{ "name": "mn", "in": "path", "required": true, "schema": { "type": "string" } },
                                   { "name": "page", "in": "query", "schema": { "type": "integer", "minimum": 1 }, "description": "页码，每页 20 条" }],
                    "responses": ok("命令记录（commands、total、in_flight 未完成条数）") },
                "post": { "summary": "向设备下发远程命令（工作人员）：设备在线时立即发送，否则在其下次连接时发送；同一设备逐条按序执行，9011/9012 应答、重发与超时按 HJ 212-2017",
                    "security": [{ "bearer": [] }, { "session": [] }],
                    "parameters": [{ "name": "mn", "in": "path", "required": true, "schema": { "type": "string" } }],
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["cn"], "properties": {
                        "cn": { "type": "string", "enum": ["1011", "1012", "1061", "1062", "1063", "1064", "1072", "2011", "2012", "2051", "2061", "2031", "3020"], "description": "1011 查询时间、1012 校时、1061/1062 查询/设置实时数据间隔、1063/1064 查询/设置分钟数据间隔、1072 设置访问密码、2011/2012 开启/停止实时数据、2051/2061/2031 补传分钟/小时/日数据、3020 查询分析仪参数" },
                        "value": { "type": "string", "description": "1012：北京时间（省略即发送时的服务器时间）；1062：秒（30–3600）；1064：分钟（1、2、3、4、5、6、10、12、15、20、30）；1072：新密码（至多 6 位字母或数字，设备确认成功后才更新登记）；3020：监测因子编码（可省略）" },
                        "begin": { "type": "string", "description": "补传开始，北京时间（如 2026-12-03T08:00）" },
                        "end": { "type": "string", "description": "补传结束，北京时间" } } } } } },
                    "responses": { "201": { "description": "已排队的命令（command）", "content": { "application/json": { "schema": { "type": "object" } } } } } } },
            "/sources/devices/{mn}/params": { "get": { "summary": "设备分析仪参数（HJ 212 CN 3020）：各因子当前参数与参数记录（最新在前，每页 50 条；changed 为与上次相比已变更，mark_id 为覆盖变更的数据标记，alarm_id 为参数变更告警）。工作人员、所在区县和本企业可查", "security": [{ "bearer": [] }, { "session": [] }],
                "parameters": [{ "name": "mn", "in": "path", "required": true, "schema": { "type": "string" } },
                               { "name": "page", "in": "query", "schema": { "type": "integer", "minimum": 1 } }],
                "responses": ok("分析仪参数") } },
            "/sources/devices/{mn}/clock": { "get": { "summary": "设备时钟偏差：最近一次测得的偏差（秒，正为设备时钟快）、测量时间、依据的数据和允许偏差。工作人员、所在区县和本企业可查", "security": [{ "bearer": [] }, { "session": [] }],
                "parameters": [{ "name": "mn", "in": "path", "required": true, "schema": { "type": "string" } }],
                "responses": ok("时钟偏差") } },
            "/values/import": { "post": { "summary": "导入指标数值（正文为 CSV 或 XLSX 工作簿，按内容识别；列 indicator,year,division,value,note,reason；XLSX 读取第一个工作表，行号与表格一致；全部成功或全部不写入，错误指明行列，XLSX 另给出列字母）",
                "security": [{ "bearer": [] }, { "session": [] }],
                "requestBody": { "required": true, "content": import_body() }, "responses": ok("导入条数") } },
            "/air/stations": { "get": { "summary": "空气质量监测站点", "responses": ok("站点") } },
            "/air/stations/{code}/daily": { "get": { "summary": "站点逐日 AQI（HJ 633，按数据日期选用 2012 或 2026 版）",
                "parameters": [{ "name": "code", "in": "path", "required": true, "schema": { "type": "string" } },
                               { "name": "year", "in": "query", "schema": { "type": "integer" } }], "responses": ok("逐日 AQI") } },
            "/air/assessment": { "get": { "summary": "全市年度空气质量评价（HJ 663）",
                "parameters": [{ "name": "year", "in": "query", "schema": { "type": "integer" } }], "responses": ok("评价") } },
            "/indicators/{number}/assigned-targets": { "post": { "summary": "录入省级下达目标（工作人员）", "security": [{ "bearer": [] }, { "session": [] }],
                "parameters": [{ "name": "number", "in": "path", "required": true, "schema": { "type": "integer" } }], "responses": ok("目标") } },
            "/indicators/{number}/judgements": { "post": { "summary": "定性目标人工评定（工作人员，须写明依据）", "security": [{ "bearer": [] }, { "session": [] }],
                "parameters": [{ "name": "number", "in": "path", "required": true, "schema": { "type": "integer" } }], "responses": ok("评定") } },
            "/tasks/{area}/{number}/reports": {
                "get": { "summary": "任务各期最新进展报告（含编号，供附加佐证材料）", "parameters": task_params.clone(), "responses": ok("进展报告") },
                "post": { "summary": "填报任务进展（责任单位），可同时附佐证材料（multipart）；报告与材料一并保存或都不保存", "security": [{ "bearer": [] }, { "session": [] }],
                "parameters": task_params,
                "requestBody": { "required": true, "content": {
                    "application/json": { "schema": { "type": "object", "required": ["period", "status", "narrative"],
                        "properties": { "period": { "type": "string", "pattern": "^[0-9]{4}(Q[1-4])?$" }, "status": { "type": "string", "enum": ["not_started", "in_progress", "completed", "lagging"] }, "narrative": { "type": "string" } } } },
                    "multipart/form-data": { "schema": { "type": "object", "required": ["period", "status", "narrative"],
                        "properties": { "period": { "type": "string", "pattern": "^[0-9]{4}(Q[1-4])?$" }, "status": { "type": "string", "enum": ["not_started", "in_progress", "completed", "lagging"] }, "narrative": { "type": "string" }, "files": files_body.clone() } } } } },
                "responses": upload_responses.clone() } },
            "/tasks/reports/{id}/evidence": {
                "get": { "summary": "某一进展报告（修订版本）的佐证材料（需登录）", "security": [{ "bearer": [] }, { "session": [] }], "parameters": [report_id.clone()],
                    "responses": { "200": { "description": "报告与材料列表", "content": { "application/json": { "schema": { "type": "object", "properties": {
                        "report": { "$ref": "#/components/schemas/TaskReport" }, "evidence": { "type": "array", "items": { "$ref": "#/components/schemas/Evidence" } } } } } } },
                        "401": err_responses()["401"].clone(), "404": err_responses()["404"].clone() } },
                "post": { "summary": "为已有进展报告（修订版本）补充佐证材料（本单位填报员、工作人员或管理员）", "security": [{ "bearer": [] }, { "session": [] }],
                    "parameters": [report_id],
                    "requestBody": { "required": true, "content": { "multipart/form-data": { "schema": { "type": "object", "required": ["files"], "properties": { "files": files_body } } } } },
                    "responses": upload_responses } },
            "/indicators/monitoring": { "post": { "summary": "由空气、地表水监测数据计算指标 11–14 并记为“监测计算”值（工作人员）", "security": [{ "bearer": [] }, { "session": [] }],
                "parameters": [{ "name": "year", "in": "query", "required": true, "schema": { "type": "integer" } }], "responses": ok("记录的数值") } },
            "/air/stations/{code}/daily.csv": { "get": { "summary": "站点逐日 AQI 表（CSV）",
                "parameters": [{ "name": "code", "in": "path", "required": true, "schema": { "type": "string" } },
                               { "name": "year", "in": "query", "schema": { "type": "integer" } }], "responses": { "200": { "description": "CSV", "content": { "text/csv": {} } } } } },
            "/water/assessment.csv": { "get": { "summary": "地表水断面年度评价表（CSV）",
                "parameters": [{ "name": "year", "in": "query", "schema": { "type": "integer" } }], "responses": { "200": { "description": "CSV", "content": { "text/csv": {} } } } } },
            "/air/stations/{code}/daily.xlsx": { "get": { "summary": "站点逐日 AQI 表（XLSX）",
                "parameters": [{ "name": "code", "in": "path", "required": true, "schema": { "type": "string" } },
                               { "name": "year", "in": "query", "schema": { "type": "integer" } }], "responses": { "200": { "description": "XLSX", "content": { XLSX: {} } } } } },
            "/air/counties/{code}/daily.csv": { "get": { "summary": "区县逐日 AQI 表（由区县内全部站点计算，CSV）",
                "parameters": [{ "name": "code", "in": "path", "required": true, "schema": { "type": "string" } },
                               { "name": "year", "in": "query", "schema": { "type": "integer" } }], "responses": { "200": { "description": "CSV", "content": { "text/csv": {} } } } } },
            "/air/counties/{code}/daily.xlsx": { "get": { "summary": "区县逐日 AQI 表（XLSX）",
                "parameters": [{ "name": "code", "in": "path", "required": true, "schema": { "type": "string" } },
                               { "name": "year", "in": "query", "schema": { "type": "integer" } }], "responses": { "200": { "description": "XLSX", "content": { XLSX: {} } } } } },
            "/air/warning": { "get": { "summary": "重污染天气预警分级：按城市规划文件中的阈值判定预报日 AQI 序列",
                "parameters": [{ "name": "forecast", "in": "query", "required": true, "schema": { "type": "string" }, "description": "逐日 AQI，逗号或空格分隔" }],
                "responses": ok("预警级别、阈值与依据") } },
            "/water/assessment.xlsx": { "get": { "summary": "地表水断面年度评价表（XLSX）",
                "parameters": [{ "name": "year", "in": "query", "schema": { "type": "integer" } }], "responses": { "200": { "description": "XLSX", "content": { XLSX: {} } } } } },
            "/alarms.csv": { "get": { "summary": "告警列表表格（CSV；工作人员全部或按区县，区县账号仅本区县）",
                "parameters": [{ "name": "status", "in": "query", "schema": { "type": "string", "enum": ["open", "acknowledged", "closed"] } },
                               { "name": "county", "in": "query", "schema": { "type": "string" } }], "responses": { "200": { "description": "CSV", "content": { "text/csv": {} } } } } },
            "/alarms.xlsx": { "get": { "summary": "告警列表表格（XLSX）",
                "parameters": [{ "name": "status", "in": "query", "schema": { "type": "string", "enum": ["open", "acknowledged", "closed"] } },
                               { "name": "county", "in": "query", "schema": { "type": "string" } }], "responses": { "200": { "description": "XLSX", "content": { XLSX: {} } } } } },
            "/water/sections": { "get": { "summary": "地表水断面", "responses": ok("断面") } },
            "/water/assessment": { "get": { "summary": "地表水年度评价（GB 3838-2002 单因子，环办〔2011〕22号；自动站 pH、溶解氧、高锰酸盐指数、氨氮、总磷、总氮按 82号优先于当月手工结果），含指标 13、14（饮用水源含表 2、表 3 项目年均值，依据见 drinking_basis）",
                "parameters": [{ "name": "year", "in": "query", "schema": { "type": "integer" } }], "responses": ok("评价") } },
            "/values/template.csv": { "get": { "summary": "指标数值导入模板（CSV 表头）", "responses": { "200": { "description": "CSV 模板", "content": { "text/csv": {} } } } } },
            "/values/template.xlsx": { "get": { "summary": "指标数值导入模板（XLSX：表头加粗冻结，代码和数值列为文本格式，另附“说明”工作表）",
                "responses": { "200": { "description": "XLSX 模板", "content": { XLSX: {} } } } } },
            "/sources/import": { "post": { "summary": "导入污染源登记表（正文为 CSV 或 XLSX 工作簿，按内容识别；XLSX 读取第一个工作表；全部成功或全部不写入，错误指明行列，XLSX 另给出列字母）", "security": [{ "bearer": [] }, { "session": [] }],
                "requestBody": { "required": true, "content": import_body() }, "responses": ok("导入数量") } },
            "/alarms": { "get": { "summary": "告警列表（工作人员）", "security": [{ "bearer": [] }, { "session": [] }],
                "parameters": [{ "name": "status", "in": "query", "schema": { "type": "string", "enum": ["open", "acknowledged", "closed"] } }], "responses": ok("告警") } },
            "/alarms/{id}/acknowledge": { "post": { "summary": "确认告警", "security": [{ "bearer": [] }, { "session": [] }],
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }], "responses": ok("告警") } },
            "/alarms/{id}/close": { "post": { "summary": "关闭告警（须填写处置说明）", "security": [{ "bearer": [] }, { "session": [] }],
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["note"], "properties": { "note": { "type": "string" } } } } } },
                "responses": ok("告警") } },
            "/incidents": { "get": { "summary": "事件列表（连续超标小时、连续离线或故障记录合并为一个事件；分页；工作人员全部或按区县，区县账号仅本区县；时间为带 +08:00 的 RFC 3339）", "security": [{ "bearer": [] }, { "session": [] }],
                "parameters": [
                    { "name": "county", "in": "query", "schema": { "type": "string" }, "description": "区县代码（GB/T 2260）" },
                    { "name": "enterprise", "in": "query", "schema": { "type": "string" }, "description": "统一社会信用代码" },
                    { "name": "kind", "in": "query", "schema": { "type": "string", "enum": ["exceedance", "offline", "device_fault", "frozen", "annual_total"] } },
                    { "name": "status", "in": "query", "schema": { "type": "string", "enum": ["open", "acknowledged", "assigned", "closed"] } },
                    { "name": "from", "in": "query", "schema": { "type": "string", "format": "date" }, "description": "开始日期不早于（北京时间）" },
                    { "name": "to", "in": "query", "schema": { "type": "string", "format": "date" }, "description": "开始日期不晚于（北京时间）" },
                    { "name": "page", "in": "query", "schema": { "type": "integer", "minimum": 1 } }
                ], "responses": ok("事件（incidents、total、page、per_page）") } },
            "/incidents/{id}": { "get": { "summary": "一个事件：峰值、超标倍数（（峰值 − 限值）÷ 限值）、所含告警与证据报文（存档编号与 SHA-256）", "security": [{ "bearer": [] }, { "session": [] }],
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }], "responses": ok("事件") } },
            "/incidents/bulk": { "post": { "summary": "批量确认、指派或关闭事件（工作人员；关闭须填写处置说明，指派须给出处理人）", "security": [{ "bearer": [] }, { "session": [] }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["ids", "action"], "properties": {
                    "ids": { "type": "array", "items": { "type": "integer" } },
                    "action": { "type": "string", "enum": ["acknowledge", "assign", "close"] },
                    "assignee": { "type": "integer" }, "note": { "type": "string" } } } } } },
                "responses": ok("每个事件的处理结果") } },
            "/marks": {
                "get": { "summary": "数据标记列表（工作人员全部或按区县，区县账号仅本区县；每页 100 条）", "security": [{ "bearer": [] }, { "session": [] }],
                    "parameters": [
                        { "name": "county", "in": "query", "schema": { "type": "string" } },
                        { "name": "mn", "in": "query", "schema": { "type": "string" } },
                        { "name": "kind", "in": "query", "schema": { "type": "string" }, "description": "标记类型代码，见 /marks/rule" },
                        { "name": "state", "in": "query", "schema": { "type": "string", "enum": ["pending", "accepted", "rejected"] } },
                        { "name": "late", "in": "query", "schema": { "type": "string", "enum": ["1", "0"] }, "description": "1 仅迟报，0 仅按时" },
                        { "name": "suspicious", "in": "query", "schema": { "type": "string", "enum": ["1", "0"] }, "description": "1 仅疑似虚假标记" },
                        { "name": "page", "in": "query", "schema": { "type": "integer", "minimum": 1 } }
                    ], "responses": ok("数据标记、总数") },
                "post": { "summary": "提交数据标记（迟于规则时限记为迟报；佐证材料经 /marks/new 表单上传）", "security": [{ "bearer": [] }, { "session": [] }],
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["mn", "kind", "start", "reason"], "properties": {
                        "mn": { "type": "string" }, "factor": { "type": "string", "description": "HJ 212 因子编码，空为全部因子" },
                        "kind": { "type": "string" }, "start": { "type": "string", "description": "RFC 3339，或北京时间 YYYY-MM-DD HH:MM" },
                        "end": { "type": "string", "description": "同上；缺省为持续中" }, "reason": { "type": "string", "maxLength": 500 } } } } } },
                    "responses": { "201": { "description": "已提交的数据标记" } } } },
            "/marks/rule": { "get": { "summary": "数据标记规则（公告2022年第21号：标记类型、时限、处理方式、出处）及未确认细节的设置", "responses": ok("规则") } },
            "/marks/{id}": { "get": { "summary": "一条数据标记及其佐证材料", "security": [{ "bearer": [] }, { "session": [] }],
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }], "responses": ok("数据标记") } },
            "/marks/{id}/accept": { "post": { "summary": "认可数据标记（工作人员）", "security": [{ "bearer": [] }, { "session": [] }],
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "requestBody": { "required": false, "content": { "application/json": { "schema": { "type": "object", "properties": { "note": { "type": "string" } } } } } },
                "responses": ok("数据标记") } },
            "/marks/{id}/reject": { "post": { "summary": "驳回数据标记（工作人员，须填写理由）；所覆盖小时重新判定超标，返回重新产生或更新的告警", "security": [{ "bearer": [] }, { "session": [] }],
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["note"], "properties": { "note": { "type": "string" } } } } } },
                "responses": ok("数据标记与重新判定结果") } },
            "/orders": {
                "get": { "summary": "督办单列表（工作人员全部或按区县，区县账号仅本区县，排污单位仅本单位；每页 100 条）及各区县逾期数", "security": [{ "bearer": [] }, { "session": [] }],
                    "parameters": [
                        { "name": "state", "in": "query", "schema": { "type": "string", "enum": ["issued", "replied", "returned", "accepted", "escalated"] } },
                        { "name": "county", "in": "query", "schema": { "type": "string" } },
                        { "name": "overdue", "in": "query", "schema": { "type": "string", "enum": ["1"] }, "description": "1 仅逾期（期限已过且待答复或已退回）" },
                        { "name": "page", "in": "query", "schema": { "type": "integer", "minimum": 1 } }
                    ], "responses": ok("督办单、总数、各区县逾期数") },
                "post": { "summary": "由事件下发督办单（工作人员；事件所属排污单位为被督办单位）", "security": [{ "bearer": [] }, { "session": [] }],
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["incident_id", "requirement", "deadline"], "properties": {
                        "incident_id": { "type": "integer" }, "title": { "type": "string", "maxLength": 100 }, "requirement": { "type": "string", "maxLength": 2000 },
                        "deadline": { "type": "string", "description": "RFC 3339，或北京时间 YYYY-MM-DD HH:MM；须晚于当前时间" } } } } } },
                    "responses": { "201": { "description": "已下发的督办单" } } } },
            "/orders/{id}": { "get": { "summary": "一张督办单及其办理过程、佐证材料", "security": [{ "bearer": [] }, { "session": [] }],
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }], "responses": ok("督办单") } },
            "/orders/{id}/reply": { "post": { "summary": "答复督办单（被督办单位；佐证材料经 /orders/{id} 页面表单上传）", "security": [{ "bearer": [] }, { "session": [] }],
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["explanation"], "properties": { "explanation": { "type": "string", "maxLength": 2000 } } } } } },
                "responses": ok("督办单") } },
            "/orders/{id}/return": { "post": { "summary": "退回答复（工作人员，须填写理由和晚于当前时间的新期限）", "security": [{ "bearer": [] }, { "session": [] }],
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["note", "new_deadline"], "properties": { "note": { "type": "string" }, "new_deadline": { "type": "string" } } } } } },
                "responses": ok("督办单") } },
            "/orders/{id}/accept": { "post": { "summary": "认可答复并办结（工作人员）", "security": [{ "bearer": [] }, { "session": [] }],
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "requestBody": { "required": false, "content": { "application/json": { "schema": { "type": "object", "properties": { "note": { "type": "string" } } } } } },
                "responses": ok("督办单") } },
            "/ledger/items": {
                "get": { "summary": "任务台账事项及其汇总（全市情况、各县与各单位已审核通过的报告、是否完成、是否逾期；登录用户）", "security": [{ "bearer": [] }, { "session": [] }],
                    "parameters": [{ "name": "task", "in": "query", "schema": { "type": "string" }, "description": "只列此任务的事项，如 3-1" }],
                    "responses": ok("事项与汇总") },
                "post": { "summary": "新增事项（工作人员；与规划文件中的事项同样校验，审计）", "security": [{ "bearer": [] }, { "session": [] }],
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/LedgerItemInput" } } } },
                    "responses": { "201": { "description": "新增的事项" } } } },
            "/ledger/items/{id}": { "get": { "summary": "一个事项、其汇总与全部报告版本", "security": [{ "bearer": [] }, { "session": [] }],
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }], "responses": ok("事项") } },
            "/ledger/items/{id}/revisions": { "post": { "summary": "修订事项（工作人员，新版本取代旧版本，审计）", "security": [{ "bearer": [] }, { "session": [] }],
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/LedgerItemInput" } } } },
                "responses": { "201": { "description": "修订后的事项" } } } },
            "/ledger/items/{id}/reports": { "post": { "summary": "填报事项（涉及的县（市、区）账号报本县，牵头或配合单位报本单位；每次为新版本，待审核）；也可用 multipart/form-data 附佐证材料（字段 files）", "security": [{ "bearer": [] }, { "session": [] }],
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["narrative"], "properties": {
                    "value": { "type": "string", "description": "数量事项的数值（精确小数）" }, "done": { "type": "string", "enum": ["yes", "no"], "description": "节点事项：已完成/未完成" },
                    "objects_done": { "type": "array", "items": { "type": "string" }, "description": "清单事项：已完成的对象名称" }, "narrative": { "type": "string", "maxLength": 5000 } } } } } },
                "responses": { "201": { "description": "报告版本与佐证材料" } } } },
            "/ledger/reports/{id}/review": { "post": { "summary": "审核报告（工作人员）：通过，或退回并写明理由；只有通过的报告计入汇总", "security": [{ "bearer": [] }, { "session": [] }],
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["decision"], "properties": {
                    "decision": { "type": "string", "enum": ["accept", "return"] }, "reason": { "type": "string", "maxLength": 1000 } } } } } },
                "responses": ok("报告版本") } },
            "/ledger/attention": { "get": { "summary": "被退回的报告与逾期未完成的事项，按区县和按单位", "security": [{ "bearer": [] }, { "session": [] }],
                "parameters": [{ "name": "county", "in": "query", "schema": { "type": "string" } }, { "name": "unit", "in": "query", "schema": { "type": "string" } }],
                "responses": ok("清单") } },
            "/ledger/todo": { "get": { "summary": "我的待办：本县（市、区）或本单位待完成的事项与被退回的报告", "security": [{ "bearer": [] }, { "session": [] }],
                "responses": ok("待办") } },
            "/legal-bases": { "get": { "summary": "处罚依据清单（法律条款、违法行为、法定罚款幅度、来源）与处罚措施代码", "security": [{ "bearer": [] }, { "session": [] }],
                "responses": ok("处罚依据与处罚措施") } },
            "/cases": {
                "get": { "summary": "案件列表（工作人员全部或按区县，区县账号仅本区县，排污单位仅本单位；每页 100 条）", "security": [{ "bearer": [] }, { "session": [] }],
                    "parameters": [
                        { "name": "state", "in": "query", "schema": { "type": "string", "enum": ["filed", "decided", "rectifying", "checked", "closed"] }, "description": "已立案、已作出处罚决定、整改中、复查合格、已销号" },
                        { "name": "county", "in": "query", "schema": { "type": "string" } },
                        { "name": "overdue", "in": "query", "schema": { "type": "string", "enum": ["1"] }, "description": "1 仅整改逾期（整改中且整改期限已过）" },
                        { "name": "page", "in": "query", "schema": { "type": "integer", "minimum": 1 } }
                    ], "responses": ok("案件与总数") },
                "post": { "summary": "立案（工作人员）：关联同一排污单位的事件，或由督办单转立案（该督办单转为已转立案）；立案材料经 /cases/new 页面表单上传", "security": [{ "bearer": [] }, { "session": [] }],
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["title", "facts", "bases"], "properties": {
                        "incident_ids": { "type": "array", "items": { "type": "integer" } }, "order_id": { "type": "integer" },
                        "title": { "type": "string", "maxLength": 100 }, "facts": { "type": "string", "maxLength": 4000 },
                        "bases": { "type": "array", "items": { "type": "string" }, "description": "处罚依据代码，见 /legal-bases" } } } } } },
                    "responses": { "201": { "description": "已立案的案件（立案编号按年度编排）" } } } },
            "/cases/{id}": { "get": { "summary": "一个案件及其处罚依据、办理经过、关联事件与证据报文（SHA-256）、案件材料；案卷 PDF 见 /cases/{id}/case.pdf 页面路径", "security": [{ "bearer": [] }, { "session": [] }],
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }], "responses": ok("案件") } },
            "/cases/{id}/decide": { "post": { "summary": "作出处罚决定（工作人员）：决定书文号、决定日期、处罚措施、罚款金额（须在所选处罚依据的法定幅度内）、整改期限", "security": [{ "bearer": [] }, { "session": [] }],
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["decision_number", "decision_date", "measures"], "properties": {
                    "decision_number": { "type": "string" }, "decision_date": { "type": "string", "format": "date" },
                    "measures": { "type": "array", "items": { "type": "string" }, "description": "处罚措施代码，见 /legal-bases" },
                    "penalty": { "type": "string", "description": "罚款金额（元，最多两位小数）" },
                    "rectify_deadline": { "type": "string", "description": "RFC 3339 或北京时间；责令改正、限制生产、停产整治时必填" },
                    "note": { "type": "string" } } } } } },
                "responses": ok("案件") } },
            "/cases/{id}/report": { "post": { "summary": "报送整改情况（被处罚单位；整改中）", "security": [{ "bearer": [] }, { "session": [] }],
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["note"], "properties": { "note": { "type": "string", "maxLength": 4000 } } } } } },
                "responses": ok("案件") } },
            "/cases/{id}/check": { "post": { "summary": "整改复查（工作人员）：合格，或不合格并规定新的整改期限", "security": [{ "bearer": [] }, { "session": [] }],
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["passed", "note"], "properties": {
                    "passed": { "type": "boolean" }, "note": { "type": "string" }, "new_deadline": { "type": "string" } } } } } },
                "responses": ok("案件") } },
            "/cases/{id}/close": { "post": { "summary": "销号结案（工作人员；已作出处罚决定且无需整改，或复查合格）", "security": [{ "bearer": [] }, { "session": [] }],
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["note"], "properties": { "note": { "type": "string" } } } } } },
                "responses": ok("案件") } },
            "/heavy/warnings": {
                "get": { "summary": "重污染天气预警列表（新者在前，每页 100 条；排污单位账号可见列表，详情仅限收到通知的预警）", "security": [{ "bearer": [] }, { "session": [] }],
                    "parameters": [{ "name": "page", "in": "query", "schema": { "type": "integer", "minimum": 1 } }], "responses": ok("预警与总数") },
                "post": { "summary": "发布预警（工作人员）：级别、开始时间、区域（区县代码，空为全市）、预报依据、判定依据；向区域内列入该级别应急减排清单的企业下达减排措施通知", "security": [{ "bearer": [] }, { "session": [] }],
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["level", "justification"], "properties": {
                        "level": { "type": "string", "enum": ["yellow", "orange", "red"], "description": "黄色、橙色、红色预警" },
                        "effective_at": { "type": "string", "description": "RFC 3339 或北京时间 YYYY-MM-DD HH:MM；空为现在" },
                        "areas": { "type": "array", "items": { "type": "string" }, "description": "GB/T 2260 区县代码；空为全市" },
                        "forecast": { "type": "string", "description": "预报 AQI 或会商结论" }, "justification": { "type": "string" }, "document_no": { "type": "string" } } } } } },
                    "responses": { "201": { "description": "已发布的预警及下达的减排措施通知" } } } },
            "/heavy/warnings/{id}": { "get": { "summary": "一次预警：时间线、减排措施通知及确认情况、逐时减排核查（承诺与实际减排量、未落实减排措施）、站点 AQI", "security": [{ "bearer": [] }, { "session": [] }],
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }], "responses": ok("预警详情") } },
            "/heavy/warnings/{id}/raise": { "post": { "summary": "提级（工作人员）：新级别须高于当前级别；原通知作废，下达新级别的减排措施", "security": [{ "bearer": [] }, { "session": [] }],
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["level", "justification"], "properties": {
                    "level": { "type": "string", "enum": ["yellow", "orange", "red"] }, "effective_at": { "type": "string" }, "forecast": { "type": "string" }, "justification": { "type": "string" } } } } } },
                "responses": ok("预警") } },
            "/heavy/warnings/{id}/lower": { "post": { "summary": "降级（工作人员）：新级别须低于当前级别；原通知作废，下达新级别的减排措施", "security": [{ "bearer": [] }, { "session": [] }],
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["level", "justification"], "properties": {
                    "level": { "type": "string", "enum": ["yellow", "orange", "red"] }, "effective_at": { "type": "string" }, "forecast": { "type": "string" }, "justification": { "type": "string" } } } } } },
                "responses": ok("预警") } },
            "/heavy/warnings/{id}/lift": { "post": { "summary": "解除预警（工作人员）", "security": [{ "bearer": [] }, { "session": [] }],
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["justification"], "properties": {
                    "effective_at": { "type": "string" }, "forecast": { "type": "string" }, "justification": { "type": "string" } } } } } },
                "responses": ok("预警") } },
            "/heavy/warnings/notices/{id}/confirm": { "post": { "summary": "确认减排措施通知（收到通知的排污单位账号）", "security": [{ "bearer": [] }, { "session": [] }],
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "requestBody": { "required": false, "content": { "application/json": { "schema": { "type": "object", "properties": { "note": { "type": "string" } } } } } },
                "responses": ok("通知") } },
            "/heavy/warnings/{id}/report": { "get": { "summary": "应急过程总结评估：持续时长、级别变化、区域、涉及企业、按污染物的承诺与实际减排量、未落实企业、站点 AQI；HTML、PDF、XLSX 见 /heavy/warnings/{id}/report.html|pdf|xlsx 页面路径", "security": [{ "bearer": [] }, { "session": [] }],
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }], "responses": ok("总结评估") } },
            "/heavy/rules": { "get": { "summary": "重污染天气应对规则（公开）：重点行业及其绩效级别、各预警级别要求的减排比例（SO2、NOx、颗粒物、VOCs）、减排措施代码，各项注明来源与是否核实",
                "responses": ok("规则数据") } },
            "/heavy/grades": { "get": { "summary": "绩效分级名单：默认已公布名单（公开，不含内部审核意见）；登录的工作人员、区县账号（本区县）、排污单位（本单位）可按状态查看办理中的申请；每页 100 条",
                "parameters": [
                    { "name": "state", "in": "query", "schema": { "type": "string", "enum": ["published", "applied", "reviewed", "returned", "superseded"] }, "description": "已公布（默认）、待县级审核、待市级公布、已退回、已被新结果取代" },
                    { "name": "page", "in": "query", "schema": { "type": "integer", "minimum": 1 } }
                ], "responses": ok("绩效分级记录与总数") } },
            "/heavy/grades/{id}": { "get": { "summary": "一条绩效分级记录及其办理经过与佐证材料（工作人员、所在区县、本单位）；申请与直接录入经 /heavy/grades/apply 页面表单上传材料", "security": [{ "bearer": [] }, { "session": [] }],
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }], "responses": ok("绩效分级记录") } },
            "/heavy/grades/{id}/review": { "post": { "summary": "区县审核（所在区县账号或工作人员；待县级审核）：通过，或退回并写明原因", "security": [{ "bearer": [] }, { "session": [] }],
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["approve"], "properties": {
                    "approve": { "type": "boolean" }, "note": { "type": "string", "maxLength": 2000, "description": "审核意见（内部）；退回时必填" } } } } } },
                "responses": ok("绩效分级记录") } },
            "/heavy/grades/{id}/publish": { "post": { "summary": "市级公布（工作人员；县级已审核）：公布后进入公开名单，并取代该企业同一行业已公布的级别", "security": [{ "bearer": [] }, { "session": [] }],
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "requestBody": { "required": false, "content": { "application/json": { "schema": { "type": "object", "properties": { "note": { "type": "string" } } } } } },
                "responses": ok("绩效分级记录") } },
            "/heavy/reductions": {
                "get": { "summary": "应急减排清单（一厂一策）某一预警级别的企业措施、减排量（kg/h）、基准排放量、涉及排放口与设备 MN，以及全市减排比例核算与差距（百分点）；区县账号仅本区县企业，排污单位仅本单位且不含核算", "security": [{ "bearer": [] }, { "session": [] }],
                    "parameters": [{ "name": "level", "in": "query", "schema": { "type": "string", "enum": ["yellow", "orange", "red"] }, "description": "黄色预警（默认）、橙色预警、红色预警" }],
                    "responses": ok("清单与核算") },
                "post": { "summary": "保存一家企业在某一预警级别的减排措施（工作人员；形成新版本，历史保留）", "security": [{ "bearer": [] }, { "session": [] }],
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["credit_code", "level", "measures"], "properties": {
                        "credit_code": { "type": "string" }, "level": { "type": "string", "enum": ["yellow", "orange", "red"] },
                        "measures": { "type": "array", "items": { "type": "object", "required": ["code"], "properties": {
                            "code": { "type": "string", "description": "措施代码，见 /heavy/rules" }, "percent": { "type": "string", "description": "限产、停产部分生产线的比例（%）" },
                            "process": { "type": "string", "description": "停用工序、其他措施所涉工序或设施" } } } },
                        "so2": { "type": "string", "description": "减排量 kg/h（十进制文本，最多 6 位小数）" }, "nox": { "type": "string" }, "pm": { "type": "string" }, "vocs": { "type": "string" },
                        "outlets": { "type": "array", "items": { "type": "string" }, "description": "本单位排放口编号" }, "note": { "type": "string" } } } } } },
                    "responses": ok("清单条目") } },
            "/inspections": {
                "get": { "summary": "督察整改台账（工作人员全部，责任单位填报员仅本单位的问题，区县账号仅涉及本区县的问题；按整改期限排序，每页 100 条）", "security": [{ "bearer": [] }, { "session": [] }],
                    "parameters": [
                        { "name": "source", "in": "query", "schema": { "type": "string", "enum": ["central", "provincial", "audit", "other"] }, "description": "中央生态环境保护督察、省级生态环境保护督察、审计、其他督查检查" },
                        { "name": "state", "in": "query", "schema": { "type": "string", "enum": ["rectifying", "reported", "closed"] }, "description": "整改中、已报完成待销号、已销号" },
                        { "name": "county", "in": "query", "schema": { "type": "string" } },
                        { "name": "unit", "in": "query", "schema": { "type": "string" }, "description": "规划中的责任单位编号" },
                        { "name": "due", "in": "query", "schema": { "type": "string", "enum": ["overdue", "at_risk"] }, "description": "overdue 仅逾期；at_risk 逾期和临期（整改期限在预警天数内，服务器参数 --inspection-warn-days，默认 30）" },
                        { "name": "page", "in": "query", "schema": { "type": "integer", "minimum": 1 } }
                    ], "responses": ok("问题与总数") },
                "post": { "summary": "登记督察整改问题（工作人员）；材料经 /inspections/new 页面表单上传", "security": [{ "bearer": [] }, { "session": [] }],
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/InspectionProblem" } } } },
                    "responses": { "201": { "description": "已登记的问题（编号按年度编排，第 1 版）" } } } },
            "/inspections/public": { "get": { "summary": "督察整改完成情况（公开，无需登录）：按来源的问题数与已销号数，已销号问题清单（不含内部备注、进展和材料）", "responses": ok("公开汇总") } },
            "/inspections/{id}": { "get": { "summary": "一个督察整改问题及其各版本、整改经过和佐证材料（SHA-256）", "security": [{ "bearer": [] }, { "session": [] }],
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }], "responses": ok("问题") } },
            "/inspections/{id}/revise": { "post": { "summary": "修改问题（工作人员；未销号）：保存为新版本，旧版本保留", "security": [{ "bearer": [] }, { "session": [] }],
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "allOf": [{ "$ref": "#/components/schemas/InspectionProblem" }, { "type": "object", "required": ["reason"], "properties": { "reason": { "type": "string", "maxLength": 4000 } } }] } } } },
                "responses": ok("问题") } },
            "/inspections/{id}/report": { "post": { "summary": "报送整改进展（问题的责任单位填报员、所涉区县账号或工作人员；未销号）；done 为 true 表示整改完成、申请销号；佐证材料经页面表单上传", "security": [{ "bearer": [] }, { "session": [] }],
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["note"], "properties": { "note": { "type": "string", "maxLength": 4000 }, "done": { "type": "boolean" } } } } } },
                "responses": ok("问题") } },
            "/inspections/{id}/close": { "post": { "summary": "销号（工作人员）：须已有整改完成的佐证材料；note 为销号依据", "security": [{ "bearer": [] }, { "session": [] }],
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["note"], "properties": { "note": { "type": "string", "maxLength": 4000 } } } } } },
                "responses": ok("问题") } },
            "/inspections/{id}/reopen": { "post": { "summary": "重新打开已销号的问题（工作人员）；note 为原因", "security": [{ "bearer": [] }, { "session": [] }],
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["note"], "properties": { "note": { "type": "string", "maxLength": 4000 } } } } } },
                "responses": ok("问题") } },
            "/consultations": {
                "get": { "summary": "公开征求意见清单（公开，无需登录）：规划修订、政策文件、建设项目，按开始日期倒序，每页 100 条", "parameters": [{ "name": "page", "in": "query", "schema": { "type": "integer", "minimum": 1 } }], "responses": ok("征求意见与总数") },
                "post": { "summary": "发布征求意见（工作人员）；材料经 /consultations/new 页面表单上传", "security": [{ "bearer": [] }, { "session": [] }],
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["kind", "title", "body", "contact", "opens_on", "closes_on"], "properties": {
                        "kind": { "type": "string", "enum": ["plan_revision", "policy", "project"], "description": "规划修订、政策文件、建设项目" },
                        "title": { "type": "string", "maxLength": 200 }, "body": { "type": "string", "maxLength": 20000, "description": "征求意见说明和正文" },
                        "contact": { "type": "string", "maxLength": 4000, "description": "其他提交方式和联系方式（《环境保护公众参与办法》第五条）" },
                        "opens_on": { "type": "string", "format": "date" }, "closes_on": { "type": "string", "format": "date", "description": "截止日期（含当日，北京时间）" } } } } } },
                    "responses": { "201": { "description": "已发布（第 1 版）" } } } },
            "/consultations/challenge": { "get": { "summary": "取一道验证问题（公开）：提交意见或问卷时回传 challenge 与答案 challenge_answer；一次有效，30 分钟内有效", "responses": ok("验证问题") } },
            "/consultations/satisfaction": {
                "get": { "summary": "满意度问卷及某年结果（公开）：各题各选项人数与占比、满意率、平均分；总体满意率为指标 22 的佐证数据，不是指标值", "parameters": [{ "name": "year", "in": "query", "schema": { "type": "integer" } }], "responses": ok("问卷与结果") },
                "post": { "summary": "提交满意度问卷（公开，无需登录；每个地址每小时最多 10 次提交，超过返回 429）", "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["answers", "challenge", "challenge_answer"], "properties": {
                    "answers": { "type": "object", "additionalProperties": { "type": "string" }, "description": "题目编号 → 选项编号，每题必答" }, "challenge": { "type": "string" }, "challenge_answer": { "type": "string" } } } } } },
                    "responses": { "201": { "description": "已收到" }, "429": { "description": "提交过于频繁" } } } },
            "/consultations/{id}": { "get": { "summary": "一次征求意见的公开内容（公开）：正文、材料、已公开的意见（分页，不含提交人信息）、公布后的采纳情况", "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }, { "name": "page", "in": "query", "schema": { "type": "integer", "minimum": 1 } }], "responses": ok("征求意见") } },
            "/consultations/{id}/revise": { "post": { "summary": "修改征求意见（工作人员；公布采纳情况前）：保存为新版本，旧版本保留", "security": [{ "bearer": [] }, { "session": [] }],
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["reason"], "properties": { "reason": { "type": "string", "maxLength": 4000 } }, "description": "字段同发布，另加 reason" } } } },
                "responses": ok("征求意见") } },
            "/consultations/{id}/comments": {
                "get": { "summary": "全部意见（工作人员；姓名、联系方式部分隐去），每页 100 条", "security": [{ "bearer": [] }, { "session": [] }],
                    "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }, { "name": "state", "in": "query", "schema": { "type": "string", "enum": ["pending", "published", "hidden"] }, "description": "待审核、已公开、已隐藏" }, { "name": "page", "in": "query", "schema": { "type": "integer", "minimum": 1 } }],
                    "responses": ok("意见与总数") },
                "post": { "summary": "提交意见（公开，无需登录；仅在征求意见期内，期外返回 409；每个地址每小时最多 10 次提交）；姓名、联系方式可不填，不公开", "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["body", "challenge", "challenge_answer"], "properties": {
                        "body": { "type": "string", "maxLength": 2000 }, "name": { "type": "string", "maxLength": 100 }, "contact": { "type": "string", "maxLength": 100 }, "challenge": { "type": "string" }, "challenge_answer": { "type": "string" } } } } } },
                    "responses": { "201": { "description": "已收到，待审核" }, "409": { "description": "不在征求意见期内" }, "429": { "description": "提交过于频繁" } } } },
            "/consultations/{id}/decisions": { "post": { "summary": "填写意见采纳情况（工作人员）：一条或一组意见的处理结果与理由", "security": [{ "bearer": [] }, { "session": [] }],
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["comments", "decision", "reason"], "properties": {
                    "comments": { "type": "array", "items": { "type": "integer" } }, "decision": { "type": "string", "enum": ["adopted", "partly", "rejected"], "description": "采纳、部分采纳、不采纳" }, "reason": { "type": "string", "maxLength": 4000 } } } } } },
                "responses": ok("意见计数") } },
            "/consultations/{id}/summary": { "post": { "summary": "公布意见采纳情况（工作人员）：征求意见期结束、意见全部审核、未隐藏的意见均已填写采纳情况后", "security": [{ "bearer": [] }, { "session": [] }],
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["summary"], "properties": { "summary": { "type": "string", "maxLength": 4000 } } } } } },
                "responses": ok("征求意见") } },
            "/consultations/comments/{id}/moderate": { "post": { "summary": "审核意见（工作人员）：公开或隐藏（隐藏须说明原因）", "security": [{ "bearer": [] }, { "session": [] }],
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["publish"], "properties": { "publish": { "type": "boolean" }, "reason": { "type": "string", "maxLength": 4000 } } } } } },
                "responses": ok("意见") } },
            "/consultations/comments/{id}/contact": { "get": { "summary": "意见提交人的姓名和联系方式全文（工作人员；每次查看记入审计日志）", "security": [{ "bearer": [] }, { "session": [] }],
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }], "responses": ok("姓名和联系方式") } },
            "/public/home": { "get": { "summary": "信息公开首页数据（公开，无需登录，每分钟更新）：各站点最新小时实时 AQI、类别、首要污染物及 HJ 633 健康影响和建议措施，各区县站点最高 AQI，生效中的重污染天气预警，最新年度断面水质类别，规划指标历年数值及进展说明；不含设备 MN、告警和内部备注", "responses": ok("首页数据") } },
            "/public/air/daily": { "get": { "summary": "各站点日空气质量指数（公开）：日期、站点、区县、AQI（无效为 null）、类别、首要污染物；CSV/Excel 见 /public/data/air-daily.csv|xlsx",
                "parameters": [{ "name": "year", "in": "query", "required": false, "schema": { "type": "integer", "minimum": 2000, "maximum": 2100 }, "description": "年份（默认为有数据的最近年份）" }], "responses": ok("站点日 AQI") } },
            "/public/water/sections": { "get": { "summary": "断面水质类别（公开）：断面、河流湖库、区县、级别、年度水质类别、水质目标、是否达标；CSV/Excel 见 /public/data/water-sections.csv|xlsx",
                "parameters": [{ "name": "year", "in": "query", "required": false, "schema": { "type": "integer", "minimum": 2000, "maximum": 2100 }, "description": "年份（默认为有监测数据的最近年份）" }], "responses": ok("断面水质") } },
            "/public/plan": { "get": { "summary": "规划指标进展（公开）：各指标全市历年数值（数据不足的数值不列入）、基期、目标及一句话进展；CSV/Excel 见 /public/data/plan-progress.csv|xlsx", "responses": ok("指标进展") } },
            "/sources/quarantine": { "get": { "summary": "隔离区：未登记的 MN 及其帧数、首次与最近时间、来源地址（工作人员），按 MN 排序，分页", "security": [{ "bearer": [] }, { "session": [] }],
                "parameters": [{ "name": "page", "in": "query", "schema": { "type": "integer", "minimum": 1 }, "description": "页码，每页 100 条" }],
                "responses": ok("隔离区（quarantine、total、page、per_page）") } }
        }
    });
    if let Some(paths) = doc["paths"].as_object_mut()
        && let Value::Object(more) = complaint_paths()
    {
        paths.extend(more);
    }
    doc
}

/// The complaints desk's paths (信访投诉举报): the public's without sign-in, the staff's and
/// handlers' with it.
fn complaint_paths() -> Value {
    let id =
        json!([{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }]);
    let auth = json!([{ "bearer": [] }, { "session": [] }]);
    let text = json!({ "type": "string", "maxLength": 2000 });
    json!({
        "/complaints/challenge": { "get": { "summary": "取一道验证题（公开，无需登录）：question 为算术题，token 随提交一并发回；30 分钟内有效，只能用一次", "responses": ok("验证题") } },
        "/complaints/submissions": { "post": { "summary": "提交投诉举报（公开，无需登录；照片经 /public/complaints/new 页面表单上传）。同一地址每分钟最多 10 件（服务器参数 --complaint-max-per-minute），超出返回 429",
            "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["category", "description", "challenge", "answer"], "properties": {
                "category": { "type": "string", "enum": ["air", "water", "noise", "waste", "soil", "ecology", "other"], "description": "大气、水、噪声、固体废物、土壤、生态破坏、其他" },
                "description": text, "address": { "type": "string", "maxLength": 200 },
                "longitude": { "type": "string", "description": "WGS-84 经度（十进制度）" }, "latitude": { "type": "string", "description": "WGS-84 纬度" },
                "county": { "type": "string", "description": "县（市、区）行政区划代码；不填则按位置或地址匹配" },
                "occurred_at": { "type": "string", "description": "YYYY-MM-DD 或 YYYY-MM-DD HH:MM（北京时间）" },
                "anonymous": { "type": "boolean", "description": "匿名：不保留联系方式" },
                "contact_name": { "type": "string" }, "phone": { "type": "string" }, "email": { "type": "string" },
                "challenge": { "type": "string" }, "answer": { "type": "string" } } } } } },
            "responses": { "201": { "description": "已受理登记：case_number 案件编号，tracking_code 查询码（只返回这一次，服务器只保存其摘要），accept_by 受理期限" },
                           "422": { "description": "输入有误或验证题答案不正确" }, "429": { "description": "提交过于频繁" } } } },
        "/complaints/track": { "post": { "summary": "凭查询码查询办理进度与答复（公开）；合并办理的重复件显示主件的进度与答复。不含联系方式",
            "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["code"], "properties": { "code": { "type": "string" } } } } } },
            "responses": ok("办理进度") } },
        "/complaints/rate": { "post": { "summary": "投诉人评价办理结果（凭查询码，办结或不予受理后，限一次）",
            "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["code", "rating"], "properties": {
                "code": { "type": "string" }, "rating": { "type": "integer", "minimum": 1, "maximum": 5 }, "comment": { "type": "string", "maxLength": 500 } } } } } },
            "responses": ok("办理进度") } },
        "/complaints/stats": { "get": { "summary": "投诉举报办理情况（公开）：年度件数（按状态、区县、类别、调查结论）、评价均值（指标 22 的参考数据），近期办结案件（类别、区县、结论、措施）",
            "parameters": [{ "name": "year", "in": "query", "schema": { "type": "integer" } }], "responses": ok("统计") } },
        "/complaints": { "get": { "summary": "投诉举报列表（工作人员全部；区县账号仅交办本区县的，部门填报员仅交办本单位的；企业账号无权）。每页 100 条，不含联系方式和坐标", "security": auth,
            "parameters": [
                { "name": "state", "in": "query", "schema": { "type": "string", "enum": ["submitted", "accepted", "routed", "closed", "rejected", "merged"] }, "description": "待受理、已受理、已交办、已办结、不予受理、已合并" },
                { "name": "county", "in": "query", "schema": { "type": "string" } },
                { "name": "enterprise", "in": "query", "schema": { "type": "string" }, "description": "统一社会信用代码" },
                { "name": "overdue", "in": "query", "schema": { "type": "string", "enum": ["1"] }, "description": "仅超期（升级督办）" },
                { "name": "page", "in": "query", "schema": { "type": "integer", "minimum": 1 } }
            ], "responses": ok("案件与总数") } },
        "/complaints/attention": { "get": { "summary": "超期升级督办的件数（工作人员）：受理超期、办理超期、办理中", "security": auth, "responses": ok("件数") } },
        "/complaints/enterprise/{code}": { "get": { "summary": "某企业被投诉举报的记录（不含投诉人信息），及本年度属实、部分属实的案件（供信用评价）；企业账号无权", "security": auth,
            "parameters": [{ "name": "code", "in": "path", "required": true, "schema": { "type": "string" } }], "responses": ok("记录") } },
        "/complaints/{id}": { "get": { "summary": "一件投诉举报及其办理经过、照片与材料；联系方式和照片元数据仅承办人员（工作人员、交办的区县或部门）可见，其余脱敏，查看全文留痕", "security": auth,
            "parameters": id, "responses": ok("案件") } },
        "/complaints/{id}/accept": { "post": { "summary": "受理（工作人员；待受理）：办结期限为受理后 30 日（--complaint-finish-days）", "security": auth, "parameters": id,
            "requestBody": { "required": false, "content": { "application/json": { "schema": { "type": "object", "properties": { "note": text } } } } }, "responses": ok("案件") } },
        "/complaints/{id}/reject": { "post": { "summary": "不予受理（工作人员；待受理）：note 为理由，投诉人可见", "security": auth, "parameters": id,
            "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["note"], "properties": { "note": text } } } } }, "responses": ok("案件") } },
        "/complaints/{id}/merge": { "post": { "summary": "合并重复件（工作人员）：into 为主件编号或案件编号；主件的答复对所有合并的投诉人可见", "security": auth, "parameters": id,
            "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["into"], "properties": { "into": { "type": "string" } } } } } }, "responses": ok("案件") } },
        "/complaints/{id}/route": { "post": { "summary": "交办（工作人员）：county 或 unit 二选一，due_by 办结期限（默认受理后 30 日），note 交办意见；未受理的同时受理", "security": auth, "parameters": id,
            "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "properties": {
                "county": { "type": "string" }, "unit": { "type": "string" }, "due_by": { "type": "string", "format": "date" }, "note": text } } } } }, "responses": ok("案件") } },
        "/complaints/{id}/handle": { "post": { "summary": "办结答复（承办的区县、部门或工作人员）：调查核实情况、结论、处理措施、答复；材料经页面表单上传", "security": auth, "parameters": id,
            "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["investigation", "finding", "measures", "reply"], "properties": {
                "investigation": text, "finding": { "type": "string", "enum": ["substantiated", "partly", "unsubstantiated"], "description": "属实、部分属实、不属实" },
                "measures": text, "reply": text } } } } }, "responses": ok("案件") } }
    })
}

/// `GET /api/v1/openapi.json`.
pub async fn document() -> Json<Value> {
    let mut doc = spec();
    if let Some(paths) = doc["paths"].as_object_mut() {
        for (k, v) in credit_paths().as_object().into_iter().flatten() {
            paths.insert(k.clone(), v.clone());
        }
    }
    Json(doc)
}

/// The paths of 环境信用评价 (issue 18), kept apart from the big literal above.
fn credit_paths() -> Value {
    let id =
        json!([{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }]);
    let auth = json!([{ "bearer": [] }, { "session": [] }]);
    let step = |required: &[&str], props: Value| json!({ "required": true, "content": { "application/json": { "schema": { "type": "object", "required": required, "properties": props } } } });
    json!({
        "/credit/rules": { "get": { "summary": "信用评价模型（公开）：初始分、各事项扣分与上限、等级分数段与标识颜色、一票否决事项、修复等待期与审核时限，每项附来源和是否已确认", "responses": ok("评分模型") } },
        "/credit/lookup": { "get": { "summary": "企业环境信用公开查询（无需登录）：按企业名称（包含）或统一社会信用代码查已公布的评价，不含草稿和扣分明细；每页 100 条",
            "parameters": [{ "name": "q", "in": "query", "schema": { "type": "string", "maxLength": 100 } }, { "name": "page", "in": "query", "schema": { "type": "integer", "minimum": 1 } }],
            "responses": ok("已公布的评价与总数") } },
        "/credit/ratings": { "get": { "summary": "信用评价列表（含草稿）：工作人员全部，区县账号本区县，排污单位账号仅本单位；按年度、等级、区县筛选（供其他部门按等级实施差别化措施），每页 100 条", "security": auth,
            "parameters": [{ "name": "year", "in": "query", "schema": { "type": "integer" } }, { "name": "grade", "in": "query", "schema": { "type": "string", "enum": ["A", "B", "C", "D"] } },
                { "name": "county", "in": "query", "schema": { "type": "string" } }, { "name": "page", "in": "query", "schema": { "type": "integer", "minimum": 1 } }],
            "responses": ok("评价与总数") } },
        "/credit/ratings/compute": { "post": { "summary": "计算某年度的评分草稿（工作人员）：由超标事件（未经有效数据标记说明）、督办单逾期、已决定的案件（一般/严重）、信息披露迟报或未报、有效传输率低于门槛和一票否决认定逐项计算；已公布的评价不变", "security": auth,
            "requestBody": step(&["year"], json!({ "year": { "type": "integer" }, "credit_code": { "type": "string", "description": "仅计算这家企业；省略则为全部登记企业" } })),
            "responses": ok("计算出的草稿") } },
        "/credit/ratings/{id}": { "get": { "summary": "一条信用评价及其扣分事项（每项含原始记录的类型、编号和链接）、异议、修复申请和材料", "security": auth, "parameters": id, "responses": ok("评价") } },
        "/credit/ratings/{id}/publish": { "post": { "summary": "审核通过并公布（工作人员）：公布后冻结，只有异议成立或修复通过才会改变", "security": auth, "parameters": id, "responses": ok("评价") } },
        "/credit/ratings/{id}/objections": { "post": { "summary": "对某一扣分事项提出异议（被评价企业本单位账号；草稿期间或公布后异议期内）；材料经页面表单上传", "security": auth, "parameters": id,
            "requestBody": step(&["event_key", "reason"], json!({ "event_key": { "type": "string", "description": "事项的 key（见评价的 events）" }, "reason": { "type": "string", "maxLength": 2000 } })),
            "responses": ok("评价") } },
        "/credit/ratings/{id}/repairs": { "post": { "summary": "申请信用修复（被评价企业本单位账号；已公布、等级可修复且已过等待期）；审核期限按工作日计算；材料经页面表单上传", "security": auth, "parameters": id,
            "requestBody": step(&["reason"], json!({ "reason": { "type": "string", "maxLength": 2000 } })),
            "responses": ok("评价") } },
        "/credit/objections/{id}/decide": { "post": { "summary": "处理异议（工作人员）：uphold 异议成立（该事项不再扣分，重新评分），reject 不予采纳", "security": auth, "parameters": id,
            "requestBody": step(&["outcome", "decision"], json!({ "outcome": { "type": "string", "enum": ["uphold", "reject"] }, "decision": { "type": "string", "maxLength": 2000 } })),
            "responses": ok("评价") } },
        "/credit/repairs/{id}/decide": { "post": { "summary": "审核信用修复申请（工作人员）：accept 修复通过（核销记分，等级随即调整，保留修复前等级），reject 不予修复", "security": auth, "parameters": id,
            "requestBody": step(&["outcome", "decision"], json!({ "outcome": { "type": "string", "enum": ["accept", "reject"] }, "decision": { "type": "string", "maxLength": 2000 } })),
            "responses": ok("评价") } },
        "/credit/findings": { "post": { "summary": "认定一票否决事项（工作人员），如篡改、伪造自动监测数据；下次计算时该企业直接评为最低等级", "security": auth,
            "requestBody": step(&["credit_code", "kind", "occurred_on", "note"], json!({ "credit_code": { "type": "string" }, "kind": { "type": "string", "description": "见 /credit/rules 的 veto" },
                "occurred_on": { "type": "string", "format": "date" }, "case_id": { "type": "integer" }, "note": { "type": "string", "maxLength": 2000 } })),
            "responses": { "201": { "description": "认定记录" } } } }
    })
}

/// 企业环境信息依法披露 (`/api/v1/disclosure…`), kept apart so the main literal stays within
/// the macro's recursion limit.
fn disclosure_paths() -> Value {
    let sec = json!([{ "bearer": [] }, { "session": [] }]);
    let page =
        json!({ "name": "page", "in": "query", "schema": { "type": "integer", "minimum": 1 } });
    let year = json!({ "name": "year", "in": "query", "schema": { "type": "integer" }, "description": "年度（默认上一年）：年度报告所属年度，或临时报告事项所在年度" });
    let code = json!({ "name": "credit_code", "in": "query", "schema": { "type": "string" }, "description": "统一社会信用代码（工作人员必填；排污单位账号只能是本单位，默认本单位）" });
    let id =
        json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } });
    json!({
        "/disclosure/reports": { "get": { "summary": "已披露报告查询（公开，无需登录）：按企业名称或统一社会信用代码、报告类型、年度；只列出已提交的报告，每页 100 条",
            "parameters": [{ "name": "q", "in": "query", "schema": { "type": "string" } }, { "name": "kind", "in": "query", "schema": { "type": "string", "enum": ["annual", "temporary"] }, "description": "年度报告、临时报告" }, year, page],
            "responses": ok("报告与总数") } },
        "/disclosure/reports/{id}": { "get": { "summary": "一份已披露报告（公开）：最新内容按部分列出，及各版本（更正理由、提交时间）；未提交的草稿为 404",
            "parameters": [id], "responses": ok("报告") } },
        "/disclosure/list": {
            "get": { "summary": "某年度环境信息依法披露企业名单（公开；工作人员另可见已移出的条目），每页 100 条",
                "parameters": [year, { "name": "q", "in": "query", "schema": { "type": "string" } }, page], "responses": ok("名单与总数") },
            "post": { "summary": "列入名单（工作人员）：企业须在污染源名录中，basis 为规则文件中的依据代码（第七条各项）", "security": sec,
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["year", "credit_code", "basis", "reason"], "properties": {
                    "year": { "type": "integer" }, "credit_code": { "type": "string" }, "basis": { "type": "string", "enum": ["key_discharger", "cleaner_production", "listed_penalised", "bond_penalised", "other_law"] }, "reason": { "type": "string", "maxLength": 4000 } } } } } },
                "responses": { "201": { "description": "名单条目" } } } },
        "/disclosure/list/{id}/remove": { "post": { "summary": "移出名单（工作人员）：须说明理由，条目保留", "security": sec, "parameters": [id],
            "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["reason"], "properties": { "reason": { "type": "string" } } } } } },
            "responses": ok("名单条目") } },
        "/disclosure/triggers": { "post": { "summary": "登记临时报告事项（工作人员）：许可准予、变更、撤销，损害赔偿等；行政处罚由案件的处罚决定自动产生", "security": sec,
            "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["credit_code", "kind", "document", "event_date"], "properties": {
                "credit_code": { "type": "string" }, "kind": { "type": "string", "enum": ["permit_grant", "permit_change", "permit_revoke", "compensation", "detention", "criminal", "correction"] },
                "document": { "type": "string", "description": "法律文书名称及文号" }, "event_date": { "type": "string", "format": "date", "description": "企业收到法律文书的日期" }, "note": { "type": "string" } } } } } },
            "responses": { "201": { "description": "事项" } } } },
        "/disclosure/overdue": { "get": { "summary": "逾期情况（工作人员）：名单内企业逾期报送、逾期未报的年度报告和临时报告，每页 100 条", "security": sec,
            "parameters": [year, { "name": "as_of", "in": "query", "schema": { "type": "string", "format": "date" }, "description": "按哪一天判断（北京时间日期，默认今天）" }, page],
            "responses": ok("逾期条目（days_late 日历日，working_days_late 工作日）") } },
        "/disclosure/dues": { "get": { "summary": "某单位某年度应报送的报告：截止日期、状态、披露日期，以及逾期（lapses）", "security": sec,
            "parameters": [code, year, { "name": "as_of", "in": "query", "schema": { "type": "string", "format": "date" } }], "responses": ok("应报报告") } },
        "/disclosure/draft": {
            "get": { "summary": "报告表单：各部分字段及其值（草稿；无草稿时由本平台数据预填）", "security": sec,
                "parameters": [code, year, { "name": "kind", "in": "query", "schema": { "type": "string", "enum": ["annual", "temporary"] } }, { "name": "trigger", "in": "query", "schema": { "type": "string" }, "description": "临时报告的事项键（case:ID 或 trigger:ID）" }],
                "responses": ok("表单") },
            "post": { "summary": "保存草稿（submit=false）或提交披露（submit=true，每次提交为一个新版本；更正已披露的报告须填 reason）；仅本单位账号", "security": sec,
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["year", "kind"], "properties": {
                    "credit_code": { "type": "string" }, "year": { "type": "integer" }, "kind": { "type": "string", "enum": ["annual", "temporary"] }, "trigger_key": { "type": "string" },
                    "values": { "type": "object", "additionalProperties": { "type": "string" }, "description": "字段值，键为 部分.字段（见 GET 表单的 name）" },
                    "submit": { "type": "boolean" }, "reason": { "type": "string" } } } } } },
                "responses": { "200": { "description": "草稿已保存" }, "201": { "description": "已提交（新版本）" } } } },
        "/disclosure/rules": { "get": { "summary": "披露规则（公开）：名单依据、临时报告事项、年度报告各部分及字段、截止日期及其来源，工作日历的年份", "responses": ok("规则") } }
    })
}
