//! A fleet of simulated monitoring devices (数采仪) speaking real HJ 212 over TCP: uploads with
//! A=1, resends of what is not acknowledged in time, and injected faults. For load tests,
//! end-to-end tests and demonstrations.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::Timelike;
use qingshan_hj212::{CrcPolicy, Packet, StreamDecoder, StreamEvent};
use qingshan_sources::{
    Device, Enterprise, Limit, Outlet, OutletKind, Permit, Registry, credit_code_check_char,
};
use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Mutex;

mod analyser;
mod control;
mod emission;
mod series;

pub use analyser::{Analyser, TAMPERED};
pub use control::{Answer, DeviceState, HistoryJob, beijing};
pub use emission::{Emission, EmissionStep};
pub use series::{Shape, aggregate, aggregate_emitted, emitted_value, minute_of, minute_value};

/// A fault to inject into the simulated data; several may be combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inject {
    /// SO2 well above the permit limit.
    Exceed,
    /// Devices stop sending halfway through the run.
    Offline,
    /// Values frozen at a constant.
    Frozen,
    /// A span of live data is not sent (`gap_after`, `gap_len`) but kept in the device's
    /// history, so a history request (补传) can fetch it.
    Gap,
    /// The device clock is off by `clock_offset_minutes`: DataTime and QN drift.
    Clock,
    /// Halfway through the run one analyser's range changes ([`TAMPERED`]) and the device
    /// uploads its parameters (3020) unprompted.
    Param,
}

