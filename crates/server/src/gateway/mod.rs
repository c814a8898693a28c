//! The HJ 212 gateway: long-lived device connections over TCP.
//!
//! Protocol parsing stays in `qingshan_hj212`; this module only moves bytes. Every frame,
//! accepted or not, goes to one writer task that commits whole batches to the store (group
//! commit: while one batch is being written the next one queues up). A connection sends its
//! 9014 (and every other reply) only after the writer reports the frame durable, so an
//! acknowledged frame survives a crash; a frame whose batch failed gets no reply and the device
//! resends it.
//!
//! Strangers cost bounded resources: frames from unknown MNs, with a wrong password or that
//! cannot be decoded are archived only up to a budget per MN (or address) and counted beyond
//! it; bytes outside frames are summarised once per connection; a connection that sends too
//! many bad frames in a row, too much garbage, a frame over the maximum length, or a frame
//! too slowly is closed; and the number of connections is capped below the process's
//! descriptor limit (see [`size_connections`]) so the web server always has descriptors left.

mod exchange;
mod link;

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use qingshan_app::ingest::{Decision, decide, known_devices};
use qingshan_hj212::{
    CrcPolicy, Packet, StreamDecoder, StreamEvent, qn_from_unix_millis, reply_for,
};
use qingshan_store::{
    FrameVerdict, GarbageRecord, IngestOutcome, ReceivedFrame, RefusedBudget, RegisteredDevice,
    Store, now_text,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore, mpsc, oneshot, watch};
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
    /// Frames archived in full per unknown MN, per MN with a wrong password, and per address
    /// for frames that cannot be decoded; further ones are only counted.
    pub refused_keep_per_key: i64,
    /// MNs (or addresses) counted one by one per kind of refusal; further ones are counted
    /// together, so random MNs cost one row.
    pub refused_max_keys: i64,
    /// Frames not accepted in a row (unknown MN, wrong password, undecodable) after which the
    /// connection is closed.
    pub max_bad_frames: u32,
    /// Bytes outside any frame (no `##` header) a connection may send since its last accepted
    /// frame before it is closed.
    pub max_garbage_bytes: usize,
    /// First bytes of a connection's garbage kept in its summary.
    pub garbage_head_bytes: usize,
    /// Least time between two looks at the registry version, which an unknown MN or a wrong
    /// password triggers; the registry is reloaded only when the version moved.
    pub registry_check_interval: Duration,
    /// How long refused traffic (quarantined, refused, rejected frames, their counters and
    /// garbage summaries) is kept; `None` keeps it as long as accepted frames.
    pub refused_retention: Option<Duration>,
    /// How often expired refused traffic is purged.
    pub housekeeping_every: Duration,
    /// How long a command waits for the device's answer (9011, then each data frame or the
    /// 9012) before it is resent or times out (reference §5.3: 10 s over GPRS/4G).
    pub command_timeout: Duration,
    /// Resends of a command the device did not answer (reference §5.3: 3).
    pub command_retries: u32,
    /// How often the gateway looks for newly queued commands.
    pub command_poll_every: Duration,
    /// A queued command whose device does not connect within this times out unsent.
    pub command_queue_ttl: Duration,
    /// The clock watch (时钟偏差) and the analyser-parameter judgement (参数变更) applied to
    /// each committed batch before it is acknowledged.
    pub watch: qingshan_app::params::WatchConfig,
    /// Whether this server holds the duty lease (servers sharing one PostgreSQL store purge
    /// refused traffic on the holder only); `None`: this server purges.
    pub duties: Option<watch::Receiver<bool>>,
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
            refused_keep_per_key: RefusedBudget::default().keep_per_key,
            refused_max_keys: RefusedBudget::default().max_keys,
            // A device that is not registered yet sends one frame a minute or less: it is
            // cut off after an hour or more and simply reconnects; a flood is cut off at once.
            max_bad_frames: 64,
            max_garbage_bytes: 4096,
            garbage_head_bytes: 64,
            registry_check_interval: Duration::from_millis(100),
            refused_retention: Some(Duration::from_secs(30 * 24 * 3600)),
            housekeeping_every: Duration::from_secs(3600),
            command_timeout: Duration::from_secs(10),
            command_retries: 3,
            command_poll_every: Duration::from_secs(1),
            command_queue_ttl: Duration::from_secs(24 * 3600),
            watch: qingshan_app::params::WatchConfig::default(),
            duties: None,
        }
    }
}

