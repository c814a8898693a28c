//! Two `qingshan serve` processes on one PostgreSQL database, started at the same instant on
//! an empty database; simulated devices split over both gateways; the server holding the duty
//! lease is killed with SIGKILL mid-run. Then: every upload either server acknowledged is
//! stored exactly once, the devices reconnected to the survivor, the survivor took the duty
//! lease within the configured time, and the exceedance raised exactly one incident.
//!
//! Needs `TEST_DATABASE_URL` (skipped loudly without it, a failure under CI). The figures it
//! prints are the ones docs/operations.md quotes:
//! `TEST_DATABASE_URL=postgres://… cargo test -p qingshan --test failover -- --nocapture`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use qingshan_simulator::{self as simulator, Inject, SimulatorConfig};
use qingshan_store::{IncidentFilter, Store};

/// The configured takeover time (`--lease-takeover-secs`).
const TAKEOVER_SECS: u64 = 2;
/// Real-time devices, split over the two gateways.
const DEVICES: usize = 40;
/// The index of the device whose hourly SO2 exceeds its limit.
const EXCEEDING: usize = 1_000;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A `qingshan serve` process and its gateway port.
struct Server {
    child: Child,
    gateway: u16,
    log: qingshan_testkit::TempPath,
}

impl Server {
    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `qingshan serve` on `db` (not waiting for it).
fn spawn(db: &str) -> Server {
    let gateway = free_port();
    let log = qingshan_testkit::TempPath::new("failover", ".log");
    let child = Command::new(env!("CARGO_BIN_EXE_qingshan"))
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--hj212-addr",
            &format!("127.0.0.1:{gateway}"),
            "--db",
            db,
            "--supervisor-period-secs",
            "1",
            "--lease-takeover-secs",
            &TAKEOVER_SECS.to_string(),
        ])
        .env("QINGSHAN_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log.path()).unwrap())
        .spawn()
        .unwrap();
    Server {
        child,
        gateway,
        log,
    }
}

/// Waits until the server's gateway and web server listen.
fn wait_listening(s: &mut Server) {
    let stdout = s.child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let (mut gateway, mut web) = (false, false);
    while !(gateway && web) {
        let Some(line) = lines.next() else {
            panic!(
                "server exited before listening: {}",
                std::fs::read_to_string(s.log.path()).unwrap_or_default()
            );
        };
        let line = line.unwrap();
        gateway |= line.starts_with("hj212 gateway on");
        web |= line.starts_with("listening on");
    }
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
}

/// Who holds the duty lease: the pid of the `qingshan` process.
async fn holder_pid(store: &Store) -> Option<u32> {
    let h = store
        .lease_holder(qingshan_server::supervisor::DUTY_LEASE)
        .await
        .unwrap()?;
    h.rsplit(':').next()?.parse().ok()
}

