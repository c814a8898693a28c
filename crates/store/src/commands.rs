//! Remote commands to devices (反控): the queue per device, the state of each command and the
//! frames it exchanged. The app queues (audited with who asked); the gateway claims the next
//! command of a connected device and reports what happened as [`CommandEvent`]s, applied in
//! one transaction per batch.

use serde::Serialize;
use sqlx::Row;

use crate::macros::BeginWrite;
use crate::{Actor, AuditEntry, Paged, Result, Store, StoreError, now_text};

/// Where a command stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandState {
    /// Waiting for the device's connection.
    Queued,
    /// Sent; no 9011 yet.
    Sent,
    /// The device answered 9011 with QnRtn = 1 and is executing.
    Accepted,
    /// The device answered 9011 with another QnRtn (final).
    Refused,
    /// 9012 with ExeRtn = 1, or a command that completes without one (final).
    Done,
    /// 9012 with another ExeRtn (final).
    Failed,
    /// No answer within the timeout after the retries, or the link dropped (final).
    TimedOut,
}

impl CommandState {
    /// Every state, in the order a command moves through them.
    pub const ALL: [CommandState; 7] = [
        CommandState::Queued,
        CommandState::Sent,
        CommandState::Accepted,
        CommandState::Refused,
        CommandState::Done,
        CommandState::Failed,
        CommandState::TimedOut,
    ];

    /// The stored code.
    pub fn as_str(self) -> &'static str {
        match self {
            CommandState::Queued => "queued",
            CommandState::Sent => "sent",
            CommandState::Accepted => "accepted",
            CommandState::Refused => "refused",
            CommandState::Done => "done",
            CommandState::Failed => "failed",
            CommandState::TimedOut => "timed_out",
        }
    }

    /// Reads a stored code.
    pub fn parse(code: &str) -> Option<CommandState> {
        CommandState::ALL.into_iter().find(|s| s.as_str() == code)
    }

    /// Whether nothing more happens to a command in this state.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            CommandState::Refused
                | CommandState::Done
                | CommandState::Failed
                | CommandState::TimedOut
        )
    }
}

/// A command to queue, as the app checked it.
#[derive(Debug, Clone)]
pub struct NewDeviceCommand {
    /// The device.
    pub mn: String,
    /// Command code (`1012`).
    pub cn: String,
    /// CP items `key=value;…` (empty when the gateway fills them at sending, e.g. 1012 now).
    pub params: String,
    /// Why the system asked (`None` for staff).
    pub reason: Option<String>,
    /// What the audit entry shows as the new value (secrets masked).
    pub audit_text: String,
}

/// A stored command.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DeviceCommand {
    /// Row id.
    pub id: i64,
    /// The device.
    pub mn: String,
    /// Command code.
    pub cn: String,
    /// CP items as queued.
    pub params: String,
    /// State code (see [`CommandState`]).
    pub state: String,
    /// QN of the request as sent.
    pub qn: Option<String>,
    /// Times the request was sent.
    pub attempts: i64,
    /// QnRtn of the 9011.
    pub qn_rtn: Option<i64>,
    /// ExeRtn of the 9012.
    pub exe_rtn: Option<i64>,
    /// What the device answered (`SystemTime=…`).
    pub result: Option<String>,
    /// Data frames received for it.
    pub data_frames: i64,
    /// Why it ended so (timeout, link lost…), in Chinese.
    pub note: Option<String>,
    /// Who asked: the user.
    pub asked_by_user: Option<i64>,
    /// Who asked: a display name, or 系统.
    pub asked_by: String,
    /// Why the system asked.
    pub reason: Option<String>,
    /// Queued at.
    pub created_at: String,
    /// First sent at.
    pub sent_at: Option<String>,
    /// 9011 received at.
    pub answered_at: Option<String>,
    /// Reached a final state at.
    pub finished_at: Option<String>,
    /// Last change.
    pub updated_at: String,
}