impl GatewayConfig {
    fn budget(&self) -> RefusedBudget {
        RefusedBudget {
            keep_per_key: self.refused_keep_per_key,
            max_keys: self.refused_max_keys,
        }
    }
}

/// Descriptors kept out of the gateway's reach for the web server, log files and the like.
pub const FD_RESERVE: u64 = 256;

/// The gateway's connection cap for a soft descriptor limit of `soft`: what is left after
/// [`FD_RESERVE`] and three descriptors per database connection (an SQLite connection holds
/// the database, its log and its shared memory open; a PostgreSQL one a socket), but never
/// below an eighth of the limit, so a tiny limit still lets some devices in.
pub fn connection_cap(soft: u64, db_pool: u32) -> usize {
    let left = soft.saturating_sub(FD_RESERVE + 3 * u64::from(db_pool));
    usize::try_from(left.max(soft / 8)).unwrap_or(usize::MAX)
}

/// Raises the soft RLIMIT_NOFILE to the hard limit and derives the gateway's connection cap
/// from it (at most `requested`, when given); logs the numbers. Every idle device holds a
/// descriptor: under the default soft limit of 1,024 about a thousand of them would leave
/// the web server and the database none.
pub fn size_connections(requested: Option<usize>, db_pool: u32) -> usize {
    let raised = rlimit::increase_nofile_limit(u64::MAX);
    let (soft, hard) = match rlimit::Resource::NOFILE.get() {
        Ok(limits) => limits,
        Err(e) => {
            let fallback = requested.unwrap_or(GatewayConfig::default().max_connections);
            tracing::warn!(error = %e, cap = fallback, "无法读取文件描述符上限，网关连接上限按设置");
            return fallback;
        }
    };
    if let Err(e) = raised {
        tracing::warn!(error = %e, soft, hard, "无法提高文件描述符软上限");
    }
    let derived = connection_cap(soft, db_pool);
    let cap = requested.map_or(derived, |r| r.min(derived));
    tracing::info!(
        soft,
        hard,
        reserve = FD_RESERVE,
        db_pool,
        derived,
        cap,
        "文件描述符上限：网关最多 {cap} 个连接（软上限 {soft}，硬上限 {hard}，为网页和数据库预留 {} 个）",
        FD_RESERVE + 3 * u64::from(db_pool)
    );
    cap
}

// Frames are nearly every request: boxing them to shrink the rare garbage variant's slot
// would cost an allocation per frame.
#[allow(clippy::large_enum_variant)]
enum WriteReq {
    /// A frame, and who waits for it to be durable.
    Frame {
        frame: ReceivedFrame,
        done: oneshot::Sender<Option<IngestOutcome>>,
    },
    /// A connection's garbage summary, written with the next batch (nobody waits for it).
    Garbage(GarbageRecord),
}

/// The devices the gateway accepts, as of a registry version.
struct Devices {
    map: HashMap<String, RegisteredDevice>,
    version: i64,
}

