//! A fleet of simulated monitoring devices (数采仪) speaking real HJ 212 over TCP: uploads with
//! A=1, resends of what is not acknowledged in time, and injected faults. For load tests,
//! end-to-end tests and demonstrations.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use qingshan_hj212::{CrcPolicy, Packet, StreamDecoder, StreamEvent};
use qingshan_sources::{
    Device, Enterprise, Limit, Outlet, OutletKind, Permit, Registry, credit_code_check_char,
};
use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Mutex;

/// A fault to inject into the simulated data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inject {
    /// SO2 well above the permit limit.
    Exceed,
    /// Devices stop sending halfway through the run.
    Offline,
    /// Values frozen at a constant.
    Frozen,
}

/// What to simulate.
#[derive(Debug, Clone)]
pub struct SimulatorConfig {
    /// Gateway address.
    pub to: SocketAddr,
    /// Number of devices (one connection each).
    pub devices: usize,
    /// Seconds between uploads of one device.
    pub interval: Duration,
    /// How long to send.
    pub duration: Duration,
    /// "2005", "2017" or "2025".
    pub version: String,
    /// Fault to inject.
    pub inject: Option<Inject>,
    /// Resend an upload not acknowledged within this.
    pub resend_after: Duration,
    /// After sending stops, how long to wait for outstanding acknowledgements.
    pub grace: Duration,
    /// Device password.
    pub password: String,
    /// First device index (to run several simulators side by side).
    pub first_index: usize,
    /// Keep the (MN, QN) of every acknowledged upload in the report.
    pub record_acks: bool,
    /// What the devices upload: 2011 real-time (default), or period data 2051, 2061, 2031.
    pub cn: String,
}

impl SimulatorConfig {
    /// A configuration with the usual defaults.
    pub fn new(to: SocketAddr, devices: usize) -> Self {
        SimulatorConfig {
            to,
            devices,
            interval: Duration::from_secs(30),
            duration: Duration::from_secs(60),
            version: "2017".into(),
            inject: None,
            resend_after: Duration::from_secs(5),
            grace: Duration::from_secs(10),
            password: "123456".into(),
            first_index: 0,
            record_acks: false,
            cn: "2011".into(),
        }
    }
}

/// The outcome of a run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SimulatorReport {
    /// Distinct uploads sent.
    pub sent: u64,
    /// Uploads acknowledged with 9014.
    pub acked: u64,
    /// Resends.
    pub resent: u64,
    /// Median acknowledgement latency, ms (first send to ack).
    pub p50_ms: f64,
    /// 99th percentile latency, ms.
    pub p99_ms: f64,
    /// Connections that failed or were closed by the server.
    pub connection_errors: u64,
    /// Wall time of the run, seconds.
    pub elapsed_secs: f64,
    /// (MN, QN) of every acknowledged upload, when asked for.
    #[serde(skip)]
    pub acked_keys: Vec<(String, String)>,
}

/// The MN of simulated device `i`.
pub fn device_mn(i: usize) -> String {
    format!("QSSIM{i:019}")
}

/// The registry (enterprises, outlets, devices, permits) of the simulated devices.
pub fn registry(cfg: &SimulatorConfig) -> Registry {
    let mut reg = Registry::default();
    for i in cfg.first_index..cfg.first_index + cfg.devices {
        let first17 = format!("91140900{i:09}");
        let check = credit_code_check_char(&first17).unwrap_or('0');
        let credit_code = format!("{first17}{check}");
        reg.enterprises.push(Enterprise {
            credit_code: credit_code.clone(),
            name: format!("模拟排污单位{i:05}"),
            division_code: Some("140902".into()),
            industry: Some("热力生产和供应".into()),
            address: None,
            longitude: None,
            latitude: None,
            permit_class: None,
        });
        reg.outlets.push(Outlet {
            credit_code: credit_code.clone(),
            code: "DA001".into(),
            name: "1号锅炉排口".into(),
            kind: OutletKind::Gas,
        });
        reg.devices.push(Device {
            mn: device_mn(i),
            credit_code: credit_code.clone(),
            outlet_code: "DA001".into(),
            protocol: cfg.version.clone(),
            crc_policy: "strict".into(),
            password: cfg.password.clone(),
            interval_secs: cfg.interval.as_secs().max(1) as u32,
        });
        let permit = format!("{credit_code}001P");
        reg.permits.push(Permit {
            number: permit.clone(),
            credit_code: credit_code.clone(),
            valid_from: "2024-01-01".into(),
            valid_to: "2028-12-31".into(),
        });
        for (factor, limit, total) in [
            ("a21026", "35", "120"),
            ("a21002", "50", "200"),
            ("a34013", "10", "30"),
        ] {
            reg.limits.push(Limit {
                permit_number: permit.clone(),
                credit_code: credit_code.clone(),
                outlet_code: "DA001".into(),
                factor_code: factor.into(),
                hourly_limit: Some(limit.into()),
                use_converted: true,
                reference_o2: Some("6".into()),
                annual_total_t: Some(total.into()),
            });
        }
    }
    reg
}