impl DeviceCommand {
    /// The state, if the stored code is known.
    pub fn state(&self) -> Option<CommandState> {
        CommandState::parse(&self.state)
    }
}

/// A frame a command exchanged.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DeviceCommandFrame {
    /// Row id.
    pub id: i64,
    /// The command.
    pub command_id: i64,
    /// When sent or received.
    pub at: String,
    /// `out` (platform → device) or `in`.
    pub direction: String,
    /// The frame's CN.
    pub cn: String,
    /// The frame as text (`##…\r\n` without the line end).
    pub frame: String,
}

/// What happened to a command, as the gateway reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandEvent {
    /// A frame was sent (`outbound`) or received for the command.
    Frame {
        /// The command.
        command_id: i64,
        /// When.
        at: String,
        /// Platform → device.
        outbound: bool,
        /// The frame's CN.
        cn: String,
        /// The frame as text.
        frame: String,
    },
    /// The request went out (again) with this QN.
    Sent {
        /// The command.
        command_id: i64,
        /// QN of the request.
        qn: String,
        /// When.
        at: String,
    },
    /// 9011 with QnRtn = 1.
    Accepted {
        /// The command.
        command_id: i64,
        /// QnRtn.
        qn_rtn: i64,
        /// When.
        at: String,
    },
    /// 9011 with another QnRtn.
    Refused {
        /// The command.
        command_id: i64,
        /// QnRtn.
        qn_rtn: i64,
        /// When.
        at: String,
    },
    /// A data reply; `result` is what it said, when worth keeping (1011 time, 1061 interval).
    Data {
        /// The command.
        command_id: i64,
        /// The reply's values as `key=value;…`.
        result: Option<String>,
        /// When.
        at: String,
    },
    /// The command reached a final state.
    Finished {
        /// The command.
        command_id: i64,
        /// Done, Failed or TimedOut (Refused comes with [`CommandEvent::Refused`]).
        state: CommandState,
        /// ExeRtn of the 9012, if one came.
        exe_rtn: Option<i64>,
        /// Why, in Chinese.
        note: Option<String>,
        /// When.
        at: String,
    },
    /// The device confirmed a 1072 (9012 success): the registry takes the new password.
    PasswordConfirmed {
        /// The command.
        command_id: i64,
        /// The device.
        mn: String,
        /// The password the device now uses.
        new_pw: String,
    },
}

const COMMAND_COLUMNS: &str = "id, mn, cn, params, state, qn, attempts, qn_rtn, exe_rtn, result, data_frames, note, \
                               asked_by_user, asked_by, reason, created_at, sent_at, answered_at, finished_at, updated_at";

/// Still to be finished: the states whose commands count as in flight.
const OPEN_STATES: &str = "('queued', 'sent', 'accepted')";

macro_rules! command_from_row {
    ($r:expr) => {{
        DeviceCommand {
            id: $r.try_get("id")?,
            mn: $r.try_get("mn")?,
            cn: $r.try_get("cn")?,
            params: $r.try_get("params")?,
            state: $r.try_get("state")?,
            qn: $r.try_get("qn")?,
            attempts: $r.try_get("attempts")?,
            qn_rtn: $r.try_get("qn_rtn")?,
            exe_rtn: $r.try_get("exe_rtn")?,
            result: $r.try_get("result")?,
            data_frames: $r.try_get("data_frames")?,
            note: $r.try_get("note")?,
            asked_by_user: $r.try_get("asked_by_user")?,
            asked_by: $r.try_get("asked_by")?,
            reason: $r.try_get("reason")?,
            created_at: $r.try_get("created_at")?,
            sent_at: $r.try_get("sent_at")?,
            answered_at: $r.try_get("answered_at")?,
            finished_at: $r.try_get("finished_at")?,
            updated_at: $r.try_get("updated_at")?,
        }
    }};
}