struct Inner {
    store: Store,
    config: GatewayConfig,
    devices: RwLock<Devices>,
    /// When the registry version was last looked at.
    last_check: tokio::sync::Mutex<Option<Instant>>,
    writer: mpsc::Sender<WriteReq>,
    per_ip: Mutex<HashMap<IpAddr, usize>>,
    /// Connections refused at the cap since the last log line.
    refused_at_cap: Mutex<(u64, Option<Instant>)>,
    /// The connection of each identified device, woken when it has a queued command.
    waiting: Mutex<HashMap<String, Arc<Notify>>>,
    /// Devices with queued commands as of the poller's last look.
    queued: Mutex<HashSet<String>>,
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
    let version = store.registry_version().await?;
    let devices = known_devices(&store).await?;
    let (tx, rx) = mpsc::channel::<WriteReq>(config.batch_max * 4);
    let writer = tokio::spawn(writer_task(
        store.clone(),
        rx,
        config.batch_max,
        config.budget(),
        config.watch.clone(),
    ));
    let inner = Arc::new(Inner {
        store,
        devices: RwLock::new(Devices {
            map: devices,
            version,
        }),
        last_check: tokio::sync::Mutex::new(None),
        writer: tx,
        per_ip: Mutex::new(HashMap::new()),
        refused_at_cap: Mutex::new((0, None)),
        waiting: Mutex::new(HashMap::new()),
        queued: Mutex::new(HashSet::new()),
        config,
    });
    let slots = Arc::new(Semaphore::new(inner.config.max_connections));
    let (stop_tx, stop_rx) = watch::channel(false);
    let housekeeping = tokio::spawn(housekeeping(inner.clone(), stop_rx.clone()));
    let poller = tokio::spawn(link::poller(inner.clone(), stop_rx.clone()));
    let mut accept_errors: (u64, Option<Instant>) = (0, None);
    let mut conns = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(x) => x,
                    Err(e) => {
                        // EMFILE and the like: back off instead of spinning, and say so once
                        // a second rather than once per attempt.
                        if let Some(n) = every_second(&mut accept_errors) {
                            tracing::warn!(error = %e, failures = n, "accept failed");
                        }
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                // At the cap the connection is closed at once: it held a descriptor for a moment
                // only, and the web server's reserve is untouched.
                let Ok(permit) = slots.clone().try_acquire_owned() else {
                    let refused = {
                        let mut g = inner.refused_at_cap.lock().unwrap_or_else(|p| p.into_inner());
                        every_second(&mut g)
                    };
                    if let Some(n) = refused {
                        tracing::warn!(%peer, refused = n, cap = inner.config.max_connections, "connection refused: max_connections reached");
                    }
                    continue;
                };
                let Some(ip_guard) = IpGuard::take(&inner, peer.ip()) else {
                    tracing::debug!(%peer, "connection refused: too many connections from this address");
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
    let _ = housekeeping.await;
    let _ = poller.await;
    drop(inner);
    let _ = writer.await;
    Ok(())
}

/// Counts an event and says how many there were when a second has passed since the last
/// time it said so: log lines about a flood stay one a second.
fn every_second(state: &mut (u64, Option<Instant>)) -> Option<u64> {
    state.0 += 1;
    match state.1 {
        Some(t) if t.elapsed() < Duration::from_secs(1) => None,
        _ => {
            state.1 = Some(Instant::now());
            Some(std::mem::take(&mut state.0))
        }
    }
}

/// Purges expired refused traffic now and then, until the gateway stops.
async fn housekeeping(inner: Arc<Inner>, mut stop: watch::Receiver<bool>) {
    let Some(retention) = inner.config.refused_retention else {
        return;
    };
    let mut duties = inner.config.duties.clone();
    loop {
        // Another server holds the duty lease: wait until this one does (or stops).
        if let Some(d) = duties.as_mut() {
            let held = tokio::select! {
                held = d.wait_for(|h| *h) => held.is_ok(),
                _ = stop.wait_for(|s| *s) => return,
            };
            if !held {
                // The supervisor has stopped: so does the purge, until shutdown.
                let _ = stop.wait_for(|s| *s).await;
                return;
            }
        }
        let cutoff = chrono::Utc::now()
            - chrono::Duration::from_std(retention).unwrap_or(chrono::Duration::MAX);
        let before = cutoff.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        match inner.store.purge_refused_traffic(&before).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(rows = n, %before, "expired refused traffic purged"),
            Err(e) => tracing::warn!(error = %e, "purging refused traffic failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(inner.config.housekeeping_every) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
    }
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

async fn writer_task(
    store: Store,
    mut rx: mpsc::Receiver<WriteReq>,
    batch_max: usize,
    budget: RefusedBudget,
    watch: qingshan_app::params::WatchConfig,
) {
    let mut frames = Vec::with_capacity(batch_max);
    let mut waiters = Vec::with_capacity(batch_max);
    let mut garbage = Vec::new();
    while let Some(first) = rx.recv().await {
        let mut next = Some(first);
        while let Some(req) = next.take() {
            match req {
                WriteReq::Frame { frame, done } => {
                    frames.push(frame);
                    waiters.push(done);
                }
                WriteReq::Garbage(g) => garbage.push(g),
            }
            if frames.len() + garbage.len() < batch_max {
                next = rx.try_recv().ok();
            }
        }
        let started = Instant::now();
        let mut result = store.ingest_bounded(&frames, &garbage, &budget).await;
        // Analyser parameters (3020) and clock readings, durable before the acknowledgements:
        // if they fail, nothing is acknowledged and the resends are looked at again.
        if let Ok(outcomes) = &result
            && let Err(e) =
                qingshan_app::params::after_ingest(&store, &frames, outcomes, &watch).await
        {
            result = Err(e);
        }
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
                // Nothing of the batch is durable: no acknowledgements, devices resend. (The
                // garbage summaries are lost; a connection's next one replaces them.)
                tracing::error!(error = %e, frames = frames.len(), garbage = garbage.len(), "batch commit failed");
                for w in waiters.drain(..) {
                    let _ = w.send(None);
                }
            }
        }
        frames.clear();
        garbage.clear();
    }
}

impl Inner {
    fn device(&self, mn: &str) -> Option<RegisteredDevice> {
        let guard = self.devices.read().unwrap_or_else(|p| p.into_inner());
        guard.map.get(mn).cloned()
    }

    /// Reloads the devices if the registry version moved, looking at most once per
    /// `registry_check_interval` however many connections ask: a device registered while the
    /// gateway runs is recognised at its next frame, and a flood of unknown MNs costs one
    /// one-row read per interval.
    async fn refresh_registry(&self) {
        // Held across the look: a frame arriving while another connection looks waits for
        // that look instead of going on with the old map. (Returning at once quarantined the
        // first frames of devices registered moments before, e.g. through another server.)
        let mut last = self.last_check.lock().await;
        if last.is_some_and(|t| t.elapsed() < self.config.registry_check_interval) {
            return;
        }
        *last = Some(Instant::now());
        let version = match self.store.registry_version().await {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(error = %e, "registry version check failed");
                return;
            }
        };
        let current = self
            .devices
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .version;
        if version == current {
            return;
        }
        // Read after the version: the map is at least as new as the version it is filed under.
        match known_devices(&self.store).await {
            Ok(map) => {
                let mut guard = self.devices.write().unwrap_or_else(|p| p.into_inner());
                if version > guard.version {
                    *guard = Devices { map, version };
                }
            }
            Err(e) => tracing::warn!(error = %e, "device registry reload failed"),
        }
    }

    /// Reloads the devices now if the registry moved (a device confirmed a new password).
    async fn reload_registry(&self) {
        *self.last_check.lock().await = None;
        self.refresh_registry().await;
    }

    /// The device of `mn`, looking at the registry again when `mn` is unknown.
    async fn device_or_refresh(&self, mn: &str) -> Option<RegisteredDevice> {
        if let Some(d) = self.device(mn) {
            return Some(d);
        }
        self.refresh_registry().await;
        self.device(mn)
    }
}

/// What the gateway owes the device once a frame is durable.
struct Pending {
    done: oneshot::Receiver<Option<IngestOutcome>>,
    reply_to: Option<Packet>,
    /// From a registered device with the right password: may answer a command.
    accepted: bool,
}

/// Bytes outside frames (an isolated CR, LF or NUL between frames) that do not start the
/// frame clock: some devices send them, and they are no trickle.
const STRAY_BYTES: usize = 4;

/// A connection's bytes outside frames, summarised in one record: written through the
/// writer when the first such bytes arrive and again when the connection ends, so it costs
/// no commit of its own.
#[derive(Default)]
struct Garbage {
    record: Option<GarbageRecord>,
    /// Whether the record moved since it was last sent.
    dirty: bool,
}

/// Names a connection's garbage record: unique across connections, restarts and servers.
fn connection_name(peer: &str) -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    static PROCESS: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let process = PROCESS.get_or_init(rand::random::<u64>);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{peer}/{process:016x}/{n}")
}

