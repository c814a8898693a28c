//! A connection's side of the command queue: which device it carries, claiming that device's
//! next command, driving the [`Exchange`] with what arrives and the passing of time, and
//! storing what happened. The protocol decisions are the exchange's; this only does the I/O
//! around it (store calls; the connection writes the bytes returned).

use std::sync::Arc;
use std::time::{Duration, Instant};

use qingshan_app::commands::Command;
use qingshan_hj212::{Packet, Target, Version, qn_from_unix_millis, request};
use qingshan_store::{CommandEvent, CommandState, now_text};
use tokio::sync::{Notify, watch};

use super::Inner;
use super::exchange::{Exchange, ExchangeConfig, Output, Start};

/// The command state of one connection.
pub(super) struct Link {
    exchange: Exchange,
    /// The device this connection carries, once a frame of it was accepted.
    mn: Option<String>,
    /// Its system code, from its frames (requests are sent with it).
    st: String,
    /// Woken by the poller when the device has a queued command.
    wake: Option<Arc<Notify>>,
    last_qn_ms: i64,
    /// Events not stored yet: those of one read's frames go to the store together (a
    /// history request brings a frame per period).
    unsaved: Vec<CommandEvent>,
}

impl Link {
    /// A connection that has not identified its device yet.
    pub(super) fn new(inner: &Inner) -> Self {
        Link {
            exchange: Exchange::new(ExchangeConfig {
                timeout: inner.config.command_timeout,
                retries: inner.config.command_retries,
            }),
            mn: None,
            st: "31".into(),
            wake: None,
            last_qn_ms: 0,
            unsaved: Vec::new(),
        }
    }

    /// When the exchange must look at the time again.
    pub(super) fn deadline(&self) -> Option<Instant> {
        self.exchange.deadline()
    }

    /// What to wait on for a newly queued command: only while no command is in flight.
    pub(super) fn wake(&self) -> Option<Arc<Notify>> {
        if self.exchange.busy() {
            None
        } else {
            self.wake.clone()
        }
    }

    /// The password a reply of the command in flight may also carry (a 1072's new one).
    pub(super) fn alternative_password(&self, p: &Packet) -> Option<String> {
        self.exchange.alternative_password(p).map(str::to_string)
    }

    /// Stores the events kept so far and those of `out`.
    async fn record(&mut self, inner: &Inner, out: &Output) {
        self.unsaved.extend(out.events.iter().cloned());
        self.flush(inner).await;
    }

    /// Stores the events kept so far (after a read's frames were handled).
    pub(super) async fn flush(&mut self, inner: &Inner) {
        if self.unsaved.is_empty() {
            return;
        }
        let events = std::mem::take(&mut self.unsaved);
        if let Err(e) = inner.store.apply_command_events(&events).await {
            tracing::warn!(error = %e, mn = ?self.mn, "command events could not be stored");
        }
        if events
            .iter()
            .any(|e| matches!(e, CommandEvent::PasswordConfirmed { .. }))
        {
            // The device's next upload already carries the new password.
            inner.reload_registry().await;
        }
    }

    /// A packet of a registered device with the right password, durable: identifies the
    /// device, feeds the exchange; returns the frames to send (the next command's request
    /// when one finished).
    pub(super) async fn on_packet(&mut self, inner: &Inner, p: &Packet) -> Vec<Vec<u8>> {
        let mut send = Vec::new();
        if let Some(st) = p.st().filter(|s| *s != "91" && !s.is_empty()) {
            self.st = st.to_string();
        }
        if self.mn.is_none()
            && let Some(mn) = p.mn()
        {
            self.mn = Some(mn.to_string());
            let notify = Arc::new(Notify::new());
            inner
                .waiting
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(mn.to_string(), notify.clone());
            self.wake = Some(notify);
            let queued = inner
                .queued
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .contains(mn);
            if queued {
                send.extend(self.claim(inner).await);
            }
            return send;
        }
        if p.mn() != self.mn.as_deref() || !self.exchange.busy() {
            return send;
        }
        let mut out = self.exchange.on_packet(p, Instant::now(), &now_text());
        send.append(&mut out.send);
        if out.finished {
            // Stored before the next is claimed: the store hands out one at a time.
            self.record(inner, &out).await;
            send.extend(self.claim(inner).await);
        } else {
            self.unsaved.extend(out.events);
        }
        send
    }

    /// The deadline passed: resend or time out; then the next command.
    pub(super) async fn on_timer(&mut self, inner: &Inner) -> Vec<Vec<u8>> {
        let out = self.exchange.on_timer(Instant::now(), &now_text());
        self.record(inner, &out).await;
        let mut send = out.send;
        if out.finished {
            send.extend(self.claim(inner).await);
        }
        send
    }

