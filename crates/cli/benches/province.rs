//! A province's scale on one machine (issue 20): simulated devices split over two (or
//! `QS_BENCH_SERVERS`) real `qingshan serve` processes on ONE PostgreSQL database, then the same
//! load against ONE server on SQLite, side by side.
//!
//! Phases, each printing `province:` lines:
//! 1. **steady** — `QS_BENCH_DEVICES` devices (device i on server i mod servers; each moves to
//!    the next gateway when its own cannot be reached), one real-time 2011 frame per
//!    `QS_BENCH_INTERVAL_MS` each, plus hourly 2061 data: `QS_BENCH_HOURLY_DEVICES` further
//!    devices whose uploads together arrive at the rate the whole fleet's hourly data would
//!    (devices / 3600 per second; each of them sends an hour's record every
//!    hourly_devices × 3600 / devices seconds). Measures acknowledged frames/s, acknowledgement
//!    latency p50/p99 (first send to 9014), the servers' RSS per connection (RSS delta over the
//!    sockets they hold once every device has connected) and the database's growth per frame.
//! 2. **kill** — the same load again, every acknowledgement recorded, plus one device whose
//!    hourly SO2 exceeds its permit limit; once the exceedance is raised (and no earlier than
//!    `QS_BENCH_KILL_AT_SECS`), the server holding the duty lease gets SIGKILL. Then: every
//!    acknowledged upload stored exactly once, every device delivered after the kill (through the
//!    survivor), the lease moved within `QS_BENCH_TAKEOVER_SECS`, one exceedance incident, and
//!    no alarm or incident open twice for one device, factor and kind.
//! 3. **year** — a year of data loaded with SQL (`INSERT … SELECT generate_series`), row for row
//!    in the format the gateway stores (the uploads and raw_frames rows of a real upload of the
//!    run serve as the template; MN, QN, DataTime and received_at vary; the raw frame's CRC is
//!    not recomputed): `QS_BENCH_REALTIME_DAYS` days of 30-s real-time data for device 0 and a
//!    year of hourly data for as many devices as `QS_BENCH_YEAR_GB` allows (at most
//!    `QS_BENCH_YEAR_DEVICES`), device 0 included. The bytes per stored row measured there give
//!    the database size per device-year (an extrapolation to 1,051,200 real-time and 8,760
//!    hourly rows unless the real-time year was loaded in full).
//! 4. **pages** — signed in as an administrator, `QS_BENCH_PAGE_REQUESTS` GETs each (one client,
//!    keep-alive) of the device page of device 0, the alarm list, an incident, the dashboard (/)
//!    and the registry list, on the surviving server: p50/p99/max.
//! 5. **sqlite** — the steady phase against one `qingshan serve` on SQLite (`QS_BENCH_SQLITE=0`
//!    skips it).
//!
//! The fleet runs in worker processes of this same binary (`QS_BENCH_PER_PROCESS` devices each),
//! since every device holds a descriptor. A server holds one per device connected to it, so
//! the hard `RLIMIT_NOFILE` bounds the run: at 20,000 (this machine's, which a process here
//! cannot raise) a server takes at most 19,696 devices (20,000 less the gateway's reserve of
//! 256 and 3 per database connection), the two servers of the steady phase 39,392, and the
//! survivor of the kill all of the kill run's devices, hence the defaults below. Where the hard
//! limit is higher, raise it and the counts (`QS_BENCH_DEVICES=50000 QS_BENCH_KILL_DEVICES=50000`);
//! where it is not, a third server holds 50,000 (`QS_BENCH_SERVERS=3 QS_BENCH_DEVICES=50000
//! QS_BENCH_KILL_DEVICES=38000`: the two survivors of the kill share its fleet).
//!
//! Full run (with a PostgreSQL of its own; docs/operations.md has the figures):
//! ```text
//! TEST_DATABASE_URL=postgres://postgres@127.0.0.1:55433/postgres \
//!   cargo bench -p qingshan --bench province
//! ```
//! Without `--bench` (`cargo test --benches`) it runs a tiny load (40 devices, seconds) and
//! checks the same things; without `TEST_DATABASE_URL` it says so loudly and skips the
//! PostgreSQL phases (a failure under CI). Knobs (defaults full/quick): `QS_BENCH_DEVICES`
//! steady phase (39000/40), `QS_BENCH_KILL_DEVICES` (19500/40), `QS_BENCH_SQLITE_DEVICES`
//! (the kill run's), `QS_BENCH_PER_PROCESS` (15000/25), `QS_BENCH_INTERVAL_MS` (30000/500),
//! `QS_BENCH_SECS` for the steady and kill phases each (120/5), `QS_BENCH_KILL_AT_SECS` (60/2),
//! `QS_BENCH_TAKEOVER_SECS` (10/2), `QS_BENCH_SUPERVISOR_SECS` (15/1), `QS_BENCH_HOURLY_DEVICES`
//! (50/2), `QS_BENCH_SERVERS` PostgreSQL servers (2), `QS_BENCH_SOURCES` loopback source addresses 127.0.0.2… (devices / 8000 rounded
//! up), `QS_BENCH_YEAR_DEVICES` (2000/2), `QS_BENCH_YEAR_GB` (10/1), `QS_BENCH_REALTIME_DAYS`
//! (365/1), `QS_BENCH_PAGE_REQUESTS` (30/5), `QS_BENCH_SQLITE` (1/1; 0 skips),
//! `QS_BENCH_KEEP_DB=1` keeps the PostgreSQL database, `QS_BENCH_LOG` the servers' log filter
//! (warn).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::{IpAddr, SocketAddr};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use qingshan_simulator::{self as simulator, Inject, SimulatorConfig, SimulatorReport};
use qingshan_store::{IncidentFilter, Store};
use sqlx::Row;

