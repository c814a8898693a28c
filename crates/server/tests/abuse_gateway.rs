//! Hostile traffic at the real HJ 212 gateway (issue 12, rows 2–5 and 14): floods of unknown
//! MNs and wrong passwords cost bounded storage, garbage and oversized frames close their
//! connection, the connection cap holds, registry changes are seen at once, and quarantined
//! frames can be released into a device's data.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use qingshan_hj212::{Packet, reply_9014};
use qingshan_server::gateway::GatewayConfig;
use qingshan_store::{Actor, Store};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const REGISTRY: &str = "credit_code,enterprise_name,division_code,outlet_code,outlet_name,outlet_kind,mn,protocol,crc_policy,password,interval_secs
9144030071526726XG,某热电有限公司,140902,DA001,1号锅炉,gas,010000A8900016F000169DC0,2017,strict,123456,30
";
const DEVICE: &str = "010000A8900016F000169DC0";

struct Gw {
    addr: SocketAddr,
    store: Store,
    _stop: tokio::sync::oneshot::Sender<()>,
    _db: common::ScratchDb,
}

async fn start(config: GatewayConfig) -> Gw {
    // The plan is written too: the release test also serves the web pages over this store.
    let (store, db) = common::fresh_store("abuse-gw").await;
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
        _stop: g.stop,
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
        .build()
        .unwrap()
}

fn qn(i: usize) -> String {
    format!("20260301{:06}{:03}", i / 1000 % 1_000_000, i % 1000)
}

/// Splits received bytes into CR LF terminated frames.
fn frames_in(buf: &[u8]) -> Vec<Vec<u8>> {
    buf.split_inclusive(|b| *b == b'\n')
        .filter(|f: &&[u8]| f.ends_with(b"\r\n"))
        .map(<[u8]>::to_vec)
        .collect()
}

/// Reads until the gateway closes the connection; fails if it stays open `limit` long.
async fn read_until_closed(s: &mut TcpStream, limit: Duration) -> Vec<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, s.read(&mut chunk)).await {
            Err(_) => panic!(
                "connection still open after {limit:?} ({} replies)",
                frames_in(&buf).len()
            ),
            Ok(Ok(0)) | Ok(Err(_)) => return frames_in(&buf),
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// Reads `n` replies, or fails after a timeout.
async fn read_frames(s: &mut TcpStream, n: usize) -> Vec<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while frames_in(&buf).len() < n {
        let k = tokio::time::timeout(Duration::from_secs(5), s.read(&mut chunk))
            .await
            .expect("reply timed out")
            .unwrap();
        assert!(k > 0, "connection closed after {:?}", frames_in(&buf).len());
        buf.extend_from_slice(&chunk[..k]);
    }
    frames_in(&buf)
}

/// Sends `frames` on one connection and reads what comes back until the gateway closes it.
async fn flood(addr: SocketAddr, frames: &[Packet]) -> Vec<Vec<u8>> {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let bytes: Vec<u8> = frames.iter().flat_map(|p| p.encode()).collect();
    s.write_all(&bytes).await.unwrap();
    read_until_closed(&mut s, Duration::from_secs(10)).await
}

