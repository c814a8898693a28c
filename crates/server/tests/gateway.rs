//! The HJ 212 gateway over a real TCP socket: exact reply bytes, stored rows, and the traffic
//! that must not hurt it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use qingshan_hj212::{CrcPolicy, Packet, decode_frame, reply_9013, reply_9014};
use qingshan_server::gateway::GatewayConfig;
use qingshan_store::{Actor, Store};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const REGISTRY: &str = "credit_code,enterprise_name,division_code,outlet_code,outlet_name,outlet_kind,mn,protocol,crc_policy,password,interval_secs
9144030071526726XG,某热电有限公司,140902,DA001,1号锅炉,gas,010000A8900016F000169DC0,2017,strict,123456,30
91110000802100433B,某化工有限公司,140981,DW001,总排口,water,MN2005DEVICE,2005,field,654321,300
";

struct Gw {
    addr: SocketAddr,
    store: Store,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
    _db: common::ScratchDb,
}

async fn start(config: GatewayConfig) -> Gw {
    let db = common::scratch("gw").await;
    let store = Store::connect(db.url()).await.unwrap();
    store.migrate().await.unwrap();
    store
        .import_registry(
            &qingshan_sources::read_registry(REGISTRY.as_bytes()).unwrap(),
            &Actor::cli(),
        )
        .await
        .unwrap();
    let g = common::gateway(store.clone(), config).await;
    Gw {
        addr: g.addr,
        store,
        stop: Some(g.stop),
        task: g.task,
        _db: db,
    }
}

fn upload(mn: &str, pw: &str, qn: &str, rtd: &str) -> Packet {
    Packet::builder("2011")
        .qn(qn)
        .st("31")
        .pw(pw)
        .mn(mn)
        .flag(5)
        .item("DataTime", &qn[..14])
        .factor("a21026", "Rtd", rtd)
        .factor("a21026", "Flag", "N")
        .factor("a34013", "Rtd", "8.1")
        .factor("a34013", "Flag", "N")
        .build()
        .unwrap()
}

/// Reads replies until `n` frames (CR LF terminated) arrived, or fails after a timeout.
async fn read_frames(s: &mut TcpStream, n: usize) -> Vec<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let frames: Vec<Vec<u8>> = buf
            .split_inclusive(|b| *b == b'\n')
            .filter(|f: &&[u8]| f.ends_with(b"\r\n"))
            .map(|f| f.to_vec())
            .collect();
        if frames.len() >= n {
            return frames;
        }
        let k = tokio::time::timeout(Duration::from_secs(5), s.read(&mut chunk))
            .await
            .expect("reply timed out")
            .unwrap();
        assert!(
            k > 0,
            "connection closed after {} of {n} replies",
            frames.len()
        );
        buf.extend_from_slice(&chunk[..k]);
    }
}