fn flag_for(version: &str) -> u8 {
    // Version bits sit above D and A; A=1 asks for a 9014.
    match version {
        "2005" => 1,
        "2025" => (2 << 2) | 1,
        _ => (1 << 2) | 1,
    }
}

/// A QN (YYYYMMDDhhmmsszzz, Beijing time) unique per device: the clock, nudged forward so that
/// two uploads within one millisecond still differ.
fn next_qn(last_ms: &mut i64) -> String {
    let now = chrono::Utc::now().timestamp_millis();
    *last_ms = (*last_ms + 1).max(now);
    qingshan_hj212::qn_from_unix_millis(*last_ms, 8 * 3600)
}

fn upload(cfg: &SimulatorConfig, i: usize, seq: u64, qn: &str, mn: &str) -> Option<Packet> {
    let phase = (seq as f64 * 0.37 + i as f64).sin();
    let (so2, nox, dust) = match cfg.inject {
        Some(Inject::Frozen) => (12.0, 20.0, 3.0),
        Some(Inject::Exceed) => (80.0 + 5.0 * phase, 30.0 + 3.0 * phase, 4.0),
        _ => (18.0 + 6.0 * phase, 30.0 + 8.0 * phase, 4.0 + phase),
    };
    let b = Packet::builder(cfg.cn.as_str())
        .qn(qn)
        .st("31")
        .pw(cfg.password.as_str())
        .mn(mn)
        .flag(flag_for(&cfg.version));
    let b = if cfg.cn == "2011" {
        b.item("DataTime", &qn[..14])
            .factor("a21026", "Rtd", format!("{so2:.2}"))
            .factor("a21026", "ZsRtd", format!("{:.2}", so2 * 1.1))
            .factor("a21026", "Flag", "N")
            .factor("a21002", "Rtd", format!("{nox:.2}"))
            .factor("a21002", "Flag", "N")
            .factor("a34013", "Rtd", format!("{dust:.2}"))
            .factor("a34013", "Flag", "N")
            .factor("a01012", "Rtd", "85.3")
            .factor("a01012", "Flag", "N")
    } else {
        // Period data (2051/2061/2031): each upload stands for the next period, counting back
        // from now, so a short run covers many hours of history. Cou is in kg (flow 80,000 m³/h).
        let step = match cfg.cn.as_str() {
            "2051" => 60,
            "2031" => 86_400,
            _ => 3_600,
        };
        // The run's last upload lands on the current period.
        let uploads =
            (cfg.duration.as_secs_f64() / cfg.interval.as_secs_f64().max(1e-3)).ceil() as i64;
        let start = chrono::Utc::now().timestamp() + 8 * 3600 - step * uploads;
        let t = start - start.rem_euclid(step) + step * seq as i64;
        let data_time = chrono::DateTime::from_timestamp(t, 0)
            .map(|d| d.format("%Y%m%d%H%M%S").to_string())
            .unwrap_or_default();
        let cou = |c: f64| format!("{:.3}", c * 80_000.0 * step as f64 / 3_600.0 / 1e6);
        let mut b = b.item("DataTime", data_time);
        for (code, v) in [("a21026", so2), ("a21002", nox), ("a34013", dust)] {
            b = b
                .factor(code, "Min", format!("{:.2}", v * 0.9))
                .factor(code, "Avg", format!("{v:.2}"))
                .factor(code, "Max", format!("{:.2}", v * 1.1))
                .factor(code, "ZsAvg", format!("{:.2}", v * 1.1))
                .factor(code, "Cou", cou(v))
                .factor(code, "Flag", "N");
        }
        b
    };
    b.build().ok()
}

struct Shared {
    sent: AtomicU64,
    acked: AtomicU64,
    resent: AtomicU64,
    errors: AtomicU64,
    latencies_us: Mutex<Vec<u64>>,
    acked_keys: Option<Mutex<Vec<(String, String)>>>,
}