    /// Takes the device's next queued command and returns its request's bytes.
    pub(super) async fn claim(&mut self, inner: &Inner) -> Vec<Vec<u8>> {
        let Some(mn) = self.mn.clone() else {
            return Vec::new();
        };
        if self.exchange.busy() {
            return Vec::new();
        }
        // A command that cannot be built fails and the next one is tried.
        loop {
            let c = match inner.store.claim_device_command(&mn).await {
                Ok(Some(c)) => c,
                Ok(None) => return Vec::new(),
                Err(e) => {
                    tracing::warn!(error = %e, %mn, "claiming a command failed");
                    return Vec::new();
                }
            };
            let failed = |note: String| Output {
                events: vec![CommandEvent::Finished {
                    command_id: c.id,
                    state: CommandState::Failed,
                    exe_rtn: None,
                    note: Some(note),
                    at: now_text(),
                }],
                ..Output::default()
            };
            let Some(device) = inner.device(&mn) else {
                self.record(inner, &failed("设备已不在登记中".into())).await;
                continue;
            };
            let cmd = match Command::parse(&c.cn, &c.params) {
                Ok(cmd) => cmd,
                Err(e) => {
                    self.record(inner, &failed(e.to_string())).await;
                    continue;
                }
            };
            let now = chrono::Utc::now();
            self.last_qn_ms = (self.last_qn_ms + 1).max(now.timestamp_millis());
            let qn = qn_from_unix_millis(self.last_qn_ms, inner.config.device_utc_offset_secs);
            let version = match device.protocol.as_str() {
                "2005" => Version::V2005,
                "2025" => Version::V2025,
                _ => Version::V2017,
            };
            let target = Target {
                st: &self.st,
                pw: &device.password,
                mn: &mn,
                version,
            };
            let req = cmd.to_request(qingshan_app::beijing::local(now));
            let packet = match request(&target, &qn, &req) {
                Ok(p) => p,
                Err(e) => {
                    self.record(inner, &failed(format!("命令报文无法生成：{e}")))
                        .await;
                    continue;
                }
            };
            let new_pw = match &cmd {
                Command::SetPassword(pw) => Some(pw.clone()),
                _ => None,
            };
            let out = self.exchange.start(
                Start {
                    id: c.id,
                    request: &packet,
                    data_cn: cmd.data_cn(),
                    new_pw,
                },
                Instant::now(),
                &now_text(),
            );
            self.record(inner, &out).await;
            return out.send;
        }
    }

    /// The connection ended: the command in flight times out, the device is no longer here.
    pub(super) async fn close(&mut self, inner: &Inner) {
        let out = self.exchange.on_close(&now_text());
        self.record(inner, &out).await;
        if let (Some(mn), Some(mine)) = (&self.mn, &self.wake) {
            let mut waiting = inner.waiting.lock().unwrap_or_else(|p| p.into_inner());
            if waiting.get(mn).is_some_and(|w| Arc::ptr_eq(w, mine)) {
                waiting.remove(mn);
            }
        }
    }
}

/// Wakes the connections of devices with queued commands, once per `command_poll_every`
/// (one indexed query for the whole gateway, and it sees commands queued by any server
/// sharing the store), and times out commands nobody follows any more.
pub(super) async fn poller(inner: Arc<Inner>, mut stop: watch::Receiver<bool>) {
    let cfg = &inner.config;
    let mut last_expiry: Option<Instant> = None;
    loop {
        match inner.store.devices_with_queued_commands().await {
            Ok(mns) => {
                {
                    let waiting = inner.waiting.lock().unwrap_or_else(|p| p.into_inner());
                    for mn in &mns {
                        if let Some(w) = waiting.get(mn) {
                            w.notify_one();
                        }
                    }
                }
                *inner.queued.lock().unwrap_or_else(|p| p.into_inner()) = mns.into_iter().collect();
            }
            Err(e) => tracing::warn!(error = %e, "looking for queued commands failed"),
        }
        if last_expiry.is_none_or(|t| t.elapsed() >= Duration::from_secs(30)) {
            last_expiry = Some(Instant::now());
            // A live exchange touches its command at least once per timeout; give it all its
            // retries and a margin before calling it abandoned.
            let quiet = cfg.command_timeout * (cfg.command_retries + 2) + Duration::from_secs(30);
            let ago = |d: Duration| {
                let d = chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX);
                chrono::Utc::now()
                    .checked_sub_signed(d)
                    .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC)
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
            };
            match inner
                .store
                .expire_device_commands(&ago(quiet), &ago(cfg.command_queue_ttl))
                .await
            {
                Ok(0) => {}
                Ok(n) => tracing::info!(commands = n, "commands nobody follows timed out"),
                Err(e) => tracing::warn!(error = %e, "expiring commands failed"),
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(cfg.command_poll_every) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}
