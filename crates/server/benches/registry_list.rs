//! Benchmark of the public registry list (`/sources`, and `/api/v1/sources/devices`) with
//! `QINGSHAN_BENCH_ENTERPRISES` enterprises (10,000; one outlet and one device each) in a
//! SQLite store in a temporary directory, served by the real server on 127.0.0.1. Every other
//! enterprise has a published credit rating (its grade is shown beside it) and every other
//! device has reported (the online count reads them).
//!
//! `QINGSHAN_BENCH_CLIENTS` clients (100), each on its own keep-alive HTTP/1.1 connection,
//! ask for the page again as soon as the last answer arrived, for `QINGSHAN_BENCH_SECS` (20 s)
//! per phase: the first page, a page deep in the list, a search, and the API's first page. Reported per
//! phase: requests/s, p50/p99/max latency, the answer's size.
//!
//! `QINGSHAN_BENCH_FRESH_MS` sets how long the anonymous list is served again
//! (`ServerConfig::public_list_fresh_for`, 5 s by default); 0 reads and renders it for every
//! request.
//!
//! Run: `cargo bench -p qingshan-server --bench registry_list` (not part of `cargo test`;
//! under `cargo test --benches` it runs a tiny registry only).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use qingshan_server::ServerConfig;
use qingshan_simulator::{self as simulator, SimulatorConfig};
use qingshan_store::{Actor, CreditResult, NewCreditRating, Store};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One GET on a keep-alive connection: the status and the body's length.
async fn get(conn: &mut BufReader<TcpStream>, path: &str) -> (u16, usize) {
    let req = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/html\r\n\r\n");
    conn.get_mut().write_all(req.as_bytes()).await.unwrap();
    let mut line = String::new();
    conn.read_line(&mut line).await.unwrap();
    let status: u16 = line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut length = None;
    let mut chunked = false;
    loop {
        line.clear();
        conn.read_line(&mut line).await.unwrap();
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        let lower = l.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse::<usize>().ok();
        }
        if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
            chunked = true;
        }
    }
    if let Some(n) = length {
        let mut body = vec![0; n];
        conn.read_exact(&mut body).await.unwrap();
        return (status, n);
    }
    assert!(chunked, "neither a length nor chunks");
    let mut total = 0;
    loop {
        line.clear();
        conn.read_line(&mut line).await.unwrap();
        let n = usize::from_str_radix(line.trim(), 16).unwrap();
        let mut chunk = vec![0; n + 2];
        conn.read_exact(&mut chunk).await.unwrap();
        total += n;
        if n == 0 {
            return (status, total);
        }
    }
}