/// Runs the fleet and reports.
pub async fn run(cfg: SimulatorConfig) -> SimulatorReport {
    let shared = Arc::new(Shared {
        sent: AtomicU64::new(0),
        acked: AtomicU64::new(0),
        resent: AtomicU64::new(0),
        errors: AtomicU64::new(0),
        latencies_us: Mutex::new(Vec::new()),
        acked_keys: cfg.record_acks.then(|| Mutex::new(Vec::new())),
    });
    let start = Instant::now();
    let cfg = Arc::new(cfg);
    let mut tasks = Vec::with_capacity(cfg.devices);
    for i in cfg.first_index..cfg.first_index + cfg.devices {
        let cfg = cfg.clone();
        let shared = shared.clone();
        tasks.push(tokio::spawn(async move { device(cfg, i, shared).await }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let acked_keys = match shared.acked_keys.as_ref() {
        Some(k) => k.lock().await.clone(),
        None => Vec::new(),
    };
    let mut lat = shared.latencies_us.lock().await.clone();
    lat.sort_unstable();
    let pct = |p: f64| -> f64 {
        if lat.is_empty() {
            return 0.0;
        }
        let k = ((lat.len() - 1) as f64 * p).round() as usize;
        lat[k.min(lat.len() - 1)] as f64 / 1000.0
    };
    SimulatorReport {
        sent: shared.sent.load(Ordering::Relaxed),
        acked: shared.acked.load(Ordering::Relaxed),
        resent: shared.resent.load(Ordering::Relaxed),
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
        connection_errors: shared.errors.load(Ordering::Relaxed),
        elapsed_secs: start.elapsed().as_secs_f64(),
        acked_keys,
    }
}

async fn device(cfg: Arc<SimulatorConfig>, i: usize, shared: Arc<Shared>) {
    let mn = device_mn(i);
    // Spread the fleet over one interval so it does not send in lock step.
    let offset = cfg.interval.mul_f64((i % 1000) as f64 / 1000.0);
    tokio::time::sleep(offset.min(cfg.duration)).await;
    let mut pending: HashMap<String, (Instant, Instant, Vec<u8>)> = HashMap::new();
    let mut last_ms = 0i64;
    let mut seq = 0u64;
    let begin = Instant::now();
    let stop_sending = begin + cfg.duration;
    let give_up = stop_sending + cfg.grace;
    let offline_at = begin + cfg.duration / 2;
    let mut next_send = Instant::now();
    let mut buf = vec![0u8; 4096];
    // Like a real 数采仪: when the link drops, reconnect and resend what was not acknowledged.
    'connect: loop {
        let mut stream = loop {
            if Instant::now() > give_up {
                return;
            }
            match TcpStream::connect(cfg.to).await {
                Ok(s) => break s,
                Err(_) => {
                    shared.errors.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        };
        let _ = stream.set_nodelay(true);
        let (mut rd, mut wr) = stream.split();
        let mut dec = StreamDecoder::new(CrcPolicy::Strict);
        // One wake-up per interval: thousands of simulated devices must not cost more than the server.
        let mut tick = tokio::time::interval_at(
            tokio::time::Instant::from_std(next_send.max(Instant::now())),
            cfg.interval,
        );
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let now = Instant::now();
        for (_, last, bytes) in pending.values_mut() {
            *last = now;
            if wr.write_all(bytes).await.is_err() {
                shared.errors.fetch_add(1, Ordering::Relaxed);
                continue 'connect;
            }
            shared.resent.fetch_add(1, Ordering::Relaxed);
        }
        loop {
            let now = Instant::now();
            let sending =
                now < stop_sending && !(cfg.inject == Some(Inject::Offline) && now >= offline_at);
            if !sending && (pending.is_empty() || now > give_up) {
                return;
            }
            tokio::select! {
                r = rd.read(&mut buf) => {
                    let n = match r {
                        Ok(0) | Err(_) => {
                            shared.errors.fetch_add(1, Ordering::Relaxed);
                            tokio::time::sleep(Duration::from_millis(100)).await;
                            continue 'connect;
                        }
                        Ok(n) => n,
                    };
                    dec.push(&buf[..n]);
                    while let Some(ev) = dec.next_event() {
                        let StreamEvent::Packet(p) = ev else { continue };
                        if p.cn() != "9014" { continue; }
                        let qn = p.qn().or_else(|| p.param("QN")).map(str::to_string);
                        if let Some(q) = qn
                            && let Some((first, _, _)) = pending.remove(&q)
                        {
                            shared.acked.fetch_add(1, Ordering::Relaxed);
                            let mut lat = shared.latencies_us.lock().await;
                            lat.push(first.elapsed().as_micros() as u64);
                            if let Some(keys) = shared.acked_keys.as_ref() {
                                keys.lock().await.push((mn.clone(), q));
                            }
                        }
                    }
                }
                _ = tick.tick() => {
                    let now = Instant::now();
                    if sending {
                        next_send = now + cfg.interval;
                        let qn = next_qn(&mut last_ms);
                        if let Some(p) = upload(&cfg, i, seq, &qn, &mn) {
                            seq += 1;
                            let bytes = p.encode();
                            shared.sent.fetch_add(1, Ordering::Relaxed);
                            pending.insert(qn, (now, now, bytes.clone()));
                            if wr.write_all(&bytes).await.is_err() {
                                shared.errors.fetch_add(1, Ordering::Relaxed);
                                continue 'connect;
                            }
                        }
                    }
                    let mut resend = Vec::new();
                    for (_, last, bytes) in pending.values_mut() {
                        if now.duration_since(*last) >= cfg.resend_after {
                            *last = now;
                            resend.push(bytes.clone());
                        }
                    }
                    for b in resend {
                        if wr.write_all(&b).await.is_err() {
                            shared.errors.fetch_add(1, Ordering::Relaxed);
                            continue 'connect;
                        }
                        shared.resent.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }
    }
}