async fn exceedance_incidents(store: &Store, mn: &str) -> i64 {
    let filter = IncidentFilter {
        kind: Some("exceedance".into()),
        mn: Some(mn.into()),
        ..Default::default()
    };
    store.count_incidents(&filter).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_loses_no_acknowledged_frame_and_its_duties_move() {
    let Some(db) =
        qingshan_testkit::scratch_db_on(qingshan_testkit::Backend::Postgres, "failover").await
    else {
        return;
    };
    let url = db.url().to_string();

    // Both at the same instant on the empty database: both must come up.
    let mut a = spawn(&url);
    let mut b = spawn(&url);
    wait_listening(&mut a);
    wait_listening(&mut b);
    let store = Store::connect(&url).await.unwrap();

    let gateways = [
        format!("127.0.0.1:{}", a.gateway).parse().unwrap(),
        format!("127.0.0.1:{}", b.gateway).parse().unwrap(),
    ];
    // Real-time devices: even indexes start on A, odd ones on B; each moves to the other
    // gateway when its own cannot be reached.
    let mut live = SimulatorConfig::new(gateways[0], DEVICES);
    live.also = vec![gateways[1]];
    live.interval = Duration::from_millis(100);
    live.duration = Duration::from_secs(14);
    live.resend_after = Duration::from_secs(2);
    live.grace = Duration::from_secs(20);
    live.record_acks = true;
    // One device sends twenty hours of hourly data, SO2 above its permit limit all along.
    let mut hourly = SimulatorConfig::new(gateways[0], 1);
    hourly.also = vec![gateways[1]];
    hourly.first_index = EXCEEDING;
    hourly.cn = "2061".into();
    hourly.injects = vec![Inject::Exceed];
    hourly.interval = Duration::from_millis(400);
    hourly.duration = Duration::from_secs(8);
    hourly.resend_after = Duration::from_secs(2);
    hourly.grace = Duration::from_secs(20);
    hourly.record_acks = true;

    let registry_file = qingshan_testkit::TempPath::new("failover-registry", ".csv");
    let mut registry = simulator::registry(&live);
    let extra = simulator::registry(&hourly);
    registry.enterprises.extend(extra.enterprises);
    registry.outlets.extend(extra.outlets);
    registry.devices.extend(extra.devices);
    registry.permits.extend(extra.permits);
    registry.limits.extend(extra.limits);
    qingshan_sources::write_registry(
        &registry,
        std::fs::File::create(registry_file.path()).unwrap(),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_qingshan"))
        .args([
            "sources",
            "import",
            registry_file.path().to_str().unwrap(),
            "--db",
            &url,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Exactly one of the two holds the duty lease.
    let start = Instant::now();
    let first = loop {
        if let Some(pid) = holder_pid(&store).await {
            break pid;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "nobody holds the duty lease"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(first == a.pid() || first == b.pid(), "holder {first}");
    let (holder, survivor) = if first == a.pid() { (a, b) } else { (b, a) };

    let live_run = tokio::spawn(simulator::run(live));
    let hourly_run = tokio::spawn(simulator::run(hourly));
    let exceeding = simulator::device_mn(EXCEEDING);

    // The holder's supervisor raises the exceedance while the devices send…
    let start = Instant::now();
    while exceedance_incidents(&store, &exceeding).await == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "no exceedance raised"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // …and is killed mid-run: no drain, no release, nothing graceful.
    let mut holder = holder;
    holder.child.kill().unwrap();
    holder.child.wait().unwrap();
    let killed = Instant::now();
    let killed_at = chrono::Utc::now();
    let takeover = loop {
        if holder_pid(&store).await == Some(survivor.pid()) {
            break killed.elapsed();
        }
        assert!(
            killed.elapsed() < Duration::from_secs(TAKEOVER_SECS * 5),
            "the survivor did not take the duty lease"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };

    let live_report = live_run.await.unwrap();
    let hourly_report = hourly_run.await.unwrap();
    // Two more supervision passes on the survivor over everything that came in.
    tokio::time::sleep(Duration::from_secs(3)).await;

    let keys: Vec<(String, String)> = live_report
        .acked_keys
        .iter()
        .chain(&hourly_report.acked_keys)
        .cloned()
        .collect();
    let stored: HashMap<(String, String), usize> = store
        .upload_keys()
        .await
        .unwrap()
        .into_iter()
        .fold(HashMap::new(), |mut m, k| {
            *m.entry(k).or_default() += 1;
            m
        });
    let missing = keys.iter().filter(|k| !stored.contains_key(*k)).count();
    let twice = stored.values().filter(|n| **n > 1).count();
    let figures = format!(
        "failover: lease takeover {} ms (configured {} s); real-time sent {} acked {} resent {} \
         connection errors {}; hourly sent {} acked {}; acknowledged {} stored {} missing {} \
         stored twice {}",
        takeover.as_millis(),
        TAKEOVER_SECS,
        live_report.sent,
        live_report.acked,
        live_report.resent,
        live_report.connection_errors,
        hourly_report.sent,
        hourly_report.acked,
        keys.len(),
        stored.len(),
        missing,
        twice
    );
    eprintln!("{figures}");

    assert!(takeover <= Duration::from_secs(TAKEOVER_SECS), "{figures}");
    assert!(live_report.acked > 1_000, "{figures}");
    assert!(
        live_report.connection_errors > 0,
        "the kill cut no connection: {figures}"
    );
    assert_eq!(missing, 0, "acknowledged uploads lost: {figures}");
    assert_eq!(twice, 0, "uploads stored twice: {figures}");
    assert_eq!(
        store.ingest_stats().await.unwrap().total as usize,
        stored.len()
    );

    // Every device delivered after the kill: through the survivor, the only gateway left.
    let after: Vec<String> = store
        .last_seen()
        .await
        .unwrap()
        .into_iter()
        .filter(|d| d.mn != exceeding)
        .filter(|d| {
            d.last_seen
                .as_deref()
                .is_none_or(|t| chrono::DateTime::parse_from_rfc3339(t).unwrap() < killed_at)
        })
        .map(|d| d.mn)
        .collect();
    assert!(
        after.is_empty(),
        "devices never delivered after the kill: {after:?}"
    );

    // One exceedance, one incident, across both holders' passes; and no incident twice.
    assert_eq!(exceedance_incidents(&store, &exceeding).await, 1);
    let incidents = store
        .incidents_paged(&IncidentFilter::default(), 10_000, 0)
        .await
        .unwrap();
    let mut seen: HashMap<(String, String, String), usize> = HashMap::new();
    for i in &incidents.items {
        *seen
            .entry((i.kind.clone(), i.mn.clone(), i.factor.clone()))
            .or_default() += 1;
    }
    let doubled: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(doubled.is_empty(), "incidents raised twice: {doubled:?}");
    drop(survivor);
}
