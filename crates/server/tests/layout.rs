//! Pages in real Chromium at desktop (1440×900) and phone (390×844) width, over a database with
//! content on every page (alarms, devices and their uploads, values from each source, an air
//! station's hours, a water section's samples): at phone width nothing sticks out past the
//! screen's right edge; at both widths no English code word (`open`, `manual`, `alarm.raise` …)
//! is visible. Screenshots are saved under /tmp/qingshan-shots/ for people to look at.
//! Skipped loudly without chromedriver, except under CI.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::webdriver::{Browser, base64_decode, english_codes, english_words_in};
use qingshan_store::{
    Actor, AirStation, AlarmEpisode, DeviceClock, FactorValues, FrameVerdict, NewAirHour,
    NewAnalyserParam, NewIndicatorValue, NewWaterSample, ReceivedFrame, Role, Store, Upload,
    WaterSection,
};

/// The pages checked, signed in as an administrator (who sees every menu entry): (name of the screenshot, path). Adding a page to the
/// checks is one line here.
const PAGES: &[(&str, &str)] = &[
    ("cockpit", "/"),
    ("plan", "/plan"),
    ("cockpit-aqi", "/?measure=aqi"),
    ("cockpit-alarms", "/?measure=alarms"),
    ("alarms", "/alarms"),
    ("incident", "/incidents/1"),
    ("marks", "/marks"),
    ("mark", "/marks/1"),
    ("mark-new", "/marks/new?mn=MNLAYOUT0001"),
    ("cases", "/cases"),
    ("case", "/cases/1"),
    ("case-new", "/cases/new?incident=1"),
    ("warnings", "/heavy/warnings"),
    ("warning", "/heavy/warnings/1"),
    ("warning-report", "/heavy/warnings/1/report.html"),
    ("inspections", "/inspections"),
    ("inspection", "/inspections/1"),
    ("inspection-closed", "/inspections/2"),
    ("inspection-new", "/inspections/new"),
    ("inspections-public", "/inspections/public"),
    ("air-station", "/air/stations/XZ01"),
    ("water-section", "/water/sections/W01"),
    ("indicator", "/indicators/6"),
    ("audit", "/admin/audit"),
    ("sources", "/sources"),
    ("device", "/sources/devices/MNLAYOUT0001"),
    ("device-params", "/sources/devices/MNLAYOUT0001/params"),
    ("tasks", "/tasks"),
    ("bad-year", "/water?year=abc"),
    ("report", "/reports/2024"),
    ("air", "/air"),
    ("air-county", "/air/counties/140902"),
    ("air-warning", "/air/warning?forecast=210%2C230%2C250"),
    ("water", "/water"),
    ("users", "/admin/users"),
    ("registry-edit", "/sources/edit?mn=MNLAYOUT0001"),
    ("password", "/account/password"),
    ("enterprise-accounts", "/enterprise/accounts"),
    ("heavy-grades", "/heavy/grades?state=applied"),
    ("heavy-grades-public", "/heavy/grades"),
    ("heavy-grade", "/heavy/grades/1"),
    ("heavy-apply", "/heavy/grades/apply"),
    ("heavy-reductions", "/heavy/reductions?level=yellow"),
    (
        "heavy-reduction-edit",
        "/heavy/reductions/edit?credit_code=9144030071526726XG&level=yellow",
    ),
    ("not-found", "/no/such/page"),
    ("ledger", "/ledger"),
    ("ledger-task", "/tasks/3/1/items"),
    ("ledger-item", "/ledger/items/3-1-1"),
    ("consultations", "/consultations"),
    ("consultation", "/consultations/1"),
    ("consultation-summarised", "/consultations/2"),
    ("consultation-new", "/consultations/new"),
    ("public-consultations", "/public/consultations"),
    ("public-consultation", "/public/consultations/1"),
    ("public-consultation-summary", "/public/consultations/2"),
    ("public-satisfaction", "/public/satisfaction"),
    ("indicator-22", "/indicators/22"),
    ("complaint-new", "/public/complaints/new"),
    ("complaint-track", "/public/complaints/track"),
    ("complaints-public", "/public/complaints"),
    ("complaints", "/complaints"),
    ("complaint", "/complaints/1"),
    ("public-home", "/public"),
    ("public-air", "/public/air"),
    ("public-water", "/public/water"),
    ("public-plan", "/public/plan"),
    ("public-sources", "/public/sources"),
    ("credit-lookup", "/credit?q=忻州"),
    ("credit-ratings", "/credit/ratings"),
    ("credit-rating", "/credit/ratings/1"),
    ("disclosure", "/disclosure"),
    ("disclosure-list", "/disclosure/list"),
    ("disclosure-report", "/disclosure/reports/1"),
    ("disclosure-manage", "/disclosure/manage"),
    ("disclosure-overdue", "/disclosure/overdue?as_of=2099-12-31"),
    (
        "disclosure-staff-view",
        "/disclosure/mine?credit_code=9144030071526726XG",
    ),
];

