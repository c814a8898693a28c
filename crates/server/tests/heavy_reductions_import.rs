//! The 应急减排清单 import through the real server: staff download the template, a file with
//! bad rows is refused with every row listed in Chinese and nothing written, a file naming an
//! outlet the enterprise does not have is refused, a good file (one row per measure) saves one
//! entry per enterprise and level; other roles are refused and audited.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use qingshan_simulator::{self as simulator, SimulatorConfig};
use qingshan_store::{Actor, Role};
use reqwest::StatusCode;

const HEADER: &str = "统一社会信用代码,预警级别,减排措施,比例（%）,工序或设施,二氧化硫减排量（kg/h）,氮氧化物减排量（kg/h）,颗粒物减排量（kg/h）,挥发性有机物减排量（kg/h）,涉及排放口,说明";

#[tokio::test]
async fn staff_import_the_reduction_list_all_or_nothing() {
    let (store, _db) = common::fresh_store("heavy_reductions_import").await;
    let reg = simulator::registry(&SimulatorConfig::new(([127, 0, 0, 1], 0).into(), 2));
    store.import_registry(&reg, &Actor::cli()).await.unwrap();
    let a = reg.enterprises[0].credit_code.clone();
    let b = reg.enterprises[1].credit_code.clone();
    common::user(&store, "staff", Role::Staff, None, None).await;
    common::user(&store, "shuili", Role::Reporter, Some("slj"), None).await;
    let server = common::serve(store.clone()).await;
    let (c, csrf) = common::login(&server, "staff").await;

    // The templates.
    let csv = c
        .get(server.url("/heavy/reductions/template.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(csv.text().await.unwrap().contains(HEADER));
    let xlsx = c
        .get(server.url("/heavy/reductions/template.xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(xlsx.status(), StatusCode::OK);
    assert!(xlsx.bytes().await.unwrap().starts_with(b"PK"));
    let page = c
        .get(server.url("/heavy/reductions?level=orange"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"reductions-import\""));

    let upload = |body: String, token: Option<String>| {
        let c = c.clone();
        let url = server.url("/heavy/reductions/import");
        async move {
            let (ct, data) = common::upload_form(token.as_deref(), "list.csv", body.as_bytes());
            c.post(url)
                .header("content-type", ct)
                .body(data)
                .send()
                .await
                .unwrap()
        }
    };

    // Bad rows: each listed, nothing written.
    let bad = format!(
        "{HEADER}\n{a},橙色,限产,,,1.5,,,,DA001,\n{b},紫色,跳舞,,,-2,,,,DA001,\n{a},橙色,停用工序,,,,,,,,\n"
    );
    let r = upload(bad, Some(csrf.clone())).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    for want in [
        "第 2 行",
        "限产须填写大于 0、不大于 100 的比例",
        "第 3 行",
        "应为 黄色、橙色 或 红色，而不是「紫色」",
        "未知的减排措施「跳舞」",
        "「-2」",
        "第 4 行",
        "请填写停用工序所涉工序或设施",
    ] {
        assert!(html.contains(want), "{want} not in {html}");
    }
    assert!(store.heavy_reductions("orange").await.unwrap().is_empty());

    // An outlet the enterprise does not have.
    let r = upload(
        format!("{HEADER}\n{a},橙色,停产,,,3,,,,DA009,\n"),
        Some(csrf.clone()),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("该企业没有登记排放口 DA009")
    );
    assert!(store.heavy_reductions("orange").await.unwrap().is_empty());

    // A good file: A has two orange measures on two rows, B one red measure.
    let good = format!(
        "{HEADER}\n{a},橙色,限产,30%,,1.5,2,,,DA001,\n{a},橙色,停用工序,,脱硫前工序,,,,,,\n{b},红色,停产,,,4,,0.5,,DA001,全厂停产\n"
    );
    let r = upload(good, Some(csrf.clone())).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()["location"].to_str().unwrap(),
        "/heavy/reductions?imported=2"
    );
    let orange = store.heavy_reductions("orange").await.unwrap();
    assert_eq!(orange.len(), 1);
    let e = &orange[0];
    assert_eq!(e.credit_code, a);
    let measures: Vec<(&str, Option<&str>, Option<&str>)> = e
        .measures
        .iter()
        .map(|m| (m.code.as_str(), m.percent.as_deref(), m.process.as_deref()))
        .collect();
    assert_eq!(
        measures,
        [
            ("limit", Some("30"), None),
            ("stop_process", None, Some("脱硫前工序"))
        ]
    );
    assert_eq!(
        (e.reduction.so2.as_str(), e.reduction.nox.as_str()),
        ("1.5", "2")
    );
    assert_eq!(e.outlet_codes, ["DA001"]);
    assert_eq!(e.mns, [simulator::device_mn(0)]);
    let red = store.heavy_reductions("red").await.unwrap();
    assert_eq!(red.len(), 1);
    assert_eq!(
        (
            red[0].credit_code.as_str(),
            red[0].reduction.pm.as_str(),
            red[0].note.as_deref()
        ),
        (b.as_str(), "0.5", Some("全厂停产"))
    );
    let page = c
        .get(server.url("/heavy/reductions?level=orange&imported=2"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("已从表格导入 2 条清单记录"));

    // Without the CSRF token, and as a reporter: refused and audited; nothing changes.
    let again = format!("{HEADER}\n{a},橙色,停产,,,9,,,,DA001,\n");
    let r = upload(again.clone(), None).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (rc, rcsrf) = common::login(&server, "shuili").await;
    let (ct, data) = common::upload_form(Some(&rcsrf), "list.csv", again.as_bytes());
    let r = rc
        .post(server.url("/heavy/reductions/import"))
        .header("content-type", ct)
        .body(data)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let t = rc
        .get(server.url("/heavy/reductions/template.xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(t.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        store.heavy_reductions("orange").await.unwrap()[0]
            .reduction
            .so2,
        "1.5"
    );
    let audit: Vec<String> = store
        .audit_log(Some("heavy_reduction.import"), 20)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.outcome)
        .collect();
    assert!(
        audit.iter().filter(|o| o.as_str() == "refused").count() >= 4,
        "{audit:?}"
    );
}
