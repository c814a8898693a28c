//! Public participation (公众参与) end to end through the real server: staff publish a draft for
//! comment with a document; citizens comment without signing in, answering the server's
//! question, with a name and contact that never appear on a public page or in the public API
//! (staff see them masked, and whole only through an audited request); a wrong answer and a
//! comment outside the period are refused in Chinese; staff moderate, record how comments were
//! handled and publish the summary, which the public then sees. The satisfaction questionnaire
//! aggregates a fixture exactly, shows beside indicator 22, and the rate limit refuses an
//! address's 11th submission in the hour.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use qingshan_store::{Actor, ConsultationFields, Role, Store};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "----qingshanparticipation";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    if let Some((name, bytes)) = file {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\nContent-Type: application/pdf\r\n\r\n").as_bytes());
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn day(offset: i64) -> String {
    (qingshan_app::beijing::today() + chrono::Duration::days(offset))
        .format("%Y-%m-%d")
        .to_string()
}

/// A Chinese numeral of 1..=99 as the challenge writes it.
fn numeral(s: &str) -> u32 {
    let digit = |c: char| "零一二三四五六七八九".chars().position(|d| d == c).unwrap() as u32;
    let chars: Vec<char> = s.trim().chars().collect();
    match chars.as_slice() {
        ['十'] => 10,
        ['十', o] => 10 + digit(*o),
        [t, '十'] => digit(*t) * 10,
        [t, '十', o] => digit(*t) * 10 + digit(*o),
        [o] => digit(*o),
        _ => panic!("not a numeral: {s}"),
    }
}

/// Answers a question "X 加 Y 等于多少？…" as a person would.
fn solve(question: &str) -> String {
    let (a, rest) = question.split_once(" 加 ").unwrap();
    let b = rest.split(" 等于").next().unwrap();
    let a = a.rsplit('：').next().unwrap();
    (numeral(a) + numeral(b)).to_string()
}