impl Garbage {
    /// What of `skipped` still fits in the record's first bytes.
    fn head_part(&self, cfg: &GatewayConfig, skipped: &[u8]) -> Vec<u8> {
        let kept = self.record.as_ref().map_or(0, |r| r.head.len());
        let room = cfg.garbage_head_bytes.saturating_sub(kept);
        skipped[..skipped.len().min(room)].to_vec()
    }

    /// Counts `skipped` (`len` bytes) and keeps the first bytes. The record is sent before
    /// the connection's next frame and when it ends: a connection of garbage only (a flood)
    /// costs one record.
    fn add(&mut self, inner: &Inner, peer: &str, skipped: &[u8], len: usize) {
        let now = now_text();
        let r = self.record.get_or_insert_with(|| GarbageRecord {
            conn: connection_name(peer),
            peer: peer.to_string(),
            first_at: now.clone(),
            last_at: now.clone(),
            bytes: 0,
            head: Vec::new(),
            first: true,
        });
        let room = inner.config.garbage_head_bytes.saturating_sub(r.head.len());
        r.head
            .extend_from_slice(&skipped[..skipped.len().min(room)]);
        r.bytes += i64::try_from(len).unwrap_or(i64::MAX);
        r.last_at = now;
        self.dirty = true;
    }