const REGISTRY: &str = "credit_code,enterprise_name,division_code,outlet_code,outlet_name,outlet_kind,mn,protocol,crc_policy,password,interval_secs,permit_number,permit_valid_from,permit_valid_to,factor_code,hourly_limit,use_converted,reference_o2,annual_total_t
9144030071526726XG,忻州某热电有限公司,140902,DA001,1号锅炉排放口,gas,MNLAYOUT0001,2017,strict,123456,3600,P-001,2024-01-01,2028-12-31,a21026,35,1,6,120
";

/// An hourly upload of SO2 for hour `h` of 2026-03-01 (device clock, Beijing time).
fn hourly(h: u32, value: &str) -> ReceivedFrame {
    let data_time = format!("20260301{h:02}0000");
    ReceivedFrame {
        received_at: format!("2026-03-01T{:02}:05:00.000Z", (h + 24 - 7) % 24),
        peer: "127.0.0.1:1".into(),
        bytes: b"##test".to_vec(),
        verdict: FrameVerdict::Upload,
        mn: Some("MNLAYOUT0001".into()),
        cn: Some("2061".into()),
        error_kind: None,
        message: None,
        upload: Some(Upload {
            mn: "MNLAYOUT0001".into(),
            cn: "2061".into(),
            qn: format!("{data_time}000"),
            data_time,
            pno: 0,
            st: Some("31".into()),
            flag: Some(5),
            factors: vec![FactorValues {
                factor: "a21026".into(),
                avg: Some(value.into()),
                zs_avg: Some(value.into()),
                flag: Some("N".into()),
                ..Default::default()
            }],
        }),
    }
}

