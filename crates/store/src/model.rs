//! Rows and write requests of the store.

use serde::Serialize;

/// What a signed-in user may do; the public has no account and no role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 系统管理员: everything, including accounts and tokens.
    Admin,
    /// 生态环境局工作人员: sees and edits everything.
    Staff,
    /// 责任单位填报员: enters values and task progress for its own unit only.
    Reporter,
    /// 县（市、区）用户: its own division's data only.
    County,
    /// 排污单位: a regulated enterprise, bound to one 统一社会信用代码; its own sources only.
    Enterprise,
}

impl Role {
    /// Stable stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Staff => "staff",
            Role::Reporter => "reporter",
            Role::County => "county",
            Role::Enterprise => "enterprise",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Role> {
        Some(match s {
            "admin" => Role::Admin,
            "staff" => Role::Staff,
            "reporter" => Role::Reporter,
            "county" => Role::County,
            "enterprise" => Role::Enterprise,
            _ => return None,
        })
    }

    /// Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "系统管理员",
            Role::Staff => "生态环境局工作人员",
            Role::Reporter => "责任单位填报员",
            Role::County => "县（市、区）用户",
            Role::Enterprise => "排污单位",
        }
    }
}

/// A stored account.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct User {
    /// Row id.
    pub id: i64,
    /// Login name.
    pub username: String,
    /// Name shown on pages and in the audit log.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Responsible unit, for reporters.
    pub unit_id: Option<String>,
    /// GB/T 2260 division, for county users.
    pub division_code: Option<String>,
    /// 统一社会信用代码 of the enterprise, for enterprise users.
    pub credit_code: Option<String>,
    /// Disabled accounts cannot sign in.
    pub active: bool,
    /// The password was set by someone else and must be changed before anything else.
    pub must_change_password: bool,
}

/// A new account; the password is already hashed by the caller.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Login name.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Argon2 PHC string.
    pub password_hash: String,
    /// Role.
    pub role: Role,
    /// Unit, for reporters.
    pub unit_id: Option<String>,
    /// Division, for county users.
    pub division_code: Option<String>,
    /// 统一社会信用代码, for enterprise users.
    pub credit_code: Option<String>,
    /// Whether the first sign-in must change the password.
    pub must_change_password: bool,
}

/// Who does something, as the audit log records it.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The user, if signed in.
    pub user_id: Option<i64>,
    /// A readable name: a username, "公众", "cli", "system".
    pub name: String,
    /// Remote address, if over the network.
    pub peer: Option<String>,
}

impl Actor {
    /// The command line (an operator at the server's console).
    pub fn cli() -> Actor {
        Actor {
            user_id: None,
            name: "cli".into(),
            peer: None,
        }
    }

    /// The server itself (start-up, plan loading).
    pub fn system() -> Actor {
        Actor {
            user_id: None,
            name: "system".into(),
            peer: None,
        }
    }
}

/// Whether an audited action happened or was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Done.
    Ok,
    /// Refused (permission, validation, throttling).
    Refused,
}

impl Outcome {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Refused => "refused",
        }
    }
}

/// One audit-log entry to write.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    /// Actor's name.
    pub actor: String,
    /// Actor's user id.
    pub actor_user_id: Option<i64>,
    /// Dotted action name, e.g. `indicator_value.record`.
    pub action: String,
    /// What it acted on.
    pub target: String,
    /// Done or refused.
    pub outcome: Outcome,
    /// Value before.
    pub old_value: Option<String>,
    /// Value after (or attempted).
    pub new_value: Option<String>,
    /// Anything else worth keeping (the reason for a refusal).
    pub detail: Option<String>,
    /// Remote address.
    pub peer: Option<String>,
}

impl AuditEntry {
    fn new(actor: &Actor, action: &str, target: String, outcome: Outcome) -> Self {
        AuditEntry {
            actor: actor.name.clone(),
            actor_user_id: actor.user_id,
            action: action.to_string(),
            target,
            outcome,
            old_value: None,
            new_value: None,
            detail: None,
            peer: actor.peer.clone(),
        }
    }

    /// A completed action.
    pub fn ok(actor: &Actor, action: &str, target: String) -> Self {
        Self::new(actor, action, target, Outcome::Ok)
    }

    /// A refused action, with why.
    pub fn refused(actor: &Actor, action: &str, target: String, why: impl Into<String>) -> Self {
        let mut e = Self::new(actor, action, target, Outcome::Refused);
        e.detail = Some(why.into());
        e
    }

    /// Sets the new (or attempted) value.
    pub fn with_new(mut self, v: String) -> Self {
        self.new_value = Some(v);
        self
    }
}