impl Store {
    /// Queues a command for a device; audited as `device_command.queue` by `actor` (the
    /// staff member, or the system with the reason). Returns the command's id.
    pub async fn queue_device_command(&self, c: &NewDeviceCommand, actor: &Actor) -> Result<i64> {
        let now = now_text();
        let mut audit = AuditEntry::ok(actor, "device_command.queue", format!("device:{}", c.mn))
            .with_new(
                format!("cn={} {}", c.cn, c.audit_text)
                    .trim_end()
                    .to_string(),
            );
        audit.detail = c.reason.as_ref().map(|r| format!("reason={r}"));
        let asked_by = match actor.user_id {
            Some(_) => None,
            None => Some(actor.name.clone()),
        };
        Ok(with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let name: String = match asked_by {
                Some(n) => n,
                None => display_name!(&mut *tx, actor).unwrap_or_else(|| actor.name.clone()),
            };
            let id: i64 = sqlx::query("INSERT INTO device_commands (mn, cn, params, state, asked_by_user, asked_by, reason, created_at, updated_at) \
                                       VALUES ($1, $2, $3, 'queued', $4, $5, $6, $7, $7) RETURNING id")
                .bind(&c.mn).bind(&c.cn).bind(&c.params).bind(actor.user_id).bind(&name).bind(&c.reason).bind(&now)
                .fetch_one(&mut *tx).await?.try_get("id")?;
            audit.detail = Some(match audit.detail.take() {
                Some(d) => format!("command={id} {d}"),
                None => format!("command={id}"),
            });
            insert_audit!(&mut *tx, &audit);
            tx.commit().await?;
            id
        }))
    }

    /// The protocol version (`2005`, `2017`, `2025`) of a registered device: a pollution-source
    /// device's as registered, a station device's 2017; `None` when the MN is not registered.
    pub async fn device_protocol(&self, mn: &str) -> Result<Option<String>> {
        Ok(with_pool!(self, p => {
            match sqlx::query("SELECT protocol FROM devices WHERE mn = $1 UNION ALL SELECT '2017' AS protocol FROM air_station_devices WHERE mn = $1 \
                               UNION ALL SELECT '2017' AS protocol FROM water_section_devices WHERE mn = $1")
                .bind(mn).fetch_optional(p).await? {
                Some(r) => Some(r.try_get::<String, _>("protocol")?),
                None => None,
            }
        }))
    }

    /// One command by id.
    pub async fn device_command(&self, id: i64) -> Result<Option<DeviceCommand>> {
        Ok(with_pool!(self, p => {
            match sqlx::query(&format!("SELECT {COMMAND_COLUMNS} FROM device_commands WHERE id = $1"))
                .bind(id).fetch_optional(p).await? {
                Some(r) => Some(command_from_row!(r)),
                None => None,
            }
        }))
    }

    /// One page of a device's commands, newest first.
    pub async fn device_commands_paged(
        &self,
        mn: &str,
        limit: i64,
        offset: i64,
    ) -> Result<Paged<DeviceCommand>> {
        Ok(with_pool!(self, p => {
            let total: i64 = sqlx::query("SELECT COUNT(*) AS n FROM device_commands WHERE mn = $1")
                .bind(mn).fetch_one(p).await?.try_get("n")?;
            let rows = sqlx::query(&format!("SELECT {COMMAND_COLUMNS} FROM device_commands WHERE mn = $1 ORDER BY id DESC LIMIT $2 OFFSET $3"))
                .bind(mn).bind(limit).bind(offset).fetch_all(p).await?;
            let mut items = Vec::with_capacity(rows.len());
            for r in rows { items.push(command_from_row!(r)); }
            Paged { items, total }
        }))
    }

    /// The frames of the given commands, oldest first, at most `per_command` of each (a
    /// history request brings hundreds).
    pub async fn device_command_frames(
        &self,
        command_ids: &[i64],
        per_command: i64,
    ) -> Result<Vec<DeviceCommandFrame>> {
        if command_ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(with_pool!(self, p => {
            let mut qb = sqlx::QueryBuilder::new("SELECT id, command_id, at, direction, cn, frame FROM \
                (SELECT f.*, ROW_NUMBER() OVER (PARTITION BY f.command_id ORDER BY f.id) AS rn FROM device_command_frames f WHERE f.command_id IN (");
            let mut sep = qb.separated(", ");
            for id in command_ids { sep.push_bind(*id); }
            qb.push(")) x WHERE rn <= ").push_bind(per_command).push(" ORDER BY command_id, id");
            let rows = qb.build().fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(DeviceCommandFrame {
                    id: r.try_get("id")?, command_id: r.try_get("command_id")?, at: r.try_get("at")?,
                    direction: r.try_get("direction")?, cn: r.try_get("cn")?, frame: r.try_get("frame")?,
                });
            }
            out
        }))
    }

    /// Commands of a device not finished yet (queued, sent or accepted).
    pub async fn device_commands_in_flight(&self, mn: &str) -> Result<i64> {
        Ok(with_pool!(self, p => {
            sqlx::query(&format!("SELECT COUNT(*) AS n FROM device_commands WHERE mn = $1 AND state IN {OPEN_STATES}"))
                .bind(mn).fetch_one(p).await?.try_get::<i64, _>("n")?
        }))
    }

    /// The devices with a queued command, for the gateway to wake their connections.
    pub async fn devices_with_queued_commands(&self) -> Result<Vec<String>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT DISTINCT mn FROM device_commands WHERE state = 'queued' ORDER BY mn").fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows { out.push(r.try_get::<String, _>("mn")?); }
            out
        }))
    }

    /// Takes the device's oldest queued command for sending (state `sent`), unless another of
    /// its commands is still being executed: one at a time per device, in order. Two
    /// connections of one device cannot both take it.
    pub async fn claim_device_command(&self, mn: &str) -> Result<Option<DeviceCommand>> {
        let now = now_text();
        Ok(with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let busy = sqlx::query("SELECT id FROM device_commands WHERE mn = $1 AND state IN ('sent', 'accepted') LIMIT 1")
                .bind(mn).fetch_optional(&mut *tx).await?;
            if busy.is_some() {
                return Ok(None);
            }
            let row = sqlx::query(&format!("UPDATE device_commands SET state = 'sent', updated_at = $2 WHERE id = \
                    (SELECT id FROM device_commands WHERE mn = $1 AND state = 'queued' ORDER BY id LIMIT 1) AND state = 'queued' \
                    RETURNING {COMMAND_COLUMNS}"))
                .bind(mn).bind(&now).fetch_optional(&mut *tx).await?;
            let out = match row { Some(r) => Some(command_from_row!(r)), None => None };
            tx.commit().await?;
            out
        }))
    }

    /// Applies what the gateway saw, in one transaction. Transitions of a command that is
    /// already final are ignored (a late 9012 after a timeout changes nothing); its frames
    /// are still kept.
    pub async fn apply_command_events(&self, events: &[CommandEvent]) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        const NOT_FINAL: &str = "state IN ('queued', 'sent', 'accepted')";
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            for e in events {
                match e {
                    CommandEvent::Frame { command_id, at, outbound, cn, frame } => {
                        sqlx::query("INSERT INTO device_command_frames (command_id, at, direction, cn, frame) VALUES ($1, $2, $3, $4, $5)")
                            .bind(command_id).bind(at).bind(if *outbound { "out" } else { "in" }).bind(cn).bind(frame)
                            .execute(&mut *tx).await?;
                    }
                    CommandEvent::Sent { command_id, qn, at } => {
                        sqlx::query(&format!("UPDATE device_commands SET state = 'sent', qn = $2, attempts = attempts + 1, \
                                              sent_at = COALESCE(sent_at, $3), updated_at = $3 WHERE id = $1 AND {NOT_FINAL}"))
                            .bind(command_id).bind(qn).bind(at).execute(&mut *tx).await?;
                    }
                    CommandEvent::Accepted { command_id, qn_rtn, at } => {
                        sqlx::query(&format!("UPDATE device_commands SET state = 'accepted', qn_rtn = $2, answered_at = $3, updated_at = $3 \
                                              WHERE id = $1 AND {NOT_FINAL}"))
                            .bind(command_id).bind(qn_rtn).bind(at).execute(&mut *tx).await?;
                    }
                    CommandEvent::Refused { command_id, qn_rtn, at } => {
                        sqlx::query(&format!("UPDATE device_commands SET state = 'refused', qn_rtn = $2, answered_at = $3, finished_at = $3, updated_at = $3 \
                                              WHERE id = $1 AND {NOT_FINAL}"))
                            .bind(command_id).bind(qn_rtn).bind(at).execute(&mut *tx).await?;
                    }
                    CommandEvent::Data { command_id, result, at } => {
                        sqlx::query("UPDATE device_commands SET data_frames = data_frames + 1, result = COALESCE($2, result), updated_at = $3 WHERE id = $1")
                            .bind(command_id).bind(result).bind(at).execute(&mut *tx).await?;
                    }
                    CommandEvent::Finished { command_id, state, exe_rtn, note, at } => {
                        if !state.is_final() || *state == CommandState::Refused {
                            return Err(StoreError::Conflict(format!("命令不能以「{}」结束", state.as_str())));
                        }
                        sqlx::query(&format!("UPDATE device_commands SET state = $2, exe_rtn = COALESCE($3, exe_rtn), note = COALESCE($4, note), \
                                              finished_at = $5, updated_at = $5 WHERE id = $1 AND {NOT_FINAL}"))
                            .bind(command_id).bind(state.as_str()).bind(exe_rtn).bind(note).bind(at).execute(&mut *tx).await?;
                    }
                    CommandEvent::PasswordConfirmed { command_id, mn, new_pw } => {
                        // The registry follows the device only now that it confirmed: wherever
                        // the MN is registered (pollution source, air or water station).
                        let mut n = 0;
                        for table in ["devices", "air_station_devices", "water_section_devices"] {
                            n += sqlx::query(&format!("UPDATE {table} SET password = $2 WHERE mn = $1 AND password <> $2"))
                                .bind(mn).bind(new_pw).execute(&mut *tx).await?.rows_affected();
                        }
                        if n > 0 {
                            let mut audit = AuditEntry::ok(&Actor::system(), "device_command.password", format!("device:{mn}"));
                            audit.old_value = Some("password=******".into());
                            audit.new_value = Some("password=******".into());
                            audit.detail = Some(format!("command={command_id}"));
                            insert_audit!(&mut *tx, &audit);
                        }
                    }
                }
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Times out commands nobody follows any more: sent or accepted ones untouched since
    /// `in_flight_before` (their connection is gone, e.g. the server restarted), and queued
    /// ones waiting since `queued_before` for a device that never connected. Returns how many.
    pub async fn expire_device_commands(
        &self,
        in_flight_before: &str,
        queued_before: &str,
    ) -> Result<u64> {
        let now = now_text();
        Ok(with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let a = sqlx::query("UPDATE device_commands SET state = 'timed_out', note = $2, finished_at = $3, updated_at = $3 \
                                 WHERE state IN ('sent', 'accepted') AND updated_at < $1")
                .bind(in_flight_before).bind("执行中断：网关不再跟踪该命令（连接已断开或服务器重启）").bind(&now)
                .execute(&mut *tx).await?.rows_affected();
            let b = sqlx::query("UPDATE device_commands SET state = 'timed_out', note = $2, finished_at = $3, updated_at = $3 \
                                 WHERE state = 'queued' AND created_at < $1")
                .bind(queued_before).bind("设备在有效期内未连接，命令未发送").bind(&now)
                .execute(&mut *tx).await?.rows_affected();
            tx.commit().await?;
            a + b
        }))
    }
}