async fn seed(store: &Store, plan_id: &str) {
    let actor = Actor::cli();
    seed_disclosure(store).await;
    common::user(store, "layout_admin", Role::Admin, None, None).await;
    store
        .create_user(
            &qingshan_store::NewUser {
                username: "layout_plant".into(),
                display_name: "忻州某热电有限公司".into(),
                password_hash: qingshan_app::accounts::hash_password("correct horse").unwrap(),
                role: Role::Enterprise,
                unit_id: None,
                division_code: None,
                credit_code: Some("9144030071526726XG".into()),
                must_change_password: false,
            },
            &Actor::cli(),
        )
        .await
        .unwrap();
    store
        .import_registry(
            &qingshan_sources::read_registry(REGISTRY.as_bytes()).unwrap(),
            &actor,
        )
        .await
        .unwrap();
    store
        .ingest(&[hourly(0, "20"), hourly(1, "40.5"), hourly(2, "50.5")])
        .await
        .unwrap();
    // Analyser parameters (one changed) and a clock ahead, for the device page's sections.
    let param = |code: &str, value: &str, dt: &str, prev: Option<&str>| NewAnalyserParam {
        mn: "MNLAYOUT0001".into(),
        factor: "a21026".into(),
        code: code.into(),
        value: value.into(),
        data_time: dt.into(),
        received_at: "2026-03-01T02:00:00.000Z".into(),
        qn: String::new(),
        frame_sha256: dt.into(),
        changed: prev.is_some(),
        previous_value: prev.map(String::from),
        previous_time: prev.map(|_| "20260301080000".to_string()),
        mark_id: None,
        alarm_id: prev.map(|_| 1),
    };
    store
        .record_analyser_params(&[
            param("i13001", "200", "20260301080000", None),
            param("i13008", "1.000", "20260301080000", None),
            param("i13001", "500", "20260301100000", Some("200")),
            param("i13008", "1.000", "20260301100000", None),
        ])
        .await
        .unwrap();
    store
        .save_device_clocks(&[DeviceClock {
            mn: "MNLAYOUT0001".into(),
            offset_secs: Some(900),
            measured_at: Some("2026-03-01T02:05:00.000Z".into()),
            source_cn: Some("2011".into()),
            source_data_time: Some("20260301102000".into()),
            drift_start: Some("2026-03-01T02:00:00.000Z".into()),
            ..DeviceClock::default()
        }])
        .await
        .unwrap();
    for (kind, factor, start, end, context) in [
        (
            "exceedance",
            "a21026",
            "20260301010000",
            None,
            "折算浓度超过许可限值 35 mg/m³，超标倍数 0.44",
        ),
        (
            "offline",
            "",
            "2026-03-01T16:30:00.000Z",
            None,
            "超过 3 个上报周期未收到数据",
        ),
        (
            "exceedance",
            "a21026",
            "20260228220000",
            Some("20260228230000"),
            "折算浓度超过许可限值",
        ),
    ] {
        store
            .raise_alarm(&AlarmEpisode {
                kind: kind.into(),
                mn: "MNLAYOUT0001".into(),
                factor: factor.into(),
                start_time: start.into(),
                end_time: end.map(String::from),
                peak: Some("50.5".into()),
                peak_time: Some(start.into()),
                records: 2,
                context: context.into(),
            })
            .await
            .unwrap();
    }
    // An inspection problem (督察整改) past its deadline with a progress report and a file, and a
    // closed one for the public summary.
    let problem = |title: &str, deadline: &str| qingshan_store::InspectionFields {
        source_kind: "central".into(),
        source_batch: "第二轮中央生态环境保护督察".into(),
        title: title.into(),
        description: "忻府区城区段雨污管网混接，汛期污水溢流入河。".into(),
        measures: "完成雨污分流改造 12 公里，溢流口加装截流设施。".into(),
        units: vec!["sthj".into(), "zjj".into()],
        counties: vec!["140902".into()],
        deadline: deadline.into(),
        internal_note: Some("省督察办每月调度".into()),
    };
    let pdf = qingshan_store::NewEvidence {
        file_name: "整改完成报告.pdf".into(),
        content_type: "application/pdf".into(),
        content: b"%PDF-1.4\n%layout\n".to_vec(),
    };
    let first = store
        .register_inspection_problem(
            2026,
            &problem("城区段雨污混接溢流", "2026-01-31"),
            &[],
            &actor,
        )
        .await
        .unwrap();
    store
        .inspection_step(
            first.id,
            &qingshan_store::InspectionStep::Report {
                done: false,
                for_unit: None,
                for_county: Some("140902".into()),
            },
            "已完成雨污分流改造 8 公里。",
            std::slice::from_ref(&pdf),
            &actor,
        )
        .await
        .unwrap();
    let second = store
        .register_inspection_problem(
            2026,
            &problem("牧马河沿岸垃圾堆放", "2026-06-30"),
            &[pdf],
            &actor,
        )
        .await
        .unwrap();
    store
        .inspection_step(
            second.id,
            &qingshan_store::InspectionStep::Close,
            "现场核查垃圾已清运，长效管护机制已建立。",
            &[],
            &actor,
        )
        .await
        .unwrap();
    // A complaint (投诉举报) about the registered plant, with contact details and a photo.
    let photo = qingshan_app::complaints::check_photos(
        vec![qingshan_store::NewEvidence {
            file_name: "现场照片.jpg".into(),
            content_type: "image/jpeg".into(),
            content: qingshan_app::complaints::photo::jpeg_with_gps(38.42, 112.73),
        }],
        qingshan_app::evidence::DEFAULT_MAX_BYTES,
    )
    .unwrap();
    store
        .submit_complaint(
            2026,
            &"c".repeat(64),
            "0c0c",
            "layout",
            "2026-01-01T00:00:00.000Z",
            10,
            &qingshan_store::NewComplaint {
                category: "air".into(),
                description: "忻州某热电有限公司夜间冒黑烟，附近居民闻到刺鼻气味。".into(),
                address: Some("忻府区长征街东段".into()),
                division_code: Some("140902".into()),
                division_match: Some("address".into()),
                credit_code: Some("9144030071526726XG".into()),
                enterprise_match: Some("name".into()),
                occurred_at: Some("2026-03-01 22:30".into()),
                accept_by: "2026-03-04".into(),
                contact: Some(qingshan_store::ComplaintContact {
                    name: Some("王小明".into()),
                    phone: Some("13912345678".into()),
                    email: None,
                }),
                ..Default::default()
            },
            &photo,
            &actor,
        )
        .await
        .unwrap();
    // Public participation: a consultation open for comment with a document and comments in
    // every state, one whose period ended with its summary published, and questionnaires.
    let today = qingshan_app::beijing::today();
    let day = |d: i64| {
        (today + chrono::Duration::days(d))
            .format("%Y-%m-%d")
            .to_string()
    };
    let draft = |title: &str, opens: i64, closes: i64| {
        qingshan_store::ConsultationFields {
        kind: "plan_revision".into(),
        title: title.into(),
        body: "为落实国家和省有关要求，市生态环境局组织起草了规划修订草案。\n现向社会公开征求意见，欢迎提出意见建议。".into(),
        contact: "信函请寄忻州市生态环境局规划科（邮编 034000）；电话 0350-3000000；联系人 王工".into(),
        opens_on: day(opens),
        closes_on: day(closes),
    }
    };
    let doc = qingshan_store::NewEvidence {
        file_name: "规划修订草案（征求意见稿）.pdf".into(),
        content_type: "application/pdf".into(),
        content: b"%PDF-1.4\n%layout\n".to_vec(),
    };
    let open = store
        .create_consultation(
            &draft("忻州市生态文明建设规划（修订草案）", -3, 27),
            &[doc],
            &actor,
        )
        .await
        .unwrap();
    let closed = store
        .create_consultation(
            &draft("忻州市重污染天气应急预案（修订）", -40, -10),
            &[],
            &actor,
        )
        .await
        .unwrap();
    let private = |name: Option<&str>, contact: Option<&str>| qingshan_store::CommentPrivate {
        author_name: name.map(String::from),
        author_contact: contact.map(String::from),
        peer: "192.0.2.10".into(),
    };
    for (k, body, p, publish) in [
        (
            open.id,
            "建议把农村生活污水治理率目标提前到 2027 年，并逐县公布进度。",
            private(Some("张三丰"), Some("13812345678")),
            Some(true),
        ),
        (
            open.id,
            "希望公开每个国控断面的逐月水质类别。",
            private(None, None),
            None,
        ),
        (
            open.id,
            "无关广告内容",
            private(None, Some("ad@example.cn")),
            Some(false),
        ),
        (
            closed.id,
            "建议橙色预警时增加施工工地停工范围。",
            private(Some("李四"), None),
            Some(true),
        ),
        (
            closed.id,
            "建议提前 48 小时发布预警信息。",
            private(None, None),
            Some(true),
        ),
    ] {
        let m = store
            .add_consultation_comment(k, body, &p, &actor)
            .await
            .unwrap();
        if let Some(publish) = publish {
            store
                .moderate_consultation_comment(
                    m.id,
                    publish,
                    if publish {
                        "内容可以公开"
                    } else {
                        "广告"
                    },
                    &actor,
                )
                .await
                .unwrap();
        }
    }
    store
        .decide_consultation_comments(open.id, &[1], "partly", "目标年份需与省级安排衔接", &actor)
        .await
        .unwrap();
    store
        .decide_consultation_comments(closed.id, &[4], "adopted", "已在预案第五章补充", &actor)
        .await
        .unwrap();
    store
        .decide_consultation_comments(
            closed.id,
            &[5],
            "rejected",
            "预警发布时限按省级预案执行",
            &actor,
        )
        .await
        .unwrap();
    store
        .publish_consultation_summary(
            closed.id,
            "共收到意见 2 条，采纳 1 条，不采纳 1 条，理由见下表。",
            &actor,
        )
        .await
        .unwrap();
    let qid = qingshan_app::participation::questionnaire()
        .unwrap()
        .id
        .clone();
    for overall in ["very_satisfied", "satisfied", "neutral"] {
        let answers: Vec<(String, String)> = [
            ("overall", overall),
            ("air", "satisfied"),
            ("water", "neutral"),
            ("disclosure", "dissatisfied"),
        ]
        .iter()
        .map(|(q, c)| (q.to_string(), c.to_string()))
        .collect();
        store
            .add_satisfaction_response(
                &qid,
                chrono::Datelike::year(&today),
                &answers,
                "192.0.2.10",
                &actor,
            )
            .await
            .unwrap();
    }
    // A case on the first incident, decided, in rectification: its page shows the facts, the
    // articles, the steps, the evidence frames and the check form.
    let case = store
        .open_case(
            &qingshan_store::NewCase {
                year: 2026,
                incident_ids: vec![1],
                order_id: None,
                title: "超标排放大气污染物".into(),
                facts: "忻州某热电有限公司1号锅炉排放口二氧化硫折算浓度自2026年3月1日1时起连续超过许可排放浓度35 mg/m³，峰值50.5 mg/m³（超标0.44倍）。".into(),
                bases: ["air-99-2", "permit-34-1"]
                    .iter()
                    .map(|c| {
                        let b = qingshan_sources::legal::basis(c).unwrap();
                        qingshan_store::CaseBasis {
                            basis_code: b.code.clone(),
                            citation: b.citation(),
                            violation: b.violation.clone(),
                            fine_range: b.range_text(),
                        }
                    })
                    .collect(),
            },
            &[],
            &actor,
        )
        .await
        .unwrap();
    store
        .case_step(
            case.id,
            &qingshan_store::CaseStep::Decide {
                decision_number: "忻环罚〔2026〕12号".into(),
                decision_date: "2026-03-20".into(),
                measures: "rectify,fine".into(),
                penalty_fen: Some(15_000_000),
                rectify_deadline: Some("2099-04-20T00:00:00Z".into()),
            },
            Some("责令改正，并处罚款十五万元"),
            &[],
            &actor,
        )
        .await
        .unwrap();
    // A heavy-pollution warning: yellow for 忻府区, raised to orange, lifted; its page shows
    // the timeline, the notice and the hourly check.
    for (level, cut) in [("yellow", "2"), ("orange", "5")] {
        store
            .heavy_reduction_save(
                &qingshan_store::NewHeavyReduction {
                    credit_code: "9144030071526726XG".into(),
                    level: level.into(),
                    measures: vec![qingshan_store::HeavyMeasure {
                        code: "limit".into(),
                        percent: Some("30".into()),
                        process: Some("1号锅炉".into()),
                    }],
                    reduction: qingshan_store::Kg4 {
                        so2: cut.into(),
                        ..Default::default()
                    },
                    outlet_codes: vec!["DA001".into()],
                    note: None,
                },
                &actor,
            )
            .await
            .unwrap();
    }
    store
        .heavy_baseline_save(
            "9144030071526726XG",
            &qingshan_store::Kg4 {
                so2: "60".into(),
                ..Default::default()
            },
            None,
            &actor,
        )
        .await
        .unwrap();
    let areas = vec!["140902".to_string()];
    let step = |level: &str, at: &str, why: &str| qingshan_store::WarningStepInput {
        level: level.into(),
        effective_at: at.into(),
        forecast: Some("未来 72 小时 AQI 210、240、260".into()),
        justification: why.into(),
    };
    let notices = qingshan_app::warnings::notices_for(store, "yellow", &areas)
        .await
        .unwrap();
    let w = store
        .issue_heavy_warning(
            &step(
                "yellow",
                "2026-02-28T16:00:00.000Z",
                "市重污染天气应急指挥部会商",
            ),
            &areas,
            Some("忻气防办〔2026〕3号"),
            &notices,
            &actor,
        )
        .await
        .unwrap();
    let notices = qingshan_app::warnings::notices_for(store, "orange", &areas)
        .await
        .unwrap();
    store
        .heavy_warning_step(
            w.id,
            qingshan_store::WarningStep::Raise,
            &step("orange", "2026-02-28T17:00:00.000Z", "污染加重，会商提级"),
            &notices,
            &actor,
        )
        .await
        .unwrap();
    store
        .heavy_warning_step(
            w.id,
            qingshan_store::WarningStep::Lift,
            &step(
                "orange",
                "2026-02-28T19:00:00.000Z",
                "未来 36 小时 AQI ≤ 150",
            ),
            &[],
            &actor,
        )
        .await
        .unwrap();
    // Values of indicator 6 from every source, so the revision table shows each label.
    for (year, value, source, reason) in [
        (2021, "15.10", "manual", None),
        (2022, "15.62", "import", None),
        (2023, "16.05", "monitoring", None),
        (2023, "16.10", "correction", Some("监测数据复核后更正")),
        (2024, "16.20", "api", None),
    ] {
        store
            .record_indicator_value(
                &NewIndicatorValue {
                    plan_id: plan_id.into(),
                    indicator_number: 6,
                    year,
                    division_code: "140900".into(),
                    value: value.into(),
                    note: Some("测试说明：这是一段较长的说明文字，用于检查窄屏下的换行。".into()),
                    reason: reason.map(String::from),
                    source: source.into(),
                    capture: None,
                },
                &actor,
            )
            .await
            .unwrap();
    }
    store
        .upsert_air_stations(
            &[AirStation {
                code: "XZ01".into(),
                name: "忻州市监测站".into(),
                control_level: "国控".into(),
                division_code: Some("140902".into()),
                longitude: Some("112.734".into()),
                latitude: Some("38.416".into()),
            }],
            &actor,
        )
        .await
        .unwrap();
    let mut hours = Vec::new();
    for day in 1..=20 {
        for h in 0..24 {
            let pm = 30 + (day * 7 + h) % 60;
            hours.push(NewAirHour {
                station_code: "XZ01".into(),
                hour: format!("2024-01-{day:02}T{h:02}:00"),
                values: [
                    Some("12".into()),
                    Some("35".into()),
                    Some("0.8".into()),
                    Some(format!("{}", 40 + h * 2)),
                    Some(format!("{}", pm + 30)),
                    Some(format!("{pm}")),
                ],
                source: "import".into(),
            });
        }
    }
    store.import_air_hourly(&hours, &actor).await.unwrap();
    store
        .upsert_water_sections(
            &[WaterSection {
                code: "W01".into(),
                name: "滹沱河桥断面".into(),
                level: "国考".into(),
                water_body: "river".into(),
                basin: Some("滹沱河".into()),
                division_code: Some("140902".into()),
                target_class: "III".into(),
                is_drinking_source: false,
            }],
            &actor,
        )
        .await
        .unwrap();
    let mut samples = Vec::new();
    for (month, nh3n) in [(1, "0.5"), (2, "1.2"), (3, "0.8")] {
        for (item, value) in [("NH3N", nh3n), ("DO", "7.5"), ("CODMn", "4"), ("TP", "0.1")] {
            samples.push(NewWaterSample {
                section_code: "W01".into(),
                date: format!("2024-{month:02}-10"),
                item: item.into(),
                value: value.into(),
                below_detection: false,
                source: "import".into(),
            });
        }
    }
    store.import_water_samples(&samples, &actor).await.unwrap();
    store
        .file_data_mark(
            &qingshan_store::NewDataMark {
                mn: "MNLAYOUT0001".into(),
                factor: "a21026".into(),
                kind: "maintenance".into(),
                start_time: "2026-03-01T01:00:00Z".into(),
                end_time: Some("2026-03-01T03:00:00Z".into()),
                reason: "更换采样探头，运维单位现场维护，附运维记录和现场照片".into(),
                filed_at: "2026-03-02T04:00:00Z".into(),
                deadline: "2026-03-02T01:00:00Z".into(),
                late: true,
                suspicion: Some("标记为「维护」，但设备在所覆盖的 2 条小时数据中有 2 条标识为正常（N）且有有效值".into()),
            },
            &[],
            &actor,
        )
        .await
        .unwrap(); // 重污染应对: an application on its way, a published grade, and a yellow list 3 points short.
    let grade = |grade: &str, kind: &str| qingshan_store::NewHeavyGrade {
        credit_code: "9144030071526726XG".into(),
        industry: if kind == "direct" {
            "cement_clinker"
        } else {
            "coking"
        }
        .into(),
        grade: grade.into(),
        valid_from: "2026-01-01".into(),
        valid_to: Some("2026-12-31".into()),
        kind: kind.into(),
        public_note: None,
        note: Some("已完成超低排放改造，申请 B 级".into()),
    };
    store
        .heavy_grade_apply(&grade("B", "apply"), &[], &actor)
        .await
        .unwrap();
    store
        .heavy_grade_apply(&grade("A", "direct"), &[], &actor)
        .await
        .unwrap();
    let kg = |so2: &str, pm: &str| qingshan_store::Kg4 {
        so2: so2.into(),
        nox: "12".into(),
        pm: pm.into(),
        vocs: "0".into(),
    };
    store
        .heavy_baseline_save(
            "9144030071526726XG",
            &kg("100", "10"),
            Some("2025 年正常工况"),
            &actor,
        )
        .await
        .unwrap();
    store
        .heavy_reduction_save(
            &qingshan_store::NewHeavyReduction {
                credit_code: "9144030071526726XG".into(),
                level: "yellow".into(),
                measures: vec![
                    qingshan_store::HeavyMeasure {
                        code: "limit".into(),
                        percent: Some("20".into()),
                        process: None,
                    },
                    qingshan_store::HeavyMeasure {
                        code: "stop_process".into(),
                        percent: None,
                        process: Some("2号锅炉".into()),
                    },
                    qingshan_store::HeavyMeasure {
                        code: "transport".into(),
                        percent: None,
                        process: None,
                    },
                ],
                reduction: kg("7", "1.5"),
                outlet_codes: vec!["DA001".into()],
                note: None,
            },
            &actor,
        )
        .await
        .unwrap();
    // 环境信用: the 2026 ratings computed from the seeded incidents, orders and cases; the
    // enterprise's rating published (the public lookup shows it).
    let admin = store
        .users()
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.username == "layout_admin")
        .unwrap();
    let rated = qingshan_app::credit::compute(
        store,
        Some(&admin),
        &actor,
        2026,
        None,
        chrono::Utc::now(),
        &Default::default(),
    )
    .await
    .unwrap();
    qingshan_app::credit::publish(store, Some(&admin), &actor, rated[0].id)
        .await
        .unwrap();
}