fn small_budget() -> GatewayConfig {
    GatewayConfig {
        refused_keep_per_key: 5,
        refused_max_keys: 10,
        max_bad_frames: 64,
        ..GatewayConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_mn_flood_keeps_n_frames_per_mn_and_counts_the_rest() {
    let gw = start(small_budget()).await;
    // Four connections of 64 frames from one unknown MN: each is closed after its 64th bad
    // frame; only the first five frames are kept, and only they are acknowledged.
    let mut acks = Vec::new();
    for c in 0..4 {
        let frames: Vec<Packet> = (0..64)
            .map(|i| upload("FLOOD0000000000000000001", "123456", &qn(c * 64 + i), "1"))
            .collect();
        let replies = flood(gw.addr, &frames).await;
        acks.push(replies.len());
        if c == 0 {
            let expected: Vec<Vec<u8>> = frames[..5]
                .iter()
                .map(|p| reply_9014(p).unwrap().encode())
                .collect();
            assert_eq!(replies, expected);
        }
    }
    assert_eq!(acks, [5, 0, 0, 0]);
    // Random MNs: nine more get a counter of their own (ten keys with the first), the rest
    // are counted together under one.
    let random: Vec<Packet> = (0..64)
        .map(|i| upload(&format!("RND{i:021}"), "123456", &qn(1000 + i), "1"))
        .collect();
    flood(gw.addr, &random).await;

    let q = gw.store.quarantine().await.unwrap();
    let by_mn: Vec<(&str, i64, i64)> = q
        .iter()
        .map(|q| (q.mn.as_str(), q.frames, q.kept))
        .collect();
    assert_eq!(by_mn.len(), 11, "{by_mn:?}");
    assert!(by_mn.contains(&("*", 55, 5)), "{by_mn:?}");
    assert!(by_mn.contains(&("FLOOD0000000000000000001", 256, 5)));
    assert_eq!(by_mn.iter().map(|x| x.1).sum::<i64>(), 256 + 64);
    // Stored: five of the flood, one each of nine random MNs, five of the rest.
    let counts = gw.store.archive_counts().await.unwrap();
    assert_eq!(counts["quarantined"], 5 + 9 + 5);
    assert_eq!(gw.store.ingest_stats().await.unwrap().total, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_flood_is_bounded_and_the_device_is_still_served() {
    let gw = start(small_budget()).await;
    let mut legit = TcpStream::connect(gw.addr).await.unwrap();
    for c in 0..3 {
        let frames: Vec<Packet> = (0..64)
            .map(|i| upload(DEVICE, "000000", &qn(c * 64 + i), "1"))
            .collect();
        // Refused frames get no reply at all, and the connection is closed.
        assert!(flood(gw.addr, &frames).await.is_empty());
        // The real device, with the right password, is served meanwhile.
        let p = upload(DEVICE, "123456", &qn(5000 + c), "7");
        legit.write_all(&p.encode()).await.unwrap();
        assert_eq!(
            read_frames(&mut legit, 1).await[0],
            reply_9014(&p).unwrap().encode()
        );
    }
    let refused = gw.store.refused_counts("refused").await.unwrap();
    assert_eq!(
        refused
            .iter()
            .map(|r| (r.key.as_str(), r.total, r.kept))
            .collect::<Vec<_>>(),
        [(DEVICE, 192, 5)]
    );
    let counts = gw.store.archive_counts().await.unwrap();
    assert_eq!((counts["refused"], counts["stored"]), (5, 3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_garbage_trickle_is_closed_and_leaves_one_summary() {
    let gw = start(GatewayConfig {
        frame_timeout: Duration::from_millis(400),
        ..GatewayConfig::default()
    })
    .await;
    let mut s = TcpStream::connect(gw.addr).await.unwrap();
    let started = Instant::now();
    let mut sent = 0usize;
    // One byte every 20 ms: the idle timeout would never fire; the frame clock does.
    let closed = loop {
        if s.write_all(b"x").await.is_err() {
            break true;
        }
        sent += 1;
        let mut b = [0u8; 16];
        match tokio::time::timeout(Duration::from_millis(20), s.read(&mut b)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break true,
            Ok(Ok(_)) => panic!("a reply to garbage"),
            Err(_) => {}
        }
        if started.elapsed() > Duration::from_secs(5) {
            break false;
        }
    };
    assert!(closed, "the trickle is still connected after {sent} bytes");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    // Bulk garbage over the budget is cut off by size, long before any timeout.
    let mut bulk = TcpStream::connect(gw.addr).await.unwrap();
    let junk: Vec<u8> = (0..6000u32).map(|i| b'a' + (i % 26) as u8).collect();
    bulk.write_all(&junk).await.unwrap();
    read_until_closed(&mut bulk, Duration::from_secs(2)).await;

    // One record per connection, nothing per byte.
    let mut sessions = Vec::new();
    for _ in 0..50 {
        sessions = gw.store.garbage_sessions(10).await.unwrap();
        if sessions.len() == 2 && sessions.iter().all(|g| g.bytes > 0) && sessions[0].bytes > 4096 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(sessions.len(), 2, "{sessions:?}");
    let trickle = &sessions[1];
    assert!(
        trickle.bytes >= 10 && trickle.bytes <= sent as i64,
        "{trickle:?} of {sent}"
    );
    assert!(trickle.head.iter().all(|b| *b == b'x') && !trickle.head.is_empty());
    let bulk = &sessions[0];
    assert!(bulk.bytes > 4096, "{bulk:?}");
    assert_eq!(bulk.head, junk[..64]);
    assert!(bulk.first_at <= bulk.last_at);
    let counts = gw.store.archive_counts().await.unwrap();
    assert_eq!(counts.get("garbage"), Some(&2), "{counts:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_frame_closes_the_connection() {
    let gw = start(GatewayConfig::default()).await;
    let mut s = TcpStream::connect(gw.addr).await.unwrap();
    // `##9999` and then a megabyte without CR LF: recorded as too long, and cut off.
    let mut big = b"##9999QN=".to_vec();
    big.extend(std::iter::repeat_n(b'9', 1 << 20));
    let (mut r, mut w) = s.split();
    let writer = async {
        let _ = w.write_all(&big).await;
    };
    let reader = read_until_closed_half(&mut r, Duration::from_secs(5));
    let (_, replies) = tokio::join!(writer, reader);
    assert!(replies.is_empty());
    let mut rejected = Vec::new();
    for _ in 0..50 {
        rejected = gw.store.refused_counts("rejected").await.unwrap();
        if !rejected.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    assert_eq!(rejected[0].key, "127.0.0.1");
    // The gateway goes on serving.
    let mut good = TcpStream::connect(gw.addr).await.unwrap();
    let p = upload(DEVICE, "123456", &qn(1), "1");
    good.write_all(&p.encode()).await.unwrap();
    assert_eq!(read_frames(&mut good, 1).await.len(), 1);
}

async fn read_until_closed_half(
    r: &mut tokio::net::tcp::ReadHalf<'_>,
    limit: Duration,
) -> Vec<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match tokio::time::timeout(limit, r.read(&mut chunk)).await {
            Err(_) => panic!("connection still open after {limit:?}"),
            Ok(Ok(0)) | Ok(Err(_)) => return frames_in(&buf),
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connection_cap_holds_and_the_gateway_survives_it() {
    let gw = start(GatewayConfig {
        max_connections: 4,
        ..GatewayConfig::default()
    })
    .await;
    let mut held = Vec::new();
    for i in 0..4 {
        let mut s = TcpStream::connect(gw.addr).await.unwrap();
        let p = upload(DEVICE, "123456", &qn(i), "1");
        s.write_all(&p.encode()).await.unwrap();
        assert_eq!(read_frames(&mut s, 1).await.len(), 1);
        held.push(s);
    }
    // Beyond the cap: closed at once, never served.
    for i in 0..20 {
        let mut extra = TcpStream::connect(gw.addr).await.unwrap();
        let _ = extra
            .write_all(&upload(DEVICE, "123456", &qn(100 + i), "1").encode())
            .await;
        assert!(
            read_until_closed(&mut extra, Duration::from_secs(2))
                .await
                .is_empty()
        );
    }
    // Those within it are still served.
    for (i, s) in held.iter_mut().enumerate() {
        let p = upload(DEVICE, "123456", &qn(200 + i), "2");
        s.write_all(&p.encode()).await.unwrap();
        assert_eq!(read_frames(s, 1).await.len(), 1);
    }
    // A freed slot is taken by the next device.
    drop(held.pop());
    let mut served = false;
    for i in 0..50 {
        let mut s = TcpStream::connect(gw.addr).await.unwrap();
        let p = upload(DEVICE, "123456", &qn(300 + i), "3");
        s.write_all(&p.encode()).await.unwrap();
        let mut b = [0u8; 512];
        let read = tokio::time::timeout(Duration::from_secs(2), s.read(&mut b)).await;
        if matches!(read, Ok(Ok(n)) if n > 0) {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(served, "a slot freed below the cap is never reused");
    // Only frames of served connections were stored.
    assert_eq!(gw.store.ingest_stats().await.unwrap().total, 4 + 4 + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_registered_while_running_is_recognised_at_its_next_frame() {
    let gw = start(GatewayConfig {
        registry_check_interval: Duration::ZERO,
        ..GatewayConfig::default()
    })
    .await;
    const NEW: &str = "NEWDEVICE000000000000001";
    let mut s = TcpStream::connect(gw.addr).await.unwrap();
    let first = upload(NEW, "222222", &qn(1), "1");
    s.write_all(&first.encode()).await.unwrap();
    read_frames(&mut s, 1).await;
    assert_eq!(gw.store.quarantine().await.unwrap()[0].mn, NEW);

    let registry = format!(
        "{REGISTRY}9144030071526726XG,某热电有限公司,140902,DA002,2号锅炉,gas,{NEW},2017,strict,222222,60\n"
    );
    gw.store
        .import_registry(
            &qingshan_sources::read_registry(registry.as_bytes()).unwrap(),
            &Actor::cli(),
        )
        .await
        .unwrap();
    // No sleep: the very next frame is the registered device's data.
    let next = upload(NEW, "222222", &qn(2), "2");
    s.write_all(&next.encode()).await.unwrap();
    assert_eq!(
        read_frames(&mut s, 1).await[0],
        reply_9014(&next).unwrap().encode()
    );
    assert_eq!(gw.store.ingest_stats().await.unwrap().by_device[NEW], 1);

    // A password changed in the registry applies to the next frame, too.
    gw.store
        .import_registry(
            &qingshan_sources::read_registry(registry.replace("222222", "333333").as_bytes())
                .unwrap(),
            &Actor::cli(),
        )
        .await
        .unwrap();
    let changed = upload(NEW, "333333", &qn(3), "3");
    s.write_all(&changed.encode()).await.unwrap();
    assert_eq!(
        read_frames(&mut s, 1).await[0],
        reply_9014(&changed).unwrap().encode()
    );
    assert_eq!(gw.store.ingest_stats().await.unwrap().by_device[NEW], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn released_frames_appear_in_the_devices_data_once() {
    let gw = start(GatewayConfig {
        registry_check_interval: Duration::ZERO,
        ..GatewayConfig::default()
    })
    .await;
    const NEW: &str = "NEWDEVICE000000000000002";
    let mut s = TcpStream::connect(gw.addr).await.unwrap();
    let a = upload(NEW, "222222", &qn(1), "1.5");
    let b = upload(NEW, "222222", &qn(2), "2.5");
    let wrong = upload(NEW, "999999", &qn(3), "9.9");
    // `a` twice: the device resent it.
    for p in [&a, &a, &b, &wrong] {
        s.write_all(&p.encode()).await.unwrap();
    }
    read_frames(&mut s, 4).await;

    // Staff release from the quarantine list on the web; only staff may, and only once the
    // device is registered.
    let web = common::serve(gw.store.clone()).await;
    common::user(&gw.store, "wangli", qingshan_store::Role::Staff, None, None).await;
    common::user(
        &gw.store,
        "xz-county",
        qingshan_store::Role::County,
        None,
        Some("140902"),
    )
    .await;
    let release = |c: reqwest::Client, token: String| {
        let url = web.url(&format!("/sources/quarantine/{NEW}/release"));
        async move {
            c.post(url)
                .form(&[("csrf_token", token.as_str())])
                .send()
                .await
                .unwrap()
        }
    };
    let (county, county_token) = common::login(&web, "xz-county").await;
    assert_eq!(
        release(county, county_token).await.status(),
        reqwest::StatusCode::FORBIDDEN
    );
    let (staff, token) = common::login(&web, "wangli").await;
    let early = release(staff.clone(), token.clone()).await;
    assert_eq!(early.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
    assert!(early.text().await.unwrap().contains("尚未登记"));
    assert_eq!(
        gw.store.quarantine().await.unwrap().len(),
        1,
        "kept while unknown"
    );
    let page = staff
        .get(web.url("/sources"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!("/sources/quarantine/{NEW}/release")));

    let registry = format!(
        "{REGISTRY}9144030071526726XG,某热电有限公司,140902,DA002,2号锅炉,gas,{NEW},2017,strict,222222,60\n"
    );
    gw.store
        .import_registry(
            &qingshan_sources::read_registry(registry.as_bytes()).unwrap(),
            &Actor::cli(),
        )
        .await
        .unwrap();
    let r = release(staff.clone(), token.clone()).await;
    assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()["location"],
        format!("/sources/devices/{NEW}?released=2").as_str()
    );
    let refused = gw
        .store
        .audit_log(Some("quarantine.release"), 10)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.outcome != "ok")
        .count();
    assert_eq!(
        refused, 2,
        "the county's and the early attempt are audited as refused"
    );
    // The device resends `b` live: acknowledged, stored once still.
    s.write_all(&b.encode()).await.unwrap();
    assert_eq!(
        read_frames(&mut s, 1).await[0],
        reply_9014(&b).unwrap().encode()
    );
    let m = gw
        .store
        .measurements(NEW, "2011", "a21026", "20260301000000", "20260302000000")
        .await
        .unwrap();
    assert_eq!(
        m.iter()
            .map(|m| m.values.rtd.clone().unwrap())
            .collect::<Vec<_>>(),
        ["1.5", "2.5"]
    );
    let audit: Vec<_> = gw
        .store
        .audit_log(Some("quarantine.release"), 5)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.outcome == "ok")
        .collect();
    assert_eq!(
        (
            audit.len(),
            audit[0].actor.as_str(),
            audit[0].target.as_str()
        ),
        (1, "wangli", format!("device:{NEW}").as_str())
    );
    assert!(gw.store.quarantine().await.unwrap().is_empty());
    // Nothing twice.
    let again = qingshan_app::ingest::release_quarantine(&gw.store, NEW, &Actor::cli())
        .await
        .unwrap();
    assert_eq!((again.frames, again.stored), (0, 0));
    assert_eq!(gw.store.ingest_stats().await.unwrap().by_device[NEW], 2);
}
