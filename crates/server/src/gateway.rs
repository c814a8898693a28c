//! The HJ 212 gateway: long-lived device connections over TCP.
//!
//! Protocol parsing stays in `qingshan_hj212`; this module only moves bytes. Every frame,
//! accepted or not, goes to one writer task that commits whole batches to the store (group
//! commit: while one batch is being written the next one queues up). A connection sends its
//! 9014 (and every other reply) only after the writer reports the frame durable, so an
//! acknowledged frame survives a crash; a frame whose batch failed gets no reply and the device
//! resends it.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use qingshan_hj212::{
    CrcPolicy, CrcVariant, FieldKind, Packet, StreamDecoder, StreamEvent, is_upload,
    qn_from_unix_millis, reply_for,
};
use qingshan_store::{
    FactorValues, FrameVerdict, IngestOutcome, ReceivedFrame, RegisteredDevice, Store, Upload,
    now_text,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc, oneshot, watch};
use tokio::task::JoinSet;

/// Limits and tuning of the gateway.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// Connections open at once; more are closed on accept.
    pub max_connections: usize,
    /// Connections from one address.
    pub max_per_ip: usize,
    /// A connection that sends nothing this long is closed.
    pub idle_timeout: Duration,
    /// A frame begun must be complete within this (slow senders hold memory).
    pub frame_timeout: Duration,
    /// Largest accepted data segment, bytes (the protocol allows declaring up to 9999).
    pub max_frame_len: usize,
    /// Most frames committed in one transaction.
    pub batch_max: usize,
    /// How long shutdown waits for connections to finish what they received.
    pub drain_timeout: Duration,
    /// Offset of the devices' clock from UTC, seconds (Beijing time: 8 h), for 1012 replies.
    pub device_utc_offset_secs: i32,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        GatewayConfig {
            max_connections: 20_000,
            // Devices behind a carrier's NAT share one address; the limit only stops a runaway client.
            max_per_ip: 5_000,
            idle_timeout: Duration::from_secs(600),
            frame_timeout: Duration::from_secs(30),
            max_frame_len: 9999,
            batch_max: 2048,
            drain_timeout: Duration::from_secs(10),
            device_utc_offset_secs: 8 * 3600,
        }
    }
}

struct WriteReq {
    frame: ReceivedFrame,
    done: oneshot::Sender<Option<IngestOutcome>>,
}

struct Inner {
    store: Store,
    config: GatewayConfig,
    devices: RwLock<(HashMap<String, RegisteredDevice>, Instant)>,
    writer: mpsc::Sender<WriteReq>,
    per_ip: Mutex<HashMap<IpAddr, usize>>,
}

/// Errors of the gateway.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// The store failed at start-up.
    #[error(transparent)]
    Store(#[from] qingshan_store::StoreError),
    /// The socket failed.
    #[error("HJ 212 网关套接字错误: {0}")]
    Io(#[from] std::io::Error),
}

/// Serves HJ 212 on `listener` until `shutdown` resolves, then drains: stops accepting, lets
/// connections finish the frames they already received, and commits what is queued.
pub async fn run(
    store: Store,
    listener: TcpListener,
    config: GatewayConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<(), GatewayError> {
    let devices = known_devices(&store).await?;
    let (tx, rx) = mpsc::channel::<WriteReq>(config.batch_max * 4);
    let writer = tokio::spawn(writer_task(store.clone(), rx, config.batch_max));
    let inner = Arc::new(Inner {
        store,
        devices: RwLock::new((devices, Instant::now())),
        writer: tx,
        per_ip: Mutex::new(HashMap::new()),
        config,
    });
    let slots = Arc::new(Semaphore::new(inner.config.max_connections));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut conns = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(x) => x,
                    Err(e) => {
                        // EMFILE and the like: back off instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let Ok(permit) = slots.clone().try_acquire_owned() else {
                    tracing::warn!(%peer, "connection refused: max_connections reached");
                    continue;
                };
                let Some(ip_guard) = IpGuard::take(&inner, peer.ip()) else {
                    tracing::warn!(%peer, "connection refused: too many connections from this address");
                    continue;
                };
                let inner = inner.clone();
                let stop = stop_rx.clone();
                conns.spawn(async move {
                    let _permit = permit;
                    let _ip = ip_guard;
                    connection(&inner, stream, peer, stop).await;
                });
            }
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let drain = inner.config.drain_timeout;
    if tokio::time::timeout(drain, async { while conns.join_next().await.is_some() {} })
        .await
        .is_err()
    {
        tracing::warn!(
            left = conns.len(),
            "drain timeout: closing remaining connections"
        );
        conns.shutdown().await;
    }
    drop(inner);
    let _ = writer.await;
    Ok(())
}

/// Counts connections per address; the count drops when the guard does.
struct IpGuard {
    inner: Arc<Inner>,
    ip: IpAddr,
}

impl IpGuard {
    fn take(inner: &Arc<Inner>, ip: IpAddr) -> Option<IpGuard> {
        let mut map = inner.per_ip.lock().unwrap_or_else(|p| p.into_inner());
        let n = map.entry(ip).or_insert(0);
        if *n >= inner.config.max_per_ip {
            return None;
        }
        *n += 1;
        Some(IpGuard {
            inner: inner.clone(),
            ip,
        })
    }
}

impl Drop for IpGuard {
    fn drop(&mut self) {
        let mut map = self.inner.per_ip.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = map.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.ip);
            }
        }
    }
}