    /// Sends the record to the writer if it moved.
    async fn send(&mut self, inner: &Inner) {
        let (Some(r), true) = (&self.record, self.dirty) else {
            return;
        };
        if inner
            .writer
            .send(WriteReq::Garbage(r.clone()))
            .await
            .is_ok()
        {
            self.dirty = false;
            if let Some(r) = self.record.as_mut() {
                r.first = false;
            }
        }
    }
}

/// Why the gateway closes a connection itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cut {
    /// `max_bad_frames` frames in a row were not accepted.
    BadFrames,
    /// More than `max_garbage_bytes` outside frames since the last accepted frame.
    Garbage,
    /// A frame over the maximum length.
    TooLong,
}

async fn connection(
    inner: &Inner,
    mut stream: TcpStream,
    peer: SocketAddr,
    mut stop: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let peer_text = peer.to_string();
    let cfg = &inner.config;
    let mut dec = StreamDecoder::with_max_len(CrcPolicy::Field, cfg.max_frame_len);
    // Small: frames are 300–1000 bytes, and an idle connection should cost little.
    let mut buf = vec![0u8; 2048];
    // When the first byte after the last complete frame arrived: a frame (or garbage) must
    // be complete within `frame_timeout` of it, however slowly it trickles in.
    let mut frame_since: Option<Instant> = None;
    let mut garbage = Garbage::default();
    let mut garbage_since_frame = 0usize;
    let mut garbage_since_good = 0usize;
    let mut bad_in_row = 0u32;
    let mut cut = None;
    let mut link = link::Link::new(inner);
    'reading: loop {
        let wait = match frame_since {
            Some(t) => cfg.frame_timeout.saturating_sub(t.elapsed()),
            None => cfg.idle_timeout,
        };
        let deadline = link.deadline();
        let wake = link.wake();
        let woke = tokio::select! {
            r = tokio::time::timeout(wait, stream.read(&mut buf)) => Woke::Read(r),
            _ = stop.changed() => break,
            () = until(deadline) => Woke::Timer,
            () = notified(wake.as_deref()) => Woke::Command,
        };
        let read = match woke {
            Woke::Read(r) => r,
            Woke::Timer | Woke::Command => {
                let send = if matches!(woke, Woke::Timer) {
                    link.on_timer(inner).await
                } else {
                    link.claim(inner).await
                };
                for bytes in send {
                    if stream.write_all(&bytes).await.is_err() {
                        break 'reading;
                    }
                }
                continue;
            }
        };
        let n = match read {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Err(_) => {
                tracing::debug!(%peer, partial = frame_since.is_some(), "read timeout");
                break;
            }
            Ok(Ok(n)) => n,
        };
        let read_at = Instant::now();
        dec.push(&buf[..n]);
        let mut pending = Vec::new();
        let mut completed = false;
        while let Some(ev) = dec.next_event() {
            if let StreamEvent::Skipped { len, .. } = ev {
                garbage_since_frame += len;
                garbage_since_good += len;
                let skipped = garbage.head_part(cfg, dec.consumed_tail(len));
                garbage.add(inner, &peer_text, &skipped, len);
                if garbage_since_good > cfg.max_garbage_bytes {
                    cut = Some(Cut::Garbage);
                    break;
                }
                continue;
            }
            completed = true;
            garbage_since_frame = 0;
            // The garbage before this frame is recorded no later than the frame.
            garbage.send(inner).await;
            let too_long =
                matches!(&ev, StreamEvent::Rejected { error, .. } if error.kind() == "too_long");
            let alt = match &ev {
                StreamEvent::Packet(p) => link.alternative_password(p),
                _ => None,
            };
            let Some((p, accepted)) = submit(inner, ev, &peer_text, alt).await else {
                continue;
            };
            pending.push(p);
            if accepted {
                bad_in_row = 0;
                garbage_since_good = 0;
            } else {
                bad_in_row += 1;
            }
            if too_long {
                cut = Some(Cut::TooLong);
                break;
            }
            if bad_in_row >= cfg.max_bad_frames {
                cut = Some(Cut::BadFrames);
                break;
            }
        }
        for p in pending {
            // No acknowledgement for what is not durable: a failed batch, or a refused frame
            // beyond the archive's budget (only counted).
            let Ok(Some(outcome)) = p.done.await else {
                continue;
            };
            if outcome == IngestOutcome::Counted {
                continue;
            }
            if let Some(packet) = p.reply_to {
                let now_qn = qn_from_unix_millis(
                    chrono::Utc::now().timestamp_millis(),
                    cfg.device_utc_offset_secs,
                );
                match reply_for(&packet, &now_qn) {
                    Ok(replies) => {
                        for r in replies {
                            if stream.write_all(&r.encode()).await.is_err() {
                                break 'reading;
                            }
                        }
                    }
                    Err(e) => tracing::warn!(%peer, error = %e, "could not build reply"),
                }
                // Acknowledged first, as any upload; then the command it may answer moves on.
                if p.accepted {
                    for bytes in link.on_packet(inner, &packet).await {
                        if stream.write_all(&bytes).await.is_err() {
                            break 'reading;
                        }
                    }
                }
            }
        }
        link.flush(inner).await;
        if let Some(why) = cut {
            // Debug only: under a flood this happens thousands of times a second; the
            // counters in the store say what was refused.
            tracing::debug!(%peer, ?why, bad_in_row, garbage_since_good, "connection closed by its budget");
            break;
        }
        let unfinished = dec.buffered() > 0 || garbage_since_frame > STRAY_BYTES;
        frame_since = match (unfinished, completed, frame_since) {
            (false, _, _) => None,
            (true, true, _) | (true, false, None) => Some(read_at),
            (true, false, Some(t)) => Some(t),
        };
    }
    // What is still buffered is an incomplete frame: archive it as evidence.
    dec.finish();
    while let Some(ev) = dec.next_event() {
        if let StreamEvent::Skipped { len, .. } = ev {
            let skipped = garbage.head_part(cfg, dec.consumed_tail(len));
            garbage.add(inner, &peer_text, &skipped, len);
            continue;
        }
        if let Some((p, _)) = submit(inner, ev, &peer_text, None).await {
            let _ = p.done.await;
        }
    }
    garbage.send(inner).await;
    link.close(inner).await;
}

