//! The complaints desk in real Chromium: a citizen on a 390 px phone files a report with a photo
//! (no sign-in), keeps the tracking code; staff route the case to 忻府区; the county's official
//! closes it with the reply; the citizen follows the case with the code, sees the reply and
//! rates it. Screenshots go to /tmp/qingshan-shots/complaint-*.png.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::webdriver::Browser;
use qingshan_store::Role;
use serde_json::Value;

async fn wait_text(b: &Browser, id: &str, want: &str) -> String {
    let mut last = Value::Null;
    for _ in 0..80 {
        last = b
            .eval(&format!(
                "const e = document.getElementById('{id}'); return e ? e.innerText : '';"
            ))
            .await;
        if last.as_str().is_some_and(|t| t.contains(want)) {
            return last.as_str().unwrap().to_string();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("#{id} never said {want}: {last}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_citizen_files_on_a_phone_and_follows_the_case_to_the_reply() {
    let (store, _db) = common::fresh_store("complaints-browser").await;
    common::user(&store, "staff", Role::Staff, None, None).await;
    common::user(&store, "xinfu", Role::County, None, Some("140902")).await;
    let server = common::serve(store.clone()).await;
    let base = server.url("");
    let base = base.trim_end_matches('/');

    let Some(phone) = Browser::start(390, 844).await else {
        return;
    };
    // The form and the tracking page fit a phone and speak Chinese.
    for (path, name) in [
        ("/public/complaints/new", "complaint-form"),
        ("/public/complaints/track", "complaint-track-form"),
        ("/public/complaints", "complaints-public"),
    ] {
        let problems = phone.check(&server.url(path), name).await;
        assert!(problems.is_empty(), "{problems:?}");
    }
    phone.goto(&server.url("/public/complaints/new")).await;
    let photo = qingshan_testkit::TempPath::new("site", ".jpg");
    std::fs::write(
        photo.path(),
        qingshan_app::complaints::photo::jpeg_with_gps(38.416_667, 112.733_333),
    )
    .unwrap();
    phone
        .choose_file("#complaint-form input[type=file]", photo.path())
        .await;
    phone
        .eval(
            "const f = document.getElementById('complaint-form');\
             f.category.value = 'air';\
             f.description.value = '长征街东侧锅炉房冒黑烟，整晚不停';\
             f.address.value = '忻府区长征街';\
             f.county.value = '140902';\
             f.contact_name.value = '赵六';\
             f.phone.value = '13700007777';\
             const q = f.answer.parentElement.innerText.match(/(\\d+) 加 (\\d+)/);\
             f.answer.value = String(Number(q[1]) + Number(q[2]));\
             return true;",
        )
        .await;
    phone.screenshot("complaint-filled-390").await;
    phone
        .eval("document.getElementById('complaint-form').submit(); return true;")
        .await;
    let code = wait_text(&phone, "tracking-code", "-").await;
    let code = code.trim().to_string();
    assert_eq!(code.len(), 24, "{code}");
    phone.screenshot("complaint-receipt-390").await;
    let files = store.complaint_files(1).await.unwrap();
    assert_eq!(files.len(), 1, "the chosen photo came with the report");
    assert!(files[0].meta.as_deref().unwrap().contains("Exif"));

    // Staff route it to 忻府区.
    let Some(desk) = Browser::start(1440, 900).await else {
        return;
    };
    desk.login(base, "staff", "correct horse").await;
    desk.goto(&server.url("/complaints/1")).await;
    let contact = desk
        .eval("return document.getElementById('complaint-contact').innerText")
        .await;
    assert!(contact.as_str().unwrap().contains("13700007777"));
    desk.eval(
        "const f = document.getElementById('complaint-route');\
         f.county.value = '140902'; f.note.value = '请于期限内核查答复';\
         f.submit(); return true;",
    )
    .await;
    wait_text(&desk, "complaint-state", "已交办").await;
    desk.screenshot("complaint-routed-1440").await;
    desk.quit().await;

    // The county's official closes it with the reply.
    let Some(county) = Browser::start(1440, 900).await else {
        return;
    };
    county.login(base, "xinfu", "correct horse").await;
    county.goto(&server.url("/complaints/1")).await;
    county
        .eval(
            "const f = document.getElementById('complaint-handle');\
             f.investigation.value = '现场检查，锅炉除尘设施停运';\
             f.finding.value = 'substantiated';\
             f.measures.value = '责令立即恢复除尘设施运行，立案调查';\
             f.reply.value = '经核查，您反映的锅炉房冒黑烟问题属实，已责令整改并立案调查。';\
             f.submit(); return true;",
        )
        .await;
    wait_text(&county, "complaint-state", "已办结").await;
    county.screenshot("complaint-closed-1440").await;
    county.quit().await;

    // The citizen follows the case with the code and sees the reply.
    phone.goto(&server.url("/public/complaints/track")).await;
    phone
        .eval(&format!(
            "const f = document.getElementById('track-form'); f.code.value = '{code}'; f.submit(); return true;"
        ))
        .await;
    let reply = wait_text(&phone, "track-reply", "属实").await;
    assert!(reply.contains("已责令整改并立案调查"));
    let state = phone
        .eval("return document.getElementById('track-state').innerText")
        .await;
    assert_eq!(state, "已办结");
    let body = phone.eval("return document.body.innerText").await;
    let body = body.as_str().unwrap();
    assert!(!body.contains("13700007777") && !body.contains("赵六"));
    let wide = phone
        .eval("return document.documentElement.scrollWidth <= window.innerWidth")
        .await;
    assert_eq!(wide, true, "the tracking page fits the phone");
    phone.screenshot("complaint-reply-390").await;
    phone
        .eval(
            "const f = document.getElementById('rate-form'); f.rating.value = '5'; f.submit(); return true;",
        )
        .await;
    for _ in 0..50 {
        if store.complaint(1).await.unwrap().unwrap().rating == Some(5) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(store.complaint(1).await.unwrap().unwrap().rating, Some(5));
    phone.screenshot("complaint-rated-390").await;
    phone.quit().await;
}