// The simulated fleet shares the machine's cores with the servers: keep it light.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// One device's year: real-time every 30 s, and hourly.
const REALTIME_PER_YEAR: i64 = 365 * 24 * 120;
const HOURLY_PER_YEAR: i64 = 365 * 24;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Knobs {
    quick: bool,
    servers: usize,
    devices: usize,
    kill_devices: usize,
    sqlite_devices: usize,
    per_process: usize,
    interval: Duration,
    secs: u64,
    kill_at: u64,
    takeover: u64,
    supervisor: u64,
    hourly_devices: usize,
    sources: usize,
    year_devices: usize,
    year_gb: f64,
    realtime_days: i64,
    page_requests: usize,
    sqlite: bool,
}

impl Knobs {
    fn read() -> Knobs {
        // `cargo bench` passes --bench; `cargo test --benches` passes nothing: a tiny run then.
        let quick = !std::env::args().any(|a| a == "--bench");
        let q = |full: u64, small: u64| if quick { small } else { full };
        let devices = env_or("QS_BENCH_DEVICES", q(39_000, 40)) as usize;
        let servers = (env_or("QS_BENCH_SERVERS", 2) as usize).max(2);
        // The survivors of the kill hold its whole fleet.
        let kill_devices = (env_or(
            "QS_BENCH_KILL_DEVICES",
            q(19_500 * (servers as u64 - 1), 40),
        ) as usize)
            .min(devices);
        Knobs {
            quick,
            servers,
            devices,
            kill_devices,
            sqlite_devices: (env_or("QS_BENCH_SQLITE_DEVICES", kill_devices as u64) as usize)
                .min(devices),
            per_process: env_or("QS_BENCH_PER_PROCESS", q(15_000, 25)) as usize,
            interval: Duration::from_millis(env_or("QS_BENCH_INTERVAL_MS", q(30_000, 500))),
            secs: env_or("QS_BENCH_SECS", q(120, 5)),
            kill_at: env_or("QS_BENCH_KILL_AT_SECS", q(60, 2)),
            takeover: env_or("QS_BENCH_TAKEOVER_SECS", q(10, 2)),
            supervisor: env_or("QS_BENCH_SUPERVISOR_SECS", q(15, 1)),
            hourly_devices: env_or("QS_BENCH_HOURLY_DEVICES", q(50, 2)) as usize,
            sources: env_or("QS_BENCH_SOURCES", devices.div_ceil(8_000) as u64) as usize,
            year_devices: env_or("QS_BENCH_YEAR_DEVICES", q(2_000, 2)) as usize,
            year_gb: env_or("QS_BENCH_YEAR_GB", q(10, 1)) as f64,
            realtime_days: env_or("QS_BENCH_REALTIME_DAYS", q(365, 1)) as i64,
            page_requests: env_or("QS_BENCH_PAGE_REQUESTS", q(30, 5)) as usize,
            sqlite: env_or("QS_BENCH_SQLITE", 1) == 1,
        }
    }

    /// Seconds between two hourly records of one hourly device, so that the hourly fleet
    /// together delivers what `devices` devices' hourly data would: devices / 3600 per second.
    fn hourly_interval(&self, devices: usize) -> Duration {
        if self.quick {
            return Duration::from_millis(500);
        }
        Duration::from_secs_f64(self.hourly_devices as f64 * 3600.0 / devices.max(1) as f64)
    }

    fn bind(&self) -> Vec<IpAddr> {
        (0..self.sources)
            .map(|k| IpAddr::from([127, 0, 0, 2 + k as u8]))
            .collect()
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Sockets a process holds open.
fn sockets(pid: u32) -> u64 {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| {
                    std::fs::read_link(e.path())
                        .map(|l| l.to_string_lossy().starts_with("socket:"))
                        .unwrap_or(false)
                })
                .count() as u64
        })
        .unwrap_or(0)
}