async fn challenge(c: &Client, server: &common::Server) -> (String, String) {
    let v: Value = c
        .get(server.url("/api/v1/consultations/challenge"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let q = v["question"].as_str().unwrap();
    (v["challenge"].as_str().unwrap().to_string(), solve(q))
}

async fn text(c: &Client, url: String) -> (StatusCode, String) {
    let r = c.get(url).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

async fn audited(store: &Store, action: &str, outcome: &str) -> usize {
    store
        .audit_log(None, 5000)
        .await
        .unwrap()
        .iter()
        .filter(|r| r.outcome == outcome && r.action == action)
        .count()
}

const PERSONAL: [&str; 6] = [
    "张三丰",
    "13812345678",
    "李四光",
    "lisi@example.cn",
    "138****5678",
    "127.0.0.1",
];

fn assert_no_personal(what: &str, body: &str) {
    for p in PERSONAL {
        assert!(!body.contains(p), "{what} shows {p}");
    }
}

#[tokio::test]
async fn a_consultation_goes_from_draft_to_published_summary() {
    let (store, _db) = common::fresh_store("participation").await;
    common::user(&store, "staff", Role::Staff, None, None).await;
    common::user(&store, "county-a", Role::County, None, Some("140902")).await;
    let server = common::serve(store.clone()).await;
    let (staff, csrf) = common::login(&server, "staff").await;

    // Staff publish the draft with its document.
    let (ct, body) = multipart(
        &[
            ("csrf_token", &csrf),
            ("kind", "plan_revision"),
            ("title", "忻州市生态文明建设规划修订草案"),
            (
                "body",
                "为适应新形势，市生态环境局起草了规划修订草案。\n现公开征求意见。",
            ),
            ("contact", "信函寄市生态环境局规划科；电话 0350-3000000"),
            ("opens_on", &day(-1)),
            ("closes_on", &day(10)),
        ],
        Some(("修订草案.pdf", b"%PDF-1.4 draft")),
    );
    let r = staff
        .post(server.url("/consultations"))
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/consultations/1");
    assert_eq!(audited(&store, "consultation.create", "ok").await, 1);
    assert_eq!(audited(&store, "consultation.document", "ok").await, 1);

    // A county official may not publish one (audited).
    let (county, county_csrf) = common::login(&server, "county-a").await;
    let r = county
        .post(server.url("/api/v1/consultations"))
        .header("x-csrf-token", &county_csrf)
        .json(&json!({ "kind": "policy", "title": "x", "body": "x", "contact": "x", "opens_on": day(0), "closes_on": day(1) }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(audited(&store, "consultation.create", "refused").await >= 1);

    // A citizen reads it and comments through the form, answering the page's question.
    let citizen = common::client();
    let (status, page) = text(&citizen, server.url("/public/consultations/1")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("忻州市生态文明建设规划修订草案"));
    assert!(page.contains("修订草案.pdf"));
    let token = common::hidden(&page, "challenge");
    let question = page
        .split("验证问题：")
        .nth(1)
        .unwrap()
        .split(" <input")
        .next()
        .unwrap();
    let r = citizen
        .post(server.url("/public/consultations/1/comments"))
        .form(&[
            ("body", "建议把农村生活污水治理率目标提前到2027年。"),
            ("name", "张三丰"),
            ("contact", "13812345678"),
            ("challenge", &token),
            ("challenge_answer", &solve(question)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/public/consultations/1?sent=1");

    // The same challenge cannot be used twice; a wrong answer is refused in Chinese, audited.
    let r = citizen
        .post(server.url("/api/v1/consultations/1/comments"))
        .json(&json!({ "body": "重复", "challenge": token, "challenge_answer": solve(question) }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (tok, answer) = challenge(&citizen, &server).await;
    let wrong = (answer.parse::<u32>().unwrap() + 1).to_string();
    let r = citizen
        .post(server.url("/api/v1/consultations/1/comments"))
        .json(&json!({ "body": "答错", "challenge": tok, "challenge_answer": wrong }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let e: Value = r.json().await.unwrap();
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("验证问题回答不正确"),
        "{e}"
    );
    assert!(audited(&store, "consultation.comment", "refused").await >= 2);

    // A second comment through the API, with an e-mail address.
    let (tok, answer) = challenge(&citizen, &server).await;
    let r = citizen
        .post(server.url("/api/v1/consultations/1/comments"))
        .json(&json!({ "body": "希望公开每个断面的水质。", "name": "李四光", "contact": "lisi@example.cn",
                       "challenge": tok, "challenge_answer": answer }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);

    // Nothing is public before moderation.
    let (_, page) = text(&citizen, server.url("/public/consultations/1")).await;
    assert!(!page.contains("农村生活污水治理率"));

    // Staff see the comments with the details masked; the whole contact only on request,
    // which is audited; others may not ask.
    let v: Value = staff
        .get(server.url("/api/v1/consultations/1/comments"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["total"], 2);
    assert_eq!(v["comments"][0]["name_masked"], "张**");
    assert_eq!(v["comments"][0]["contact_masked"], "138****5678");
    assert_eq!(v["comments"][1]["contact_masked"], "l***@example.cn");
    assert!(!v.to_string().contains("13812345678"));
    let (_, staff_page) = text(&staff, server.url("/consultations/1")).await;
    assert!(staff_page.contains("138****5678"));
    assert!(!staff_page.contains("13812345678"));
    let v: Value = staff
        .get(server.url("/api/v1/consultations/comments/1/contact"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v, json!({ "name": "张三丰", "contact": "13812345678" }));
    assert_eq!(audited(&store, "consultation.contact_view", "ok").await, 1);
    let r = citizen
        .get(server.url("/api/v1/consultations/comments/1/contact"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = county
        .get(server.url("/api/v1/consultations/1/comments"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // Moderation: the first published (form), the second hidden with its reason (API).
    let r = staff
        .post(server.url("/consultations/comments/1/moderate"))
        .form(&[("csrf_token", csrf.as_str()), ("action", "publish")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = staff
        .post(server.url("/api/v1/consultations/comments/2/moderate"))
        .header("x-csrf-token", &csrf)
        .json(&json!({ "publish": false }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "hiding needs a reason"
    );
    let r = staff
        .post(server.url("/api/v1/consultations/comments/2/moderate"))
        .header("x-csrf-token", &csrf)
        .json(&json!({ "publish": false, "reason": "与本次征求意见无关" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(audited(&store, "consultation.moderate", "ok").await, 2);

    // The public sees the published comment, not the hidden one, and nobody's details.
    let (_, page) = text(&citizen, server.url("/public/consultations/1")).await;
    assert!(page.contains("农村生活污水治理率"));
    assert!(!page.contains("希望公开每个断面"));
    assert_no_personal("the public page", &page);
    let (_, api) = text(&citizen, server.url("/api/v1/consultations/1")).await;
    assert!(api.contains("农村生活污水治理率"));
    assert_no_personal("the public API", &api);
    let (_, list) = text(&citizen, server.url("/public/consultations")).await;
    assert_no_personal("the public list", &list);

    // How it was handled; the summary waits for the end of the period.
    let r = staff
        .post(server.url("/consultations/1/decide"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("comments", "1"),
            ("decision", "partly"),
            ("reason", "目标年份需与省级安排衔接，2028 年提前完成"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = staff
        .post(server.url("/api/v1/consultations/1/summary"))
        .header("x-csrf-token", &csrf)
        .json(&json!({ "summary": "共收到意见 2 条，已逐条研究。" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let (_, page) = text(&citizen, server.url("/public/consultations/1")).await;
    assert!(!page.contains("意见采纳情况</h2>"));
    assert!(
        !page.contains("省级安排衔接"),
        "a decision shows only with the summary"
    );

    // The period is moved to have ended (a revision, audited); a comment is then refused.
    let r = staff
        .post(server.url("/api/v1/consultations/1/revise"))
        .header("x-csrf-token", &csrf)
        .json(&json!({ "kind": "plan_revision", "title": "忻州市生态文明建设规划修订草案", "body": "为适应新形势，市生态环境局起草了规划修订草案。",
                       "contact": "电话 0350-3000000", "opens_on": day(-10), "closes_on": day(-1), "reason": "按会议决定提前截止" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["consultation"]["revision"], 2);
    assert_eq!(audited(&store, "consultation.revise", "ok").await, 1);
    let (tok, answer) = challenge(&citizen, &server).await;
    let r = citizen
        .post(server.url("/api/v1/consultations/1/comments"))
        .json(&json!({ "body": "迟到的意见", "challenge": tok, "challenge_answer": answer }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let e: Value = r.json().await.unwrap();
    assert!(e["message"].as_str().unwrap().contains("截止"), "{e}");

    let r = staff
        .post(server.url("/consultations/1/summary"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("summary", "共收到意见 2 条，已逐条研究，部分采纳 1 条。"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(audited(&store, "consultation.summary", "ok").await, 1);

    // The summary is public now, grouped, with the reason; still nobody's details.
    let (_, page) = text(&citizen, server.url("/public/consultations/1")).await;
    assert!(page.contains("意见采纳情况</h2>"));
    assert!(page.contains("部分采纳 1 条"));
    assert!(page.contains("省级安排衔接"));
    assert!(page.contains("1 条因含不宜公开的内容未公开"));
    assert_no_personal("the public page with the summary", &page);
    let v: Value = citizen
        .get(server.url("/api/v1/consultations/1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let s = &v["consultation"]["summary"];
    assert_eq!(s["partly"], 1);
    assert_eq!(s["groups"][0]["decision"], "部分采纳");
    assert_eq!(s["groups"][0]["comments"], json!([1]));
    assert_eq!(v["consultation"]["comments"][0]["decision"], "部分采纳");

    // After publication nothing moves any more.
    let r = staff
        .post(server.url("/api/v1/consultations/comments/1/moderate"))
        .header("x-csrf-token", &csrf)
        .json(&json!({ "publish": false, "reason": "改主意" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
}

fn fields(opens: i64, closes: i64) -> ConsultationFields {
    ConsultationFields {
        kind: "policy".into(),
        title: "某政策".into(),
        body: "正文".into(),
        contact: "电话".into(),
        opens_on: day(opens),
        closes_on: day(closes),
    }
}

#[tokio::test]
async fn a_comment_outside_the_period_is_refused_in_chinese() {
    let (store, _db) = common::fresh_store("participation-period").await;
    let actor = Actor {
        user_id: None,
        name: "cli".into(),
        peer: None,
    };
    store
        .create_consultation(&fields(1, 30), &[], &actor)
        .await
        .unwrap();
    store
        .create_consultation(&fields(-30, -1), &[], &actor)
        .await
        .unwrap();
    store
        .create_consultation(&fields(0, 0), &[], &actor)
        .await
        .unwrap();
    let server = common::serve(store.clone()).await;
    let c = common::client();
    for (id, want, words) in [
        (1, StatusCode::CONFLICT, "尚未开始"),
        (2, StatusCode::CONFLICT, "已于"),
        (3, StatusCode::CREATED, ""),
    ] {
        let (tok, answer) = challenge(&c, &server).await;
        let r = c
            .post(server.url(&format!("/api/v1/consultations/{id}/comments")))
            .json(&json!({ "body": "意见", "challenge": tok, "challenge_answer": answer }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), want, "consultation {id}");
        if want == StatusCode::CONFLICT {
            let e: Value = r.json().await.unwrap();
            assert!(e["message"].as_str().unwrap().contains(words), "{e}");
        }
    }
    // The closed one's page offers no form; the open one's does.
    let (_, page) = text(&c, server.url("/public/consultations/2")).await;
    assert!(!page.contains("comment-form"));
    assert!(page.contains("不再受理意见"));
    let (_, page) = text(&c, server.url("/public/consultations/3")).await;
    assert!(page.contains("comment-form"));
    assert_eq!(audited(&store, "consultation.comment", "refused").await, 2);
}

async fn answer(c: &Client, server: &common::Server, overall: &str) -> StatusCode {
    let (tok, a) = challenge(c, server).await;
    c.post(server.url("/api/v1/consultations/satisfaction"))
        .json(&json!({ "answers": { "overall": overall, "air": "satisfied", "water": "neutral", "disclosure": "satisfied" },
                       "challenge": tok, "challenge_answer": a }))
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn the_questionnaire_aggregates_a_fixture_beside_indicator_22() {
    let (store, _db) = common::fresh_store("participation-satisfaction").await;
    common::user(&store, "staff", Role::Staff, None, None).await;
    let server = common::serve(store.clone()).await;
    let c = common::client();
    for overall in ["very_satisfied", "satisfied", "dissatisfied"] {
        assert_eq!(answer(&c, &server, overall).await, StatusCode::CREATED);
    }
    // An unanswered question and an unknown choice are refused, naming the question.
    let (tok, a) = challenge(&c, &server).await;
    let r = c
        .post(server.url("/api/v1/consultations/satisfaction"))
        .json(
            &json!({ "answers": { "overall": "satisfied", "air": "satisfied", "water": "superb" },
                       "challenge": tok, "challenge_answer": a }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["field"], "water");
    assert!(e["message"].as_str().unwrap().contains("请回答第 3 题"));

    // Three questionnaires: overall 非常满意, 满意, 不满意 → 2/3 = 66.7 %, mean 11/3 = 3.67;
    // every air answer 满意 → 100.0 %, mean 4.00; water 一般 → 0.0 %, mean 3.00.
    let v: Value = c
        .get(server.url("/api/v1/consultations/satisfaction"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let r = &v["results"];
    assert_eq!(r["responses"], 3);
    assert_eq!(r["overall_satisfied_percent"], "66.7");
    let q = |id: &str| {
        r["questions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(q("overall")["mean_score"], "3.67");
    assert_eq!(q("overall")["choices"][3]["count"], 1);
    assert_eq!(q("overall")["choices"][3]["percent"], "33.3");
    assert_eq!(q("air")["satisfied_percent"], "100.0");
    assert_eq!(q("air")["mean_score"], "4.00");
    assert_eq!(q("water")["satisfied_percent"], "0.0");

    // Two complaints handled and rated 5 and 4 by their complainants: mean 4.5 of 2 ratings.
    let actor = Actor::cli();
    for (n, rating) in [(1, 5), (2, 4)] {
        let filed = store
            .submit_complaint(
                2026,
                &format!("{n}").repeat(64),
                &format!("nonce{n}"),
                "peer",
                "2000-01-01T00:00:00.000Z",
                10,
                &qingshan_store::NewComplaint {
                    category: "air".into(),
                    description: "夜间冒黑烟".into(),
                    accept_by: day(2),
                    ..Default::default()
                },
                &[],
                &actor,
            )
            .await
            .unwrap();
        let qingshan_store::Submitted::Filed(c) = filed else {
            panic!("not filed")
        };
        let steps = [
            qingshan_store::ComplaintStep::Route {
                county: Some("140902".into()),
                unit: None,
                due_by: day(30),
            },
            qingshan_store::ComplaintStep::Handle {
                finding: "substantiated".into(),
                measures: "责令整改".into(),
                reply: "经核查属实，已责令整改".into(),
            },
            qingshan_store::ComplaintStep::Rate { rating },
        ];
        for step in &steps {
            store
                .complaint_step(c.id, step, Some("核查"), &[], &actor)
                .await
                .unwrap();
        }
    }

    // Beside indicator 22, as a supporting figure, and only there.
    let (staff, _) = common::login(&server, "staff").await;
    let (status, page) = text(&staff, server.url("/indicators/22")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("总体满意（非常满意和满意）66.7%，收回问卷 3 份"),
        "{page}"
    );
    assert!(page.contains("不是本指标的数值"));
    assert!(
        page.contains("平均 4.5 分（5 分制），共 2 条评价"),
        "{page}"
    );
    let (_, page) = text(&staff, server.url("/indicators/21")).await;
    assert!(!page.contains("indicator-support"));
    let (_, page) = text(&c, server.url("/public/satisfaction")).await;
    assert!(page.contains("已收回问卷 3 份"));
    assert!(page.contains("satisfaction-form"));
}

#[tokio::test]
async fn an_address_is_refused_its_eleventh_submission_in_the_hour() {
    let (store, _db) = common::fresh_store("participation-rate").await;
    let server = common::serve(store.clone()).await;
    let c = common::client();
    for n in 0..qingshan_app::participation::DEFAULT_MAX_SUBMISSIONS {
        assert_eq!(
            answer(&c, &server, "satisfied").await,
            StatusCode::CREATED,
            "submission {}",
            n + 1
        );
    }
    assert_eq!(
        answer(&c, &server, "satisfied").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(audited(&store, "satisfaction.answer", "refused").await, 1);
    assert_eq!(audited(&store, "satisfaction.answer", "ok").await, 10);
}