/// Asserts that nothing arrives for a while.
async fn no_reply(s: &mut TcpStream) {
    let mut chunk = [0u8; 256];
    match tokio::time::timeout(Duration::from_millis(400), s.read(&mut chunk)).await {
        Err(_) => {}
        Ok(r) => panic!(
            "unexpected reply: {:?}",
            r.map(|n| String::from_utf8_lossy(&chunk[..n]).to_string())
        ),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_are_stored_once_and_acknowledged_with_exact_bytes() {
    let mut gw = start(GatewayConfig::default()).await;
    let mut s = TcpStream::connect(gw.addr).await.unwrap();
    let p = upload(
        "010000A8900016F000169DC0",
        "123456",
        "20260301080000000",
        "12.30",
    );
    s.write_all(&p.encode()).await.unwrap();
    let replies = read_frames(&mut s, 1).await;
    assert_eq!(replies[0], reply_9014(&p).unwrap().encode());
    let reply = String::from_utf8(replies[0].clone()).unwrap();
    assert!(
        reply.starts_with("##")
            && reply.contains("QN=20260301080000000;")
            && reply.contains("CN=9014;")
            && reply.contains("MN=010000A8900016F000169DC0;"),
        "{reply}"
    );
    // The reply itself is a valid frame by the standard's CRC.
    decode_frame(&replies[0][..replies[0].len() - 2], CrcPolicy::Strict).unwrap();

    let m = gw
        .store
        .measurements(
            "010000A8900016F000169DC0",
            "2011",
            "a21026",
            "20260301000000",
            "20260302000000",
        )
        .await
        .unwrap();
    assert_eq!(m.len(), 1);
    assert_eq!(
        (m[0].values.rtd.as_deref(), m[0].values.flag.as_deref()),
        (Some("12.30"), Some("N"))
    );

    // Resent (the device missed our ack): acknowledged again, stored once.
    s.write_all(&p.encode()).await.unwrap();
    assert_eq!(
        read_frames(&mut s, 1).await[0],
        reply_9014(&p).unwrap().encode()
    );

    // Split across writes, and two frames in one write, with garbage between.
    let p2 = upload(
        "010000A8900016F000169DC0",
        "123456",
        "20260301080030000",
        "12.40",
    );
    let p3 = upload(
        "010000A8900016F000169DC0",
        "123456",
        "20260301080100000",
        "12.50",
    );
    let p4 = upload(
        "010000A8900016F000169DC0",
        "123456",
        "20260301080130000",
        "12.60",
    );
    let b2 = p2.encode();
    s.write_all(&b2[..40]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    s.write_all(&b2[40..]).await.unwrap();
    let mut two = p3.encode();
    two.extend_from_slice(b"\x00garbage");
    two.extend_from_slice(&p4.encode());
    s.write_all(&two).await.unwrap();
    let r = read_frames(&mut s, 3).await;
    assert_eq!(
        r,
        [
            reply_9014(&p2).unwrap().encode(),
            reply_9014(&p3).unwrap().encode(),
            reply_9014(&p4).unwrap().encode()
        ]
    );

    let stats = gw.store.ingest_stats().await.unwrap();
    assert_eq!((stats.total, stats.by_cn["2011"]), (4, 4));
    let counts = gw.store.archive_counts().await.unwrap();
    assert_eq!(
        (counts["stored"], counts["duplicate"], counts["garbage"]),
        (4, 1, 1)
    );

    drop(s);
    gw.stop.take().unwrap().send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), &mut gw.task)
        .await
        .expect("gateway drains and stops")
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_frames_get_no_ack_and_are_archived_with_their_verdict() {
    let gw = start(GatewayConfig::default()).await;
    let mut s = TcpStream::connect(gw.addr).await.unwrap();
    // Wrong CRC.
    let mut bad = upload(
        "010000A8900016F000169DC0",
        "123456",
        "20260301090000000",
        "1",
    )
    .encode();
    let n = bad.len();
    bad[n - 3] = if bad[n - 3] == b'0' { b'1' } else { b'0' };
    s.write_all(&bad).await.unwrap();
    no_reply(&mut s).await;
    // Wrong password.
    s.write_all(
        &upload(
            "010000A8900016F000169DC0",
            "999999",
            "20260301090030000",
            "1",
        )
        .encode(),
    )
    .await
    .unwrap();
    no_reply(&mut s).await;
    // Modbus CRC from a strict device is refused; from a field-policy device it is accepted.
    let mut modbus = upload(
        "010000A8900016F000169DC0",
        "123456",
        "20260301090100000",
        "1",
    );
    modbus.set_crc_variant(qingshan_hj212::CrcVariant::Modbus);
    s.write_all(&modbus.encode()).await.unwrap();
    no_reply(&mut s).await;
    let mut field = upload("MN2005DEVICE", "654321", "20260301090100000", "1");
    field.set_crc_variant(qingshan_hj212::CrcVariant::Modbus);
    s.write_all(&field.encode()).await.unwrap();
    assert_eq!(
        read_frames(&mut s, 1).await[0],
        reply_9014(&field).unwrap().encode()
    );
    // Unknown device: kept in quarantine (durably), so acknowledged.
    let unknown = upload(
        "FFFF00000000000000000001",
        "123456",
        "20260301090200000",
        "1",
    );
    s.write_all(&unknown.encode()).await.unwrap();
    assert_eq!(
        read_frames(&mut s, 1).await[0],
        reply_9014(&unknown).unwrap().encode()
    );

    let counts = gw.store.archive_counts().await.unwrap();
    assert_eq!(
        (
            counts["rejected"],
            counts["refused"],
            counts["quarantined"],
            counts["stored"]
        ),
        (2, 1, 1, 1)
    );
    let q = gw.store.quarantine().await.unwrap();
    assert_eq!(q[0].mn, "FFFF00000000000000000001");
    assert_eq!(gw.store.ingest_stats().await.unwrap().total, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn time_calibration_request_gets_9013_then_1012() {
    let gw = start(GatewayConfig::default()).await;
    let mut s = TcpStream::connect(gw.addr).await.unwrap();
    let req = Packet::builder("1013")
        .qn("20260301100000000")
        .st("31")
        .pw("123456")
        .mn("010000A8900016F000169DC0")
        .flag(5)
        .build()
        .unwrap();
    s.write_all(&req.encode()).await.unwrap();
    let r = read_frames(&mut s, 2).await;
    assert_eq!(r[0], reply_9013(&req).unwrap().encode());
    let set_time = decode_frame(&r[1][..r[1].len() - 2], CrcPolicy::Strict).unwrap();
    assert_eq!(set_time.cn(), "1012");
    let system_time = set_time
        .param("SystemTime")
        .expect("1012 carries SystemTime");
    assert_eq!(system_time.len(), 14);
    let now_beijing = (chrono::Utc::now() + chrono::Duration::hours(8))
        .format("%Y%m%d")
        .to_string();
    assert!(system_time.starts_with(&now_beijing), "{system_time}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_oversized_senders_do_not_block_others() {
    let gw = start(GatewayConfig {
        frame_timeout: Duration::from_millis(300),
        ..GatewayConfig::default()
    })
    .await;
    // A slow sender: half a frame, then nothing.
    let mut slow = TcpStream::connect(gw.addr).await.unwrap();
    let p = upload(
        "010000A8900016F000169DC0",
        "123456",
        "20260301110000000",
        "1",
    )
    .encode();
    slow.write_all(&p[..30]).await.unwrap();
    // An oversized declaration followed by junk.
    let mut big = TcpStream::connect(gw.addr).await.unwrap();
    big.write_all(b"##9999").await.unwrap();
    big.write_all(&vec![b'x'; 20_000]).await.unwrap();
    // A well-behaved device is served meanwhile.
    let mut good = TcpStream::connect(gw.addr).await.unwrap();
    let q = upload(
        "010000A8900016F000169DC0",
        "123456",
        "20260301110030000",
        "2",
    );
    good.write_all(&q.encode()).await.unwrap();
    assert_eq!(
        read_frames(&mut good, 1).await[0],
        reply_9014(&q).unwrap().encode()
    );
    // The slow sender is cut off once its frame is overdue, without sending anything more.
    let mut chunk = [0u8; 16];
    let closed = tokio::time::timeout(Duration::from_secs(3), slow.read(&mut chunk))
        .await
        .expect("slow sender closed");
    assert!(matches!(closed, Ok(0) | Err(_)));
    let counts = gw.store.archive_counts().await.unwrap();
    assert!(
        counts.get("rejected").copied().unwrap_or(0) >= 1,
        "{counts:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn air_station_frames_become_station_hours() {
    use qingshan_store::{AirStation, AirStationDevice};
    let gw = start(GatewayConfig::default()).await;
    let station = AirStation {
        code: "XZ01".into(),
        name: "忻府区环保局".into(),
        control_level: "国控".into(),
        division_code: Some("140902".into()),
        longitude: None,
        latitude: None,
    };
    gw.store
        .upsert_air_stations(&[station], &Actor::cli())
        .await
        .unwrap();
    gw.store
        .link_air_station_device(
            &AirStationDevice {
                mn: "AIRSTATIONXZ01".into(),
                station_code: "XZ01".into(),
                password: "654321".into(),
                crc_policy: "strict".into(),
            },
            &Actor::cli(),
        )
        .await
        .unwrap();
    // An hour from now-ish so it falls in the supervisor's look-back window (Beijing time).
    let local = chrono::Utc::now() + chrono::Duration::hours(8) - chrono::Duration::hours(2);
    let dt = local.format("%Y%m%d%H0000").to_string();
    let hour = local.format("%Y-%m-%dT%H:00").to_string();
    let frame = |pm25: &str| {
        Packet::builder("2061")
            .qn(format!("{dt}000"))
            .st("22")
            .pw("654321")
            .mn("AIRSTATIONXZ01")
            .flag(5)
            .item("DataTime", &dt)
            .factor("a21026", "Avg", "8")
            .factor("a21026", "Flag", "N")
            .factor("a21004", "Avg", "31")
            .factor("a21004", "Flag", "N")
            .factor("a21005", "Avg", "0.6")
            .factor("a21005", "Flag", "N")
            .factor("a05024", "Avg", "92")
            .factor("a05024", "Flag", "N")
            .factor("a34002", "Avg", "70")
            .factor("a34002", "Flag", "N")
            .factor("a34004", "Avg", pm25)
            .factor("a34004", "Flag", "N")
            .build()
            .unwrap()
    };
    // The gateway rereads its device list on an unknown MN at most every 2 s.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let mut s = TcpStream::connect(gw.addr).await.unwrap();
    let p = frame("41");
    s.write_all(&p.encode()).await.unwrap();
    assert_eq!(
        read_frames(&mut s, 1).await[0],
        reply_9014(&p).unwrap().encode()
    );

    let cfg = qingshan_app::supervisor::SupervisorConfig::default();
    let now = chrono::Utc::now();
    assert_eq!(
        qingshan_app::supervisor::air_hours_from_hj212(&gw.store, now, &cfg)
            .await
            .unwrap(),
        1
    );
    let day = chrono::NaiveDate::parse_from_str(&hour[..10], "%Y-%m-%d").unwrap();
    let hours = gw.store.air_hours(Some("XZ01"), day, day).await.unwrap();
    let h = hours
        .iter()
        .find(|h| h.hour == hour)
        .expect("the hour is stored");
    assert_eq!(
        h.values,
        [
            Some("8".into()),
            Some("31".into()),
            Some("0.6".into()),
            Some("92".into()),
            Some("70".into()),
            Some("41".into())
        ]
    );
    assert_eq!((h.source.as_str(), h.revision), ("hj212", 1));
    // Nothing new: nothing written. A corrected frame (new QN) becomes revision 2.
    assert_eq!(
        qingshan_app::supervisor::air_hours_from_hj212(&gw.store, now, &cfg)
            .await
            .unwrap(),
        0
    );
    let q = Packet::builder("2061")
        .qn(format!("{dt}001"))
        .st("22")
        .pw("654321")
        .mn("AIRSTATIONXZ01")
        .flag(5)
        .item("DataTime", &dt)
        .factor("a34004", "Avg", "43")
        .factor("a34004", "Flag", "N")
        .build()
        .unwrap();
    s.write_all(&q.encode()).await.unwrap();
    read_frames(&mut s, 1).await;
    assert_eq!(
        qingshan_app::supervisor::air_hours_from_hj212(&gw.store, now, &cfg)
            .await
            .unwrap(),
        1
    );
    let hours = gw.store.air_hours(Some("XZ01"), day, day).await.unwrap();
    let h = hours.iter().find(|h| h.hour == hour).unwrap();
    assert_eq!((h.values[5].as_deref(), h.revision), (Some("43"), 2));
    assert_eq!(
        h.values[0].as_deref(),
        Some("8"),
        "the other pollutants keep their values"
    );
}

/// An hourly (2061) upload of a surface-water station: `(factor, avg, flag)` per factor.
fn water_hour(qn: &str, st: &str, dt: &str, factors: &[(&str, &str, &str)]) -> Packet {
    let mut b = Packet::builder("2061")
        .qn(qn)
        .st(st)
        .pw("223344")
        .mn("WATERSTATION0001")
        .flag(5)
        .item("DataTime", dt);
    for &(code, avg, flag) in factors {
        b = b.factor(code, "Avg", avg).factor(code, "Flag", flag);
    }
    b.build().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn water_station_frames_become_daily_values_that_take_priority() {
    use qingshan_store::{NewWaterSample, WaterSection, WaterSectionDevice};
    use qingshan_water::{Class, Exact, Item};
    let gw = start(GatewayConfig::default()).await;
    gw.store
        .upsert_water_sections(
            &[WaterSection {
                code: "WQ01".into(),
                name: "青山河大桥".into(),
                level: "国考".into(),
                water_body: "river".into(),
                basin: Some("青山河".into()),
                division_code: Some("140902".into()),
                target_class: "III".into(),
                is_drinking_source: false,
            }],
            &Actor::cli(),
        )
        .await
        .unwrap();
    // Manual results: May (NH3-N 1.4 would make the month Class IV) and June.
    let manual = |date: &str, item: &str, value: &str| NewWaterSample {
        section_code: "WQ01".into(),
        date: date.into(),
        item: item.into(),
        value: value.into(),
        below_detection: false,
        source: "import".into(),
    };
    gw.store
        .import_water_samples(
            &[
                manual("2024-05-10", "pH", "7.0"),
                manual("2024-05-10", "DO", "5.0"),
                manual("2024-05-10", "CODMn", "5.5"),
                manual("2024-05-10", "NH3N", "1.4"),
                manual("2024-05-10", "TP", "0.15"),
                manual("2024-05-10", "TN", "2.0"),
                manual("2024-05-10", "COD", "18"),
                manual("2024-05-10", "Cu", "0.005"),
                manual("2024-06-10", "NH3N", "1.2"),
            ],
            &Actor::cli(),
        )
        .await
        .unwrap();
    gw.store
        .link_water_section_device(
            &WaterSectionDevice {
                mn: "WATERSTATION0001".into(),
                section_code: "WQ01".into(),
                password: "223344".into(),
                crc_policy: "strict".into(),
            },
            &Actor::cli(),
        )
        .await
        .unwrap();
    // The gateway rereads its device list on an unknown MN at most every 2 s.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let frames = [
        water_hour(
            "20240510080000000",
            "21",
            "20240510080000",
            &[
                ("w01001", "7.80", "N"),
                ("w01009", "8.2", "N"),
                ("w01019", "2.1", "N"),
                ("w21003", "0.20", "N"),
                ("w21011", "0.030", "N"),
                ("w21001", "1.10", "N"),
                // Not one of the six: stored, but the month keeps the manual COD.
                ("w01018", "40", "N"),
                // Arsenic under its HJ 212-2017 code.
                ("w20119", "0.004", "N"),
                // Water temperature has no GB 3838 class: not taken.
                ("w01010", "18.2", "N"),
            ],
        ),
        water_hour(
            "20240510120000000",
            "21",
            "20240510120000",
            &[
                ("w01001", "7.60", "N"),
                ("w01009", "8.6", "N"),
                // Instrument fault: not a valid value.
                ("w01019", "9.9", "D"),
                ("w21003", "0.30", "N"),
                ("w21011", "0.040", "N"),
                ("w21001", "1.3", "N"),
            ],
        ),
        // The same MN under another system code (waste water): not river quality.
        water_hour(
            "20240510100000000",
            "32",
            "20240510100000",
            &[("w21003", "5.0", "N")],
        ),
        water_hour(
            "20240511080000000",
            "21",
            "20240511080000",
            &[
                ("w01001", "7.70", "N"),
                ("w01009", "8.0", "N"),
                ("w01019", "2.4", "N"),
                ("w21003", "0.25", "N"),
                ("w21011", "0.035", "N"),
                ("w21001", "1.2", "N"),
                // Arsenic under the code public implementations use.
                ("w20141", "0.006", "N"),
            ],
        ),
        // The supervisor's "today": not over yet, so no daily mean.
        water_hour(
            "20240512080000000",
            "21",
            "20240512080000",
            &[("w21003", "9.9", "N")],
        ),
    ];
    let mut s = TcpStream::connect(gw.addr).await.unwrap();
    for p in &frames {
        s.write_all(&p.encode()).await.unwrap();
        assert_eq!(
            read_frames(&mut s, 1).await[0],
            reply_9014(p).unwrap().encode()
        );
    }

    // 2024-05-12 09:30 in Beijing: 05-10 and 05-11 have ended and lie in the look-back window.
    let now = chrono::DateTime::parse_from_rfc3339("2024-05-12T01:30:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let cfg = qingshan_app::supervisor::SupervisorConfig::default();
    let summary = qingshan_app::supervisor::run_once(&gw.store, now, &cfg)
        .await
        .unwrap();
    assert_eq!(summary.water_days, 15);
    let automatic = |store: &Store| {
        let store = store.clone();
        async move {
            store
                .water_samples(Some("WQ01"), 2024)
                .await
                .unwrap()
                .into_iter()
                .filter(|r| r.source == "hj212")
                .map(|r| (r.date, r.item, r.value, r.revision))
                .collect::<Vec<_>>()
        }
    };
    let row =
        |d: &str, i: &str, v: &str, rev: i64| (d.to_string(), i.to_string(), v.to_string(), rev);
    // Daily means: pH through H⁺ to 2 decimals ((7.80, 7.60) → 7.69); CODMn from its one valid
    // hour; NH3-N without the ST=32 value. Same-day manual results are not revised by them
    // (their numbering goes on after the manual revision 1).
    assert_eq!(
        automatic(&gw.store).await,
        [
            row("2024-05-10", "As", "0.004", 1),
            row("2024-05-10", "COD", "40", 2),
            row("2024-05-10", "CODMn", "2.1", 2),
            row("2024-05-10", "DO", "8.4", 2),
            row("2024-05-10", "NH3N", "0.25", 2),
            row("2024-05-10", "TN", "1.2", 2),
            row("2024-05-10", "TP", "0.035", 2),
            row("2024-05-10", "pH", "7.69", 2),
            row("2024-05-11", "As", "0.006", 1),
            row("2024-05-11", "CODMn", "2.4", 1),
            row("2024-05-11", "DO", "8", 1),
            row("2024-05-11", "NH3N", "0.25", 1),
            row("2024-05-11", "TN", "1.2", 1),
            row("2024-05-11", "TP", "0.035", 1),
            row("2024-05-11", "pH", "7.7", 1),
        ]
    );
    // Nothing new: nothing written. A corrected hour (new QN) revises that day's mean only.
    let again = qingshan_app::supervisor::run_once(&gw.store, now, &cfg)
        .await
        .unwrap();
    assert_eq!(again.water_days, 0);
    let fix = water_hour(
        "20240511080000001",
        "21",
        "20240511080000",
        &[("w21003", "0.45", "N")],
    );
    s.write_all(&fix.encode()).await.unwrap();
    read_frames(&mut s, 1).await;
    let again = qingshan_app::supervisor::run_once(&gw.store, now, &cfg)
        .await
        .unwrap();
    assert_eq!(again.water_days, 1);
    let stored = automatic(&gw.store).await;
    assert!(
        stored.contains(&row("2024-05-11", "NH3N", "0.45", 2)),
        "{stored:?}"
    );
    assert_eq!(stored.len(), 15);

    // The section's May: the six items from the automatic daily means, the rest manual.
    let section = gw.store.water_section("WQ01").await.unwrap().unwrap();
    let samples = gw.store.water_samples(Some("WQ01"), 2024).await.unwrap();
    let year = qingshan_app::water::section_year(section, &samples).unwrap();
    let x = |s: &str| Exact::parse(s).unwrap();
    let may = &year.monthly[&5];
    let value = |item: Item| may.item(item).map(|r| r.value);
    assert_eq!(
        value(Item::Ph),
        Some(x("7.694971")),
        "H⁺ mean of 7.69 and 7.7"
    );
    assert_eq!(value(Item::Do), Some(x("8.2")));
    assert_eq!(value(Item::CodMn), Some(x("2.25")));
    assert_eq!(value(Item::Nh3n), Some(x("0.35")), "not the manual 1.4");
    assert_eq!(value(Item::Tp), Some(x("0.035")));
    assert_eq!(value(Item::Tn), Some(x("1.2")));
    assert_eq!(value(Item::Cod), Some(x("18")), "COD stays manual");
    assert_eq!(value(Item::Cu), Some(x("0.005")));
    assert_eq!(value(Item::As), None, "automatic arsenic does not count");
    assert_eq!(
        year.monthly_automatic[&5],
        [
            Item::Ph,
            Item::Do,
            Item::CodMn,
            Item::Nh3n,
            Item::Tp,
            Item::Tn
        ]
    );
    // COD 18 is Class III; with the manual NH3-N 1.4 May would have been Class IV.
    assert_eq!(may.class, Some(Class::III));
    // June has only its manual sample.
    assert_eq!(
        year.monthly[&6].item(Item::Nh3n).map(|r| r.value),
        Some(x("1.2"))
    );
    assert_eq!(year.monthly[&6].class, Some(Class::IV));
    assert!(!year.monthly_automatic.contains_key(&6));
    // The year: May's automatic NH3-N counts once next to June's manual result.
    assert_eq!(year.annual_mean.values[&Item::Nh3n], x("0.775"));
    assert_eq!((year.dates, year.automatic_days), (2, 2));
}