async fn writer_task(store: Store, mut rx: mpsc::Receiver<WriteReq>, batch_max: usize) {
    let mut frames = Vec::with_capacity(batch_max);
    let mut waiters = Vec::with_capacity(batch_max);
    while let Some(first) = rx.recv().await {
        frames.push(first.frame);
        waiters.push(first.done);
        while frames.len() < batch_max {
            match rx.try_recv() {
                Ok(r) => {
                    frames.push(r.frame);
                    waiters.push(r.done);
                }
                Err(_) => break,
            }
        }
        let started = Instant::now();
        let result = store.ingest(&frames).await;
        tracing::debug!(
            frames = frames.len(),
            ms = started.elapsed().as_secs_f64() * 1000.0,
            "batch committed"
        );
        match result {
            Ok(outcomes) => {
                for (w, o) in waiters.drain(..).zip(outcomes) {
                    let _ = w.send(Some(o));
                }
            }
            Err(e) => {
                // Nothing of the batch is durable: no acknowledgements, devices resend.
                tracing::error!(error = %e, frames = frames.len(), "batch commit failed");
                for w in waiters.drain(..) {
                    let _ = w.send(None);
                }
            }
        }
        frames.clear();
    }
}

impl Inner {
    fn device(&self, mn: &str) -> Option<RegisteredDevice> {
        let guard = self.devices.read().unwrap_or_else(|p| p.into_inner());
        guard.0.get(mn).cloned()
    }

    /// Unknown MNs trigger a reload at most every two seconds, so devices registered while the
    /// gateway runs are recognised without restarting it.
    async fn device_or_reload(&self, mn: &str) -> Option<RegisteredDevice> {
        if let Some(d) = self.device(mn) {
            return Some(d);
        }
        let stale = {
            let guard = self.devices.read().unwrap_or_else(|p| p.into_inner());
            guard.1.elapsed() > Duration::from_secs(2)
        };
        if stale {
            match known_devices(&self.store).await {
                Ok(map) => {
                    let mut guard = self.devices.write().unwrap_or_else(|p| p.into_inner());
                    *guard = (map, Instant::now());
                }
                Err(e) => tracing::warn!(error = %e, "device registry reload failed"),
            }
        }
        self.device(mn)
    }
}

/// Every MN the gateway accepts data from: pollution-source devices and the devices of
/// automatic air stations (ST=22) and surface-water stations (ST=21), whose uploads are stored
/// alike and turned into station-hours and daily section values by the supervisor.
async fn known_devices(
    store: &Store,
) -> Result<HashMap<String, RegisteredDevice>, qingshan_store::StoreError> {
    let mut map: HashMap<String, RegisteredDevice> = store
        .registered_devices()
        .await?
        .into_iter()
        .map(|d| (d.mn.clone(), d))
        .collect();
    for a in store.air_station_devices().await? {
        map.entry(a.mn.clone()).or_insert(RegisteredDevice {
            mn: a.mn,
            outlet_id: 0,
            protocol: "2017".into(),
            crc_policy: a.crc_policy,
            password: a.password,
            interval_secs: 3600,
        });
    }
    for w in store.water_section_devices().await? {
        map.entry(w.mn.clone()).or_insert(RegisteredDevice {
            mn: w.mn,
            outlet_id: 0,
            protocol: "2017".into(),
            crc_policy: w.crc_policy,
            password: w.password,
            interval_secs: 3600,
        });
    }
    Ok(map)
}