/// What ended a connection's wait.
enum Woke {
    /// Bytes, the end of the stream, or the read timeout.
    Read(Result<std::io::Result<usize>, tokio::time::error::Elapsed>),
    /// The command in flight's deadline passed.
    Timer,
    /// The device has a queued command.
    Command,
}

/// Resolves at `deadline`, never without one.
async fn until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d.into()).await,
        None => std::future::pending().await,
    }
}

/// Resolves when notified, never without a notifier.
async fn notified(n: Option<&Notify>) {
    match n {
        Some(n) => n.notified().await,
        None => std::future::pending().await,
    }
}

/// Classifies one frame event, queues it for the writer, and says what to await and
/// whether the frame was accepted.
async fn submit(
    inner: &Inner,
    ev: StreamEvent,
    peer: &str,
    alt_password: Option<String>,
) -> Option<(Pending, bool)> {
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
    let mut accepted = false;
    match ev {
        // Bytes outside frames are summarised per connection, not archived one by one.
        StreamEvent::Skipped { .. } => return None,
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
            let mut decision = match p.mn() {
                Some(mn) => inner.device_or_refresh(mn).await.map(|d| decide(&p, &d)),
                None => None,
            };
            if matches!(decision, Some(Decision::Refuse { .. })) {
                // The password may have been changed a moment ago.
                inner.refresh_registry().await;
                if let Some(d) = p.mn().and_then(|mn| inner.device(mn)) {
                    decision = Some(decide(&p, &d));
                    // A device answering a 1072 may already use the new password.
                    if let (Some(Decision::Refuse { .. }), Some(pw)) = (&decision, alt_password) {
                        let d = RegisteredDevice { password: pw, ..d };
                        decision = Some(decide(&p, &d));
                    }
                }
            }
            match decision {
                None => {
                    // Kept for staff to register; acknowledged when durably kept (within the
                    // quarantine's budget).
                    frame.verdict = FrameVerdict::Quarantined;
                    reply_to = Some(p);
                }
                Some(Decision::Reject { kind, message }) => {
                    frame.error_kind = Some(kind.into());
                    frame.message = Some(message);
                }
                Some(Decision::Refuse { kind, message }) => {
                    frame.verdict = FrameVerdict::Refused;
                    frame.error_kind = Some(kind.into());
                    frame.message = Some(message);
                }
                Some(Decision::Accept(upload)) => {
                    accepted = true;
                    frame.verdict = if upload.is_some() {
                        FrameVerdict::Upload
                    } else {
                        FrameVerdict::Control
                    };
                    frame.upload = upload;
                    reply_to = Some(p);
                }
            }
        }
    }
    let (done_tx, done_rx) = oneshot::channel();
    if inner
        .writer
        .send(WriteReq::Frame {
            frame,
            done: done_tx,
        })
        .await
        .is_err()
    {
        return None;
    }
    Some((
        Pending {
            done: done_rx,
            reply_to,
            accepted,
        },
        accepted,
    ))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_connection_cap_leaves_the_reserve_and_the_database_their_descriptors() {
        // systemd's default soft limit, and the unit's LimitNOFILE, with SQLite's pool of 8.
        assert_eq!(connection_cap(1024, 8), 1024 - 256 - 24);
        assert_eq!(connection_cap(65_536, 8), 65_536 - 256 - 24);
        // PostgreSQL's pool of 16.
        assert_eq!(connection_cap(65_536, 16), 65_536 - 256 - 48);
        // A limit below the reserve still lets an eighth of it in.
        assert_eq!(connection_cap(256, 8), 32);
        assert_eq!(connection_cap(0, 8), 0);
    }

    #[test]
    fn the_soft_limit_is_raised_and_the_cap_derived_from_it() {
        let cap = size_connections(None, 8);
        let (soft, hard) = rlimit::Resource::NOFILE.get().unwrap();
        // Raised as far as allowed (the kernel may cap the hard limit lower than RLIM_INFINITY).
        assert!(soft == hard || soft >= 1 << 20, "soft {soft} hard {hard}");
        assert_eq!(cap, connection_cap(soft, 8));
        // An operator's lower setting wins; a higher one is cut to what the descriptors allow.
        assert_eq!(size_connections(Some(10), 8), 10);
        assert_eq!(size_connections(Some(usize::MAX), 8), cap);
    }
}