/// A `qingshan serve` process, its gateway and web addresses.
struct Server {
    child: Child,
    gateway: SocketAddr,
    web: String,
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

fn spawn(db: &str, k: &Knobs) -> Child {
    let gateway = free_port();
    Command::new(env!("CARGO_BIN_EXE_qingshan"))
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--hj212-addr",
            &format!("127.0.0.1:{gateway}"),
            "--hj212-max-per-ip",
            "1000000",
            "--db",
            db,
            "--supervisor-period-secs",
            &k.supervisor.to_string(),
            "--lease-takeover-secs",
            &k.takeover.to_string(),
        ])
        .env(
            "QINGSHAN_LOG",
            std::env::var("QS_BENCH_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

/// Waits until the server's gateway and web server listen; reads their addresses.
fn listening(mut child: Child) -> Server {
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut gateway, mut web) = (None, None);
    while gateway.is_none() || web.is_none() {
        let line = lines
            .next()
            .expect("the server exited before listening")
            .unwrap();
        let addr = line.split_whitespace().last().unwrap_or("").to_string();
        if line.starts_with("hj212 gateway on") {
            gateway = addr.parse().ok();
        } else if line.starts_with("listening on") {
            web = Some(
                addr.trim_start_matches("http://")
                    .trim_end_matches('/')
                    .to_string(),
            );
        }
    }
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server {
        child,
        gateway: gateway.unwrap(),
        web: web.unwrap(),
    }
}

/// Imports the registry of the fleets, 10,000 devices per file (the import's CSV reader stops
/// at a million cells).
fn import_registry(db: &str, cfgs: &[&SimulatorConfig]) -> Duration {
    let start = Instant::now();
    for cfg in cfgs {
        let mut first = cfg.first_index;
        while first < cfg.first_index + cfg.devices {
            let mut part = (*cfg).clone();
            part.first_index = first;
            part.devices = 10_000.min(cfg.first_index + cfg.devices - first);
            first += part.devices;
            let file = qingshan_testkit::TempPath::new("province-registry", ".csv");
            qingshan_sources::write_registry(
                &simulator::registry(&part),
                std::fs::File::create(file.path()).unwrap(),
            )
            .unwrap();
            let out = Command::new(env!("CARGO_BIN_EXE_qingshan"))
                .args([
                    "sources",
                    "import",
                    file.path().to_str().unwrap(),
                    "--db",
                    db,
                ])
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    start.elapsed()
}

/// The fleets of one run: real-time devices, hourly devices, and (kill run) the exceeding one.
struct Fleets {
    live: SimulatorConfig,
    hourly: SimulatorConfig,
    exceeding: SimulatorConfig,
}

fn fleets(k: &Knobs, gateways: &[SocketAddr], record: bool, devices: usize) -> Fleets {
    let mut live = SimulatorConfig::new(gateways[0], devices);
    live.also = gateways[1..].to_vec();
    live.bind = k.bind();
    live.interval = k.interval;
    live.duration = Duration::from_secs(k.secs);
    live.resend_after = Duration::from_secs(5).min(k.interval * 4);
    live.grace = Duration::from_secs(30);
    live.record_acks = record;
    let mut hourly = live.clone();
    hourly.devices = k.hourly_devices;
    hourly.first_index = k.devices;
    hourly.cn = "2061".into();
    hourly.interval = k.hourly_interval(devices);
    let mut exceeding = hourly.clone();
    exceeding.devices = 1;
    exceeding.first_index = k.devices + k.hourly_devices;
    exceeding.injects = vec![Inject::Exceed];
    exceeding.interval = Duration::from_secs(1);
    Fleets {
        live,
        hourly,
        exceeding,
    }
}

/// Server memory and sockets, sampled once every device has had time to connect.
struct Connected {
    rss_before: Vec<u64>,
    rss_after: Vec<u64>,
    sockets_before: Vec<u64>,
    sockets_after: Vec<u64>,
}

impl Connected {
    fn print(&self, phase: &str) {
        let conns: u64 = self
            .sockets_after
            .iter()
            .zip(&self.sockets_before)
            .map(|(a, b)| a.saturating_sub(*b))
            .sum();
        let grown: u64 = self
            .rss_after
            .iter()
            .zip(&self.rss_before)
            .map(|(a, b)| a.saturating_sub(*b))
            .sum();
        println!(
            "province[{phase}]: connections={conns} (per server {:?}) server_rss_kib before={:?} connected={:?} per_connection_bytes={:.0}",
            self.sockets_after
                .iter()
                .zip(&self.sockets_before)
                .map(|(a, b)| a.saturating_sub(*b))
                .collect::<Vec<_>>(),
            self.rss_before,
            self.rss_after,
            grown as f64 * 1024.0 / conns.max(1) as f64
        );
    }
}

fn print_run(
    phase: &str,
    k: &Knobs,
    devices: usize,
    live: &SimulatorReport,
    hourly: &SimulatorReport,
) {
    let offered = devices as f64 / k.interval.as_secs_f64()
        + k.hourly_devices as f64 / k.hourly_interval(devices).as_secs_f64();
    println!(
        "province[{phase}]: devices={} interval_ms={} secs={} offered_fps={offered:.0} real-time sent={} acked={} resent={} conn_errors={} hourly sent={} acked={} acked_per_s_of_run={:.0} p50_ms={:.2} p99_ms={:.2} hourly_p99_ms={:.2}",
        devices,
        k.interval.as_millis(),
        k.secs,
        live.sent,
        live.acked,
        live.resent,
        live.connection_errors,
        hourly.sent,
        hourly.acked,
        // Device i starts within the first interval and sends for `secs` (the steady rate is
        // the `stored … frames/s` line).
        (live.acked + hourly.acked) as f64 / (k.secs as f64 + k.interval.as_secs_f64()),
        live.p50_ms,
        live.p99_ms,
        hourly.p99_ms,
    );
}

/// Runs the live and hourly fleets; samples the servers once every device has connected.
async fn steady(
    k: &Knobs,
    f: &Fleets,
    pids: &[u32],
    db: &str,
) -> (SimulatorReport, SimulatorReport, Connected) {
    // The kill run's hourly records count back from now: these go before them, no hour twice.
    let mut hourly_cfg = f.hourly.clone();
    let uploads = (k.secs as f64 / hourly_cfg.interval.as_secs_f64()).ceil() as i64 + 2;
    hourly_cfg.period_start = Some(
        qingshan_app::beijing::local(chrono::Utc::now()) - chrono::Duration::hours(2 * uploads),
    );
    let rss_before: Vec<u64> = pids.iter().map(|p| rss_kib(*p)).collect();
    let sockets_before: Vec<u64> = pids.iter().map(|p| sockets(*p)).collect();
    let live = tokio::spawn(run_fleet(f.live.clone(), k.per_process));
    let hourly = tokio::spawn(run_fleet(hourly_cfg, k.per_process));
    // Devices start spread over one interval: all are in after it (and a margin).
    let settle = (k.interval + Duration::from_secs(3)).min(Duration::from_secs(k.secs) * 3 / 4);
    tokio::time::sleep(settle).await;
    let connected = Connected {
        rss_before,
        rss_after: pids.iter().map(|p| rss_kib(*p)).collect(),
        sockets_before,
        sockets_after: pids.iter().map(|p| sockets(*p)).collect(),
    };
    // The stored rate while every device sends: from here to a few seconds before the first
    // device stops (each sends from its start, within the first interval, for `secs`).
    let store = Store::connect(db).await.unwrap();
    let t1 = Instant::now();
    let n1 = store.ingest_stats().await.unwrap().total;
    let window_end = Duration::from_secs(k.secs).saturating_sub(Duration::from_secs(3));
    if window_end > settle + Duration::from_secs(5) {
        tokio::time::sleep(window_end - settle).await;
        let n2 = store.ingest_stats().await.unwrap().total;
        let secs = t1.elapsed().as_secs_f64();
        println!(
            "province[steady]: stored {} uploads in {secs:.1} s with every device sending: {:.0} frames/s",
            n2 - n1,
            (n2 - n1) as f64 / secs
        );
    }
    (live.await.unwrap(), hourly.await.unwrap(), connected)
}

async fn database_size(pg: &sqlx::PgPool) -> i64 {
    sqlx::query("SELECT pg_database_size(current_database())")
        .fetch_one(pg)
        .await
        .unwrap()
        .get(0)
}

async fn count(pg: &sqlx::PgPool, sql: &str) -> i64 {
    sqlx::query(sql).fetch_one(pg).await.unwrap().get(0)
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

/// The kill run: returns the survivors, the new lease holder first.
async fn kill_run(
    k: &Knobs,
    servers: Vec<Server>,
    store: &Store,
    pg: &sqlx::PgPool,
) -> Vec<Server> {
    let gateways: Vec<SocketAddr> = servers.iter().map(|s| s.gateway).collect();
    let f = fleets(k, &gateways, true, k.kill_devices);
    let exceeding_mn = simulator::device_mn(f.exceeding.first_index);
    let start = Instant::now();
    let first = loop {
        if let Some(pid) = holder_pid(store).await {
            break pid;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "nobody holds the duty lease"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let (mut holder, mut survivors): (Vec<Server>, Vec<Server>) =
        servers.into_iter().partition(|s| s.pid() == first);
    assert_eq!(
        holder.len(),
        1,
        "the lease holder {first} is not one of ours"
    );
    let mut holder = holder.pop().unwrap();
    let survivor_pids: Vec<u32> = survivors.iter().map(Server::pid).collect();
    let began = Instant::now();
    let live = tokio::spawn(run_fleet(f.live.clone(), k.per_process));
    let hourly = tokio::spawn(run_fleet(f.hourly.clone(), k.per_process));
    let exceeding = tokio::spawn(run_fleet(f.exceeding.clone(), k.per_process));
    // The holder's supervisor raises the exceedance while the devices send…
    while exceedance_incidents(store, &exceeding_mn).await == 0
        || began.elapsed() < Duration::from_secs(k.kill_at)
    {
        assert!(
            began.elapsed() < Duration::from_secs(k.secs),
            "no exceedance raised before the run's end"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // …and is killed mid-run: no drain, no release, nothing graceful.
    let stored_before_kill = count(pg, "SELECT COUNT(*) FROM uploads").await;
    holder.child.kill().unwrap();
    holder.child.wait().unwrap();
    let killed = Instant::now();
    let killed_at = chrono::Utc::now();
    let takeover = loop {
        if let Some(pid) = holder_pid(store).await
            && survivor_pids.contains(&pid)
        {
            survivors.sort_by_key(|s| s.pid() != pid);
            break killed.elapsed();
        }
        assert!(
            killed.elapsed() < Duration::from_secs(k.takeover * 5 + 30),
            "the survivor did not take the duty lease"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let live = live.await.unwrap();
    let hourly = hourly.await.unwrap();
    let exceeding = exceeding.await.unwrap();
    // Two more supervision passes on the survivor over everything that came in.
    tokio::time::sleep(Duration::from_secs(k.supervisor * 2 + 1)).await;

    print_run("kill", k, k.kill_devices, &live, &hourly);
    let keys: Vec<&(String, String)> = live
        .acked_keys
        .iter()
        .chain(&hourly.acked_keys)
        .chain(&exceeding.acked_keys)
        .collect();
    let stored: HashMap<(String, String), usize> = store
        .upload_keys()
        .await
        .unwrap()
        .into_iter()
        .fold(HashMap::new(), |mut m, key| {
            *m.entry(key).or_default() += 1;
            m
        });
    let missing = keys
        .iter()
        .filter(|key| !stored.contains_key(**key))
        .count();
    let twice = stored.values().filter(|n| **n > 1).count();
    // The devices of this run (the registry holds the steady run's larger fleet).
    let in_run: std::collections::HashSet<String> = (0..k.kill_devices)
        .chain(f.hourly.first_index..f.hourly.first_index + f.hourly.devices)
        .map(simulator::device_mn)
        .collect();
    let silent: Vec<String> = store
        .last_seen()
        .await
        .unwrap()
        .into_iter()
        .filter(|d| in_run.contains(&d.mn))
        .filter(|d| {
            d.last_seen
                .as_deref()
                .is_none_or(|t| chrono::DateTime::parse_from_rfc3339(t).unwrap() < killed_at)
        })
        .map(|d| d.mn)
        .collect();
    let exceedances = exceedance_incidents(store, &exceeding_mn).await;
    let open_twice_incidents = count(
        pg,
        "SELECT COUNT(*) FROM (SELECT kind, mn, factor FROM incidents WHERE end_time IS NULL GROUP BY kind, mn, factor HAVING COUNT(*) > 1) d",
    )
    .await;
    let open_twice_alarms = count(
        pg,
        "SELECT COUNT(*) FROM (SELECT kind, mn, factor FROM alarms WHERE end_time IS NULL GROUP BY kind, mn, factor HAVING COUNT(*) > 1) d",
    )
    .await;
    let incidents = count(pg, "SELECT COUNT(*) FROM incidents").await;
    let figures = format!(
        "province[kill]: killed pid {first} after {:.1} s ({stored_before_kill} uploads stored by then); lease takeover {} ms (configured {} s); \
         acknowledged {} stored {} missing {} stored_twice {}; devices silent after the kill {}; exceedance incidents {exceedances}; \
         incidents {incidents}, open twice: incidents {open_twice_incidents} alarms {open_twice_alarms}",
        (killed - began).as_secs_f64(),
        takeover.as_millis(),
        k.takeover,
        keys.len(),
        stored.len(),
        missing,
        twice,
        silent.len(),
    );
    println!("{figures}");
    assert!(takeover <= Duration::from_secs(k.takeover), "{figures}");
    assert_eq!(missing, 0, "acknowledged uploads lost: {figures}");
    assert_eq!(twice, 0, "uploads stored twice: {figures}");
    assert!(
        silent.is_empty(),
        "devices never delivered after the kill: {figures} {:?}",
        &silent[..silent.len().min(5)]
    );
    assert_eq!(exceedances, 1, "{figures}");
    assert_eq!(open_twice_incidents + open_twice_alarms, 0, "{figures}");
    survivors
}

/// The template of loaded rows: one stored upload of `cn` from the run, by its uploads and
/// raw_frames ids.
async fn template(pg: &sqlx::PgPool, cn: &str) -> (i64, i64) {
    let r = sqlx::query(
        "SELECT u.id, (SELECT r.id FROM raw_frames r WHERE r.mn = u.mn AND r.qn = u.qn AND r.verdict = 'stored' LIMIT 1) \
         FROM uploads u WHERE u.cn = $1 ORDER BY u.id LIMIT 1",
    )
    .bind(cn)
    .fetch_one(pg)
    .await
    .unwrap();
    (r.get(0), r.get(1))
}

/// Loads `rows_per_device` rows per device of `mns`, `step` apart and ending before `end`
/// (Beijing time), copying the template rows; returns the uploads loaded.
async fn load(
    pg: &sqlx::PgPool,
    template: (i64, i64),
    mns: &[String],
    end: chrono::NaiveDateTime,
    step: chrono::Duration,
    rows_per_device: i64,
) -> i64 {
    let stamp = |t: chrono::NaiveDateTime| t.format("%Y-%m-%d %H:%M:%S").to_string();
    let first = stamp(end - step * (rows_per_device as i32));
    let last = stamp(end - step);
    // A DataTime is Beijing time; received_at is UTC, 5 s after, as the gateway writes it.
    let uploads = "INSERT INTO uploads (mn, cn, qn, data_time, pno, st, flag, received_at, factors, backfilled) \
        SELECT m.mn, u.cn, to_char(t, 'YYYYMMDDHH24MISS') || '000', to_char(t, 'YYYYMMDDHH24MISS'), u.pno, u.st, u.flag, \
               to_char(t - interval '8 hours' + interval '5 seconds', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), u.factors, false \
        FROM generate_series($2::timestamp, $3::timestamp, $4::interval) t \
        CROSS JOIN unnest($5::text[]) AS m(mn) \
        CROSS JOIN (SELECT * FROM uploads WHERE id = $1) u";
    let raw = "INSERT INTO raw_frames (received_at, peer, mn, cn, qn, data_time, bytes, verdict) \
        SELECT to_char(t - interval '8 hours' + interval '5 seconds', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), r.peer, m.mn, r.cn, \
               to_char(t, 'YYYYMMDDHH24MISS') || '000', to_char(t, 'YYYYMMDDHH24MISS'), \
               convert_to(replace(replace(replace(convert_from(r.bytes, 'UTF8'), r.mn, m.mn), r.qn, to_char(t, 'YYYYMMDDHH24MISS') || '000'), \
                          r.data_time, to_char(t, 'YYYYMMDDHH24MISS')), 'UTF8'), 'stored' \
        FROM generate_series($2::timestamp, $3::timestamp, $4::interval) t \
        CROSS JOIN unnest($5::text[]) AS m(mn) \
        CROSS JOIN (SELECT * FROM raw_frames WHERE id = $1) r";
    let step_text = format!("{} seconds", step.num_seconds());
    let mut rows = 0;
    for sql in [uploads, raw] {
        let done = sqlx::query(sql)
            .bind(if sql == uploads {
                template.0
            } else {
                template.1
            })
            .bind(&first)
            .bind(&last)
            .bind(&step_text)
            .bind(mns)
            .execute(pg)
            .await
            .unwrap();
        if sql == uploads {
            rows = done.rows_affected() as i64;
        }
    }
    rows
}

/// Loads the year; returns (hourly devices loaded, bytes per real-time row, per hourly row).
async fn year(k: &Knobs, pg: &sqlx::PgPool) -> (usize, f64, f64) {
    let end = qingshan_app::beijing::local(chrono::Utc::now());
    let end = end - chrono::Duration::seconds(end.and_utc().timestamp().rem_euclid(3600));
    // Month partitions (PostgreSQL migration 0035): a database that has held a year has one
    // per month of it, as the migration and the duty holder make them; without them the year
    // would land in the default partitions.
    let partitioned = count(
        pg,
        "SELECT COUNT(*) FROM pg_proc WHERE proname = 'qingshan_month_partition'",
    )
    .await
        > 0;
    if partitioned {
        for (table, key, fmt) in [
            ("uploads", "data_time", "YYYYMM"),
            ("raw_frames", "received_at", "YYYY-MM"),
        ] {
            sqlx::query(
                "SELECT qingshan_month_partition($1, $2, $3, m::date) \
                 FROM generate_series(date_trunc('month', now() - interval '367 days'), date_trunc('month', now()), interval '1 month') m",
            )
            .bind(table)
            .bind(key)
            .bind(fmt)
            .execute(pg)
            .await
            .unwrap();
        }
    }
    let mn0 = vec![simulator::device_mn(0)];
    let t0 = Instant::now();
    let size0 = database_size(pg).await;
    let rt_rows = k.realtime_days * 24 * 120;
    let loaded_rt = load(
        pg,
        template(pg, "2011").await,
        &mn0,
        end - chrono::Duration::hours(2),
        chrono::Duration::seconds(30),
        rt_rows,
    )
    .await;
    let size1 = database_size(pg).await;
    let per_rt = (size1 - size0) as f64 / loaded_rt.max(1) as f64;
    println!(
        "province[year]: real-time: {loaded_rt} rows (uploads + raw_frames) for {} in {:.0} s, database +{} MiB, {per_rt:.0} bytes per row",
        mn0[0],
        t0.elapsed().as_secs_f64(),
        (size1 - size0) >> 20
    );
    // Hourly: a first batch measures the bytes per device-year, the budget sets the rest.
    let batch = 50.min(k.year_devices).max(1);
    let mut loaded = 0usize;
    let mut hourly_rows = 0i64;
    let mut per_hourly = 0.0;
    let t1 = Instant::now();
    let hourly_template = template(pg, "2061").await;
    let budget = (k.year_gb * (1u64 << 30) as f64) as i64;
    let mut target = k.year_devices;
    while loaded < target {
        let n = batch.min(target - loaded);
        let mns: Vec<String> = (loaded..loaded + n).map(simulator::device_mn).collect();
        hourly_rows += load(
            pg,
            hourly_template,
            &mns,
            end,
            chrono::Duration::hours(1),
            HOURLY_PER_YEAR,
        )
        .await;
        loaded += n;
        let grown = database_size(pg).await - size1;
        per_hourly = grown as f64 / hourly_rows.max(1) as f64;
        let per_device = per_hourly * HOURLY_PER_YEAR as f64;
        target = target
            .min((budget as f64 / per_device.max(1.0)) as usize)
            .max(loaded);
        println!(
            "province[year]: hourly: {loaded} of {target} devices, {hourly_rows} rows, database +{} MiB, {per_hourly:.0} bytes per row, {:.0} s",
            grown >> 20,
            t1.elapsed().as_secs_f64()
        );
    }
    sqlx::query("ANALYZE").execute(pg).await.unwrap();
    (loaded, per_rt, per_hourly)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[(((sorted.len() - 1) as f64) * p).round() as usize]
}

/// Signs in as the benchmark's administrator; returns a client holding the session.
async fn sign_in(web: &str) -> reqwest::Client {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let csrf = "ab".repeat(32);
    let resp = client
        .post(format!("http://{web}/login"))
        .header("Cookie", format!("qs_csrf={csrf}"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("username", "bench"),
            ("password", "bench-password-1"),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        resp.status().is_redirection(),
        "sign-in failed: {}",
        resp.status()
    );
    client
}

async fn pages(k: &Knobs, web: &str, pg: &sqlx::PgPool, layout: &str) {
    let client = sign_in(web).await;
    let incident: i64 = count(pg, "SELECT COALESCE(MAX(id), 0) FROM incidents").await;
    let targets = [
        format!("/sources/devices/{}", simulator::device_mn(0)),
        "/alarms".to_string(),
        format!("/incidents/{incident}"),
        "/".to_string(),
        "/sources".to_string(),
    ];
    for path in targets {
        let mut times = Vec::with_capacity(k.page_requests);
        let mut bytes = 0;
        for _ in 0..k.page_requests {
            let t = Instant::now();
            let resp = client
                .get(format!("http://{web}{path}"))
                .send()
                .await
                .unwrap();
            let status = resp.status();
            let body = resp.bytes().await.unwrap();
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            assert!(status.is_success(), "GET {path}: {status}");
            bytes = body.len();
        }
        times.sort_by(f64::total_cmp);
        println!(
            "province[pages]: GET {path} ({layout}) requests={} bytes={bytes} p50_ms={:.1} p99_ms={:.1} max_ms={:.1}",
            times.len(),
            percentile(&times, 0.5),
            percentile(&times, 0.99),
            times.last().copied().unwrap_or(0.0)
        );
    }
}

fn add_admin(db: &str) {
    let out = Command::new(env!("CARGO_BIN_EXE_qingshan"))
        .args([
            "user",
            "add",
            "--username",
            "bench",
            "--role",
            "admin",
            "--db",
            db,
        ])
        .env("QINGSHAN_PASSWORD", "bench-password-1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn postgres(k: &Knobs, rt: &tokio::runtime::Runtime) {
    let Some(db) = rt.block_on(qingshan_testkit::scratch_db_on(
        qingshan_testkit::Backend::Postgres,
        "province",
    )) else {
        eprintln!("province: SKIPPED the PostgreSQL phases: TEST_DATABASE_URL is not set");
        return;
    };
    let url = db.url().to_string();
    if std::env::var("QS_BENCH_KEEP_DB").is_ok_and(|v| v == "1") {
        println!("province: keeping the database {url}");
        std::mem::forget(db);
    }
    let placeholder: SocketAddr = "127.0.0.1:1".parse().unwrap();
    let f = fleets(k, &[placeholder], false, k.devices);
    let migrate = Command::new(env!("CARGO_BIN_EXE_qingshan"))
        .args(["migrate", "--db", &url])
        .output()
        .unwrap();
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );
    let imported = import_registry(&url, &[&f.live, &f.hourly, &f.exceeding]);
    add_admin(&url);
    println!(
        "province: registry of {} devices imported into PostgreSQL in {:.1} s",
        k.devices + k.hourly_devices + 1,
        imported.as_secs_f64()
    );
    // Started together: the migrations and the lease are raced for, as in a real deployment.
    let children: Vec<Child> = (0..k.servers).map(|_| spawn(&url, k)).collect();
    let servers: Vec<Server> = children.into_iter().map(listening).collect();
    let phase = format!("steady {}×PostgreSQL", k.servers);
    let gateways: Vec<SocketAddr> = servers.iter().map(|s| s.gateway).collect();
    let pids: Vec<u32> = servers.iter().map(Server::pid).collect();
    let (store, pg) = rt.block_on(async {
        (
            Store::connect(&url).await.unwrap(),
            sqlx::postgres::PgPoolOptions::new()
                .max_connections(2)
                .connect(&url)
                .await
                .unwrap(),
        )
    });

    // 1. Steady load on every server.
    let f = fleets(k, &gateways, false, k.devices);
    let size0 = rt.block_on(database_size(&pg));
    let (live, hourly, connected) = rt.block_on(steady(k, &f, &pids, &url));
    print_run(&phase, k, k.devices, &live, &hourly);
    connected.print(&phase);
    let (size1, uploads, raw) = rt.block_on(async {
        (
            database_size(&pg).await,
            count(&pg, "SELECT COUNT(*) FROM uploads").await,
            count(&pg, "SELECT COUNT(*) FROM raw_frames").await,
        )
    });
    println!(
        "province[{phase}]: uploads={uploads} raw_frames={raw} database_growth_mib={} bytes_per_upload={:.0}",
        (size1 - size0) >> 20,
        (size1 - size0) as f64 / uploads.max(1) as f64
    );
    if !k.quick {
        assert!(live.acked > 0);
    }

    // 2. The kill run.
    let survivors = rt.block_on(kill_run(k, servers, &store, &pg));

    // 3. A year of data, 4. page times on the survivor.
    let (loaded, per_rt, per_hourly) = rt.block_on(year(k, &pg));
    let device_year = per_rt * REALTIME_PER_YEAR as f64 + per_hourly * HOURLY_PER_YEAR as f64;
    let (uploads, size) = rt.block_on(async {
        (
            count(&pg, "SELECT COUNT(*) FROM uploads").await,
            database_size(&pg).await,
        )
    });
    println!(
        "province[year]: device 0 has {} days of 30-s real-time data and a year of hourly data; {loaded} devices have a year of hourly data; \
         uploads={uploads} database={} MiB; per device-year (1,051,200 real-time + 8,760 hourly rows, from the bytes per row measured): {:.2} GiB{}",
        k.realtime_days,
        size >> 20,
        device_year / (1u64 << 30) as f64,
        if k.realtime_days >= 365 {
            ""
        } else {
            " (extrapolated)"
        }
    );
    let layout = rt.block_on(async {
        let partitioned = count(&pg, "SELECT COUNT(*) FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid WHERE c.relname = 'uploads'").await;
        if partitioned > 0 { "partitioned uploads" } else { "unpartitioned uploads" }
    });
    rt.block_on(pages(k, &survivors[0].web, &pg, layout));
    drop(survivors);
}

fn sqlite(k: &Knobs, rt: &tokio::runtime::Runtime) {
    let file = qingshan_testkit::TempPath::new("province", ".db");
    let url = format!("sqlite://{}", file.path().display());
    let placeholder: SocketAddr = "127.0.0.1:1".parse().unwrap();
    let f = fleets(k, &[placeholder], false, k.sqlite_devices);
    let imported = import_registry(&url, &[&f.live, &f.hourly]);
    println!(
        "province: registry of {} devices imported into SQLite in {:.1} s",
        k.sqlite_devices + k.hourly_devices,
        imported.as_secs_f64()
    );
    let server = listening(spawn(&url, k));
    let f = fleets(k, &[server.gateway], false, k.sqlite_devices);
    let (live, hourly, connected) = rt.block_on(steady(k, &f, &[server.pid()], &url));
    print_run("steady 1×SQLite", k, k.sqlite_devices, &live, &hourly);
    connected.print("steady 1×SQLite");
    let size = rt.block_on(async {
        let store = Store::connect(&url).await.unwrap();
        store.database_size().await.unwrap()
    });
    println!(
        "province[steady 1×SQLite]: database_mib={} bytes_per_upload={:.0}",
        size >> 20,
        size as f64 / (live.acked + hourly.acked).max(1) as f64
    );
    drop(server);
    let _ = std::fs::remove_file(format!("{}-wal", file.path().display()));
    let _ = std::fs::remove_file(format!("{}-shm", file.path().display()));
}

/// Runs `cfg` in worker processes of at most `per_process` devices each: a process holds one
/// descriptor per device, and its hard limit may be lower than the fleet.
async fn run_fleet(cfg: SimulatorConfig, per_process: usize) -> SimulatorReport {
    let per_process = per_process.max(1);
    let end = cfg.first_index + cfg.devices;
    let mut workers = Vec::new();
    let mut first = cfg.first_index;
    while first < end {
        let n = per_process.min(end - first);
        let spec = serde_json::json!({
            "to": std::iter::once(cfg.to).chain(cfg.also.iter().copied()).map(|a| a.to_string()).collect::<Vec<_>>(),
            "bind": cfg.bind.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
            "first": first,
            "devices": n,
            "interval_ms": cfg.interval.as_millis() as u64,
            "duration_ms": cfg.duration.as_millis() as u64,
            "resend_ms": cfg.resend_after.as_millis() as u64,
            "grace_ms": cfg.grace.as_millis() as u64,
            "cn": cfg.cn,
            "exceed": cfg.has(Inject::Exceed),
            "record": cfg.record_acks,
            "period_start": cfg.period_start.map(|t| t.format("%Y%m%d%H%M%S").to_string()),
        });
        workers.push(tokio::task::spawn_blocking(move || {
            let out = Command::new(std::env::current_exe().unwrap())
                .env("QS_BENCH_WORKER", spec.to_string())
                .stderr(Stdio::inherit())
                .output()
                .unwrap();
            assert!(out.status.success(), "a fleet worker failed");
            out.stdout
        }));
        first += n;
    }
    let mut total = SimulatorReport::default();
    for w in workers {
        let out = w.await.unwrap();
        for line in out.split(|b| *b == b'\n') {
            let line = std::str::from_utf8(line).unwrap();
            if let Some(json) = line.strip_prefix("R ") {
                let r: serde_json::Value = serde_json::from_str(json).unwrap();
                let n = |f: &str| r[f].as_u64().unwrap_or(0);
                total.sent += n("sent");
                total.acked += n("acked");
                total.resent += n("resent");
                total.connection_errors += n("connection_errors");
                total.commands += n("commands");
                total.history_frames += n("history_frames");
                total.elapsed_secs = total
                    .elapsed_secs
                    .max(r["elapsed_secs"].as_f64().unwrap_or(0.0));
            } else if let Some(us) = line.strip_prefix("L ") {
                total.latencies_us.push(us.parse().unwrap());
            } else if let Some(key) = line.strip_prefix("K ") {
                let (mn, qn) = key.split_once(' ').unwrap();
                total.acked_keys.push((mn.to_string(), qn.to_string()));
            }
        }
    }
    total.latencies_us.sort_unstable();
    let ms: Vec<f64> = total
        .latencies_us
        .iter()
        .map(|us| *us as f64 / 1000.0)
        .collect();
    total.p50_ms = percentile(&ms, 0.5);
    total.p99_ms = percentile(&ms, 0.99);
    total
}

/// A fleet worker (see [`run_fleet`]): runs the slice `QS_BENCH_WORKER` describes and writes
/// its report, latencies and acknowledged keys to stdout.
fn worker(spec: &str) {
    use std::io::Write;
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    let spec: serde_json::Value = serde_json::from_str(spec).unwrap();
    let addrs: Vec<SocketAddr> = spec["to"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().parse().unwrap())
        .collect();
    let ms = |f: &str| Duration::from_millis(spec[f].as_u64().unwrap());
    let mut cfg = SimulatorConfig::new(addrs[0], spec["devices"].as_u64().unwrap() as usize);
    cfg.also = addrs[1..].to_vec();
    cfg.bind = spec["bind"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().parse().unwrap())
        .collect();
    cfg.first_index = spec["first"].as_u64().unwrap() as usize;
    cfg.interval = ms("interval_ms");
    cfg.duration = ms("duration_ms");
    cfg.resend_after = ms("resend_ms");
    cfg.grace = ms("grace_ms");
    cfg.cn = spec["cn"].as_str().unwrap().to_string();
    if spec["exceed"].as_bool().unwrap() {
        cfg.injects = vec![Inject::Exceed];
    }
    cfg.record_acks = spec["record"].as_bool().unwrap();
    cfg.period_start = spec["period_start"]
        .as_str()
        .map(|t| chrono::NaiveDateTime::parse_from_str(t, "%Y%m%d%H%M%S").unwrap());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let report = rt.block_on(simulator::run(cfg));
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    writeln!(out, "R {}", serde_json::to_string(&report).unwrap()).unwrap();
    for us in &report.latencies_us {
        writeln!(out, "L {us}").unwrap();
    }
    for (mn, qn) in &report.acked_keys {
        writeln!(out, "K {mn} {qn}").unwrap();
    }
    out.flush().unwrap();
}

fn main() {
    if let Ok(spec) = std::env::var("QS_BENCH_WORKER") {
        worker(&spec);
        return;
    }
    let k = Knobs::read();
    // Every device holds a descriptor here and one in a server (which inherits this limit).
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    let (soft, hard) = rlimit::Resource::NOFILE.get().unwrap_or((0, 0));
    println!(
        "province: {} run, {} servers on PostgreSQL; nofile soft={soft} hard={hard}; source addresses {:?}",
        if k.quick { "quick" } else { "full" },
        k.servers,
        k.bind()
    );
    // Each server holds one descriptor per device connected to it: the servers share the
    // steady fleet, the survivors of the kill its fleet, and the SQLite server its own.
    let cap = qingshan_server::gateway::connection_cap(soft, 16) as usize;
    let need = (k.devices + k.hourly_devices + 1)
        .div_ceil(k.servers)
        .max((k.kill_devices + k.hourly_devices + 1).div_ceil(k.servers - 1))
        .max(k.sqlite_devices + k.hourly_devices);
    if need > cap {
        eprintln!(
            "province: WARNING a server may hold {cap} device connections under the descriptor limit {soft}; this run needs {need} (raise the hard limit, e.g. prlimit --pid $$ --nofile=1048576:1048576, or lower the device counts)"
        );
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    postgres(&k, &rt);
    if k.sqlite {
        sqlite(&k, &rt);
    }
}