/// What to simulate.
#[derive(Debug, Clone)]
pub struct SimulatorConfig {
    /// Gateway address.
    pub to: SocketAddr,
    /// Number of devices (one connection each).
    pub devices: usize,
    /// Seconds between uploads of one device (the initial real-time interval).
    pub interval: Duration,
    /// How long to send.
    pub duration: Duration,
    /// "2005", "2017" or "2025".
    pub version: String,
    /// Faults to inject.
    pub injects: Vec<Inject>,
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
    /// Answer the platform's commands (a device that does not, for timeout tests: `false`).
    pub answer_commands: bool,
    /// How long one second of a commanded real-time interval (1062) lasts: 1 s; tests
    /// compress it to watch an interval change quickly.
    pub interval_unit: Duration,
    /// Minute-data interval, minutes (1064 changes it): the period of 2051 uploads.
    pub min_interval: u32,
    /// `Inject::Gap`: live data (of data time, counted from the first upload) withheld from
    /// this far into the run…
    pub gap_after: Duration,
    /// …for this long.
    pub gap_len: Duration,
    /// `Inject::Clock`: the device clock's offset from Beijing time, minutes.
    pub clock_offset_minutes: i64,
    /// History frames sent before waiting for their acknowledgements.
    pub history_window: usize,
    /// Live uploads per device; after them the device stays connected (answering commands)
    /// until `duration` ends. `None`: uploads for the whole `duration`.
    pub uploads: Option<u64>,
    /// Each device's emission level over time (see [`EmissionStep`]): e.g. one plant cuts to
    /// half from a warning's start while another carries on. Devices without a step emit as
    /// usual (scale 1.0). Applies to live, period and history data alike.
    pub emission: Vec<EmissionStep>,
    /// Period data (`cn` 2051/2061/2031): the first period to upload (device time, rounded down
    /// to a period boundary), the following uploads one period later each. `None`: counted
    /// back from now so that the run ends at the current period.
    pub period_start: Option<chrono::NaiveDateTime>,
    /// Further gateway addresses (several servers behind one DNS name, or a 数采仪's backup
    /// platform): device `i` starts on address `i` modulo their number, counting `to` first,
    /// and moves on to the next one whenever a connection attempt fails.
    pub also: Vec<SocketAddr>,
    /// Local (source) addresses to connect from: device `i` binds to address `i` modulo their
    /// number. Empty: the system's choice. One source address has about 28,000 ephemeral
    /// ports on Linux, so a fleet larger than that uses several (127.0.0.2, 127.0.0.3, …).
    pub bind: Vec<std::net::IpAddr>,
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
            injects: Vec::new(),
            resend_after: Duration::from_secs(5),
            grace: Duration::from_secs(10),
            password: "123456".into(),
            first_index: 0,
            record_acks: false,
            cn: "2011".into(),
            answer_commands: true,
            interval_unit: Duration::from_secs(1),
            min_interval: 1,
            gap_after: Duration::from_secs(60 * 60),
            gap_len: Duration::from_secs(180 * 60),
            clock_offset_minutes: 15,
            history_window: 16,
            uploads: None,
            emission: Vec::new(),
            period_start: None,
            also: Vec::new(),
            bind: Vec::new(),
        }
    }

    /// Whether `i` is injected.
    pub fn has(&self, i: Inject) -> bool {
        self.injects.contains(&i)
    }

    /// The shape of the values.
    pub fn shape(&self) -> Shape {
        if self.has(Inject::Frozen) {
            Shape::Frozen
        } else if self.has(Inject::Exceed) {
            Shape::Exceed
        } else {
            Shape::Normal
        }
    }

    /// The initial state of device `i`.
    pub fn device_state(&self, i: usize) -> DeviceState {
        DeviceState {
            index: i,
            mn: device_mn(i),
            st: "31".into(),
            version: self.version.clone(),
            password: self.password.clone(),
            clock_offset_ms: if self.has(Inject::Clock) {
                self.clock_offset_minutes.saturating_mul(60_000)
            } else {
                0
            },
            rtd_interval: self.interval.as_secs_f64() / self.interval_unit.as_secs_f64().max(1e-9),
            interval_unit: self.interval_unit,
            min_interval: self.min_interval,
            realtime: true,
            analysers: analyser::table(),
            shape: self.shape(),
            emission: Emission::for_device(&self.emission, i),
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
    /// Platform commands answered.
    pub commands: u64,
    /// History frames sent in answer to history requests.
    pub history_frames: u64,
    /// Live uploads withheld by the gap fault.
    pub withheld: u64,
    /// (MN, QN) of every acknowledged upload, when asked for.
    #[serde(skip)]
    pub acked_keys: Vec<(String, String)>,
    /// Every acknowledgement latency, microseconds, sorted: fleets run in several processes
    /// (one descriptor per device each) merge them into one set of percentiles.
    #[serde(skip)]
    pub latencies_us: Vec<u64>,
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

/// A QN (YYYYMMDDhhmmsszzz, device clock) unique per device: the clock, nudged forward so
/// that two frames within one millisecond still differ.
fn next_qn(last_ms: &mut i64, offset_ms: i64) -> String {
    let now = chrono::Utc::now().timestamp_millis() + offset_ms;
    *last_ms = (*last_ms + 1).max(now);
    qingshan_hj212::qn_from_unix_millis(*last_ms, 8 * 3600)
}

struct Shared {
    sent: AtomicU64,
    acked: AtomicU64,
    resent: AtomicU64,
    errors: AtomicU64,
    commands: AtomicU64,
    history_frames: AtomicU64,
    withheld: AtomicU64,
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
        commands: AtomicU64::new(0),
        history_frames: AtomicU64::new(0),
        withheld: AtomicU64::new(0),
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
        commands: shared.commands.load(Ordering::Relaxed),
        history_frames: shared.history_frames.load(Ordering::Relaxed),
        withheld: shared.withheld.load(Ordering::Relaxed),
        acked_keys,
        latencies_us: lat,
    }
}

/// What one device sends live: real-time data at the device clock, or period data counting
/// back from the start of the run (so a short run covers hours of history).
struct Live {
    /// Start of the next period to upload (device time), period mode only.
    next_period: Option<chrono::NaiveDateTime>,
    /// Start of the first period uploaded (or the run's start, real-time mode): where the gap
    /// is counted from.
    origin: chrono::NaiveDateTime,
}

impl Live {
    fn new(cfg: &SimulatorConfig, st: &DeviceState) -> Live {
        let clock = st.clock(chrono::Utc::now());
        if cfg.cn == "2011" {
            return Live {
                next_period: None,
                origin: clock,
            };
        }
        let step = st.period_minutes(&cfg.cn) * 60;
        let t = match cfg.period_start {
            Some(start) => start.and_utc().timestamp(),
            None => {
                // The run's last upload lands on the current period.
                let uploads = (cfg.duration.as_secs_f64() / cfg.interval.as_secs_f64().max(1e-3))
                    .ceil() as i64;
                clock.and_utc().timestamp() - step * uploads
            }
        };
        let first = chrono::DateTime::from_timestamp(t - t.rem_euclid(step), 0)
            .map_or(clock, |d| d.naive_utc());
        Live {
            next_period: Some(first),
            origin: first,
        }
    }

    /// The next live upload, or `None` when the gap withholds it (the period still passes).
    fn next(
        &mut self,
        cfg: &SimulatorConfig,
        st: &DeviceState,
        qn: &str,
    ) -> (Option<Packet>, bool) {
        let (at, packet) = match self.next_period {
            None => {
                let t = st.clock(chrono::Utc::now());
                let t = t.with_nanosecond(0).unwrap_or(t);
                (t, st.realtime.then(|| st.realtime_upload(qn, t)).flatten())
            }
            Some(start) => {
                let minutes = st.period_minutes(&cfg.cn);
                self.next_period = Some(start + chrono::Duration::minutes(minutes));
                (start, st.period_upload(&cfg.cn, qn, start, minutes))
            }
        };
        let since = (at - self.origin).to_std().unwrap_or_default();
        let withheld =
            cfg.has(Inject::Gap) && since >= cfg.gap_after && since < cfg.gap_after + cfg.gap_len;
        if withheld {
            (None, true)
        } else {
            (packet, false)
        }
    }
}

/// Connects to `to`, from `from` when given.
async fn connect(to: SocketAddr, from: Option<std::net::IpAddr>) -> std::io::Result<TcpStream> {
    let Some(from) = from else {
        return TcpStream::connect(to).await;
    };
    let socket = if to.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.bind(SocketAddr::new(from, 0))?;
    socket.connect(to).await
}

async fn device(cfg: Arc<SimulatorConfig>, i: usize, shared: Arc<Shared>) {
    let mut st = cfg.device_state(i);
    let mn = st.mn.clone();
    // Spread the fleet over one interval so it does not send in lock step.
    let offset = cfg.interval.mul_f64((i % 1000) as f64 / 1000.0);
    tokio::time::sleep(offset.min(cfg.duration)).await;
    let mut live = Live::new(&cfg, &st);
    let mut pending: HashMap<String, (Instant, Instant, Vec<u8>)> = HashMap::new();
    let mut history: Option<HistoryJob> = None;
    // History frames sent and not yet acknowledged.
    let mut history_unacked = 0usize;
    let mut history_progress = Instant::now();
    let mut last_ms = 0i64;
    let begin = Instant::now();
    let stop_sending = begin + cfg.duration;
    let give_up = stop_sending + cfg.grace;
    let halfway = begin + cfg.duration / 2;
    let mut param_changed = false;
    let mut uploaded = 0u64;
    let mut next_send = Instant::now();
    let mut buf = vec![0u8; 4096];
    let addrs: Vec<SocketAddr> = std::iter::once(cfg.to)
        .chain(cfg.also.iter().copied())
        .collect();
    let mut at = i % addrs.len();
    // Like a real 数采仪: when the link drops, reconnect and resend what was not acknowledged.
    'connect: loop {
        let mut stream = loop {
            if Instant::now() > give_up {
                return;
            }
            match connect(addrs[at], cfg.bind.get(i % cfg.bind.len().max(1)).copied()).await {
                Ok(s) => break s,
                Err(_) => {
                    shared.errors.fetch_add(1, Ordering::Relaxed);
                    at = (at + 1) % addrs.len();
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
            st.rtd_period(),
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
            let sending = now < stop_sending
                && !(cfg.has(Inject::Offline) && now >= (begin + cfg.duration / 2));
            if !sending && history.is_none() && (pending.is_empty() || now > give_up) {
                return;
            }
            if now > give_up {
                return;
            }
            // History goes out as the platform acknowledges it, a window at a time; a window
            // not acknowledged in time is taken as lost and the next one follows.
            if history_unacked > 0 && history_progress.elapsed() >= cfg.resend_after {
                history_unacked = 0;
            }
            let mut out: Vec<Vec<u8>> = Vec::new();
            if let Some(job) = history.as_mut() {
                while history_unacked < cfg.history_window.max(1) {
                    let Some(p) = job.frames.pop_front() else {
                        break;
                    };
                    out.push(p.encode());
                    history_unacked += 1;
                    history_progress = Instant::now();
                    shared.history_frames.fetch_add(1, Ordering::Relaxed);
                }
                if job.frames.is_empty() && history_unacked == 0 {
                    out.push(job.done.encode());
                    history = None;
                }
            }
            for bytes in out {
                if wr.write_all(&bytes).await.is_err() {
                    shared.errors.fetch_add(1, Ordering::Relaxed);
                    continue 'connect;
                }
            }
            let history_wait = if history_unacked > 0 {
                cfg.resend_after.saturating_sub(history_progress.elapsed())
            } else {
                Duration::from_secs(3600)
            };
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
                    let mut replies: Vec<Vec<u8>> = Vec::new();
                    while let Some(ev) = dec.next_event() {
                        let StreamEvent::Packet(p) = ev else { continue };
                        if p.cn() == "9014" {
                            let qn = p.qn().or_else(|| p.param("QN")).map(str::to_string);
                            let Some(q) = qn else { continue };
                            if history_unacked > 0 && history.as_ref().is_some_and(|h| h.qn == q) {
                                history_unacked -= 1;
                                history_progress = Instant::now();
                            } else if let Some((first, _, _)) = pending.remove(&q) {
                                shared.acked.fetch_add(1, Ordering::Relaxed);
                                let mut lat = shared.latencies_us.lock().await;
                                lat.push(first.elapsed().as_micros() as u64);
                                if let Some(keys) = shared.acked_keys.as_ref() {
                                    keys.lock().await.push((mn.clone(), q));
                                }
                            }
                            continue;
                        }
                        if !cfg.answer_commands {
                            continue;
                        }
                        let Some(answer) = st.answer(&p, chrono::Utc::now()) else { continue };
                        shared.commands.fetch_add(1, Ordering::Relaxed);
                        replies.extend(answer.frames.iter().map(Packet::encode));
                        if let Some(job) = answer.history {
                            // A new request replaces one still running, as a 数采仪 with one
                            // history channel does.
                            history = Some(job);
                            history_unacked = 0;
                        }
                        if answer.interval_changed {
                            tick = tokio::time::interval_at(
                                tokio::time::Instant::now() + st.rtd_period(),
                                st.rtd_period(),
                            );
                            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                        }
                    }
                    for bytes in replies {
                        if wr.write_all(&bytes).await.is_err() {
                            shared.errors.fetch_add(1, Ordering::Relaxed);
                            continue 'connect;
                        }
                    }
                }
                _ = tokio::time::sleep(history_wait) => {}
                _ = tick.tick() => {
                    let now = Instant::now();
                    let mut fresh: Vec<(String, Vec<u8>)> = Vec::new();
                    if sending && cfg.uploads.is_none_or(|n| uploaded < n) {
                        uploaded += 1;
                        next_send = now + st.rtd_period();
                        let qn = next_qn(&mut last_ms, st.clock_offset_ms);
                        let (p, withheld) = live.next(&cfg, &st, &qn);
                        if withheld {
                            shared.withheld.fetch_add(1, Ordering::Relaxed);
                        }
                        if let Some(p) = p {
                            fresh.push((qn, p.encode()));
                        }
                        if cfg.has(Inject::Param) && !param_changed && now >= halfway {
                            param_changed = true;
                            if let Some(a) = st.analysers.iter_mut().find(|a| a.factor == TAMPERED.0) {
                                a.range = TAMPERED.1.to_string();
                            }
                            let qn = next_qn(&mut last_ms, st.clock_offset_ms);
                            let clock = st.clock(chrono::Utc::now());
                            for p in st.analyser_frames(&qn, Some(TAMPERED.0), clock) {
                                fresh.push((qn.clone(), p.encode()));
                            }
                        }
                    }
                    for (qn, bytes) in fresh {
                        shared.sent.fetch_add(1, Ordering::Relaxed);
                        pending.insert(qn, (now, now, bytes.clone()));
                        if wr.write_all(&bytes).await.is_err() {
                            shared.errors.fetch_add(1, Ordering::Relaxed);
                            continue 'connect;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> chrono::NaiveDateTime {
        chrono::NaiveDateTime::parse_from_str(s, "%Y%m%d%H%M%S").unwrap()
    }

    #[test]
    fn period_uploads_start_where_configured_and_follow_the_emission_schedule() {
        let mut cfg = SimulatorConfig::new("127.0.0.1:1".parse().unwrap(), 2);
        cfg.cn = "2061".into();
        cfg.period_start = Some(at("20261119233000"));
        cfg.emission = vec![EmissionStep::parse("1:*:2026-11-20T00:00:0.5").unwrap()];
        let cou = |p: &Packet| -> f64 {
            p.factors()
                .iter()
                .find(|f| f.code == "a21026")
                .and_then(|f| f.get("Cou"))
                .unwrap()
                .text()
                .parse()
                .unwrap()
        };
        let mut sent = Vec::new();
        for i in 0..2 {
            let st = cfg.device_state(i);
            let mut live = Live::new(&cfg, &st);
            let hours: Vec<Packet> = (0..2)
                .map(|_| live.next(&cfg, &st, "q").0.unwrap())
                .collect();
            // Rounded down to the hour, then one hour per upload.
            assert_eq!(
                hours
                    .iter()
                    .map(|p| p.data_time().unwrap())
                    .collect::<Vec<_>>(),
                ["20261119230000", "20261120000000"]
            );
            sent.push(hours);
        }
        let usual = |i: usize, t: &str| aggregate(i, "a21026", at(t), 60, Shape::Normal).cou;
        // Device 0 has no step: as usual throughout.
        assert_eq!(
            cou(&sent[0][1]),
            (usual(0, "20261120000000") * 1000.0).round() / 1000.0
        );
        // Device 1: as usual before its step, half from it.
        assert_eq!(
            cou(&sent[1][0]),
            (usual(1, "20261119230000") * 1000.0).round() / 1000.0
        );
        let ratio = cou(&sent[1][1]) / usual(1, "20261120000000");
        assert!((ratio - 0.5).abs() < 0.01, "{ratio}");
    }
}