/// An audit-log entry as stored.
#[derive(Debug, Clone, Serialize)]
pub struct AuditRecord {
    /// Row id.
    pub id: i64,
    /// When (UTC).
    pub at: String,
    /// Actor's name.
    pub actor: String,
    /// Actor's user id.
    pub actor_user_id: Option<i64>,
    /// Action.
    pub action: String,
    /// Target.
    pub target: String,
    /// "ok" or "refused".
    pub outcome: String,
    /// Value before.
    pub old_value: Option<String>,
    /// Value after.
    pub new_value: Option<String>,
    /// Detail.
    pub detail: Option<String>,
    /// Remote address.
    pub peer: Option<String>,
}

/// A value to record for an indicator, year and division.
#[derive(Debug, Clone)]
pub struct NewIndicatorValue {
    /// Plan id.
    pub plan_id: String,
    /// Indicator number.
    pub indicator_number: i64,
    /// Year the value describes.
    pub year: i64,
    /// GB/T 2260 division.
    pub division_code: String,
    /// Exact decimal text.
    pub value: String,
    /// Note shown beside the value.
    pub note: Option<String>,
    /// Why it changed (for a revision).
    pub reason: Option<String>,
    /// Where it came from: manual, api, import, monitoring.
    pub source: String,
    /// Data capture of a value computed from monitoring; `None` for values entered or imported.
    pub capture: Option<Capture>,
}

/// The data capture behind a value computed from monitoring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Capture {
    /// Valid days (daily values) in the period.
    pub valid_days: i64,
    /// Days in the period (365 or 366 for a year).
    pub period_days: i64,
    /// Whether the valid days meet the standard's validity rule (GB 3095 Table 4 for a year).
    pub valid: bool,
}

/// One stored revision of an indicator value.
#[derive(Debug, Clone, Serialize)]
pub struct IndicatorValue {
    /// Row id.
    pub id: i64,
    /// Plan id.
    pub plan_id: String,
    /// Indicator number.
    pub indicator_number: i64,
    /// Year.
    pub year: i64,
    /// Division.
    pub division_code: String,
    /// Revision, from 1.
    pub revision: i64,
    /// Exact decimal text.
    pub value: String,
    /// Note.
    pub note: Option<String>,
    /// Reason for the revision.
    pub reason: Option<String>,
    /// Source.
    pub source: String,
    /// Who entered it.
    pub entered_by: Option<i64>,
    /// Their display name.
    pub entered_by_name: Option<String>,
    /// When (UTC).
    pub entered_at: String,
    /// Valid days behind a value computed from monitoring (`None` when entered or imported).
    pub valid_days: Option<i64>,
    /// Days in the period of that value.
    pub period_days: Option<i64>,
    /// Whether the capture meets the validity rule; `false` means 数据不足 and the value
    /// never counts for progress.
    pub capture_valid: Option<bool>,
}

impl IndicatorValue {
    /// The data capture, when the value was computed from monitoring.
    pub fn capture(&self) -> Option<Capture> {
        Some(Capture {
            valid_days: self.valid_days?,
            period_days: self.period_days?,
            valid: self.capture_valid?,
        })
    }

    /// Whether the value was computed from too few valid days (数据不足): it is shown with its
    /// capture and treated as no data.
    pub fn insufficient(&self) -> bool {
        self.capture_valid == Some(false)
    }
}

/// Status of a task in a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    /// 未启动.
    NotStarted,
    /// 推进中.
    InProgress,
    /// 已完成.
    Completed,
    /// 滞后.
    Lagging,
}

impl TaskStatus {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::NotStarted => "not_started",
            TaskStatus::InProgress => "in_progress",
            TaskStatus::Completed => "completed",
            TaskStatus::Lagging => "lagging",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<TaskStatus> {
        Some(match s {
            "not_started" => TaskStatus::NotStarted,
            "in_progress" => TaskStatus::InProgress,
            "completed" => TaskStatus::Completed,
            "lagging" => TaskStatus::Lagging,
            _ => return None,
        })
    }

    /// Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            TaskStatus::NotStarted => "未启动",
            TaskStatus::InProgress => "推进中",
            TaskStatus::Completed => "已完成",
            TaskStatus::Lagging => "滞后",
        }
    }
}

/// A task progress report to record.
#[derive(Debug, Clone)]
pub struct NewTaskReport {
    /// Plan id.
    pub plan_id: String,
    /// Area number.
    pub area: i64,
    /// Task number.
    pub number: i64,
    /// Period: "2024" or "2024Q3".
    pub period: String,
    /// Status.
    pub status: TaskStatus,
    /// What was done.
    pub narrative: String,
}

/// A stored task progress report.
#[derive(Debug, Clone, Serialize)]
pub struct TaskReport {
    /// Row id.
    pub id: i64,
    /// Area number.
    pub area: i64,
    /// Task number.
    pub number: i64,
    /// Period.
    pub period: String,
    /// Revision within the period.
    pub revision: i64,
    /// Status.
    pub status: TaskStatus,
    /// Narrative.
    pub narrative: String,
    /// Reporter's display name.
    pub reported_by_name: Option<String>,
    /// When (UTC).
    pub reported_at: String,
}