#[test]
fn the_checks_themselves_work() {
    assert_eq!(base64_decode("aGVsbG8="), b"hello");
    assert_eq!(base64_decode("aGk="), b"hi");
    let words = english_codes();
    assert_eq!(
        english_words_in("状态 open，alarm.raise. opened", &words),
        ["open", "alarm.raise"]
    );
    assert!(english_words_in("HJ 212-2017 PM2.5 µg/m³ 二氧化硫（a21026）", &words).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_fit_a_phone_and_speak_chinese() {
    let (store, plan, _db) = common::fresh_prepared("layout").await;
    seed(&store, &plan.meta.id).await;
    let server = common::serve(store.clone()).await;
    let base = server.url("");
    let mut problems = Vec::new();
    for (width, height) in [(1440, 900), (390, 844)] {
        let Some(browser) = Browser::start(width, height).await else {
            return;
        };
        browser.login(&base, "layout_admin", "correct horse").await;
        for (name, path) in PAGES {
            problems.extend(browser.check(&format!("{base}{path}"), name).await);
        }
        // The public sees the same pages without the staff's menu entries.
        browser.goto(&format!("{base}/")).await;
        browser
            .eval("document.querySelector('form[action=\"/logout\"]').submit(); return true;")
            .await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        problems.extend(browser.check(&format!("{base}/"), "public-dashboard").await);
        problems.extend(
            browser
                .check(&format!("{base}/credit?q=忻州"), "public-credit-lookup")
                .await,
        );
        problems.extend(
            browser
                .check(&format!("{base}/disclosure"), "public-disclosure")
                .await,
        );
        // The enterprise account: its home and its own devices, with its narrow menu.
        browser.login(&base, "layout_plant", "correct horse").await;
        for (name, path) in [
            ("enterprise-home", "/enterprise"),
            ("enterprise-sources", "/sources"),
            ("enterprise-device", "/sources/devices/MNLAYOUT0001"),
            ("enterprise-credit", "/credit/ratings/1"),
            ("enterprise-disclosure", "/disclosure/mine"),
            ("enterprise-disclosure-edit", "/disclosure/edit?kind=annual"),
        ] {
            problems.extend(browser.check(&format!("{base}{path}"), name).await);
        }
        browser.quit().await;
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The menu folds at phone width and opens with its button; at desktop width it is all shown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_menu_folds_on_a_phone() {
    let (store, _plan, _db) = common::fresh_prepared("layout-menu").await;
    let server = common::serve(store.clone()).await;
    let Some(browser) = Browser::start(390, 844).await else {
        return;
    };
    browser.goto(&server.url("/")).await;
    let shown = "return getComputedStyle(document.querySelector('header.top nav')).display !== 'none' \
                 && document.querySelector('header.top nav').getBoundingClientRect().height > 0";
    assert_eq!(browser.eval(shown).await, false, "menu open at phone width");
    browser
        .eval("document.querySelector('label.menu-button').click(); return true;")
        .await;
    assert_eq!(
        browser.eval(shown).await,
        true,
        "menu button does not open it"
    );
    browser.screenshot("menu-open-390").await;
    // Links are one per line, each on one line: no character-per-line stacking.
    let tallest = browser
        .eval("return Math.max(...[...document.querySelectorAll('header.top nav a')].map(a => a.getBoundingClientRect().height))")
        .await;
    assert!(
        tallest.as_f64().unwrap() < 40.0,
        "a menu link wraps: {tallest}"
    );
    browser.quit().await;
    let Some(browser) = Browser::start(1440, 900).await else {
        return;
    };
    browser.goto(&server.url("/")).await;
    assert_eq!(
        browser.eval(shown).await,
        true,
        "menu hidden at desktop width"
    );
    browser.quit().await;
}

/// 企业环境信息依法披露: the plant on last year's list with a submitted (amended) annual report
/// (report 1), and a temporary trigger registered by staff that is still owed.
async fn seed_disclosure(store: &Store) {
    use chrono::Datelike;
    let actor = Actor::cli();
    let year = i64::from(qingshan_app::beijing::today().year()) - 1;
    let code = "9144030071526726XG";
    store
        .add_disclosure_listing(
            year,
            code,
            "key_discharger",
            "列入重点排污单位名录（大气环境）",
            &actor,
        )
        .await
        .unwrap();
    let key = qingshan_store::DisclosureReportKey {
        credit_code: code.into(),
        kind: "annual".into(),
        year,
        trigger_key: String::new(),
    };
    let content = serde_json::json!({
        "summary": { "summary": "本年度各排放口污染物均达标排放，未发生突发环境事件。" },
        "basic": { "name": "忻州某热电有限公司", "credit_code": code, "address": "忻州市忻府区长征街 1 号", "industry": "热电联产", "legal_representative": "张三" },
        "management": { "permits": "排污许可证 P-001，有效期 2024-01-01 至 2028-12-31", "env_tax": "125000.00" },
        "pollution": { "emissions": "DA001 1号锅炉排放口 二氧化硫：35.2 吨，由 8760 个小时自动监测数据累计（许可年排放量 120 吨）" },
        "carbon": { "carbon_emissions": "152300" }
    })
    .to_string();
    let due = format!("{}-03-15", year + 1);
    store
        .submit_disclosure_report(&key, None, &due, &content, None, &due, &actor)
        .await
        .unwrap();
    store
        .submit_disclosure_report(
            &key,
            None,
            &due,
            &content,
            Some("更正环境保护税金额"),
            &due,
            &actor,
        )
        .await
        .unwrap();
    store
        .add_disclosure_trigger(
            &qingshan_store::NewDisclosureTrigger {
                credit_code: code.into(),
                kind: "permit_change".into(),
                document: "忻环许变〔2025〕3号 排污许可证变更".into(),
                event_date: format!("{year}-09-01"),
                note: None,
            },
            &actor,
        )
        .await
        .unwrap();
}