/// What the gateway owes the device once a frame is durable.
struct Pending {
    done: oneshot::Receiver<Option<IngestOutcome>>,
    reply_to: Option<Packet>,
}

async fn connection(
    inner: &Inner,
    mut stream: TcpStream,
    peer: SocketAddr,
    mut stop: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let peer_text = peer.to_string();
    let mut dec = StreamDecoder::with_max_len(CrcPolicy::Field, inner.config.max_frame_len);
    // Small: frames are 300–1000 bytes, and an idle connection should cost little.
    let mut buf = vec![0u8; 2048];
    let mut partial_since: Option<Instant> = None;
    loop {
        // While a frame is half received, the frame deadline applies, not the idle timeout.
        let wait = match partial_since {
            Some(t) => inner.config.frame_timeout.saturating_sub(t.elapsed()),
            None => inner.config.idle_timeout,
        };
        let read = tokio::select! {
            r = tokio::time::timeout(wait, stream.read(&mut buf)) => r,
            _ = stop.changed() => break,
        };
        let n = match read {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Err(_) => {
                tracing::debug!(%peer, partial = partial_since.is_some(), "read timeout");
                break;
            }
            Ok(Ok(n)) => n,
        };
        dec.push(&buf[..n]);
        let mut pending = Vec::new();
        while let Some(ev) = dec.next_event() {
            if let Some(p) = submit(inner, ev, &peer_text).await {
                pending.push(p);
            }
        }
        for p in pending {
            let Ok(Some(_)) = p.done.await else { continue };
            if let Some(packet) = p.reply_to {
                let now_qn = qn_from_unix_millis(
                    chrono::Utc::now().timestamp_millis(),
                    inner.config.device_utc_offset_secs,
                );
                match reply_for(&packet, &now_qn) {
                    Ok(replies) => {
                        for r in replies {
                            if stream.write_all(&r.encode()).await.is_err() {
                                return;
                            }
                        }
                    }
                    Err(e) => tracing::warn!(%peer, error = %e, "could not build reply"),
                }
            }
        }
        // A sender that trickles a frame byte by byte holds a buffer; bound how long.
        if dec.buffered() > 0 {
            let since = *partial_since.get_or_insert_with(Instant::now);
            if since.elapsed() > inner.config.frame_timeout {
                tracing::info!(%peer, "frame not completed in time; closing");
                break;
            }
        } else {
            partial_since = None;
        }
    }
    // What is still buffered is an incomplete frame: archive it as evidence.
    dec.finish();
    while let Some(ev) = dec.next_event() {
        if let Some(p) = submit(inner, ev, &peer_text).await {
            let _ = p.done.await;
        }
    }
}

fn factor_values(p: &Packet) -> Vec<FactorValues> {
    let text =
        |f: &qingshan_hj212::Factor<'_>, k: FieldKind| f.value(k).map(|v| v.text().to_string());
    p.factors()
        .iter()
        .map(|f| {
            let extra: Vec<String> = f
                .items
                .iter()
                .filter(|i| {
                    matches!(
                        i.kind(),
                        FieldKind::Other
                            | FieldKind::SampleTime
                            | FieldKind::ZsMin
                            | FieldKind::ZsMax
                    )
                })
                .map(|i| format!("{}={}", i.field(), i.value.text()))
                .collect();
            FactorValues {
                factor: f.canonical_code().to_string(),
                rtd: text(f, FieldKind::Rtd),
                min: text(f, FieldKind::Min),
                avg: text(f, FieldKind::Avg),
                max: text(f, FieldKind::Max),
                cou: text(f, FieldKind::Cou),
                zs_rtd: text(f, FieldKind::ZsRtd),
                zs_avg: text(f, FieldKind::ZsAvg),
                flag: text(f, FieldKind::Flag),
                eflag: text(f, FieldKind::EFlag),
                extra: if extra.is_empty() {
                    None
                } else {
                    Some(extra.join(";"))
                },
            }
        })
        .collect()
}

