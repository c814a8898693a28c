//! Evidence files (佐证材料) on task progress reports, end to end: the real server on port 0
//! with a fresh SQLite database, uploads as a browser and as API clients send them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Server, client};
use qingshan_server::ServerConfig;
use qingshan_store::{AuditRecord, Role, Store};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const PLAN: &str = "xinzhou-beautiful-shanxi-2023";

struct App {
    _db: common::ScratchDb,
    server: Server,
    store: Store,
}

impl App {
    fn url(&self, path: &str) -> String {
        self.server.url(path)
    }

    async fn audit(&self, prefix: &str) -> Vec<AuditRecord> {
        self.store.audit_log(Some(prefix), 1000).await.unwrap()
    }

    async fn evidence_count(&self) -> usize {
        self.store.plan_task_evidence(PLAN).await.unwrap().len()
    }
}

async fn spawn_with(config: ServerConfig) -> App {
    let (store, _db) = common::fresh_store("evidence").await;
    common::user(&store, "slj-reporter", Role::Reporter, Some("slj"), None).await;
    common::user(&store, "fgw-reporter", Role::Reporter, Some("fgw"), None).await;
    common::user(&store, "staff", Role::Staff, None, None).await;
    common::user(&store, "admin", Role::Admin, None, None).await;
    App {
        _db,
        server: common::serve_with(store.clone(), config).await,
        store,
    }
}

async fn spawn() -> App {
    spawn_with(ServerConfig::default()).await
}

/// One part of a multipart body: a text field, or a file with the name and type the client
/// claims for it.
enum Part<'a> {
    Text(&'a str, &'a str),
    File(&'a str, &'a str, &'a str, &'a [u8]),
}