fn main() {
    // The server on its own runtime and threads, the clients on theirs: as two processes
    // would, they share only the machine.
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("server")
        .build()
        .unwrap();
    let quick = !std::env::args().any(|a| a == "--bench");
    let enterprises = env_or(
        "QINGSHAN_BENCH_ENTERPRISES",
        if quick { 50 } else { 10_000 },
    ) as usize;
    let clients = env_or("QINGSHAN_BENCH_CLIENTS", if quick { 4 } else { 100 }) as usize;
    let secs = env_or("QINGSHAN_BENCH_SECS", if quick { 1 } else { 20 });
    let dir = std::env::temp_dir().join(format!("qingshan-bench-registry-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("bench.db").display());
    let addr = server_rt.block_on(async {
        let store = Store::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        let started = Instant::now();
        let cfg = SimulatorConfig::new("127.0.0.1:1".parse().unwrap(), enterprises);
        let registry = simulator::registry(&cfg);
        store
            .import_registry(&registry, &Actor::cli())
            .await
            .unwrap();
        println!(
            "registry of {enterprises} enterprises imported in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        let started = Instant::now();
        let rated = rate(&store, &registry).await;
        println!(
            "{rated} published credit ratings (every other enterprise, some over two years) in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        // Half the devices reporting: the online count reads the recent ones. Their last upload
        // is dated an hour ahead so that they stay online however long the run takes.
        if let Store::Sqlite(p, _) = &store {
            let at = (chrono::Utc::now() + chrono::Duration::hours(1))
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            sqlx::query("INSERT INTO device_last_seen (mn, last_received_at) SELECT mn, $1 FROM devices WHERE rowid % 2 = 0")
                .bind(at)
                .execute(p)
                .await
                .unwrap();
        }
        let plan = Arc::new(qingshan_plan::xinzhou().unwrap());
        let mut config = ServerConfig::default();
        if let Ok(ms) = std::env::var("QINGSHAN_BENCH_FRESH_MS") {
            config.public_list_fresh_for = Duration::from_millis(ms.parse().unwrap());
        }
        println!(
            "the anonymous list is served again for {} ms",
            config.public_list_fresh_for.as_millis()
        );
        let (addr_tx, addr_rx) = tokio::sync::oneshot::channel();
        tokio::spawn(async move {
            qingshan_server::serve(
                store,
                plan,
                config,
                "127.0.0.1:0",
                |a| {
                    let _ = addr_tx.send(a);
                },
                std::future::pending(),
            )
            .await
            .unwrap();
        });
        addr_rx.await.unwrap()
    });
    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("clients")
        .build()
        .unwrap();
    println!("{enterprises} enterprises, {clients} clients, {secs} s a phase");
    let deep = format!("/sources?page={}", (enterprises / 100 / 2).max(1));
    // A search as the public types it: part of a name, matched anywhere (a LIKE over every
    // row); the names are 模拟排污单位NNNNN, so "单位0333" finds ten of 10,000.
    let search = format!(
        "/sources?q={}",
        urlencode(&format!("单位{:04}", enterprises / 30))
    );
    for path in [
        "/sources",
        deep.as_str(),
        search.as_str(),
        "/api/v1/sources/devices",
    ] {
        client_rt.block_on(phase(addr, path, clients, Duration::from_secs(secs)));
    }
    drop(server_rt);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `s` percent-encoded for a query string.
fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Publishes a credit rating for every other enterprise (and, for every sixth, an older year
/// too, so that the latest one must be picked): the grades shown beside the registry.
async fn rate(store: &Store, registry: &qingshan_sources::Registry) -> usize {
    let cli = Actor::cli();
    let mut n = 0;
    for (i, e) in registry
        .enterprises
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 2 == 0)
    {
        let years: &[i32] = if i % 6 == 0 { &[2024, 2025] } else { &[2025] };
        for &year in years {
            let grade = ["A", "B", "C", "D"][(i / 2 + year as usize) % 4];
            let r = store
                .save_credit_draft(
                    &NewCreditRating {
                        year,
                        credit_code: e.credit_code.clone(),
                        enterprise: e.name.clone(),
                        division_code: e.division_code.clone(),
                        rule_set: "shanxi-2024".into(),
                        result: CreditResult {
                            score: 90,
                            grade: grade.into(),
                            vetoed: false,
                            events_json: "[]".into(),
                        },
                    },
                    &cli,
                )
                .await
                .unwrap();
            store.publish_credit_rating(r.id, &cli).await.unwrap();
            n += 1;
        }
    }
    n
}

async fn phase(addr: std::net::SocketAddr, path: &str, clients: usize, length: Duration) {
    // Warm up: one request, checked.
    let mut one = BufReader::new(TcpStream::connect(addr).await.unwrap());
    let (status, bytes) = get(&mut one, path).await;
    assert_eq!(status, 200, "{path}");
    let end = Instant::now() + length;
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let path = path.to_string();
        tasks.push(tokio::spawn(async move {
            let mut conn = BufReader::new(TcpStream::connect(addr).await.unwrap());
            let mut lat = Vec::new();
            while Instant::now() < end {
                let t = Instant::now();
                let (status, _) = get(&mut conn, &path).await;
                assert_eq!(status, 200);
                lat.push(t.elapsed());
            }
            lat
        }));
    }
    let started = Instant::now();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let took = started.elapsed().as_secs_f64();
    all.sort();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    println!(
        "GET {path}: {} requests in {took:.1} s = {:.0}/s; latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {bytes} bytes an answer ({clients} clients)",
        all.len(),
        all.len() as f64 / took,
        pct(0.50),
        pct(0.99),
        all.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0),
    );
}