/// Classifies one decoder event, queues it for the writer, and says what to await.
async fn submit(inner: &Inner, ev: StreamEvent, peer: &str) -> Option<Pending> {
    let mut frame = ReceivedFrame {
        received_at: now_text(),
        peer: peer.to_string(),
        bytes: Vec::new(),
        verdict: FrameVerdict::Rejected,
        mn: None,
        cn: None,
        error_kind: None,
        message: None,
        upload: None,
    };
    let mut reply_to = None;
    match ev {
        StreamEvent::Skipped { offset, len } => {
            frame.verdict = FrameVerdict::Garbage;
            frame.message = Some(format!("跳过帧外字节 {len} 个（流偏移 {offset}）"));
        }
        StreamEvent::Rejected {
            error,
            frame: bytes,
        } => {
            frame.bytes = bytes;
            frame.error_kind = Some(error.kind().to_string());
            frame.message = Some(error.to_string());
        }
        StreamEvent::Packet(p) => {
            frame.bytes = p.encode();
            frame.mn = p.mn().map(str::to_string);
            frame.cn = Some(p.cn().to_string());
            let device = match p.mn() {
                Some(mn) => inner.device_or_reload(mn).await,
                None => None,
            };
            match device {
                None => {
                    // Kept for staff to register; acknowledged, since it is durably kept.
                    frame.verdict = FrameVerdict::Quarantined;
                    reply_to = Some(p);
                }
                Some(d) if d.crc_policy == "strict" && p.crc_variant() != CrcVariant::Hj212 => {
                    frame.error_kind = Some("crc_mismatch".into());
                    frame.message = Some(format!(
                        "设备 CRC 策略为 strict，但帧使用 {} 校验",
                        p.crc_variant().as_str()
                    ));
                }
                Some(d) if p.pw() != Some(d.password.as_str()) => {
                    frame.verdict = FrameVerdict::Refused;
                    frame.error_kind = Some("bad_password".into());
                    frame.message = Some("访问密码（PW）错误".into());
                }
                Some(_) => {
                    let cn = p.cn_code();
                    if cn.is_some_and(is_upload) {
                        frame.verdict = FrameVerdict::Upload;
                        frame.upload = Some(Upload {
                            mn: p.mn().unwrap_or_default().to_string(),
                            cn: p.cn().to_string(),
                            qn: p.qn().unwrap_or_default().to_string(),
                            data_time: p.data_time().unwrap_or_default().to_string(),
                            pno: i64::from(p.pno().unwrap_or(0)),
                            st: p.st().map(str::to_string),
                            flag: p.flag().map(i64::from),
                            factors: factor_values(&p),
                        });
                    } else {
                        frame.verdict = FrameVerdict::Control;
                    }
                    reply_to = Some(p);
                }
            }
        }
    }
    let (done_tx, done_rx) = oneshot::channel();
    if inner
        .writer
        .send(WriteReq {
            frame,
            done: done_tx,
        })
        .await
        .is_err()
    {
        return None;
    }
    Some(Pending {
        done: done_rx,
        reply_to,
    })
}

/// Pending connections the kernel queues before the gateway accepts them. After a network
/// outage every device of a city reconnects at once; tokio's default of 1024 made the kernel
/// reset some of those connections (the kernel caps it at `net.core.somaxconn`).
const LISTEN_BACKLOG: u32 = 8192;

/// Binds the first address `addr` resolves to, with `backlog` pending connections.
async fn listen(addr: &str, backlog: u32) -> std::io::Result<TcpListener> {
    let mut last = None;
    for a in tokio::net::lookup_host(addr).await? {
        let socket = if a.is_ipv4() {
            tokio::net::TcpSocket::new_v4()?
        } else {
            tokio::net::TcpSocket::new_v6()?
        };
        // A restarted gateway must rebind while old connections linger in TIME_WAIT.
        socket.set_reuseaddr(true)?;
        match socket.bind(a).and_then(|()| socket.listen(backlog)) {
            Ok(l) => return Ok(l),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::AddrNotAvailable, "地址无法解析")
    }))
}

/// Binds `addr` for HJ 212 and runs the gateway; `on_bound` gets the real address.
pub async fn bind_and_run(
    store: Store,
    addr: &str,
    config: GatewayConfig,
    on_bound: impl FnOnce(SocketAddr),
    shutdown: impl Future<Output = ()>,
) -> Result<(), GatewayError> {
    let listener = listen(addr, LISTEN_BACKLOG).await?;
    on_bound(listener.local_addr()?);
    run(store, listener, config, shutdown).await
}
