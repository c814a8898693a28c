//! The complaints desk (信访投诉举报) end to end through the real server: a citizen files a
//! report with a phone photo and contact details, without signing in; the photo is kept without
//! its Exif block (GPS gone) while the handling staff see where it was taken; staff route the
//! case to a county, whose official sees the contact details in full and closes it, while
//! another county's official, the public pages and every export never show them; the
//! complainant follows the case with the tracking code and rates it. The 11th submission in a
//! minute from one address is refused (429); an overdue case is listed as escalated and
//! counted; a duplicate is merged and both complainants see the reply; a substantiated case
//! against a registered enterprise is on its record for the credit rating.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use qingshan_store::{Actor, ComplaintStep, NewComplaint, Role, Store, Submitted};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

const NAME: &str = "王小明";
const PHONE: &str = "13912345678";
const EMAIL: &str = "wxm@example.com";
const ENTERPRISE: &str = "91140900700000000Q";

const REGISTRY: &str = "credit_code,enterprise_name,division_code,longitude,latitude,outlet_code,outlet_name,outlet_kind,mn,protocol,crc_policy,password,interval_secs,permit_number,permit_valid_from,permit_valid_to,factor_code,hourly_limit,use_converted,reference_o2,annual_total_t
91140900700000000Q,忻州青山焦化有限公司,140981,112.700000,38.720000,DA001,1号焦炉,gas,MNCOMPL0001,2017,strict,123456,3600,P-C-001,2024-01-01,2099-12-31,a21026,35,1,6,120
";