/// A multipart/form-data body as a browser sends it: the Content-Type and the bytes.
fn multipart(parts: &[Part]) -> (String, Vec<u8>) {
    let boundary = "----qingshanBoundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for p in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match p {
            Part::Text(name, value) => {
                body.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                        .as_bytes(),
                );
            }
            Part::File(name, file_name, claimed, data) => {
                body.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: {claimed}\r\n\r\n"
                    )
                    .as_bytes(),
                );
                body.extend_from_slice(data);
                body.extend_from_slice(b"\r\n");
            }
        }
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// POSTs a multipart body, with extra headers.
async fn post_multipart(
    c: &Client,
    url: String,
    parts: &[Part<'_>],
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let (ct, body) = multipart(parts);
    let mut req = c.post(url).header("content-type", ct).body(body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

/// A PDF-looking file of `len` bytes with every byte value in it.
fn pdf(len: usize) -> Vec<u8> {
    let mut b = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    b.extend((0..len.saturating_sub(b.len())).map(|i| (i % 256) as u8));
    b.truncate(len);
    b
}

fn png() -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    b.extend_from_slice(&[
        0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89,
    ]);
    b
}

/// A zip with these (empty, stored) entries, as Office and OFD writers lay one out.
fn zip_with(names: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for n in names {
        let offset = out.len() as u32;
        out.extend_from_slice(b"PK\x03\x04\x14\0\0\0\0\0\0\0\0\0");
        out.extend_from_slice(&[0; 12]);
        out.extend_from_slice(&(n.len() as u16).to_le_bytes());
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(n.as_bytes());
        central.extend_from_slice(b"PK\x01\x02\x14\0\x14\0\0\0\0\0\0\0\0\0");
        central.extend_from_slice(&[0; 12]);
        central.extend_from_slice(&(n.len() as u16).to_le_bytes());
        central.extend_from_slice(&[0; 12]);
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(n.as_bytes());
    }
    let at = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(b"PK\x05\x06\0\0\0\0");
    out.extend_from_slice(&(names.len() as u16).to_le_bytes());
    out.extend_from_slice(&(names.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&at.to_le_bytes());
    out.extend_from_slice(&[0, 0]);
    out
}

fn sha256(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

#[tokio::test]
async fn the_units_reporter_uploads_and_the_file_downloads_byte_identical() {
    let app = spawn().await;
    let (c, csrf) = common::login(&app.server, "slj-reporter").await;
    let page = c
        .get(app.url("/tasks"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("action=\"/tasks/3/2/reports\" enctype=\"multipart/form-data\""),
        "the report form sends files"
    );

    // The report and two files in the same form; the claimed types are wrong on purpose.
    let report_pdf = pdf(70_000);
    let photo = png();
    let r = post_multipart(
        &c,
        app.url("/tasks/3/2/reports"),
        &[
            Part::Text("csrf_token", &csrf),
            Part::Text("period", "2024Q3"),
            Part::Text("status", "in_progress"),
            Part::Text("narrative", "完成入河排污口排查"),
            Part::File(
                "files",
                "2024年 验收报告.pdf",
                "application/octet-stream",
                &report_pdf,
            ),
            Part::File("files", "现场照片", "text/plain", &photo),
        ],
        &[],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let reports = app.store.task_reports(PLAN, 3, 2).await.unwrap();
    assert_eq!(reports.len(), 1);
    let report = &reports[0];
    let files = app.store.task_evidence(report.id).await.unwrap();
    assert_eq!(
        files
            .iter()
            .map(|f| (f.file_name.as_str(), f.content_type.as_str(), f.size_bytes))
            .collect::<Vec<_>>(),
        [
            ("2024年 验收报告.pdf", "application/pdf", 70_000),
            ("现场照片.png", "image/png", photo.len() as i64)
        ]
    );
    assert_eq!(files[0].sha256, sha256(&report_pdf));

    // The download: the same bytes, the recognised type, an attachment, no sniffing.
    let url = app.url(&format!("/tasks/evidence/{}", files[0].id));
    let r = c.get(&url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let h = r.headers().clone();
    assert_eq!(h["content-type"], "application/pdf");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(
        h["content-disposition"],
        "attachment; filename=\"2024_ ____.pdf\"; filename*=UTF-8''2024%E5%B9%B4%20%E9%AA%8C%E6%94%B6%E6%8A%A5%E5%91%8A.pdf"
    );
    assert_eq!(r.bytes().await.unwrap().as_ref(), report_pdf.as_slice());
    // The public is sent to sign in, and gets no bytes.
    let anon = client().get(&url).send().await.unwrap();
    assert_eq!(anon.status(), StatusCode::SEE_OTHER);
    assert_eq!(anon.headers()["location"], "/login");
    assert!(
        client()
            .get(app.url("/tasks/evidence/999"))
            .send()
            .await
            .unwrap()
            .status()
            .is_redirection()
    );
    assert_eq!(
        c.get(app.url("/tasks/evidence/999"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );

    // The tasks page lists the files to signed-in users, with size, uploader and a link.
    let page = c
        .get(app.url("/tasks"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let link = format!(
        "<a href=\"/tasks/evidence/{}\">2024年 验收报告.pdf</a>",
        files[0].id
    );
    assert!(page.contains(&link), "no link to the file");
    assert!(page.contains("68.4 KB，slj-reporter显示名，"));
    assert!(page.contains(&format!("action=\"/tasks/reports/{}/evidence\"", report.id)));
    let public = client()
        .get(app.url("/tasks"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !public.contains("/tasks/evidence/") && !public.contains("验收报告"),
        "the public sees no evidence"
    );

    // A further file on the same report revision, through the page's own form.
    let sheet = zip_with(&["[Content_Types].xml", "_rels/.rels", "xl/workbook.xml"]);
    let r = post_multipart(
        &c,
        app.url(&format!("/tasks/reports/{}/evidence", report.id)),
        &[
            Part::Text("csrf_token", &csrf),
            Part::File("files", "台账.xlsx", "application/vnd.ms-excel", &sheet),
        ],
        &[],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.store.task_evidence(report.id).await.unwrap().len(), 3);

    // A browser sends an empty part for a file input left empty: a report without files.
    let r = post_multipart(
        &c,
        app.url("/tasks/3/2/reports"),
        &[
            Part::Text("csrf_token", &csrf),
            Part::Text("period", "2023"),
            Part::Text("status", "completed"),
            Part::Text("narrative", "上年度已完成"),
            Part::File("files", "", "application/octet-stream", b""),
        ],
        &[],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.store.task_reports(PLAN, 3, 2).await.unwrap().len(), 2);
    assert_eq!(app.evidence_count().await, 3);

    // The API: the list (signed in only), and uploads with the session's CSRF header or a token.
    let list_url = app.url(&format!("/api/v1/tasks/reports/{}/evidence", report.id));
    let list: Value = c.get(&list_url).send().await.unwrap().json().await.unwrap();
    assert_eq!(list["report"]["id"], report.id);
    assert_eq!(list["evidence"].as_array().unwrap().len(), 3);
    assert_eq!(list["evidence"][0]["sha256"], sha256(&report_pdf));
    assert_eq!(
        list["evidence"][0]["download_url"],
        format!("/tasks/evidence/{}", files[0].id)
    );
    assert_eq!(
        client().get(&list_url).send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let reports: Value = client()
        .get(app.url("/api/v1/tasks/3/2/reports"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(reports["reports"][0]["id"], report.id);

    let ofd = zip_with(&["OFD.xml", "Doc_0/Document.xml"]);
    let no_csrf = post_multipart(
        &c,
        list_url.clone(),
        &[Part::File("file", "批复.ofd", "application/ofd", &ofd)],
        &[],
    )
    .await;
    assert_eq!(no_csrf.status(), StatusCode::FORBIDDEN);
    let r = post_multipart(
        &c,
        list_url.clone(),
        &[Part::File("file", "批复.ofd", "application/ofd", &ofd)],
        &[("x-csrf-token", &csrf)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["evidence"][0]["content_type"], "application/ofd");

    let (admin, admin_csrf) = common::login(&app.server, "admin").await;
    let slj = app
        .store
        .user_credentials("slj-reporter")
        .await
        .unwrap()
        .unwrap()
        .0;
    let token: Value = admin
        .post(app.url("/api/v1/tokens"))
        .header("x-csrf-token", &admin_csrf)
        .json(&json!({"user_id": slj.id, "label": "填报脚本"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bearer = format!("Bearer {}", token["token"].as_str().unwrap());
    // A report and its file in one API call, then the file downloaded with the token.
    let doc = zip_with(&["[Content_Types].xml", "word/document.xml"]);
    let r = post_multipart(
        &client(),
        app.url("/api/v1/tasks/3/2/reports"),
        &[
            Part::Text("period", "2024"),
            Part::Text("status", "completed"),
            Part::Text("narrative", "年度任务完成"),
            Part::File("files", "年度总结.docx", "application/msword", &doc),
        ],
        &[("authorization", &bearer)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["report"]["period"], "2024");
    let id = v["evidence"][0]["id"].as_i64().unwrap();
    let r = client()
        .get(app.url(&format!("/tasks/evidence/{id}")))
        .header("authorization", &bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    );
    assert_eq!(r.bytes().await.unwrap().as_ref(), doc.as_slice());

    let doc: Value = client()
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let upload = &doc["paths"]["/tasks/reports/{id}/evidence"]["post"];
    assert!(upload["requestBody"]["content"]["multipart/form-data"].is_object());
    assert!(upload["responses"]["413"].is_object() && upload["responses"]["415"].is_object());
    assert!(doc["paths"]["/tasks/reports/{id}/evidence"]["get"].is_object());
    assert!(doc["components"]["schemas"]["Evidence"]["properties"]["sha256"].is_object());

    let log = app.audit("task_evidence.").await;
    assert_eq!(log.iter().filter(|e| e.outcome == "ok").count(), 5);
    assert!(log.iter().any(|e| e.outcome == "ok"
        && e.target == "task:3-2 period:2024Q3"
        && e.actor == "slj-reporter"
        && e.new_value.as_deref() == Some("2024年 验收报告.pdf")
        && e.detail.as_deref().unwrap().contains(&sha256(&report_pdf))));
    assert!(
        log.iter()
            .any(|e| e.outcome == "refused" && e.detail.as_deref().unwrap().starts_with("csrf"))
    );
}

#[tokio::test]
async fn another_units_reporter_is_refused_and_audited() {
    let app = spawn().await;
    // Task 2-1 belongs to 市发改委, 市工信局 and 市商务局; 市水利局 may not touch it.
    let (fgw, fgw_csrf) = common::login(&app.server, "fgw-reporter").await;
    let r = fgw
        .post(app.url("/api/v1/tasks/2/1/reports"))
        .header("x-csrf-token", &fgw_csrf)
        .json(&json!({"period": "2024", "status": "in_progress", "narrative": "推进产业结构调整"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let report_id = r.json::<Value>().await.unwrap()["report"]["id"]
        .as_i64()
        .unwrap();

    let (c, csrf) = common::login(&app.server, "slj-reporter").await;
    let file = pdf(2_000);
    let r = post_multipart(
        &c,
        app.url("/tasks/2/1/reports"),
        &[
            Part::Text("csrf_token", &csrf),
            Part::Text("period", "2024"),
            Part::Text("status", "completed"),
            Part::Text("narrative", "x"),
            Part::File("files", "a.pdf", "application/pdf", &file),
        ],
        &[],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.unwrap().contains("不属于本单位"));
    let r = post_multipart(
        &c,
        app.url(&format!("/api/v1/tasks/reports/{report_id}/evidence")),
        &[Part::File("files", "b.pdf", "application/pdf", &file)],
        &[("x-csrf-token", &csrf)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"], "forbidden");
    let r = post_multipart(
        &c,
        app.url(&format!("/tasks/reports/{report_id}/evidence")),
        &[
            Part::Text("csrf_token", &csrf),
            Part::File("files", "c.pdf", "application/pdf", &file),
        ],
        &[],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Nor anyone signed out.
    let r = post_multipart(
        &client(),
        app.url(&format!("/api/v1/tasks/reports/{report_id}/evidence")),
        &[Part::File("files", "d.pdf", "application/pdf", &file)],
        &[],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    assert_eq!(app.evidence_count().await, 0);
    assert_eq!(app.store.task_reports(PLAN, 2, 1).await.unwrap().len(), 1);
    let refused = |log: &[AuditRecord], action: &str, target: &str| {
        log.iter().any(|e| {
            e.action == action
                && e.outcome == "refused"
                && e.target == target
                && e.actor == "slj-reporter"
                && e.detail.as_deref().unwrap().starts_with("forbidden")
        })
    };
    let log = app.audit("task_").await;
    assert!(refused(&log, "task_report.record", "task:2-1"));
    assert_eq!(
        log.iter()
            .filter(|e| e.action == "task_evidence.upload" && e.outcome == "refused")
            .count(),
        3,
        "two refusals of 市水利局, one of the public"
    );
    assert!(refused(
        &log,
        "task_evidence.upload",
        "task:2-1 period:2024"
    ));

    // The unit's own reporter and the bureau's staff may.
    let r = post_multipart(
        &fgw,
        app.url(&format!("/api/v1/tasks/reports/{report_id}/evidence")),
        &[Part::File("files", "e.pdf", "application/pdf", &file)],
        &[("x-csrf-token", &fgw_csrf)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let (staff, staff_csrf) = common::login(&app.server, "staff").await;
    let r = post_multipart(
        &staff,
        app.url(&format!("/api/v1/tasks/reports/{report_id}/evidence")),
        &[Part::File("files", "f.pdf", "application/pdf", &file)],
        &[("x-csrf-token", &staff_csrf)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(app.evidence_count().await, 2);
    // Any signed-in user may read them, 市水利局's reporter included.
    let list: Value = c
        .get(app.url(&format!("/api/v1/tasks/reports/{report_id}/evidence")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["evidence"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn disguised_files_are_refused_and_nothing_is_stored() {
    let app = spawn().await;
    let (c, csrf) = common::login(&app.server, "slj-reporter").await;
    let exe =
        b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0This program cannot be run in DOS mode.".to_vec();
    let html = b"<!DOCTYPE html><html><script>fetch('/api/v1/tokens')</script></html>".to_vec();

    // With the report in the same form: neither the report nor the good file is kept.
    let r = post_multipart(
        &c,
        app.url("/tasks/3/2/reports"),
        &[
            Part::Text("csrf_token", &csrf),
            Part::Text("period", "2024"),
            Part::Text("status", "completed"),
            Part::Text("narrative", "完成"),
            Part::File("files", "好的.pdf", "application/pdf", &pdf(1_000)),
            Part::File("files", "验收报告.pdf", "application/pdf", &exe),
        ],
        &[],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("「验收报告.pdf」的内容是Windows 可执行程序（MZ）"),
        "{page}"
    );
    assert!(app.store.task_reports(PLAN, 3, 2).await.unwrap().is_empty());
    assert_eq!(app.evidence_count().await, 0);

    // Through the API, onto an existing report.
    let r = c
        .post(app.url("/api/v1/tasks/3/2/reports"))
        .header("x-csrf-token", &csrf)
        .json(&json!({"period": "2024", "status": "in_progress", "narrative": "推进中"}))
        .send()
        .await
        .unwrap();
    let report_id = r.json::<Value>().await.unwrap()["report"]["id"]
        .as_i64()
        .unwrap();
    let url = app.url(&format!("/api/v1/tasks/reports/{report_id}/evidence"));
    for (name, content, found) in [
        ("通知.pdf", &html, "HTML 网页"),
        ("台账.docx", &zip_with(&["readme.txt"]), "ZIP 压缩包"),
        ("说明.pdf", &b"just text".to_vec(), "纯文本"),
    ] {
        let r = post_multipart(
            &c,
            url.clone(),
            &[Part::File("files", name, "application/pdf", content)],
            &[("x-csrf-token", &csrf)],
        )
        .await;
        assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "{name}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["error"], "unsupported_type");
        let msg = v["message"].as_str().unwrap();
        assert!(msg.contains(name) && msg.contains(found), "{msg}");
        assert!(msg.contains("PDF、JPEG、PNG、OFD、DOCX、XLSX"), "{msg}");
    }
    // No file at all.
    let r = post_multipart(
        &c,
        url.clone(),
        &[Part::Text("note", "x")],
        &[("x-csrf-token", &csrf)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.evidence_count().await, 0);

    let log = app.audit("task_evidence.").await;
    assert!(log.iter().all(|e| e.outcome == "refused"));
    assert_eq!(log.len(), 5);
    let exe_refusal = log
        .iter()
        .find(|e| e.new_value.as_deref() == Some("验收报告.pdf"))
        .unwrap();
    assert_eq!(exe_refusal.target, "task:3-2 period:2024");
    assert!(
        exe_refusal
            .detail
            .as_deref()
            .unwrap()
            .starts_with("unsupported_type: 文件「验收报告.pdf」的内容是Windows 可执行程序")
    );
}

#[tokio::test]
async fn oversize_files_are_refused_and_nothing_is_stored() {
    let app = spawn_with(ServerConfig {
        evidence_max_bytes: 64 * 1024,
        ..ServerConfig::default()
    })
    .await;
    let (c, csrf) = common::login(&app.server, "slj-reporter").await;
    let form = |file: Vec<u8>| {
        let (c, csrf, url) = (&c, &csrf, app.url("/tasks/3/2/reports"));
        async move {
            post_multipart(
                c,
                url,
                &[
                    Part::Text("csrf_token", csrf),
                    Part::Text("period", "2024"),
                    Part::Text("status", "in_progress"),
                    Part::Text("narrative", "推进中"),
                    Part::File("files", "扫描件.pdf", "application/pdf", &file),
                ],
                &[],
            )
            .await
        }
    };
    let r = form(pdf(64 * 1024 + 1)).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("文件「扫描件.pdf」大小为 64 KB，超过每个文件 64 KB 的上限"),
        "{page}"
    );
    assert!(app.store.task_reports(PLAN, 3, 2).await.unwrap().is_empty());
    assert_eq!(app.evidence_count().await, 0);
    let log = app.audit("task_evidence.").await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].outcome, "refused");
    assert!(log[0].detail.as_deref().unwrap().starts_with("too_large"));

    // Exactly at the limit is fine.
    assert_eq!(form(pdf(64 * 1024)).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.evidence_count().await, 1);

    // More files than one request may carry.
    let report_id = app.store.task_reports(PLAN, 3, 2).await.unwrap()[0].id;
    let small = pdf(100);
    let many: Vec<Part> = (0..11)
        .map(|_| Part::File("files", "a.pdf", "application/pdf", &small))
        .collect();
    let r = post_multipart(
        &c,
        app.url(&format!("/api/v1/tasks/reports/{report_id}/evidence")),
        &many,
        &[("x-csrf-token", &csrf)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.evidence_count().await, 1);
}

#[tokio::test]
async fn the_default_limit_is_20_mib_per_file() {
    let app = spawn().await;
    let (c, csrf) = common::login(&app.server, "slj-reporter").await;
    let r = c
        .post(app.url("/api/v1/tasks/3/2/reports"))
        .header("x-csrf-token", &csrf)
        .json(&json!({"period": "2024", "status": "in_progress", "narrative": "推进中"}))
        .send()
        .await
        .unwrap();
    let report_id = r.json::<Value>().await.unwrap()["report"]["id"]
        .as_i64()
        .unwrap();
    let url = app.url(&format!("/api/v1/tasks/reports/{report_id}/evidence"));
    // Past axum's default 2 MB body limit, within ours.
    let big = pdf(3 * 1024 * 1024);
    let r = post_multipart(
        &c,
        url.clone(),
        &[Part::File("files", "大文件.pdf", "application/pdf", &big)],
        &[("x-csrf-token", &csrf)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let too_big = pdf(20 * 1024 * 1024 + 1);
    let r = post_multipart(
        &c,
        url,
        &[Part::File("files", "过大.pdf", "application/pdf", &too_big)],
        &[("x-csrf-token", &csrf)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"], "too_large");
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("超过每个文件 20 MB 的上限")
    );
    assert_eq!(app.evidence_count().await, 1);
}

/// The year the dashboard's status column is assessed for, as the page says it.
fn dashboard_year(html: &str) -> i64 {
    let at = html.find("进展按 ").expect("the dashboard names its year") + "进展按 ".len();
    html[at..at + 4].parse().unwrap()
}

/// The status cell of indicator `n` on the dashboard.
fn dashboard_status(html: &str, n: u32) -> String {
    let row = html
        .find(&format!("href=\"/indicators/{n}\""))
        .or_else(|| html.find(&format!("href=\"&#x2f;indicators&#x2f;{n}\"")))
        .unwrap_or_else(|| panic!("no row for indicator {n}"));
    let cell = html[row..].find("class=\"status status-").unwrap() + row;
    html[cell..].chars().take(40).collect()
}

/// Staff record a province-assigned target and a judgement from the indicator's assessment
/// page: each keeps its history, is audited, and moves the indicator's status on the plan
/// table; a refused form keeps what was typed; a reporter is refused (403, audited).
#[tokio::test]
async fn assigned_targets_and_judgements_from_the_web() {
    let app = spawn().await;
    let (c, _) = common::login(&app.server, "staff").await;
    let dash = c
        .get(app.url("/plan"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let year = dashboard_year(&dash);
    assert!(
        dashboard_status(&dash, 16).contains("status-not_available"),
        "{}",
        dashboard_status(&dash, 16)
    );
    let indicator = c
        .get(app.url("/indicators/16"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        indicator
            .replace("&#x2f;", "/")
            .contains("/indicators/16/assessment"),
        "the indicator page links to its assessment inputs"
    );
    let page = c
        .get(app.url(&format!("/indicators/16/assessment?year={year}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"judgement-form\""), "{page}");
    assert!(
        !page.contains("id=\"assigned-form\""),
        "indicator 16 takes no assigned target"
    );
    let token = common::hidden(&page, "csrf_token");
    let y = year.to_string();
    // No result chosen: refused, with the reasoning kept.
    let r = c
        .post(app.url("/indicators/16/judgements"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("year", y.as_str()),
            ("division", "140900"),
            ("justification", "土壤污染风险管控到位"),
            ("evidence", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("请选择评定结果") && body.contains("土壤污染风险管控到位"),
        "{body}"
    );
    for (result, why) in [("not_met", "两地块未完成风险管控"), ("met", "复核后已完成")]
    {
        let r = c
            .post(app.url("/indicators/16/judgements"))
            .form(&[
                ("csrf_token", token.as_str()),
                ("year", y.as_str()),
                ("division", "140900"),
                ("result", result),
                ("justification", why),
                ("evidence", "忻环函〔2024〕12号"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    let page = c
        .get(app.url(&format!(
            "/indicators/16/assessment?year={year}&saved=judgement"
        )))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("人工评定已保存"), "{page}");
    let history = &page[page.find("id=\"judgement-history\"").unwrap()..];
    assert!(
        history.contains("复核后已完成")
            && history.contains("两地块未完成风险管控")
            && history.contains("忻环函〔2024〕12号")
            && history.contains("staff显示名"),
        "{history}"
    );
    assert!(
        page.contains("status-manual"),
        "the year's status is the judgement"
    );
    let dash = c
        .get(app.url("/plan"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        dashboard_status(&dash, 16).contains("status-manual"),
        "{}",
        dashboard_status(&dash, 16)
    );
    let log = app.audit("judgement.record").await;
    assert_eq!(log.iter().filter(|e| e.outcome == "ok").count(), 2);
    assert!(
        log.iter().any(|e| e.outcome == "refused"),
        "the refused form is audited"
    );

    // Indicator 11 (完成省级下达任务): a value alone awaits the province's target; with it, it
    // gets a status.
    app.store
        .record_indicator_value(
            &qingshan_store::NewIndicatorValue {
                plan_id: PLAN.into(),
                indicator_number: 11,
                year,
                division_code: "140900".into(),
                value: "80.5".into(),
                note: None,
                reason: None,
                source: "manual".into(),
                capture: None,
            },
            &qingshan_store::Actor::cli(),
        )
        .await
        .unwrap();
    let dash = c
        .get(app.url("/plan"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let year = dashboard_year(&dash);
    let y = year.to_string();
    assert!(
        dashboard_status(&dash, 11).contains("status-not_available"),
        "{}",
        dashboard_status(&dash, 11)
    );
    let page = c
        .get(app.url(&format!("/indicators/11/assessment?year={year}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"assigned-form\""), "{page}");
    let r = c
        .post(app.url("/indicators/11/assigned-targets"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("year", y.as_str()),
            ("division", "140900"),
            ("value", "七十八"),
            ("note", "晋环发〔2024〕3号"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("value=\"七十八\"") && body.contains("value=\"晋环发〔2024〕3号\""),
        "the form keeps what was typed: {body}"
    );
    let r = c
        .post(app.url("/indicators/11/assigned-targets"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("year", y.as_str()),
            ("division", "140900"),
            ("value", "78"),
            ("note", "晋环发〔2024〕3号"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = c
        .get(app.url(&format!("/indicators/11/assessment?year={year}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let history = &page[page.find("id=\"assigned-history\"").unwrap()..];
    assert!(
        history.contains(">78<") && history.contains("晋环发〔2024〕3号"),
        "{history}"
    );
    let dash = c
        .get(app.url("/plan"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let status = dashboard_status(&dash, 11);
    assert!(
        !status.contains("status-not_available"),
        "the assigned target gives indicator 11 a status: {status}"
    );
    assert!(
        app.audit("assigned_target.record")
            .await
            .iter()
            .any(|e| e.outcome == "ok" && e.new_value.as_deref() == Some("78"))
    );

    // A reporter sees no forms and is refused a write, audited.
    let (rc, rtoken) = common::login(&app.server, "slj-reporter").await;
    let page = rc
        .get(app.url("/indicators/16/assessment"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("id=\"judgement-form\""));
    let r = rc
        .post(app.url("/indicators/16/judgements"))
        .form(&[
            ("csrf_token", rtoken.as_str()),
            ("year", y.as_str()),
            ("division", "140900"),
            ("result", "met"),
            ("justification", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        app.audit("judgement.record")
            .await
            .iter()
            .any(|e| e.outcome == "refused" && e.actor == "slj-reporter")
    );
    assert_eq!(
        app.store.judgement_history(PLAN, 16).await.unwrap().len(),
        2
    );
}