async fn challenge(c: &Client, server: &common::Server) -> (String, String) {
    let v: Value = c
        .get(server.url("/api/v1/complaints/challenge"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let q = v["question"].as_str().unwrap();
    let nums: Vec<u32> = q
        .split(|ch: char| !ch.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    assert_eq!(nums.len(), 2, "{q}");
    (
        v["token"].as_str().unwrap().to_string(),
        (nums[0] + nums[1]).to_string(),
    )
}

fn multipart(fields: &[(&str, &str)], photo: Option<(&str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "----qingshancomplaints";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    if let Some((name, bytes)) = photo {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"{name}\"\r\nContent-Type: image/jpeg\r\n\r\n").as_bytes());
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Files a report through the public form; the receipt page's tracking code.
async fn file_by_form(
    c: &Client,
    server: &common::Server,
    fields: &[(&str, &str)],
    photo: Option<(&str, &[u8])>,
) -> String {
    let (token, answer) = challenge(c, server).await;
    let mut all = fields.to_vec();
    all.push(("challenge", &token));
    all.push(("answer", &answer));
    let (ct, body) = multipart(&all, photo);
    let r = c
        .post(server.url("/public/complaints/new"))
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let html = r.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{html}");
    let start = html.find("id=\"tracking-code\"").unwrap();
    let code = html[start..]
        .split('>')
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap();
    code.to_string()
}

/// Files a report through the API from `address` (X-Forwarded-For, the server trusting the
/// loopback proxy): the status and the answer.
async fn file_by_api(
    c: &Client,
    server: &common::Server,
    address: &str,
    description: &str,
) -> (StatusCode, Value) {
    let (token, answer) = challenge(c, server).await;
    let r = c
        .post(server.url("/api/v1/complaints/submissions"))
        .header("x-forwarded-for", address)
        .json(
            &json!({ "category": "air", "description": description, "address": "忻府区长征街",
                       "challenge": token, "answer": answer, "anonymous": true }),
        )
        .send()
        .await
        .unwrap();
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

async fn track(c: &Client, server: &common::Server, code: &str) -> Value {
    c.post(server.url("/api/v1/complaints/track"))
        .json(&json!({ "code": code }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn text(c: &Client, url: String) -> (StatusCode, String) {
    let r = c.get(url).send().await.unwrap();
    let s = r.status();
    (s, r.text().await.unwrap())
}

fn no_contact(what: &str, body: &str) {
    for secret in [NAME, PHONE, EMAIL, "北纬"] {
        assert!(!body.contains(secret), "{what} shows {secret}");
    }
}

/// The text of every sheet file and shared string of an XLSX workbook.
fn xlsx_text(bytes: &[u8]) -> String {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = String::new();
    for i in 0..z.len() {
        let mut f = z.by_index(i).unwrap();
        if f.name().unwrap().ends_with(".xml") {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut f, &mut s).unwrap();
            out.push_str(&s);
        }
    }
    out
}

async fn seeded() -> (Store, common::ScratchDb) {
    let (store, db) = common::fresh_store("complaints").await;
    store
        .import_registry(
            &qingshan_sources::read_registry(REGISTRY.as_bytes()).unwrap(),
            &Actor::cli(),
        )
        .await
        .unwrap();
    common::user(&store, "staff", Role::Staff, None, None).await;
    common::user(&store, "xinfu", Role::County, None, Some("140902")).await;
    common::user(&store, "yuanping", Role::County, None, Some("140981")).await;
    (store, db)
}

#[tokio::test]
async fn a_report_goes_from_citizen_to_county_and_back_without_leaking_the_complainant() {
    let (store, _db) = seeded().await;
    let server = common::serve(store.clone()).await;
    let citizen = common::client();

    // The form opens without signing in and carries its challenge.
    let (s, form) = text(&citizen, server.url("/public/complaints/new")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(form.contains("等于多少"));
    assert!(form.contains("name=\"challenge\""));

    let photo = qingshan_app::complaints::photo::jpeg_with_gps(38.416_667, 112.733_333);
    assert!(photo.windows(4).any(|w| w == b"Exif"));
    let code = file_by_form(
        &citizen,
        &server,
        &[
            ("category", "air"),
            ("description", "忻州青山焦化有限公司夜间冒黑烟，气味刺鼻"),
            ("address", "原平市某村东"),
            ("occurred_at", "2026-12-01T22:30"),
            ("contact_name", NAME),
            ("phone", PHONE),
            ("email", EMAIL),
        ],
        Some(("现场.jpg", &photo)),
    )
    .await;
    assert_eq!(code.len(), 24);

    // Matched to the county named in the address and the enterprise named in the text.
    let c = store.complaint(1).await.unwrap().unwrap();
    assert_eq!(c.division_code.as_deref(), Some("140981"));
    assert_eq!(c.credit_code.as_deref(), Some(ENTERPRISE));
    assert_eq!(c.state, "submitted");
    // Only the hash of the tracking code is kept.
    let audit = store.audit_log(None, 1000).await.unwrap();
    assert!(audit.iter().all(|a| {
        let all = format!("{:?}", a);
        !all.contains(&code) && !all.contains(PHONE) && !all.contains(NAME)
    }));

    // The kept photo has no Exif block, so no GPS position; the handling staff see where it
    // was taken in the metadata summary.
    let files = store.complaint_files(1).await.unwrap();
    assert_eq!(files.len(), 1);
    let (staff, staff_csrf) = common::login(&server, "staff").await;
    let r = staff
        .get(server.url(&format!("/complaints/files/{}", files[0].id)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let kept = r.bytes().await.unwrap().to_vec();
    assert!(!kept.windows(4).any(|w| w == b"Exif"));
    assert!(
        qingshan_app::complaints::photo::strip_jpeg(&kept)
            .unwrap()
            .gps
            .is_none()
    );
    assert!(kept.starts_with(&[0xFF, 0xD8]) && kept.ends_with(&[0xFF, 0xD9]));
    let (_, page) = text(&staff, server.url("/complaints/1")).await;
    assert!(page.contains(PHONE) && page.contains(NAME));
    assert!(page.contains("北纬 38.41"), "photo metadata for the staff");
    assert!(
        store
            .audit_log(None, 1000)
            .await
            .unwrap()
            .iter()
            .any(|a| a.action == "complaint.contact_view" && a.target == "complaint:1")
    );

    // Staff route it to 原平市 with the default deadline.
    let r = staff
        .post(server.url("/complaints/1/route"))
        .form(&[
            ("csrf_token", staff_csrf.as_str()),
            ("county", "140981"),
            ("note", "请核查"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let c = store.complaint(1).await.unwrap().unwrap();
    assert_eq!(c.state, "routed");
    assert!(c.due_by.is_some());

    // 忻府区's official: refused the case and its photo (audited), an empty list, exports
    // without the complainant.
    let (xinfu, xinfu_csrf) = common::login(&server, "xinfu").await;
    let (s, body) = text(&xinfu, server.url("/complaints/1")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    no_contact("another county's page", &body);
    let (s, _) = text(
        &xinfu,
        server.url(&format!("/complaints/files/{}", files[0].id)),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (_, body) = text(&xinfu, server.url("/api/v1/complaints")).await;
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["total"], 0);
    for path in [
        "/complaints",
        "/complaints/export.csv",
        "/api/v1/complaints/1",
    ] {
        let (_, body) = text(&xinfu, server.url(path)).await;
        no_contact(path, &body);
    }
    let r = xinfu
        .post(server.url("/api/v1/complaints/1/handle"))
        .header("x-csrf-token", &xinfu_csrf)
        .json(&json!({ "investigation": "x", "finding": "unsubstantiated", "measures": "x", "reply": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // Staff's exports: contacts masked.
    let (_, csv) = text(&staff, server.url("/complaints/export.csv")).await;
    no_contact("the CSV export", &csv);
    assert!(csv.contains("139****5678") && csv.contains("王*"));
    let xlsx = staff
        .get(server.url("/complaints/export.xlsx"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let sheet = xlsx_text(&xlsx);
    no_contact("the XLSX export", &sheet);
    assert!(sheet.contains("139****5678"));

    // 原平市's official sees the contact details in full and closes the case with the reply.
    let (yuanping, yp_csrf) = common::login(&server, "yuanping").await;
    let v: Value = yuanping
        .get(server.url("/api/v1/complaints/1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["contact"]["shown"], "full");
    assert_eq!(v["contact"]["phone"], PHONE);
    let r = yuanping
        .post(server.url("/api/v1/complaints/1/handle"))
        .header("x-csrf-token", &yp_csrf)
        .json(&json!({ "investigation": "现场检查，焦炉装煤时有无组织排放", "finding": "substantiated",
                       "measures": "责令整改，立案查处", "reply": "经核查，您反映的问题属实，已责令企业整改。" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    // The complainant follows the case with the code (any case, spaces) and rates it.
    let t = track(&citizen, &server, &code.to_lowercase().replace('-', " ")).await;
    assert_eq!(t["state"], "closed");
    assert_eq!(t["reply"], "经核查，您反映的问题属实，已责令企业整改。");
    assert_eq!(t["may_rate"], true);
    no_contact("the tracking answer", &t.to_string());
    let (s, html) = {
        let r = citizen
            .post(server.url("/public/complaints/track"))
            .form(&[("code", code.as_str())])
            .send()
            .await
            .unwrap();
        (r.status(), r.text().await.unwrap())
    };
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("已责令企业整改"));
    no_contact("the tracking page", &html);
    let r = citizen
        .post(server.url("/api/v1/complaints/rate"))
        .json(&json!({ "code": code, "rating": 5, "comment": "处理及时" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = citizen
        .post(server.url("/api/v1/complaints/rate"))
        .json(&json!({ "code": code, "rating": 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let r = citizen
        .post(server.url("/api/v1/complaints/track"))
        .json(&json!({ "code": "2222-2222-2222-2222-2222" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // Public figures and pages: counts and the rating, nobody's details.
    for path in ["/public/complaints", "/api/v1/complaints/stats"] {
        let (s, body) = text(&citizen, server.url(path)).await;
        assert_eq!(s, StatusCode::OK, "{path}");
        no_contact(path, &body);
        assert!(body.contains("5.0"), "{path}: the mean rating");
    }
    // The public cannot open the staff side.
    let (s, _) = text(&citizen, server.url("/api/v1/complaints/1")).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // On the enterprise's record, and for its credit rating this year.
    let v: Value = staff
        .get(server.url(&format!("/api/v1/complaints/enterprise/{ENTERPRISE}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["complaints"].as_array().unwrap().len(), 1);
    no_contact("the enterprise record", &v.to_string());
    let year = chrono::Datelike::year(&qingshan_app::beijing::today());
    let sub = qingshan_app::complaints::substantiated_for(&store, ENTERPRISE, year)
        .await
        .unwrap();
    assert_eq!(sub.len(), 1);
    assert_eq!(sub[0].finding, "substantiated");
    assert!(
        qingshan_app::complaints::substantiated_for(&store, ENTERPRISE, year - 1)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn the_eleventh_submission_in_a_minute_from_one_address_is_refused() {
    let (store, _db) = common::fresh_store("complaints-rate").await;
    let server = common::serve_with(
        store.clone(),
        qingshan_server::ServerConfig {
            trusted_proxies: vec!["127.0.0.1".parse().unwrap()],
            ..Default::default()
        },
    )
    .await;
    let c = common::client();
    for i in 0..10 {
        let (s, v) = file_by_api(&c, &server, "203.0.113.7", &format!("第 {i} 件")).await;
        assert_eq!(s, StatusCode::CREATED, "{i}: {v}");
    }
    let (s, v) = file_by_api(&c, &server, "203.0.113.7", "第 11 件").await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{v}");
    assert!(v["message"].to_string().contains("分钟"), "{v}");
    // The form says so in Chinese too.
    let (token, answer) = challenge(&c, &server).await;
    let (ct, body) = multipart(
        &[
            ("category", "air"),
            ("description", "x"),
            ("address", "忻府区"),
            ("challenge", &token),
            ("answer", &answer),
        ],
        None,
    );
    let r = c
        .post(server.url("/public/complaints/new"))
        .header("x-forwarded-for", "203.0.113.7")
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.text().await.unwrap().contains("分钟后再试"));
    assert!(
        store
            .audit_log(None, 1000)
            .await
            .unwrap()
            .iter()
            .any(|a| a.action == "complaint.submit" && a.outcome == "refused")
    );
    // The API is described.
    let doc: Value = c
        .get(server.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for p in [
        "/complaints/challenge",
        "/complaints/submissions",
        "/complaints/track",
        "/complaints/rate",
        "/complaints/stats",
        "/complaints",
        "/complaints/{id}",
        "/complaints/{id}/route",
        "/complaints/{id}/handle",
        "/plan",
    ] {
        assert!(doc["paths"].get(p).is_some(), "openapi lacks {p}");
    }
    // Another address is not held back.
    let (s, _) = file_by_api(&c, &server, "198.51.100.9", "另一地址").await;
    assert_eq!(s, StatusCode::CREATED);

    // A wrong answer, a reused challenge: refused (422), in Chinese.
    let (token, answer) = challenge(&c, &server).await;
    let wrong = (answer.parse::<u32>().unwrap() + 1).to_string();
    let body = json!({ "category": "air", "description": "x", "address": "忻府区",
                       "challenge": token, "answer": wrong });
    let r = c
        .post(server.url("/api/v1/complaints/submissions"))
        .header("x-forwarded-for", "192.0.2.1")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("验证题答案不正确"));
    let body = json!({ "category": "air", "description": "x", "address": "忻府区",
                       "challenge": token, "answer": answer });
    for want in [StatusCode::CREATED, StatusCode::UNPROCESSABLE_ENTITY] {
        let r = c
            .post(server.url("/api/v1/complaints/submissions"))
            .header("x-forwarded-for", "192.0.2.1")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), want);
    }
}

#[tokio::test]
async fn an_overdue_case_is_escalated() {
    let (store, _db) = seeded().await;
    let server = common::serve(store.clone()).await;
    let c = common::client();
    for i in 0..2 {
        let (s, _) = file_by_api(&c, &server, "127.0.0.1", &format!("第 {i} 件")).await;
        assert_eq!(s, StatusCode::CREATED);
    }
    // Case 1 was accepted with a deadline long past (set through the store, as the days
    // passing would); case 2 is on time; case 3 was filed long ago and never accepted.
    store
        .complaint_step(
            1,
            &ComplaintStep::Accept {
                due_by: "2020-01-31".into(),
            },
            None,
            &[],
            &Actor::cli(),
        )
        .await
        .unwrap();
    let old = NewComplaint {
        category: "noise".into(),
        description: "夜间施工噪声".into(),
        address: Some("忻府区".into()),
        division_code: Some("140902".into()),
        accept_by: "2020-01-02".into(),
        anonymous: true,
        ..Default::default()
    };
    let filed = store
        .submit_complaint(
            2020,
            &"a".repeat(64),
            "0a0a",
            "peer",
            "2020-01-01T00:00:00.000Z",
            10,
            &old,
            &[],
            &Actor::cli(),
        )
        .await
        .unwrap();
    assert!(matches!(filed, Submitted::Filed(_)));
    let (staff, _) = common::login(&server, "staff").await;
    let v: Value = staff
        .get(server.url("/api/v1/complaints?overdue=1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["total"], 2);
    let labels: Vec<&str> = v["complaints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["due_label"].as_str().unwrap())
        .collect();
    assert!(labels.contains(&"办理超期，已升级督办"));
    assert!(labels.contains(&"受理超期，已升级督办"));
    let a: Value = staff
        .get(server.url("/api/v1/complaints/attention"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(a["accept_overdue"], 1);
    assert_eq!(a["handle_overdue"], 1);
    assert_eq!(a["open"], 3);
    let (_, html) = text(&staff, server.url("/complaints?overdue=1")).await;
    assert!(html.contains("已升级督办"));
    // The dashboard count is the app's, the same for any caller.
    let direct = qingshan_app::complaints::attention(&store, qingshan_app::beijing::today())
        .await
        .unwrap();
    assert_eq!(direct.accept_overdue + direct.handle_overdue, 2);
    // A county official may not read the desk's counts.
    let (xinfu, _) = common::login(&server, "xinfu").await;
    let r = xinfu
        .get(server.url("/api/v1/complaints/attention"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_duplicate_is_merged_and_both_complainants_see_the_reply() {
    let (store, _db) = seeded().await;
    let server = common::serve(store.clone()).await;
    let (first, second) = (common::client(), common::client());
    let code_a = file_by_form(
        &first,
        &server,
        &[
            ("category", "water"),
            ("description", "云中河排污口排黑水"),
            ("county", "140902"),
            ("longitude", "112.7301"),
            ("latitude", "38.4201"),
            ("contact_name", "李四"),
            ("phone", "13800001111"),
        ],
        None,
    )
    .await;
    let code_b = file_by_form(
        &second,
        &server,
        &[
            ("category", "water"),
            ("description", "云中河边有黑水流入"),
            ("address", "忻府区云中河"),
            ("anonymous", "1"),
            ("phone", "13800002222"),
        ],
        None,
    )
    .await;
    // Anonymous: the typed phone is not kept.
    assert!(store.complaint_contact(2).await.unwrap().is_none());
    let (staff, csrf) = common::login(&server, "staff").await;
    let r = staff
        .post(server.url("/api/v1/complaints/2/merge"))
        .header("x-csrf-token", &csrf)
        .json(&json!({ "into": store.complaint(1).await.unwrap().unwrap().case_number }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // Merging into a merged case, or a case into itself: refused.
    let r = staff
        .post(server.url("/api/v1/complaints/1/merge"))
        .header("x-csrf-token", &csrf)
        .json(&json!({ "into": "1" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let r = staff
        .post(server.url("/api/v1/complaints/1/route"))
        .header("x-csrf-token", &csrf)
        .json(&json!({ "county": "140902" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let (xinfu, xcsrf) = common::login(&server, "xinfu").await;
    let r = xinfu
        .post(server.url("/api/v1/complaints/1/handle"))
        .header("x-csrf-token", &xcsrf)
        .json(
            &json!({ "investigation": "沿河排查", "finding": "partly", "measures": "封堵暗管",
                       "reply": "已封堵排污暗管，河道清淤中。" }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    for (c, code) in [(&first, &code_a), (&second, &code_b)] {
        let t = track(c, &server, code).await;
        assert_eq!(t["state"], "closed", "{t}");
        assert_eq!(t["reply"], "已封堵排污暗管，河道清淤中。");
        assert_eq!(t["finding"], "部分属实");
        assert_eq!(t["may_rate"], true);
    }
    let t = track(&second, &server, &code_b).await;
    assert_eq!(
        t["merged_into"],
        store.complaint(1).await.unwrap().unwrap().case_number
    );
    assert!(t.to_string().contains("合并"));
    // Each complainant rates for themselves.
    for (code, r) in [(&code_a, 4), (&code_b, 2)] {
        let resp = second
            .post(server.url("/api/v1/complaints/rate"))
            .json(&json!({ "code": code, "rating": r }))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
    }
    let v: Value = first
        .get(server.url("/api/v1/complaints/stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["stats"]["rated"], 2);
    assert_eq!(v["stats"]["mean_rating"], "3.0");
    assert_eq!(v["stats"]["merged"], 1);
}
